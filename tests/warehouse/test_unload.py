"""unload (Redshift UNLOAD): query results to partitioned Parquet in the lake, cataloged, read-only."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from catalog.store import Catalog
from sluice.errors import InvalidInputException, SluiceError
from tests.warehouse.conftest import Warehouse
from warehouse import load_table, unload
from warehouse.cli import app

SEED = """CREATE TABLE {s}.f (id bigint, carrier text, amount numeric(8,2), ts {ts})"""
ROWS = [(1, "UA", "1.50", "2013-01-01 05:00:00"), (2, "AA", "2.25", None), (3, "UA", None, "2013-01-02 00:00:00")]


def seed(wh: Warehouse) -> None:
    wh.execute(SEED.format(s=wh.schema, ts="timestamptz" if wh.dialect == "postgresql" else "TEXT"))
    values = ", ".join(
        f"({i}, '{c}', {a or 'NULL'}, {repr(t) if t else 'NULL'})".replace('"', "'") for i, c, a, t in ROWS
    )
    wh.execute(f"INSERT INTO {wh.schema}.f VALUES {values}")


def test_unload_partitions_catalogs_and_loads_back(warehouse: Warehouse, lake: Path) -> None:
    seed(warehouse)
    out = lake / "unloaded"
    result = unload(
        f"SELECT id, carrier, amount FROM {warehouse.schema}.f",
        str(out),
        partition_keys=["carrier"],
        warehouse_url=warehouse.url,
        database_name="db",
        table_name="unloaded",
        batch_size=2,
    )
    assert result.rows == 3 and result.table == "db.unloaded"
    assert sorted(result.partitions) == [["AA"], ["UA"]]
    assert sorted(Path(f).parent.name for f in result.files) == ["carrier=AA", "carrier=UA"]
    ua = pq.read_table(out / "carrier=UA")
    assert sorted(ua.column("id").to_pylist()) == [1, 3]
    table = Catalog().get_table("db", "unloaded")
    assert [k["Name"] for k in table["PartitionKeys"]] == ["carrier"]
    if warehouse.dialect == "postgresql":
        assert ua.schema.field("amount").type.precision == 8  # numeric(8,2) stays a decimal
        assert table["StorageDescriptor"]["Columns"][1] == {"Name": "amount", "Type": "decimal(8,2)"}

    back = load_table("db", "unloaded", warehouse.target("back"), warehouse_url=warehouse.url)
    assert back.rows == 3
    got = warehouse.rows(f"SELECT id, carrier, amount FROM {warehouse.schema}.back ORDER BY id")
    expected = [(1, "UA", decimal.Decimal("1.50")), (2, "AA", decimal.Decimal("2.25")), (3, "UA", None)]
    if warehouse.dialect == "sqlite":
        expected = [(i, c, None if a is None else float(a)) for i, c, a in expected]
    assert got == expected


@pytest.mark.postgres
def test_unload_keeps_timestamps_utc(pg: Warehouse, lake: Path) -> None:
    seed(pg)
    unload(f"SELECT id, ts FROM {pg.schema}.f ORDER BY id", str(lake / "ts"), warehouse_url=pg.url)
    (data,) = [pq.read_table(p) for p in (lake / "ts").glob("*.parquet")]
    assert data.column("ts").to_pylist()[0] == dt.datetime(2013, 1, 1, 5, tzinfo=dt.UTC)


def test_unload_is_read_only_and_names_its_errors(warehouse: Warehouse, lake: Path) -> None:
    seed(warehouse)
    with pytest.raises(SluiceError, match="unload query failed"):
        unload(f"DELETE FROM {warehouse.schema}.f", str(lake / "x"), warehouse_url=warehouse.url)
    assert len(warehouse.rows(f"SELECT * FROM {warehouse.schema}.f")) == 3
    with pytest.raises(InvalidInputException, match=r"Partition keys \['nope'\]"):
        unload(
            f"SELECT id FROM {warehouse.schema}.f",
            str(lake / "x"),
            partition_keys=["nope"],
            warehouse_url=warehouse.url,
        )
    with pytest.raises(InvalidInputException, match="use parquet"):
        unload("SELECT 1", str(lake / "x"), format="csv", warehouse_url=warehouse.url)


def test_cli_unload_json(warehouse: Warehouse, lake: Path) -> None:
    seed(warehouse)
    args = ["unload", "--query", f"SELECT id FROM {warehouse.schema}.f", "--path", str(lake / "cli")]
    out = CliRunner().invoke(app, [*args, "--format", "parquet", "--warehouse-url", warehouse.url, "--json"])
    assert out.exit_code == 0, out.output
    body = json.loads(out.output)
    assert body["RowsUnloaded"] == 3 and len(body["Files"]) == 1 and body["Table"] is None
