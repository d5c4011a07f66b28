"""``sluice sql`` front door: table, --json, --csv and --output; and --engine spark gives DuckDB's rows."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from sluice.cli import app
from tests.athena.conftest import Sql, values
from tests.test_cli_imports import run as probe

POINT = "select carrier, delay, dt from flights where dt = '2013-01-02' order by carrier"


def run(*args: str) -> str:
    out = CliRunner().invoke(app, ["sql", *args])
    assert out.exit_code == 0, out.output
    return out.stdout


def test_json_is_get_query_results_shaped(flights: Path) -> None:
    answer = json.loads(run(POINT, "--database", "raw", "--json"))
    assert values(answer) == [["AA", "5", "2013-01-02"], ["DL", "30", "2013-01-02"], ["UA", "-2", "2013-01-02"]]
    assert answer["QueryExecution"]["Status"]["State"] == "SUCCEEDED"
    assert answer["QueryExecution"]["Statistics"]["FilesRead"] == 1


def test_csv_and_table_output(flights: Path) -> None:
    assert run(POINT, "-d", "raw", "--csv").splitlines() == [
        "carrier,delay,dt",
        "AA,5,2013-01-02",
        "DL,30,2013-01-02",
        "UA,-2,2013-01-02",
    ]
    table = run("show partitions raw.flights")
    assert "dt=2013-01-03" in table and "partition" in table


def test_output_writes_every_row_to_parquet(flights: Path, tmp_path: Path) -> None:
    target = tmp_path / "export" / "flights.parquet"
    run("select * from raw.flights", "--output", str(target), "--max-rows", "1")
    assert pq.read_table(target).num_rows == 9


def test_errors_print_the_caret_and_exit_2(flights: Path) -> None:
    out = CliRunner().invoke(app, ["sql", "select nope from raw.flights"])
    assert out.exit_code == 2
    assert "COLUMN_NOT_FOUND" in out.output and "       ^^^^" in out.output


def test_a_query_process_loads_no_spark_and_no_pandas(flights: Path) -> None:
    proc, loaded = probe("sql", POINT, "--database", "raw", "--csv")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1] == "AA,5,2013-01-02"
    assert {"pyspark", "pandas", "great_expectations", "airflow"}.isdisjoint(loaded)
    proc, loaded = probe("sql", "describe raw.flights", "--json")
    assert proc.returncode == 0, proc.stderr
    assert {"pyspark", "pandas"}.isdisjoint(loaded)


@pytest.mark.spark
@pytest.mark.slow
def test_the_spark_engine_gives_the_same_rows(spark, sql: Sql, flights: Path, tmp_path: Path) -> None:
    for query in (
        POINT,
        "select dt, count(*) as n, sum(delay) as total from flights where dt >= '2013-01-02' group by dt order by dt",
        "select a.carrier, b.delay from flights a join flights b on a.carrier = b.carrier and a.dt = b.dt "
        "where a.dt = '2013-01-01' and b.dt = '2013-01-01' order by 1",
    ):
        assert values(sql(query, engine="spark")) == values(sql(query)), query
    ctas = (
        f"create table raw.by_spark with (partitioned_by = array['dt'], external_location = '{tmp_path / 'by_spark'}')"
        " as select carrier, delay, dt from flights where dt <> '2013-01-03'"
    )
    assert sql(ctas, engine="spark")["UpdateCount"] == 6
    assert values(sql("select dt, count(*) from by_spark group by dt order by dt")) == [
        ["2013-01-01", "3"],
        ["2013-01-02", "3"],
    ]
