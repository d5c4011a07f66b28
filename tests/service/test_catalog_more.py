"""More Data Catalog operations through ``invoke``: updates, versions, batches of tables and partitions, and
the table listings; each response checked against Glue's output shape."""

from __future__ import annotations

import pytest

from sluice.errors import AlreadyExistsException, EntityNotFoundException, InvalidInputException
from tests.service.test_catalog import partition, table_input

TABLE = {"DatabaseName": "raw", "TableName": "trips"}


@pytest.fixture
def trips(glue) -> str:
    glue("CreateDatabase", {"DatabaseInput": {"Name": "raw", "Description": "landing"}})
    glue("CreateTable", {"DatabaseName": "raw", "TableInput": table_input()})
    return "trips"


@pytest.fixture
def parts(glue, trips: str) -> list[list[str]]:
    values = [["2024", "1"], ["2024", "2"], ["2024", "10"]]
    glue("BatchCreatePartition", {**TABLE, "PartitionInputList": [partition(*v) for v in values]})
    return values


def test_update_database_replaces_its_definition_and_renames(glue, trips: str) -> None:
    new = {"Name": "raw", "LocationUri": "/lake/raw", "Parameters": {"owner": "ops"}}
    assert glue("UpdateDatabase", {"Name": "raw", "DatabaseInput": new}) == {}
    database = glue("GetDatabase", {"Name": "raw"})["Database"]
    assert database["LocationUri"] == "/lake/raw" and database["Parameters"] == {"owner": "ops"}
    assert "Description" not in database  # the input is the whole new definition, as in Glue
    glue("CreateDatabase", {"DatabaseInput": {"Name": "other"}})
    with pytest.raises(AlreadyExistsException):
        glue("UpdateDatabase", {"Name": "raw", "DatabaseInput": {"Name": "other"}})
    glue("UpdateDatabase", {"Name": "raw", "DatabaseInput": {"Name": "landing"}})
    assert glue("GetTable", {"DatabaseName": "landing", "Name": trips})["Table"]["DatabaseName"] == "landing"
    with pytest.raises(EntityNotFoundException, match="Database raw not found"):
        glue("UpdateDatabase", {"Name": "raw", "DatabaseInput": {"Name": "raw"}})


def test_batch_delete_table_reports_missing_tables(glue, trips: str) -> None:
    glue("CreateTable", {"DatabaseName": "raw", "TableInput": table_input("fares")})
    out = glue("BatchDeleteTable", {"DatabaseName": "raw", "TablesToDelete": [trips, "ghost", "fares"]})
    assert [(e["TableName"], e["ErrorDetail"]["ErrorCode"]) for e in out["Errors"]] == [
        ("ghost", "EntityNotFoundException")
    ]
    assert glue("GetTables", {"DatabaseName": "raw"})["TableList"] == []
    with pytest.raises(EntityNotFoundException, match="Database nowhere not found"):
        glue("BatchDeleteTable", {"DatabaseName": "nowhere", "TablesToDelete": [trips]})


def test_get_and_delete_table_versions(glue, trips: str) -> None:
    wider = table_input(columns=[{"Name": "id", "Type": "bigint"}, {"Name": "fare", "Type": "double"}])
    glue("UpdateTable", {"DatabaseName": "raw", "TableInput": wider})
    request = {"DatabaseName": "raw", "TableName": trips}
    current = glue("GetTableVersion", request)["TableVersion"]
    assert current["VersionId"] == "1" and len(current["Table"]["StorageDescriptor"]["Columns"]) == 2
    first = glue("GetTableVersion", {**request, "VersionId": "0"})["TableVersion"]
    assert [c["Name"] for c in first["Table"]["StorageDescriptor"]["Columns"]] == ["id"]
    with pytest.raises(InvalidInputException, match="current version"):
        glue("DeleteTableVersion", {**request, "VersionId": "1"})
    assert glue("DeleteTableVersion", {**request, "VersionId": "0"}) == {}
    versions = glue("GetTableVersions", request)["TableVersions"]
    assert [v["VersionId"] for v in versions] == ["1"]
    for missing in ({**request, "VersionId": "0"}, {**request, "VersionId": "7"}):
        with pytest.raises(EntityNotFoundException, match="not found"):
            glue("GetTableVersion", missing)
        with pytest.raises(EntityNotFoundException, match="not found"):
            glue("DeleteTableVersion", missing)
    with pytest.raises(InvalidInputException, match="a number"):
        glue("GetTableVersion", {**request, "VersionId": "latest"})
    with pytest.raises(EntityNotFoundException, match="Table ghost not found"):
        glue("GetTableVersion", {"DatabaseName": "raw", "TableName": "ghost"})


