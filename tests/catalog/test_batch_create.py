"""BatchCreatePartition's one-statement insert, on SQLite and PostgreSQL: the partitions that exist are found by
the insert itself and left alone, the new ones get their value rows, and every other partition operation works
on what it wrote."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from catalog import Catalog
from catalog.models import PartitionRow, PartitionValueRow
from service.catalog import batch_create_partition
from sluice.db import session_scope
from tests.catalog.test_partitions_sql import backend  # noqa: F401  (the SQLite/PostgreSQL fixture)

COLUMNS = [{"Name": "fare", "Type": "double"}]


def _part(year: str, day: str, **extra: Any) -> dict[str, Any]:
    return {"Values": [year, day], "StorageDescriptor": {"Location": f"/lake/t/{year}/{day}"}, **extra}


def _catalog() -> Catalog:
    cat = Catalog()
    cat.create_database("db")
    keys = [{"Name": "year", "Type": "int"}, {"Name": "day", "Type": "string"}]
    cat.create_table("db", {"Name": "t", "StorageDescriptor": {"Columns": COLUMNS}, "PartitionKeys": keys})
    return cat


def _stored() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with session_scope() as s:
        parts = s.execute(
            sa.select(PartitionRow.values_key, PartitionRow.values_indexed, PartitionRow.descriptor).order_by(
                PartitionRow.values_key
            )
        ).all()
        values = s.execute(
            sa.select(PartitionValueRow.position, PartitionValueRow.value).order_by(
                PartitionValueRow.partition_id, PartitionValueRow.position
            )
        ).all()
    return [tuple(p) for p in parts], [tuple(v) for v in values]


def test_existing_partitions_are_reported_and_kept_and_new_ones_indexed(backend: str) -> None:  # noqa: F811
    cat = _catalog()
    assert batch_create_partition(None, DatabaseName="db", TableName="t", PartitionInputList=[_part("2024", "01")])
    own = {"Columns": [{"Name": "fare", "Type": "string"}], "Location": "/elsewhere"}
    batch = [
        _part("2024", "01", Parameters={"changed": "yes"}),  # exists: left as it is
        _part("2024", "02", Parameters={"p": "1"}),
        {"Values": ["2025", "01"], "StorageDescriptor": own},
        _part("2024", "02"),  # a repeat in the batch: created once, not reported
    ]
    answer = batch_create_partition(None, DatabaseName="db", TableName="t", PartitionInputList=batch)
    assert [e["PartitionValues"] for e in answer["Errors"]] == [["2024", "01"]]
    assert answer["Errors"][0]["ErrorDetail"]["ErrorCode"] == "AlreadyExistsException"
    parts, values = _stored()
    assert parts == [
        ("2024\x1f01", True, None),
        ("2024\x1f02", True, None),
        ("2025\x1f01", True, own),
    ]
    assert len(values) == 6 and sorted(v for position, v in values if position == 1) == ["01", "01", "02"]
    got = {tuple(p["Values"]): p for p in cat.get_partitions("db", "t")}
    assert got[("2024", "01")]["Parameters"] == {} and got[("2024", "02")]["Parameters"] == {"p": "1"}
    assert got[("2025", "01")]["StorageDescriptor"]["Columns"] == own["Columns"]
    assert got[("2024", "02")]["StorageDescriptor"]["Columns"] == COLUMNS
    assert [p["Values"] for p in cat.get_partitions("db", "t", "year > 2024")] == [["2025", "01"]]
    assert [p["Values"] for p in cat.get_partitions("db", "t", "year = 2024 AND day = '02'")] == [["2024", "02"]]
    segments = [cat.get_partitions("db", "t", segment={"SegmentNumber": n, "TotalSegments": 2}) for n in (0, 1)]
    assert sorted(tuple(p["Values"]) for seg in segments for p in seg) == sorted(got)


def test_replace_updates_the_existing_ones_in_input_order(backend: str) -> None:  # noqa: F811
    cat = _catalog()
    cat.batch_create_partition("db", "t", [_part("2024", "01")])
    again = [
        _part("2024", "01", Parameters={"p": "1"}),
        {"Values": ["2024", "01"], "StorageDescriptor": {"Location": "/moved"}},
        _part("2024", "03"),
    ]
    existed: set[str] = set()
    assert cat.batch_create_partition("db", "t", again, replace=True, existed=existed) == (1, 2)
    assert existed == {"2024\x1f01"}
    moved = cat.get_partition("db", "t", ["2024", "01"])
    assert moved["StorageDescriptor"]["Location"] == "/moved" and moved["Parameters"] == {"p": "1"}


def test_a_large_batch_in_one_call(backend: str) -> None:  # noqa: F811
    """More partitions than one INSERT's rows (SQLite's statements are split; PostgreSQL's is one)."""
    cat = _catalog()
    batch = [_part(str(2000 + i // 365), f"{i % 365:03d}") for i in range(1_200)]
    assert cat.batch_create_partition("db", "t", batch) == (1_200, 0)
    assert cat.batch_create_partition("db", "t", [*batch[-600:], _part("1999", "000")]) == (1, 0)
    assert len(cat.get_partitions("db", "t", "year = 2001")) == 365


def test_partitions_another_writer_left_unindexed_are_indexed_by_the_next_batch(backend: str) -> None:  # noqa: F811
    cat = _catalog()
    cat.batch_create_partition("db", "t", [_part("2024", "01")])
    with session_scope() as s:
        table_id = s.scalar(sa.select(PartitionRow.table_id).limit(1))
        bare = {"table_id": table_id, "values": ["2023", "09"], "values_key": "2023\x1f09", "location": "/b"}
        s.execute(sa.insert(PartitionRow), [{**bare, "parameters": {}}])
    assert cat.batch_create_partition("db", "t", [_part("2024", "02")]) == (1, 0)
    parts, values = _stored()
    assert all(indexed for _, indexed, _ in parts) and len(values) == 6
    assert [p["Values"] for p in cat.get_partitions("db", "t", "year < 2024")] == [["2023", "09"]]
