"""Pure parts: identifiers, type map, file planning, SQL generation, CSV encoding and error positions."""

from __future__ import annotations

import datetime as dt
import decimal

import pyarrow as pa
import pytest
from sqlalchemy.dialects import postgresql, sqlite

from sluice.errors import InvalidInputException
from warehouse.batches import csv_buffer, row_at_line, sqlite_rows, with_position
from warehouse.identifiers import Quoter, TableRef, check_columns, parse_target
from warehouse.ledger import SourceFile, plan_files
from warehouse.sql import Column, check_mode, merge, plan_steps
from warehouse.typemap import sql_type

PG = Quoter(postgresql.dialect())
LITE = Quoter(sqlite.dialect())
HOSTILE = 'x"; drop table t; --'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("t", TableRef(None, "t")),
        ("Analytics.Flights", TableRef("analytics", "flights")),
        ('"My Schema"."a.b"', TableRef("My Schema", "a.b")),
        ('s."x""y"', TableRef("s", 'x"y')),
        (HOSTILE, TableRef(None, HOSTILE)),
    ],
)
def test_parse_target(text: str, expected: TableRef) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize("text", ["", "a.b.c", "a.", '"unterminated', '"a"b', "a\x00b", "x" * 64, "a\nb"])
def test_parse_target_refuses(text: str) -> None:
    with pytest.raises(InvalidInputException):
        parse_target(text)


def test_quoting_neutralises_hostile_names() -> None:
    assert PG.ident(HOSTILE) == '"x""; drop table t; --"'
    assert PG.table(TableRef("s", HOSTILE)) == '"s"."x""; drop table t; --"'
    assert LITE.columns(["a", "select"]) == '"a", "select"'


def test_check_columns() -> None:
    assert check_columns(["a", "B"]) == ["a", "B"]
    with pytest.raises(InvalidInputException, match="twice"):
        check_columns(["a", "A"])
    with pytest.raises(InvalidInputException, match="reserved"):
        check_columns(["_sluice_row"])


