"""The reference pipeline end to end: ``airflow dags test flights_daily`` on a temporary SLUICE_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

pytestmark = [pytest.mark.airflow, pytest.mark.spark, pytest.mark.slow]


def _dags_test(home: Path, month: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLUICE_", "AIRFLOW"))}
    env.update({"SLUICE_HOME": str(home), "SLUICE_SPARK_MASTER": "local[2]"})
    sluice = str(Path(sys.executable).parent / "sluice")
    return subprocess.run(
        [sluice, "airflow", "dags-test", "flights_daily", "--conf", json.dumps({"month": month})],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


TABLES = ("fact_flights", "dim_airlines", "dim_airports", "dim_planes", "dim_weather")


def _warehouse_rows(home: Path) -> dict[str, int]:
    engine = sa.create_engine(f"sqlite:///{home / 'warehouse.db'}")
    with engine.connect() as conn:
        counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
    engine.dispose()
    return counts


def test_flights_daily_loads_every_landed_flight_exactly_once(tmp_path: Path) -> None:
    from etl.samples.nycflights13 import flights

    table = flights()
    january = sum(1 for m in table["month"].to_pylist() if m == 1)
    home = tmp_path / "home"
    first = _dags_test(home, "2013-01")
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
    loaded = _warehouse_rows(home)
    assert loaded["fact_flights"] == january
    assert all(loaded.values()), loaded
    # A rerun of the same month lands nothing new, reads nothing new, never duplicates a row, and never
    # empties a dimension that had nothing new to load.
    again = _dags_test(home, "2013-01")
    assert again.returncode == 0, again.stdout[-4000:] + again.stderr[-4000:]
    assert _warehouse_rows(home) == loaded


@pytest.mark.s3
def test_sluice_demo_runs_the_whole_pipeline_on_an_s3_lake(tmp_path: Path, s3, moto_server: str) -> None:
    """``sluice demo`` with ``SLUICE_LAKE_ROOT=s3://…``: land, crawl, Spark curate, DQ, warehouse and lifecycle
    all on the S3 endpoint, with the same summary as on disk."""
    from etl.samples.nycflights13 import flights

    client, bucket = s3
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLUICE_", "AIRFLOW"))}
    env.update(
        SLUICE_HOME=str(home),
        SLUICE_SPARK_MASTER="local[2]",
        SLUICE_LAKE_ROOT=f"s3://{bucket}/lake",
        SLUICE_S3_ENDPOINT_URL=moto_server,
    )
    sluice = str(Path(sys.executable).parent / "sluice")
    result = subprocess.run(
        [sluice, "demo", "--month", "2013-01", "--json"], env=env, capture_output=True, text=True, timeout=1200
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    summary = json.loads(result.stdout[result.stdout.rindex("\n{") :])  # the summary ends the output
    january = sum(1 for m in flights()["month"].to_pylist() if m == 1)
    assert summary["FlightsLanded"] == summary["RowsInWarehouse"] == summary["RowsCurated"] == january
    assert summary["WarehouseMatchesSource"] is True and summary["TablesCataloged"] >= 10
    assert summary["DQScore"] is not None
    keys = [o["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for o in page.get("Contents", [])]  # fmt: skip
    assert any(k.startswith("lake/raw/flights/arr_date=2013-01-") for k in keys)
    assert any(k.startswith("lake/curated/flights/year=2013/month=1/part-") for k in keys)
    assert not [k for k in keys if "/_staging/" in k]  # every stage was published and cleaned up
    assert not (home / "lake").exists()  # nothing went to local disk
