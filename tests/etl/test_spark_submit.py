"""``etl/jobs/raw_to_curated.py`` under the venv's real ``spark-submit``, with no Airflow: a SIGKILL mid-write
leaves lake, catalog and bookmark as they were, and the next run reads the killed run's input exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from catalog import Catalog
from etl.bookmarks.store import get_job_bookmark
from etl.runs import get_job_runs
from tests.etl.conftest import RawEvents, parquet_ids, sluice_job_run, submit_raw_to_curated, visible_files

pytestmark = [pytest.mark.spark, pytest.mark.slow]
JOB = "events_r2c"
ARGS = ["--JOB_NAME", JOB, "--job-bookmark-option", "job-bookmark-enable", "--source_database", "raw",
        "--source_table", "events", "--target_path", "curated/events", "--target_database", "curated",
        "--target_table", "events", "--partition_keys", "day"]  # fmt: skip


def submit() -> subprocess.Popen:
    return submit_raw_to_curated(ARGS)


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

    # No waiting for the killed run's heartbeat to go stale: its driver's pid is gone, so the retry reclaims it.
    retry = sluice_job_run(ARGS)
    assert retry.returncode == 0, retry.stdout + retry.stderr
    states = [(r["JobRunState"], r["Attempt"]) for r in get_job_runs(JOB)]
    assert states == [("SUCCEEDED", 1), ("FAILED", 0), ("SUCCEEDED", 0)]
    reclaimed = next(r for r in get_job_runs(JOB) if r["Id"] == run["Id"])
    assert reclaimed["ErrorMessage"].startswith("Reclaimed: host ") and "is gone" in reclaimed["ErrorMessage"]
    ids = spark.read.parquet(str(target)).groupBy("day").count().orderBy("day").collect()
    assert [(r.day, r["count"]) for r in ids] == [("2024-01-01", 10), ("2024-01-02", 200_000)]
    assert spark.read.parquet(str(target)).select("id").distinct().count() == 200_010
    assert not staging.exists()  # the dead run's stage was swept
