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
