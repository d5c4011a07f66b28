"""The Data Catalog operations through ``invoke``, each response checked against Glue's output shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from catalog.shapes import storage_descriptor
from sluice.context import SluiceContext
from sluice.errors import AlreadyExistsException, EntityNotFoundException, InvalidInputException

KEYS = [{"Name": "year", "Type": "string"}, {"Name": "month", "Type": "int"}]


def table_input(name: str = "trips", columns: list[dict[str, str]] | None = None) -> dict[str, Any]:
    columns = columns or [{"Name": "id", "Type": "bigint"}]
    return {"Name": name, "StorageDescriptor": storage_descriptor(columns, "/lake/trips"), "PartitionKeys": KEYS}


def partition(year: str, month: str) -> dict[str, Any]:
    return {"Values": [year, month], "StorageDescriptor": {"Location": f"/lake/trips/year={year}/month={month}"}}


@pytest.fixture
def trips(glue) -> str:
    glue("CreateDatabase", {"DatabaseInput": {"Name": "raw", "Description": "landing"}})
    glue("CreateTable", {"DatabaseName": "raw", "TableInput": table_input()})
    return "trips"


def test_databases(glue) -> None:
    assert glue("CreateDatabase", {"DatabaseInput": {"Name": "raw", "LocationUri": "/lake"}}) == {}
    assert glue("GetDatabase", {"Name": "raw"})["Database"]["LocationUri"] == "/lake"
    assert [d["Name"] for d in glue("GetDatabases", {})["DatabaseList"]] == ["raw"]
    with pytest.raises(AlreadyExistsException):
        glue("CreateDatabase", {"DatabaseInput": {"Name": "raw"}})
    assert glue("DeleteDatabase", {"Name": "raw"}) == {}
    with pytest.raises(EntityNotFoundException, match="Database raw not found"):
        glue("GetDatabase", {"Name": "raw"})


def test_tables_and_versions(glue, trips: str) -> None:
    assert glue("GetTable", {"DatabaseName": "raw", "Name": trips})["Table"]["VersionId"] == "0"
    wider = table_input(columns=[{"Name": "id", "Type": "bigint"}, {"Name": "fare", "Type": "double"}])
    assert glue("UpdateTable", {"DatabaseName": "raw", "TableInput": wider}) == {}
    assert [t["Name"] for t in glue("GetTables", {"DatabaseName": "raw"})["TableList"]] == [trips]
    versions = glue("GetTableVersions", {"DatabaseName": "raw", "TableName": trips})["TableVersions"]
    assert [v["VersionId"] for v in versions] == ["1", "0"]
    with pytest.raises(AlreadyExistsException):
        glue("CreateTable", {"DatabaseName": "raw", "TableInput": table_input()})
    assert glue("DeleteTable", {"DatabaseName": "raw", "Name": trips}) == {}
    with pytest.raises(EntityNotFoundException, match="Table trips not found in database raw"):
        glue("GetTable", {"DatabaseName": "raw", "Name": trips})


def test_partitions_page_filter_and_report_existing_ones(glue, trips: str) -> None:
    parts = [partition("2024", m) for m in ("1", "2", "10")]
    table = {"DatabaseName": "raw", "TableName": trips}
    assert glue("BatchCreatePartition", {**table, "PartitionInputList": parts}) == {"Errors": []}
    again = glue("BatchCreatePartition", {**table, "PartitionInputList": [parts[0], partition("2025", "1")]})
    assert [e["PartitionValues"] for e in again["Errors"]] == [["2024", "1"]]
    assert again["Errors"][0]["ErrorDetail"]["ErrorCode"] == "AlreadyExistsException"

    first = glue("GetPartitions", {**table, "MaxResults": 2})
    assert len(first["Partitions"]) == 2 and first["NextToken"]
    rest = glue("GetPartitions", {**table, "MaxResults": 2, "NextToken": first["NextToken"]})
    assert len(rest["Partitions"]) == 2 and "NextToken" not in rest
    late = glue("GetPartitions", {**table, "Expression": "year = '2024' AND month >= 2", "ExcludeColumnSchema": True})
    assert sorted(p["Values"][1] for p in late["Partitions"]) == ["10", "2"]
    assert "Columns" not in late["Partitions"][0]["StorageDescriptor"]

    one = glue("GetPartition", {**table, "PartitionValues": ["2024", "10"]})["Partition"]
    assert one["StorageDescriptor"]["Location"] == "/lake/trips/year=2024/month=10"
    assert glue("DeletePartition", {**table, "PartitionValues": ["2024", "10"]}) == {}
    with pytest.raises(EntityNotFoundException):
        glue("GetPartition", {**table, "PartitionValues": ["2024", "10"]})
    with pytest.raises(InvalidInputException, match="Invalid NextToken"):
        glue("GetPartitions", {**table, "NextToken": "garbage"})


def test_the_context_is_the_one_given_not_the_environment(glue, ctx: SluiceContext, sluice_home: Path) -> None:
    from catalog import Catalog

    glue("CreateDatabase", {"DatabaseInput": {"Name": "mine"}})
    assert (ctx.settings.home / "metadata.db").exists()
    assert Catalog().get_databases() == []  # the environment's SLUICE_HOME is another home
