"""The DuckDB engine: its SQL rendering (pure), and its own reads of catalog tables and lake paths — a
partitioned CSV table with the catalog's SerDe options (agreeing with Spark), Parquet and JSON on S3."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from quality.engines.plan import RuleError
from quality.engines.sqlexpr import SqlFunctions, from_spark, render
from quality.gate import run_gate

F = SqlFunctions()


def test_expressions_render_as_duckdb_sql() -> None:
    assert (F.col('we"ird') > 1.5).sql == '("we""ird" > CAST(1.5 AS DOUBLE))'
    assert F.when(F.col("x").isNull(), 1).when(F.lit(True), 2).otherwise(0).sql == (
        'CASE WHEN ("x" IS NULL) THEN 1 WHEN TRUE THEN 2 ELSE 0 END'
    )
    assert (~F.col("s").rlike("^a$") | F.col("s").isin("a", "b")).sql == (
        """((NOT regexp_matches("s", '^a$')) OR ("s" IN ('a', 'b')))"""
    )
    stamp = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert render(stamp) == "TIMESTAMP '2026-01-02 01:04:05'"  # instants compare in UTC
    assert render("it's") == "'it''s'" and render(None) == "NULL" and render(dt.date(2026, 1, 2)) == "DATE '2026-01-02'"
    assert from_spark("select `a b` from primary", "CustomSql") == 'SELECT "a b" FROM "primary"'
    with pytest.raises(RuleError, match="where clause 'a >' is invalid"):
        from_spark("a >", "where clause")


def test_naive_timestamps_read_as_the_instants_the_cast_gives(tmp_path) -> None:
    """A catalog ``timestamp`` over a file's naive TIMESTAMP: the fast conversion agrees with ``CAST`` in UTC,
    for every value DuckDB has (NULL and ±infinity, which Parquet holds as the int64 extremes, included)."""
    import duckdb

    from quality.engines.scan import Part, Scan

    micros = [0, -1, 1_356_998_400_123_456, -62_135_596_800_000_000, None, 2**63 - 1, -(2**63) + 1]
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"t": pa.array(micros, pa.timestamp("us"))}), path)
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    reader = f"read_parquet(['{path}'])"
    scan = Scan([Part(reader)], columns=[{"Name": "t", "Type": "timestamp"}])
    select = scan.select(lambda r: [(c[0], c[1]) for c in db.execute(f"DESCRIBE SELECT * FROM {r}").fetchall()])
    assert "make_timestamptz" in select
    fast = db.execute(f"SELECT CAST(t AS VARCHAR) FROM ({select})").fetchall()
    assert fast == db.execute(f"SELECT CAST(CAST(t AS TIMESTAMPTZ) AS VARCHAR) FROM {reader}").fetchall()
    assert ("infinity",) in fast and (None,) in fast


def _csv_table(lake, catalog) -> None:
    """``raw.events``: ';'-separated CSV with a header, partitioned by ``dt``; one count is not a number."""
    from catalog.shapes import storage_descriptor

    location = f"{lake}/raw/events"
    rows = {"2026-01-01": ["1;a;3", "2;b;4", "3;;x"], "2026-01-02": ["4;c;5", '5;"d;e";6']}
    parts = []
    for day, lines in rows.items():
        folder = lake / "raw" / "events" / f"dt={day}"
        folder.mkdir(parents=True)
        (folder / "part-0.csv").write_text("id;name;n\n" + "\n".join(lines) + "\n")
        parts.append({"Values": [day], "StorageDescriptor": {"Location": str(folder)}})
    columns = [{"Name": "id", "Type": "int"}, {"Name": "name", "Type": "string"}, {"Name": "n", "Type": "bigint"}]
    catalog.create_database("raw")
    params = {"classification": "csv", "delimiter": ";", "skip.header.line.count": "1", "recordCount": "5"}
    catalog.create_table(
        "raw",
        {
            "Name": "events",
            "StorageDescriptor": storage_descriptor(columns, location),
            "PartitionKeys": [{"Name": "dt", "Type": "string"}],
            "Parameters": params,
        },
    )
    catalog.batch_create_partition("raw", "events", parts)


CSV_RULES = """Rules = [
    RowCount = 5,
    Completeness "n" between 0.7 and 0.9,
    Completeness "name" between 0.7 and 0.9,
    ColumnValues "dt" in ["2026-01-01", "2026-01-02"],
    ColumnValues "name" matches "[a-z;]+" with threshold >= 0.8,
    Sum "n" = 18,
    CustomSql "select count(*) from primary where dt = '2026-01-02'" = 2,
    IsPrimaryKey "id"
]"""


@pytest.mark.spark
def test_partitioned_csv_table_reads_as_spark_does(spark, tmp_path) -> None:
    from catalog import Catalog
    from sluice.settings import get_settings

    lake = tmp_path / "lake"
    _csv_table(lake, Catalog())
    assert get_settings().lake  # the lake root is the test's home
    table = {"database": "raw", "table": "events"}
    ours = run_gate(ruleset=CSV_RULES, **table, engine="auto", action="warn")
    theirs = run_gate(ruleset=CSV_RULES, **table, engine="spark", action="warn")
    assert ours["Engine"]["Name"] == "duckdb" and ours["Engine"]["Rows"] == 5
    assert "catalog recordCount" in ours["Engine"]["Reason"]
    assert [r["Result"] for r in ours["RuleResults"]] == [r["Result"] for r in theirs["RuleResults"]]
    assert [r["EvaluatedMetrics"] for r in ours["RuleResults"]] == [
        r["EvaluatedMetrics"] for r in theirs["RuleResults"]
    ]
    assert {r["Result"] for r in ours["RuleResults"]} == {"PASS"}, ours["RuleResults"]
    pruned = run_gate(
        ruleset="Rules = [ RowCount = 2 ]",
        **table,
        engine="auto",
        action="warn",
        push_down_predicate="dt > '2026-01-01'",
    )
    assert pruned["Score"] == 1.0 and pruned["Engine"]["Name"] == "duckdb"
    assert pruned["Engine"]["Rows"] is None  # the table's count covers all partitions; CSV has no footers


def test_parquet_and_json_on_s3_in_process(s3) -> None:
    from sluice.lake.fs import write_bytes

    _, bucket = s3
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({"id": [1, 2, 3], "k": ["a", None, "c"]}), sink)
    write_bytes(f"s3://{bucket}/t/part-0.parquet", sink.getvalue().to_pybytes())
    lines = "\n".join(json.dumps({"id": i, "k": k}) for i, k in [(1, "a"), (2, "b")]) + "\n"
    write_bytes(f"s3://{bucket}/j/part-0.json", lines.encode())
    rules = 'Rules = [ RowCount = 3, Completeness "k" between 0.6 and 0.7, Sum "id" = 6 ]'
    result = run_gate(ruleset=rules, path=f"s3://{bucket}/t", format="parquet", engine="auto", action="warn")
    assert result["Score"] == 1.0, result["RuleResults"]
    assert result["Engine"]["Name"] == "duckdb" and result["Engine"]["Rows"] == 3
    rules = 'Rules = [ RowCount = 2, IsComplete "k", ColumnValues "id" in [1, 2] ]'
    result = run_gate(ruleset=rules, path=f"s3://{bucket}/j", format="json", engine="duckdb", action="warn")
    assert result["Score"] == 1.0, result["RuleResults"]