def test_create_partition_and_batch_get(glue, parts: list[list[str]]) -> None:
    assert glue("CreatePartition", {**TABLE, "PartitionInput": partition("2025", "1")}) == {}
    with pytest.raises(AlreadyExistsException):
        glue("CreatePartition", {**TABLE, "PartitionInput": partition("2025", "1")})
    with pytest.raises(EntityNotFoundException, match="Table ghost not found"):
        glue("CreatePartition", {**TABLE, "TableName": "ghost", "PartitionInput": partition("2025", "1")})
    wanted = [{"Values": ["2025", "1"]}, {"Values": ["1999", "1"]}, {"Values": ["2024", "2"]}]
    out = glue("BatchGetPartition", {**TABLE, "PartitionsToGet": wanted})
    assert [p["Values"] for p in out["Partitions"]] == [["2025", "1"], ["2024", "2"]]
    assert out["UnprocessedKeys"] == []
    with pytest.raises(EntityNotFoundException, match="Table ghost not found"):
        glue("BatchGetPartition", {**TABLE, "TableName": "ghost", "PartitionsToGet": wanted})


def test_update_partition_replaces_it_values_included(glue, parts: list[list[str]]) -> None:
    moved = {"Values": ["2024", "11"], "StorageDescriptor": {"Location": "/cold/11"}, "Parameters": {"tier": "cold"}}
    request = {**TABLE, "PartitionValueList": ["2024", "10"], "PartitionInput": moved}
    assert glue("UpdatePartition", request) == {}
    now = glue("GetPartition", {**TABLE, "PartitionValues": ["2024", "11"]})["Partition"]
    assert now["StorageDescriptor"]["Location"] == "/cold/11" and now["Parameters"] == {"tier": "cold"}
    late = glue("GetPartitions", {**TABLE, "Expression": "month > 10"})["Partitions"]
    assert [p["Values"] for p in late] == [["2024", "11"]]  # the value rows follow the new values
    with pytest.raises(EntityNotFoundException, match="not found"):
        glue("UpdatePartition", request)  # 2024/10 is gone
    with pytest.raises(AlreadyExistsException):
        glue(
            "UpdatePartition",
            {**request, "PartitionValueList": ["2024", "1"], "PartitionInput": partition("2024", "2")},
        )


def test_batch_update_partition_reports_failed_entries(glue, parts: list[list[str]]) -> None:
    entries = [
        {"PartitionValueList": ["2024", "1"], "PartitionInput": {**partition("2024", "1"), "Parameters": {"a": "1"}}},
        {"PartitionValueList": ["1999", "1"], "PartitionInput": partition("1999", "1")},
        {"PartitionValueList": ["2024", "2"], "PartitionInput": partition("2024", "10")},
    ]
    out = glue("BatchUpdatePartition", {**TABLE, "Entries": entries})
    assert [(e["PartitionValueList"], e["ErrorDetail"]["ErrorCode"]) for e in out["Errors"]] == [
        (["1999", "1"], "EntityNotFoundException"),
        (["2024", "2"], "AlreadyExistsException"),
    ]
    one = glue("GetPartition", {**TABLE, "PartitionValues": ["2024", "1"]})["Partition"]
    assert one["Parameters"] == {"a": "1"}
    with pytest.raises(EntityNotFoundException, match="Table ghost not found"):
        glue("BatchUpdatePartition", {**TABLE, "TableName": "ghost", "Entries": entries})


