"""``etl/jobs/raw_to_curated.py`` unchanged against a real Spark standalone cluster in client mode.

The master and worker are the installed Spark's own daemons, started on loopback with ``bin/spark-class``
(the pip wheel has no ``sbin/start-*.sh`` scripts; those are thin wrappers around the same classes).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog import Catalog
from etl.bookmarks.store import get_job_bookmark
from etl.runs import get_job_runs
from etl.submit import spark_submit_command
from sluice.lake.paths import join, to_spark_uri
from sparkio.session import spark_env
from tests.conftest import free_port
from tests.etl.conftest import RawEvents, land_s3, parquet_ids

pytestmark = [pytest.mark.spark, pytest.mark.slow]
JOB = "events_on_cluster"
ARGS = ["--JOB_NAME", JOB, "--job-bookmark-option", "job-bookmark-enable", "--source_database", "raw",
        "--source_table", "events", "--target_path", "curated/events", "--target_database", "curated",
        "--target_table", "events", "--partition_keys", "day"]  # fmt: skip


class Cluster:
    """A running standalone master (``url``) whose web UI answers JSON at ``status_url``."""

    def __init__(self, url: str, status_url: str) -> None:
        self.url = url
        self.status_url = status_url

    def status(self) -> dict:
        with urllib.request.urlopen(self.status_url, timeout=5) as response:
            return json.load(response)


def _daemon(cls: str, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    spark_class = Path(env["SPARK_HOME"]) / "bin" / "spark-class"
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(spark_class), cls, *args], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A master and a one-core worker on free loopback ports, stopped (with their JVMs) afterwards."""
    work = tmp_path_factory.mktemp("standalone")
    env = {**os.environ, **spark_env(), "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_LOG_DIR": str(work)}
    port, ui = free_port(), free_port()
    url = f"spark://127.0.0.1:{port}"
    master_args = ["--host", "127.0.0.1", "--port", str(port), "--webui-port", str(ui)]
    worker_args = [url, "--host", "127.0.0.1", "--cores", "1", "--memory", "1g", "--webui-port", str(free_port())]
    daemons = [_daemon("org.apache.spark.deploy.master.Master", master_args, env, work / "master.log")]
    daemons.append(
        _daemon("org.apache.spark.deploy.worker.Worker", [*worker_args, "--work-dir", str(work)], env, work / "w.log")
    )
    found = Cluster(url, f"http://127.0.0.1:{ui}/json/")
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if found.status().get("aliveworkers", 0) >= 1:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or any(d.poll() is not None for d in daemons):
                logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in sorted(work.glob("*.log")))
                pytest.fail(f"the standalone master and worker did not come up:\n{logs}")
            time.sleep(0.5)
        yield found
    finally:
        for daemon in daemons:
            os.killpg(daemon.pid, signal.SIGTERM)
        for daemon in daemons:
            daemon.wait(30)


def test_raw_to_curated_runs_unchanged_on_a_standalone_cluster(spark, cluster: Cluster, raw_events: RawEvents) -> None:
    raw_events.land("2024-01-01", range(100))
    env = {**os.environ, **spark_env(), "SPARK_LOCAL_IP": "127.0.0.1"}
    command = spark_submit_command("raw_to_curated.py", ARGS, cluster.url)
    command[1:1] = ["--deploy-mode", "client", "--executor-memory", "512m", "--total-executor-cores", "1"]

    def submit() -> str:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout + done.stderr

    submit()
    raw_events.land("2024-01-02", range(100, 150))
    submit()  # the bookmark, kept in the metadata DB, carries over between cluster runs

    runs = get_job_runs(JOB)
    assert [(r["JobRunState"], r["Metrics"]["recordsRead"]) for r in runs] == [("SUCCEEDED", 50), ("SUCCEEDED", 100)]
    target = raw_events.lake / "curated" / "events"
    assert parquet_ids(spark, target) == list(range(150))
    assert [p["Values"] for p in Catalog().get_partitions("curated", "events")] == [["2024-01-01"], ["2024-01-02"]]
    assert get_job_bookmark(JOB)["JobBookmarkEntry"]["Run"] == 3  # Glue's entry starts at 1; each success adds 1
    # Both runs were applications of this master, whose executors ran on the worker.
    apps = cluster.status()["completedapps"]
    assert [a["name"] for a in apps].count(JOB) == 2
    assert all(a["cores"] == 1 for a in apps)


@pytest.mark.s3
def test_raw_to_curated_on_a_standalone_cluster_with_the_lake_on_s3(spark, cluster: Cluster, s3_lake: str) -> None:
    """Master, worker and driver all reach S3 through the connector: the executors read the CSV objects and
    write the Parquet through the magic committer; the driver publishes."""
    land_s3(s3_lake, "2024-01-01", range(40))
    env = {**os.environ, **spark_env(), "SPARK_LOCAL_IP": "127.0.0.1"}
    args = ["events_s3_cluster" if a == JOB else a for a in ARGS]
    command = spark_submit_command("raw_to_curated.py", args, cluster.url)
    command[1:1] = ["--deploy-mode", "client", "--executor-memory", "512m", "--total-executor-cores", "1"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    (run,) = get_job_runs("events_s3_cluster")
    assert run["JobRunState"] == "SUCCEEDED" and run["Metrics"]["recordsRead"] == 40
    target = to_spark_uri(join(s3_lake, "curated", "events"))
    assert sorted(r.id for r in spark.read.parquet(target).select("id").collect()) == list(range(40))
    (part,) = Catalog().get_partitions("curated", "events")
    assert part["StorageDescriptor"]["Location"].startswith("s3://")
    assert [a["name"] for a in cluster.status()["completedapps"]].count("events_s3_cluster") == 1