@pytest.mark.parametrize(
    ("hive", "pg", "lite"),
    [
        ("bigint", "BIGINT", "INTEGER"),
        ("int", "INTEGER", "INTEGER"),
        ("tinyint", "SMALLINT", "INTEGER"),
        ("double", "DOUBLE PRECISION", "REAL"),
        ("float", "REAL", "REAL"),
        ("string", "TEXT", "TEXT"),
        ("varchar(12)", "VARCHAR(12)", "TEXT"),
        ("char(3)", "CHAR(3)", "TEXT"),
        ("timestamp", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP"),
        ("date", "DATE", "DATE"),
        ("boolean", "BOOLEAN", "BOOLEAN"),
        ("binary", "BYTEA", "BLOB"),
        ("decimal(12,3)", "NUMERIC(12, 3)", "NUMERIC(12, 3)"),
        ("decimal(38,9)", "NUMERIC(38, 9)", "TEXT"),
        ("array<int>", "JSONB", "TEXT"),
        ("struct<a:int,b:map<string,double>>", "JSONB", "TEXT"),
    ],
)
def test_type_map(hive: str, pg: str, lite: str) -> None:
    assert sql_type(hive, "postgresql").compile(dialect=PG.dialect) == pg
    assert sql_type(hive, "sqlite").compile(dialect=LITE.dialect) == lite


def test_type_map_refuses_other_dialects() -> None:
    with pytest.raises(InvalidInputException, match="not supported"):
        sql_type("bigint", "mysql")


def test_plan_files_orders_by_mtime_and_skips_loaded() -> None:
    a, b, c = SourceFile("s3://b/a", 1, 30.0), SourceFile("s3://b/b", 1, 10.0), SourceFile("s3://b/c", 1, 20.0)
    plan = plan_files([a, b, c, b], {b.key})
    assert plan.load == [c, a]
    assert plan.skipped == [b]
    assert plan_files([a, b, c], {b.key}, force=True).load == [b, c, a]
    rewritten = SourceFile("s3://b/b", 2, 40.0)
    assert plan_files([rewritten], {b.key}).load == [rewritten]


def test_check_mode() -> None:
    check_mode("merge", ["id"], "fail")
    for args in [("upsert", [], "fail"), ("merge", [], "fail"), ("append", ["id"], "fail"), ("append", [], "x")]:
        with pytest.raises(InvalidInputException):
            check_mode(*args)


COLUMNS = [Column("id", "bigint"), Column("v", "string")]


def _plan(dialect: str, mode: str, existing: list[str] | None, **kw: object):  # type: ignore[no-untyped-def]
    q = PG if dialect == "postgresql" else LITE
    options = {"merge_keys": ["id"] if mode == "merge" else [], "on_schema_change": "add_columns"} | kw
    steps = plan_steps(
        q,
        dialect,
        mode=mode,
        target=TableRef("s", "t"),
        columns=COLUMNS,
        existing=existing,
        stage_name="stg",
        **options,
    )
    # Core breaks long statements over lines; compare them on one line.
    steps.before, steps.after = [_flat(s) for s in steps.before], [_flat(s) for s in steps.after]
    steps.null_keys = steps.null_keys and _flat(steps.null_keys)
    return steps


def _flat(sql: str) -> str:
    return " ".join(sql.replace("( ", "(").split()).replace("( ", "(").replace(" )", ")")


def test_plan_append_creates_then_loads_target() -> None:
    steps = _plan("postgresql", "append", None)
    assert steps.before == ["CREATE TABLE s.t (id BIGINT, v TEXT)"]
    assert steps.into == TableRef("s", "t") and not steps.after and steps.created


def test_plan_adds_or_refuses_new_columns() -> None:
    steps = _plan("postgresql", "append", ["id"])
    assert steps.before == ['ALTER TABLE "s"."t" ADD COLUMN "v" TEXT'] and steps.added == ["v"]
    with pytest.raises(InvalidInputException, match="lacks"):
        _plan("postgresql", "append", ["id"], on_schema_change="fail")
    assert _plan("sqlite", "append", ["ID", "V"]).before == []  # SQLite names are case-blind


def test_plan_overwrite_swaps_on_postgres() -> None:
    steps = _plan("postgresql", "overwrite", ["id"], swap=True)
    assert steps.before == [
        'CREATE TABLE "s"."stg" (LIKE "s"."t" INCLUDING ALL)',
        'ALTER TABLE "s"."stg" ADD COLUMN "v" TEXT',
    ]
    assert steps.into == TableRef("s", "stg")
    assert steps.after == ["DROP TABLE s.t", 'ALTER TABLE "s"."stg" RENAME TO "t"']


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_plan_overwrite_without_swap_deletes_inside_the_transaction(dialect: str) -> None:
    steps = _plan(dialect, "overwrite", ["id", "v"])
    assert steps.before == ["DELETE FROM s.t"] and steps.into == TableRef("s", "t") and not steps.after


def test_plan_merge_stages_with_positions() -> None:
    steps = _plan("postgresql", "merge", None)
    # The key column is no serial (autoincrement off): it holds the source's values.
    assert steps.before[0] == "CREATE TABLE s.t (id BIGINT NOT NULL, v TEXT, PRIMARY KEY (id))"
    assert steps.into == TableRef(None, "stg") and steps.positions
    assert steps.before[1] == 'CREATE TEMPORARY TABLE "stg" AS SELECT s.t.id, s.t.v FROM s.t WHERE false'
    assert steps.before[2:] == [
        'ALTER TABLE "stg" ADD COLUMN "_sluice_file" INTEGER',
        'ALTER TABLE "stg" ADD COLUMN "_sluice_row" BIGINT',
    ]
    assert steps.after[0].startswith('MERGE INTO "s"."t" AS t USING (SELECT ranked.id, ranked.v FROM (SELECT')
    assert "ORDER BY stg._sluice_file DESC, stg._sluice_row DESC" in steps.after[0]
    assert steps.after[0].endswith(
        'AS s ON t.id = s.id WHEN MATCHED THEN UPDATE SET "v" = s.v '
        'WHEN NOT MATCHED THEN INSERT ("id", "v") VALUES (s.id, s.v)'
    )
    assert steps.after[-1] == "DROP TABLE stg"
    assert steps.null_keys == (
        "SELECT stg._sluice_file, stg._sluice_row, CASE WHEN (stg.id IS NULL) THEN 1 ELSE 0 END AS anon_1 "
        "FROM stg WHERE stg.id IS NULL ORDER BY stg._sluice_file, stg._sluice_row LIMIT 1"
    )


def test_plan_merge_from_a_staged_table() -> None:
    staged = TableRef("public", "df_stage")
    steps = _plan("postgresql", "merge", ["id", "v"], staged=staged)
    assert steps.into is None and steps.before == []
    assert "FROM public.df_stage) AS ranked" in steps.after[0]


def test_plan_merge_refuses_unknown_keys() -> None:
    with pytest.raises(InvalidInputException, match="not source columns"):
        _plan("postgresql", "merge", None, merge_keys=["nope"])
    with pytest.raises(InvalidInputException, match="not columns of"):
        _plan("postgresql", "merge", ["v"])


def test_sqlite_merge_is_update_then_insert() -> None:
    update, insert = map(
        _flat, merge(LITE, "sqlite", TableRef("main", "t"), TableRef("temp", "stg"), ["id", "v"], ["id"])
    )
    assert update.startswith("UPDATE main.t AS t SET v=s.v FROM (")
    assert update.endswith(") AS s WHERE t.id = s.id")
    assert insert.startswith("INSERT INTO main.t (id, v) SELECT s.id, s.v FROM (")
    assert insert.endswith("WHERE NOT (EXISTS (SELECT * FROM main.t AS t WHERE t.id = s.id))")
    (only_keys,) = merge(PG, "postgresql", TableRef("s", "t"), TableRef(None, "stg"), ["id"], ["id"])
    assert "WHEN MATCHED THEN DO NOTHING" in only_keys


def test_hostile_names_are_quoted_in_core_statements() -> None:
    hostile = [Column("id", "bigint"), Column(HOSTILE, "string")]
    for q, dialect in ((PG, "postgresql"), (LITE, "sqlite")):
        steps = plan_steps(
            q,
            dialect,
            mode="merge",
            target=TableRef("s", "t"),
            columns=hostile,
            existing=None,
            merge_keys=["id"],
            on_schema_change="add_columns",
            stage_name="stg",
        )
        text = " ".join([*steps.before, *steps.after])
        assert HOSTILE not in text.replace('"x""; drop table t; --"', "")
    with pytest.raises(InvalidInputException, match="control characters"):
        plan_steps(
            PG,
            "postgresql",
            mode="append",
            target=TableRef("s", "t\n"),
            columns=[Column("a\x00", "int")],
            existing=None,
            merge_keys=[],
            on_schema_change="add_columns",
            stage_name="stg",
        )


def test_csv_encoding() -> None:
    batch = pa.record_batch(
        {
            "s": ["a", "", None, 'q"uote'],
            "ts": pa.array([dt.datetime(2013, 1, 1, 5, 6, 7)] * 3 + [None], pa.timestamp("us", tz="UTC")),
            "d": pa.array([decimal.Decimal("1.50")] * 4, pa.decimal128(5, 2)),
            "b": pa.array([b"\x00\xff", None, b"", b"x"]),
            "l": pa.array([[1, 2], None, [], [3]]),
        }
    )
    lines = csv_buffer(batch).to_pybytes().decode().splitlines()
    assert lines == [
        '"a",2013-01-01 05:06:07.000000,1.50,"\\x00ff","[1, 2]"',
        '"",2013-01-01 05:06:07.000000,1.50,,',
        ',2013-01-01 05:06:07.000000,1.50,"\\x","[]"',
        '"q""uote",,1.50,"\\x78","[3]"',
    ]


def test_sqlite_rows() -> None:
    batch = pa.record_batch(
        {
            "ts": pa.array([dt.datetime(2013, 1, 1, 5)], pa.timestamp("s", tz="UTC")),
            "d": pa.array([decimal.Decimal("1.5")], pa.decimal128(5, 1)),
            "m": pa.array([[("k", 1)]], pa.map_(pa.string(), pa.int64())),
        }
    )
    assert sqlite_rows(batch) == [("2013-01-01 05:00:00", "1.5", '{"k": 1}')]


def test_row_at_line_counts_newlines_inside_values() -> None:
    batches = [pa.record_batch({"s": ["a", "b\nc", "d"]}), pa.record_batch({"s": ["e\n\nf", "g"]})]
    assert [row_at_line(batches, line) for line in range(1, 10)] == [1, 2, 2, 3, 4, 4, 4, 5, None]
    # PostgreSQL does not count newlines in the first record.
    assert [row_at_line([pa.record_batch({"s": ["a\nb", "c"]})], line) for line in (1, 2, 3)] == [1, 2, None]


def test_with_position_numbers_rows_across_batches() -> None:
    out = list(with_position([pa.record_batch({"a": [1, 2]}), pa.record_batch({"a": [3]})], 7))
    assert out[1].column("_sluice_row").to_pylist() == [3]
    assert out[0].column("_sluice_file").to_pylist() == [7, 7]