def test_batch_delete_partition_reports_missing_ones(glue, parts: list[list[str]]) -> None:
    gone = [{"Values": ["2024", "1"]}, {"Values": ["1999", "1"]}, {"Values": ["2024", "10"]}]
    out = glue("BatchDeletePartition", {**TABLE, "PartitionsToDelete": gone})
    assert [(e["PartitionValues"], e["ErrorDetail"]["ErrorCode"]) for e in out["Errors"]] == [
        (["1999", "1"], "EntityNotFoundException")
    ]
    assert [p["Values"] for p in glue("GetPartitions", TABLE)["Partitions"]] == [["2024", "2"]]
    with pytest.raises(EntityNotFoundException, match="Database nowhere not found"):
        glue("BatchDeletePartition", {**TABLE, "DatabaseName": "nowhere", "PartitionsToDelete": gone})


@pytest.fixture
def three_tables(glue, trips: str) -> None:
    glue("CreateTable", {"DatabaseName": "raw", "TableInput": table_input("trips_2024")})
    fares = table_input("fares", columns=[{"Name": "fare_amount", "Type": "double"}])
    glue("CreateTable", {"DatabaseName": "raw", "TableInput": {**fares, "Description": "Taxi fares"}})
    glue("CreateDatabase", {"DatabaseInput": {"Name": "curated"}})
    glue("CreateTable", {"DatabaseName": "curated", "TableInput": table_input("trips")})


def names(response: dict) -> list[str]:
    return [f"{t['DatabaseName']}.{t['Name']}" for t in response["TableList"]]


def test_get_tables_expression_and_pages(glue, three_tables: None) -> None:
    raw = {"DatabaseName": "raw"}
    assert names(glue("GetTables", {**raw, "Expression": "trips.*"})) == ["raw.trips", "raw.trips_2024"]
    assert names(glue("GetTables", {**raw, "Expression": "fares|trips"})) == ["raw.fares", "raw.trips"]
    first = glue("GetTables", {**raw, "MaxResults": 2})
    assert names(first) == ["raw.fares", "raw.trips"] and first["NextToken"]
    rest = glue("GetTables", {**raw, "MaxResults": 2, "NextToken": first["NextToken"]})
    assert names(rest) == ["raw.trips_2024"] and "NextToken" not in rest
    with pytest.raises(InvalidInputException, match="does not belong to this request"):
        glue("GetTables", {**raw, "Expression": "trips.*", "NextToken": first["NextToken"]})
    with pytest.raises(InvalidInputException, match="not a regular expression"):
        glue("GetTables", {**raw, "Expression": "*trips"})
    with pytest.raises(EntityNotFoundException, match="Database nowhere not found"):
        glue("GetTables", {"DatabaseName": "nowhere", "Expression": ".*"})


def test_search_tables_text_filters_and_pages(glue, three_tables: None) -> None:
    everything = names(glue("SearchTables", {}))
    assert everything == ["curated.trips", "raw.fares", "raw.trips", "raw.trips_2024"]
    assert names(glue("SearchTables", {"SearchText": "TAXI"})) == ["raw.fares"]  # the description
    assert names(glue("SearchTables", {"SearchText": "amount"})) == ["raw.fares"]  # a column name
    assert names(glue("SearchTables", {"SearchText": "month"})) == everything  # a partition key
    in_raw = [{"Key": "DatabaseName", "Value": "raw", "Comparator": "EQUALS"}]
    first = glue("SearchTables", {"SearchText": "trips", "Filters": in_raw, "MaxResults": 1})
    assert names(first) == ["raw.trips"]
    rest = glue("SearchTables", {"SearchText": "trips", "Filters": in_raw, "NextToken": first["NextToken"]})
    assert names(rest) == ["raw.trips_2024"] and "NextToken" not in rest
    assert glue("SearchTables", {"Filters": [{"Key": "DatabaseName", "Value": "nowhere"}]})["TableList"] == []
    with pytest.raises(InvalidInputException, match="not supported"):
        glue("SearchTables", {"Filters": [{"Key": "TableType", "Value": "VIEW"}]})
