"""Spark jobs on an S3 lake (the moto server on loopback): the S3A connector from Maven Central, the magic
committer for staged writes, and ``raw_to_curated`` under the venv's real ``spark-submit``.

A SIGKILL mid-write leaves no visible object under the target, no catalog change and no bookmark change; what
is left is only hidden staging objects and incomplete multipart uploads, which the next run removes."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from catalog import Catalog
from etl.bookmarks.store import get_job_bookmark
from etl.runs import get_job_runs
from sluice.lake.fs import list_objects
from sluice.lake.paths import join, to_spark_uri
from sluice.lake.stage import list_uploads
from tests.etl.conftest import land_s3, sluice_job_run, submit_raw_to_curated

pytestmark = [pytest.mark.spark, pytest.mark.s3, pytest.mark.slow]
JOB = "events_s3"
ARGS = ["--JOB_NAME", JOB, "--job-bookmark-option", "job-bookmark-enable", "--source_database", "raw",
        "--source_table", "events", "--target_path", "curated/events", "--target_database", "curated",
        "--target_table", "events", "--partition_keys", "day"]  # fmt: skip


def keys(uri: str) -> list[str]:
    return sorted(o.key for o in list_objects(uri))


def visible(uri: str) -> list[str]:
    """What readers see below ``uri``: keys with no ``_``/``.``-prefixed segment (Spark's and Glue's rule)."""
    return [k for k in keys(uri) if not any(part[:1] in "_." for part in k.split("/"))]


def submit() -> subprocess.Popen:
    return submit_raw_to_curated(ARGS)


def test_spark_reads_and_writes_s3a_csv_json_and_partitioned_parquet(spark, s3) -> None:
    from sparkio.session import get_spark

    _, bucket = s3
    session = get_spark()  # the one builder points S3A at this test's endpoint
    df = session.range(300).selectExpr("id", "cast(id % 3 as string) as k", "concat('n', id) as name")
    df.write.mode("overwrite").csv(f"s3a://{bucket}/csv", header=True)
    df.write.mode("overwrite").json(f"s3a://{bucket}/json")
    df.write.mode("overwrite").partitionBy("k").parquet(f"s3a://{bucket}/parquet")

    assert session.read.csv(f"s3a://{bucket}/csv", header=True).count() == 300
    assert session.read.json(f"s3://{bucket}/json").select("name").distinct().count() == 300  # s3:// is S3A too
    parquet = session.read.parquet(f"s3a://{bucket}/parquet")
    assert sorted(r.k for r in parquet.select("k").distinct().collect()) == ["0", "1", "2"]
    assert parquet.filter("k = '1'").count() == 100
    assert any(k.startswith("k=0/part-") for k in keys(f"s3://{bucket}/parquet"))


def test_staged_write_on_s3_uses_the_magic_committer_and_publishes_on_commit(spark, s3_lake: str) -> None:
    from etl.context import JobContext

    land_s3(s3_lake, "2024-01-01", range(50))
    target = join(s3_lake, "curated", "events")
    with JobContext.from_argv(["job.py", *ARGS]) as job:
        df = job.read_catalog("raw", "events", transformation_ctx="events")
        job.write_lake(df, "curated/events", partition_keys=["day"], database="curated", table="events")
        staged = keys(target)
        assert staged and all(k.startswith("_staging/") for k in staged)  # nothing visible before commit
        assert not any("_temporary" in k for k in staged)  # no rename-based committer ran
        job.commit()
    assert visible(target) == [k for k in keys(target)]
    assert len(visible(target)) >= 1 and all(k.startswith("day=2024-01-01/part-") for k in visible(target))
    assert list_uploads(target) == []
    (part,) = Catalog().get_partitions("curated", "events")
    assert part["Values"] == ["2024-01-01"] and part["StorageDescriptor"]["Location"].startswith("s3://")
    assert spark.read.parquet(to_spark_uri(target)).count() == 50


def test_raw_to_curated_on_s3_twice_reads_only_new_objects(spark, s3_lake: str) -> None:
    land_s3(s3_lake, "2024-01-01", range(10))
    first = submit()
    output = first.communicate(timeout=300)[0].decode()
    assert first.returncode == 0, output
    land_s3(s3_lake, "2024-01-02", range(100, 120))
    second = submit()
    output = second.communicate(timeout=300)[0].decode()
    assert second.returncode == 0, output

    runs = get_job_runs(JOB)
    assert [r["JobRunState"] for r in runs] == ["SUCCEEDED", "SUCCEEDED"]
    assert runs[0]["Metrics"]["recordsRead"] == 20  # newest first: the second run read only the new day
    target = to_spark_uri(join(s3_lake, "curated", "events"))
    counts = spark.read.parquet(target).groupBy("day").count().orderBy("day").collect()
    assert [(r.day, r["count"]) for r in counts] == [("2024-01-01", 10), ("2024-01-02", 20)]
    entry = get_job_bookmark(JOB)["JobBookmarkEntry"]
    assert entry["JobName"] == JOB and entry["RunId"] == runs[0]["Id"]


def test_sigkilled_job_on_s3_leaves_no_visible_object_and_the_rerun_writes_once(spark, s3, s3_lake: str) -> None:
    client, bucket = s3
    land_s3(s3_lake, "2024-01-01", range(10))
    first = submit()
    assert first.wait(300) == 0, first.communicate()[0].decode()
    target = join(s3_lake, "curated", "events")
    before, partitions, entry = visible(target), Catalog().get_partitions("curated", "events"), get_job_bookmark(JOB)

    land_s3(s3_lake, "2024-01-02", range(100, 300_100))  # enough rows that the write takes a while
    killed = submit()
    stage = join(target, "_staging")
    deadline = time.monotonic() + 240
    while killed.poll() is None and time.monotonic() < deadline:
        if list_uploads(stage) or next(list_objects(stage), None):
            break  # a task is writing
        time.sleep(0.05)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(30)
    assert get_job_runs(JOB)[0]["JobRunState"] == "RUNNING"  # newest first: killed mid-run, not after

    assert visible(target) == before  # not one new object where readers look
    leftovers = [k for k in keys(target) if k not in before]
    uploads = list_uploads(target)
    assert leftovers or uploads
    assert all(k.startswith("_staging/") for k in leftovers + [key for key, _ in uploads])
    assert Catalog().get_partitions("curated", "events") == partitions
    assert get_job_bookmark(JOB) == entry

    retry = sluice_job_run(ARGS)
    assert retry.returncode == 0, retry.stdout + retry.stderr
    assert [r["JobRunState"] for r in get_job_runs(JOB)] == ["SUCCEEDED", "FAILED", "SUCCEEDED"]
    uri = to_spark_uri(target)
    counts = spark.read.parquet(uri).groupBy("day").count().orderBy("day").collect()
    assert [(r.day, r["count"]) for r in counts] == [("2024-01-01", 10), ("2024-01-02", 300_000)]
    assert spark.read.parquet(uri).select("id").distinct().count() == 300_010
    leftover = [o.key for o in list_objects(target, markers=True) if o.key.startswith("_staging/")]
    assert not leftover  # the dead run's stage was swept, S3A's folder markers included
    assert list_uploads(target) == []  # and its incomplete uploads aborted
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
