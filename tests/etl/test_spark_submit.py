"""``etl/jobs/raw_to_curated.py`` under the venv's real ``spark-submit``, with no Airflow: a SIGKILL mid-write
leaves lake, catalog and bookmark as they were, and the next run reads the killed run's input exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from catalog import Catalog
from etl.bookmarks.store import get_job_bookmark
from etl.cli import spark_submit_command
from etl.models import JobRunRow
from etl.runs import STALE_AFTER, get_job_runs
from etl.spark import spark_env
from sluice.db import session_scope, utcnow
from tests.etl.conftest import RawEvents, parquet_ids, visible_files

pytestmark = [pytest.mark.spark, pytest.mark.slow]
JOB = "events_r2c"
ARGS = ["--JOB_NAME", JOB, "--job-bookmark-option", "job-bookmark-enable", "--source_database", "raw",
        "--source_table", "events", "--target_path", "curated/events", "--target_database", "curated",
        "--target_table", "events", "--partition_keys", "day"]  # fmt: skip


def submit() -> subprocess.Popen:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", **spark_env()}
    command = spark_submit_command("etl/jobs/raw_to_curated.py", ARGS, "local[2]")
    return subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_sigkilled_spark_submit_leaves_every_target_and_the_retry_reads_once(spark, raw_events: RawEvents) -> None:
    raw_events.land("2024-01-01", range(10))
    first = submit()
    output = first.communicate(timeout=300)[0].decode()
    assert first.returncode == 0, output
    assert f"{JOB} jr_" in output and "SUCCEEDED" in output
    target = raw_events.lake / "curated" / "events"
    before, partitions, entry = (
        visible_files(target),
        Catalog().get_partitions("curated", "events"),
        get_job_bookmark(JOB),
    )

    raw_events.land("2024-01-02", range(100, 200_100))  # enough rows that the write takes a while
    killed = submit()
    staging = target / "_staging"
    while not staging.exists() and killed.poll() is None:
        time.sleep(0.02)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(30)
    (run,) = [r for r in get_job_runs(JOB) if r["JobRunState"] == "RUNNING"]  # killed mid-run, not after
    assert staging.exists()  # the half-written stage is there, but hidden from readers and the catalog
    assert {k: v for k, v in visible_files(target).items() if not k.startswith("_staging")} == before
    assert parquet_ids(spark, target) == list(range(10))
    assert Catalog().get_partitions("curated", "events") == partitions
    assert get_job_bookmark(JOB) == entry

    with session_scope() as s:  # time passes: the killed run's heartbeat goes stale
        stale = utcnow() - STALE_AFTER - timedelta(seconds=1)
        s.execute(update(JobRunRow).where(JobRunRow.id == run["Id"]).values(heartbeat=stale))
    retry = subprocess.run(
        [str(Path(sys.executable).parent / "sluice"), "job", "run", "raw_to_curated.py", "--master", "local[2]", *ARGS],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert retry.returncode == 0, retry.stdout + retry.stderr
    states = [(r["JobRunState"], r["Attempt"]) for r in get_job_runs(JOB)]
    assert states == [("SUCCEEDED", 1), ("FAILED", 0), ("SUCCEEDED", 0)]
    ids = spark.read.parquet(str(target)).groupBy("day").count().orderBy("day").collect()
    assert [(r.day, r["count"]) for r in ids] == [("2024-01-01", 10), ("2024-01-02", 200_000)]
    assert spark.read.parquet(str(target)).select("id").distinct().count() == 200_010
    assert not staging.exists()  # the dead run's stage was swept
