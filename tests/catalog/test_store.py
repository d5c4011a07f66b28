"""Catalog store: Glue shapes, versions only on schema change, partitions, transactions."""

from __future__ import annotations

import pytest

from catalog import Catalog
from catalog.shapes import storage_descriptor
from sluice.errors import AlreadyExistsException, EntityNotFoundException, InvalidInputException


def _table_input(name: str, columns: list[tuple[str, str]], keys: list[str] = ()) -> dict:
    return {
        "Name": name,
        "StorageDescriptor": storage_descriptor([{"Name": n, "Type": t} for n, t in columns], f"/lake/{name}"),
        "PartitionKeys": [{"Name": k, "Type": "string"} for k in keys],
        "Parameters": {"classification": "parquet"},
    }


def test_database_and_table_shapes() -> None:
    cat = Catalog()
    db = cat.create_database("sales", description="Sales data")
    assert db["Name"] == "sales" and db["Description"] == "Sales data"
    with pytest.raises(AlreadyExistsException):
        cat.create_database("sales")
    assert cat.create_database("sales", exist_ok=True)["Name"] == "sales"
    table = cat.create_table("sales", _table_input("orders", [("id", "bigint"), ("amount", "decimal(10,2)")], ["dt"]))
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert table["VersionId"] == "0"
    assert table["StorageDescriptor"]["Columns"] == [
        {"Name": "id", "Type": "bigint"},
        {"Name": "amount", "Type": "decimal(10,2)"},
    ]
    assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    for key in ("CreateTime", "UpdateTime", "DatabaseName", "Parameters"):
        assert key in table
    assert [t["Name"] for t in cat.get_tables("sales")] == ["orders"]


def test_versions_only_on_schema_change() -> None:
    cat = Catalog()
    cat.create_database("d")
    cat.create_table("d", _table_input("t", [("a", "int")]))
    same = _table_input("t", [("a", "int")])
    same["Parameters"]["recordCount"] = "10"
    table, changed = cat.update_table("d", same)
    assert not changed and table["VersionId"] == "0"
    assert table["Parameters"]["recordCount"] == "10"
    table, changed = cat.update_table("d", _table_input("t", [("a", "int"), ("b", "string")]))
    assert changed and table["VersionId"] == "1"
    versions = cat.get_table_versions("d", "t")
    assert [v["VersionId"] for v in versions] == ["1", "0"]
    assert [c["Name"] for c in versions[1]["Table"]["StorageDescriptor"]["Columns"]] == ["a"]


def test_partitions_roundtrip_and_delete() -> None:
    cat = Catalog()
    cat.create_database("d")
    cat.create_table("d", _table_input("t", [("a", "int")], ["year", "month"]))
    parts = [
        {"Values": ["2013", m], "StorageDescriptor": {"Location": f"/lake/t/year=2013/month={m}"}} for m in ("01", "02")
    ]
    assert cat.batch_create_partition("d", "t", parts) == (2, 0)
    assert cat.batch_create_partition("d", "t", parts) == (0, 0)
    got = cat.get_partitions("d", "t")
    assert [p["Values"] for p in got] == [["2013", "01"], ["2013", "02"]]
    assert got[0]["StorageDescriptor"]["Location"] == "/lake/t/year=2013/month=01"
    assert got[0]["StorageDescriptor"]["Columns"] == [{"Name": "a", "Type": "int"}]
    cat.delete_partition("d", "t", ["2013", "01"])
    assert [p["Values"] for p in cat.get_partitions("d", "t")] == [["2013", "02"]]
    with pytest.raises(EntityNotFoundException, match="Partition"):
        cat.get_partition("d", "t", ["2013", "01"])


def test_transaction_rolls_back_everything() -> None:
    cat = Catalog()
    cat.create_database("d")
    with pytest.raises(RuntimeError), cat.transaction() as tx:
        tx.create_table("d", _table_input("t", [("a", "int")]))
        raise RuntimeError("crash mid-crawl")
    assert cat.get_tables("d") == []


def test_missing_objects_name_the_next_command() -> None:
    cat = Catalog()
    with pytest.raises(EntityNotFoundException) as err:
        cat.get_tables("nope")
    assert "sluice catalog get-databases" in (err.value.hint or "")
    cat.create_database("d")
    with pytest.raises(EntityNotFoundException, match="Table x not found in database d"):
        cat.get_table("d", "x")


def test_batch_create_replace_keeps_one_row_per_values() -> None:
    cat = Catalog()
    cat.create_database("d")
    cat.create_table("d", _table_input("t", [("a", "int")], ["k"]))
    first = [{"Values": ["x"], "StorageDescriptor": {"Location": "/1"}}, {"Values": ["x"], "Parameters": {"p": "1"}}]
    assert cat.batch_create_partition("d", "t", first) == (1, 0)  # the repeat is ignored without replace
    assert cat.get_partition("d", "t", ["x"])["StorageDescriptor"]["Location"] == "/1"
    again = [
        {"Values": ["x"], "StorageDescriptor": {"Location": "/2"}},
        {"Values": ["y"], "StorageDescriptor": {"Location": "/3"}},
        {"Values": ["y"], "Parameters": {"p": "2"}},
    ]
    assert cat.batch_create_partition("d", "t", again, replace=True) == (1, 2)
    got = {p["Values"][0]: p for p in cat.get_partitions("d", "t", "k IN ('x', 'y')")}
    assert got["x"]["StorageDescriptor"]["Location"] == "/2"
    assert got["y"]["StorageDescriptor"]["Location"] == "/3" and got["y"]["Parameters"] == {"p": "2"}
    with pytest.raises(InvalidInputException, match="has 2 values"):
        cat.batch_create_partition("d", "t", [{"Values": ["a", "b"]}])


def test_partitions_written_in_a_transaction_are_found_in_it() -> None:
    cat = Catalog()
    cat.create_database("d")
    cat.create_table("d", _table_input("t", [("a", "int")], ["k"]))
    with cat.transaction() as tx:
        tx.batch_create_partition("d", "t", [{"Values": [v]} for v in ("a", "b", "c")])
        assert [p["Values"] for p in tx.get_partitions("d", "t", "k > 'a'")] == [["b"], ["c"]]
        page, token = tx.get_partitions_page("d", "t", "k > 'a'", max_results=1)
        assert [p["Values"] for p in page] == [["b"]] and token
    assert [p["Values"] for p in cat.get_partitions("d", "t", "k <> 'b'")] == [["a"], ["c"]]
