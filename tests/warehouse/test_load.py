"""load_table on SQLite and PostgreSQL: modes, ledger, partitions, schema changes, identifiers, errors."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from catalog.shapes import storage_descriptor
from catalog.store import Catalog
from sluice.errors import InvalidInputException
from sluice.settings import get_settings
from tests.warehouse.conftest import LakeTable, Warehouse, write_parquet
from warehouse import LoadError, load_table
from warehouse.cli import app

COLUMNS = [("id", "bigint"), ("v", "string")]


def rows(ids: list[int], values: list[str | None]) -> pa.Table:
    return pa.table({"id": pa.array(ids, pa.int64()), "v": pa.array(values, pa.string())})


def content(wh: Warehouse, name: str = "t") -> list[tuple[object, ...]]:
    return sorted(wh.rows(f'SELECT id, v FROM {wh.schema}."{name}"'), key=str)


def test_append_loads_each_file_once(warehouse: Warehouse, lake_table: LakeTable, lake: Path) -> None:
    lake_table("src", COLUMNS, [rows([1, 2, 3], ["a", "", None])])
    first = load_table("db", "src", warehouse.target("t"), warehouse_url=warehouse.url)
    assert (first.rows, len(first.files), first.created) == (3, 1, True)
    assert content(warehouse) == [(1, "a"), (2, ""), (3, None)]

    again = load_table("db", "src", warehouse.target("t"), warehouse_url=warehouse.url)
    assert (again.rows, again.files, again.skipped) == (0, [], [str(lake / "src" / "part-00000.parquet")])

    write_parquet(lake / "src" / "part-00001.parquet", rows([4], ["d"]), mtime=5000)
    third = load_table("db", "src", warehouse.target("t"), warehouse_url=warehouse.url)
    assert [Path(f.path).name for f in third.files] == ["part-00001.parquet"] and third.rows == 1
    assert len(content(warehouse)) == 4
    assert warehouse.ledger() == [("t", "part-00000.parquet", 3), ("t", "part-00001.parquet", 1)]

    forced = load_table("db", "src", warehouse.target("t"), warehouse_url=warehouse.url, force=True)
    assert forced.rows == 4 and len(content(warehouse)) == 8
    assert len(warehouse.ledger()) == 2


def test_overwrite_replaces_the_table_with_new_files(warehouse: Warehouse, lake_table: LakeTable, lake: Path) -> None:
    lake_table("src", COLUMNS, [rows([1, 2], ["a", "b"])])
    load_table("db", "src", warehouse.target("t"), warehouse_url=warehouse.url, mode="overwrite")
    write_parquet(lake / "src" / "part-00001.parquet", rows([7], ["new"]), mtime=9000)
    result = load_table("db", "src", warehouse.target("t"), warehouse_url=warehouse.url, mode="overwrite")
    assert result.rows == 1 and not result.created
    assert content(warehouse) == [(7, "new")]
    nothing_new = load_table("db", "src", warehouse.target("t"), warehouse_url=warehouse.url, mode="overwrite")
    assert nothing_new.rows == 0 and len(nothing_new.skipped) == 2
    assert content(warehouse) == [(7, "new")]
    pg = warehouse.dialect == "postgresql"
    tables = "information_schema.tables" if pg else f"{warehouse.schema}.sqlite_master"
    names = [n for (n,) in warehouse.rows(f"SELECT {'table_name' if pg else 'name'} FROM {tables}")]
    assert not [n for n in names if n.startswith("sluice_stage")]


def test_merge_takes_the_newest_row_per_key(warehouse: Warehouse, lake_table: LakeTable, lake: Path) -> None:
    older = rows([1, 2], ["a", "old"])
    newer = rows([2, 3, 3], ["new", "first", "last"])  # later file, and a later row within it, win
    lake_table("src", COLUMNS, [older, newer])
    result = load_table(
        "db", "src", warehouse.target("t"), warehouse_url=warehouse.url, mode="merge", merge_keys=["id"]
    )
    assert result.rows == 5 and result.created
    assert content(warehouse) == [(1, "a"), (2, "new"), (3, "last")]

    # Modification time, not the name, orders files: z-early.parquet is older than a-late.parquet.
    write_parquet(lake / "src" / "a-late.parquet", rows([1, 4], ["A", "d"]), mtime=9000)
    write_parquet(lake / "src" / "z-early.parquet", rows([1, 5], ["Z", "e"]), mtime=8000)
    again = load_table("db", "src", warehouse.target("t"), warehouse_url=warehouse.url, mode="merge", merge_keys=["id"])
    assert [Path(f.path).name for f in again.files] == ["z-early.parquet", "a-late.parquet"]
    assert len(again.skipped) == 2
    assert content(warehouse) == [(1, "A"), (2, "new"), (3, "last"), (4, "d"), (5, "e")]


def test_merge_refuses_null_keys(warehouse: Warehouse, lake_table: LakeTable) -> None:
    lake_table("src", COLUMNS, [rows([1, 2], ["a", "b"]), rows([3, None, 5], ["c", "d", "e"])])
    with pytest.raises(LoadError, match=r"merge key id is NULL \(file .*part-00001.parquet, row 2, column id\)"):
        load_table("db", "src", warehouse.target("t"), warehouse_url=warehouse.url, mode="merge", merge_keys=["id"])
    assert not warehouse.exists("t") and warehouse.ledger() == []


def test_partition_values_become_columns(warehouse: Warehouse, lake_table: LakeTable) -> None:
    lake_table(
        "src",
        COLUMNS,
        partition_keys=[("year", "int"), ("carrier", "string")],
        partitions={
            ("2013", "UA"): [rows([1], ["a"])],
            ("2013", "AA"): [rows([2], ["b"])],
            ("2014", "UA"): [rows([3], ["c"]), rows([4], ["d"])],
            ("2014", "__HIVE_DEFAULT_PARTITION__"): [rows([5], ["e"])],
        },
    )
    result = load_table(
        "db", "src", warehouse.target("t"), warehouse_url=warehouse.url, partition_expression="carrier = 'UA'"
    )
    assert result.rows == 3
    got = warehouse.rows(f"SELECT id, year, carrier FROM {warehouse.schema}.t ORDER BY id")
    assert got == [(1, 2013, "UA"), (3, 2014, "UA"), (4, 2014, "UA")]
    rest = load_table("db", "src", warehouse.target("t"), warehouse_url=warehouse.url)
    assert rest.rows == 2 and len(rest.skipped) == 3
    assert warehouse.rows(f"SELECT year, carrier FROM {warehouse.schema}.t WHERE id = 5") == [(2014, None)]


def test_schema_change_adds_columns_or_fails(warehouse: Warehouse, lake_table: LakeTable, lake: Path) -> None:
    lake_table("src", COLUMNS, [rows([1], ["a"])])
    load_table("db", "src", warehouse.target("t"), warehouse_url=warehouse.url)
    wider = [*COLUMNS, ("w", "double")]
    Catalog().update_table(
        "db",
        {
            "Name": "src",
            "StorageDescriptor": storage_descriptor([{"Name": n, "Type": t} for n, t in wider], str(lake / "src")),
        },
    )
    write_parquet(lake / "src" / "part-00001.parquet", rows([2], ["b"]).append_column("w", pa.array([2.5])), mtime=9000)
    with pytest.raises(InvalidInputException, match=r"columns \['w'\]"):
        load_table("db", "src", warehouse.target("t"), warehouse_url=warehouse.url, on_schema_change="fail")
    assert len(warehouse.ledger()) == 1
    result = load_table("db", "src", warehouse.target("t"), warehouse_url=warehouse.url)
    assert result.columns_added == ["w"]
    assert warehouse.rows(f"SELECT id, v, w FROM {warehouse.schema}.t ORDER BY id") == [(1, "a", None), (2, "b", 2.5)]


@pytest.mark.parametrize("hostile", ['x"; drop table t; --', "a%s?:b'); drop table t; --"])
def test_hostile_identifiers_are_quoted_not_executed(warehouse: Warehouse, lake_table: LakeTable, hostile: str) -> None:
    lake_table("src", COLUMNS, [rows([1], ["a"])])
    load_table("db", "src", warehouse.target("t"), warehouse_url=warehouse.url)
    lake_table("evil", [("id", "bigint"), (hostile, "string")], [pa.table({"id": [1], hostile: ["boom"]})])
    quoted = hostile.replace('"', '""')
    for mode in ("append", "overwrite", "merge"):
        keys = ["id"] if mode == "merge" else []
        result = load_table(
            "db",
            "evil",
            f'{warehouse.schema}."{quoted}"',
            warehouse_url=warehouse.url,
            mode=mode,
            merge_keys=keys,
            force=True,
        )
        assert result.rows == 1
    assert content(warehouse) == [(1, "a")]  # table t survived
    if warehouse.dialect == "postgresql":
        quoted = quoted.replace("%", "%%")  # the test query goes through psycopg's placeholder parsing
    assert warehouse.rows(f'SELECT "{quoted}" FROM {warehouse.schema}."{quoted}"') == [("boom",)]
    with pytest.raises(InvalidInputException):
        load_table("db", "src", f"{warehouse.schema}.{'x' * 64}", warehouse_url=warehouse.url)


@pytest.mark.postgres
def test_bad_value_names_file_row_and_column(pg: Warehouse, lake_table: LakeTable, lake: Path) -> None:
    lake_table("src", [("id", "bigint"), ("note", "string"), ("amount", "bigint")], [])
    good = pa.table({"id": [1], "note": ["fine"], "amount": ["10"]})
    write_parquet(lake / "src" / "part-00000.parquet", good, mtime=1000)
    load_table("db", "src", pg.target("t"), warehouse_url=pg.url)
    n = 1000
    amounts = [str(i) for i in range(n)]
    amounts[499] = "oops"
    notes = ["multi\nline" if i % 7 == 0 else "x" for i in range(n)]  # newlines shift COPY's line numbers
    bad = pa.table({"id": list(range(n)), "note": notes, "amount": amounts})
    write_parquet(lake / "src" / "part-00001.parquet", bad, mtime=2000, row_group_size=128)
    with pytest.raises(LoadError) as caught:
        load_table("db", "src", pg.target("t"), warehouse_url=pg.url, batch_size=100)
    message = caught.value.message
    assert 'invalid input syntax for type bigint: "oops"' in message
    assert "part-00001.parquet, row 500, column amount" in message
    assert pg.rows(f"SELECT id, note, amount FROM {pg.schema}.t") == [(1, "fine", 10)]
    assert pg.ledger() == [("t", "part-00000.parquet", 1)]


def test_constraint_violation_names_file_and_row(warehouse: Warehouse, lake_table: LakeTable) -> None:
    lake_table("src", COLUMNS, [rows(list(range(10)), ["v"] * 4 + [None] + ["v"] * 5)])
    warehouse.execute(f"CREATE TABLE {warehouse.schema}.t (id bigint, v text NOT NULL)")
    with pytest.raises(LoadError, match=r"part-00000.parquet, row 5, column v\)"):
        load_table("db", "src", warehouse.target("t"), warehouse_url=warehouse.url, batch_size=3)
    assert content(warehouse) == [] and warehouse.ledger() == []


@pytest.mark.postgres
def test_type_mapping_round_trip(pg: Warehouse, lake_table: LakeTable) -> None:
    columns = [
        ("i", "int"), ("big", "bigint"), ("small", "smallint"), ("d", "double"), ("f", "float"), ("ok", "boolean"),
        ("s", "string"), ("vc", "varchar(5)"), ("ts", "timestamp"), ("day", "date"), ("amount", "decimal(20,6)"),
        ("raw", "binary"), ("tags", "array<string>"), ("info", "struct<a:int,b:string>"),
    ]  # fmt: skip
    stamp = dt.datetime(2013, 6, 1, 12, 30, 15, 123456, tzinfo=dt.UTC)
    data = pa.table(
        {
            "i": pa.array([1], pa.int32()), "big": [2**62], "small": pa.array([7], pa.int16()), "d": [1.25],
            "f": pa.array([0.5], pa.float32()), "ok": [True], "s": ["ü'\"\\,"], "vc": ["abcde"],
            "ts": pa.array([stamp], pa.timestamp("us", tz="UTC")), "day": [dt.date(2013, 6, 1)],
            "amount": pa.array([decimal.Decimal("12345678901234.123456")], pa.decimal128(20, 6)),
            "raw": [b"\x00\x01"], "tags": [["a", "b"]], "info": [{"a": 1, "b": "x"}],
        }
    )  # fmt: skip
    lake_table("typed", columns, [data])
    load_table("db", "typed", pg.target("typed"), warehouse_url=pg.url)
    types = dict(
        pg.rows(f"SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = '{pg.schema}'"
                " AND table_name = 'typed'")
    )  # fmt: skip
    assert types == {
        "i": "integer", "big": "bigint", "small": "smallint", "d": "double precision", "f": "real", "ok": "boolean",
        "s": "text", "vc": "character varying", "ts": "timestamp with time zone", "day": "date",
        "amount": "numeric", "raw": "bytea", "tags": "jsonb", "info": "jsonb",
    }  # fmt: skip
    (row,) = pg.rows(f"SELECT i, big, small, d, f, ok, s, vc, ts, day, amount, raw, tags, info FROM {pg.schema}.typed")
    assert row == (
        1, 2**62, 7, 1.25, 0.5, True, "ü'\"\\,", "abcde", stamp, dt.date(2013, 6, 1),
        decimal.Decimal("12345678901234.123456"), b"\x00\x01", ["a", "b"], {"a": 1, "b": "x"},
    )  # fmt: skip
    assert pg.rows(f"SELECT numeric_precision, numeric_scale FROM information_schema.columns "
                   f"WHERE table_schema = '{pg.schema}' AND column_name = 'amount'") == [(20, 6)]  # fmt: skip


def test_cli_load_skip_and_force(warehouse: Warehouse, lake_table: LakeTable, monkeypatch: pytest.MonkeyPatch) -> None:
    lake_table("src", COLUMNS, [rows([1, 2], ["a", "b"])])
    monkeypatch.setenv("SLUICE_WAREHOUSE_URL", warehouse.url)  # the default --warehouse-url
    get_settings.cache_clear()
    args = ["load", "--database-name", "db", "--table-name", "src", "--target", warehouse.target("t")]
    args += ["--mode", "merge", "--merge-keys", "id", "--json"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    body = json.loads(first.output)
    assert (body["RowsLoaded"], body["TableCreated"], body["FilesLoaded"][0]["Rows"]) == (2, True, 2)
    second = json.loads(CliRunner().invoke(app, args).output)
    assert second["RowsLoaded"] == 0 and len(second["FilesSkipped"]) == 1
    text = CliRunner().invoke(app, args[:-1])
    assert "Skipped 1 files already loaded" in text.output
    forced = json.loads(CliRunner().invoke(app, [*args, "--force"]).output)
    assert forced["RowsLoaded"] == 2 and forced["FilesSkipped"] == []
    assert content(warehouse) == [(1, "a"), (2, "b")]
    bad = CliRunner().invoke(app, [*args[:7], "--mode", "merge"])
    assert bad.exit_code == 2 and "merge keys" in bad.output


def test_default_warehouse_is_the_embedded_sqlite(lake_table: LakeTable, sluice_home: Path) -> None:
    lake_table("src", COLUMNS, [rows([1], ["a"])])
    result = load_table("db", "src", "t")
    assert result.target == "main.t" and result.rows == 1
    assert (sluice_home / "warehouse.db").exists()


@pytest.mark.s3
def test_load_from_s3(s3: tuple[object, str], warehouse: Warehouse) -> None:
    client, bucket = s3
    sink = pa.BufferOutputStream()
    import pyarrow.parquet as pq

    pq.write_table(rows([1, 2], ["a", "b"]), sink)
    client.put_object(Bucket=bucket, Key="src/part-0.parquet", Body=sink.getvalue().to_pybytes())  # type: ignore[attr-defined]
    catalog = Catalog()
    catalog.create_database("db")
    cols = [{"Name": n, "Type": t} for n, t in COLUMNS]
    catalog.create_table("db", {"Name": "src", "StorageDescriptor": storage_descriptor(cols, f"s3://{bucket}/src")})
    result = load_table("db", "src", warehouse.target("t"), warehouse_url=warehouse.url)
    assert result.files[0].path == f"s3://{bucket}/src/part-0.parquet"
    assert content(warehouse) == [(1, "a"), (2, "b")]
