"""Glue's Start operations through boto3 on ``sluice airflow standalone``: each run is a DAG run of a runner
DAG, carried out by Airflow's executor, and reported by GetJobRun and GetCrawler as Glue does."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.airflow.server import AirflowServer
from tests.airflow.test_aws_endpoint import _glue

SCRIPT = """\
import sys

import boto3
from etl.context import JobContext

with JobContext.from_argv(sys.argv) as job:
    events = job.read_path("csv", "raw/events", transformation_ctx="events", options={"header": "true"})
    glue = boto3.client("glue")  # AWS_ENDPOINT_URL_GLUE and the starting user's key
    names = [d["Name"] for d in glue.get_databases()["DatabaseList"]]
    assert "glue_runs" in names, names
    job.write_lake(events, "curated/events", database="glue_runs", table="events")
    job.commit()
"""

FAILING = """\
raise ValueError("the input is empty")
"""


def wait(call: Any, done: Any, timeout: float = 240) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = call()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(1)


def dag_run(server: AirflowServer, dag_id: str, run_id: str) -> dict[str, Any]:
    response = httpx.get(f"{server.url}/api/v2/dags/{dag_id}/dagRuns/{run_id}", headers=server.headers(), timeout=30)
    response.raise_for_status()
    return response.json()


@pytest.mark.airflow
@pytest.mark.spark
def test_start_job_run_runs_as_a_dag_run_with_a_bookmark_and_fails_with_its_error(
    airflow_server: AirflowServer,
) -> None:
    glue = _glue(airflow_server, "admin", "/aws")  # as the issue writes it: no trailing slash
    raw = airflow_server.sluice_home / "lake" / "raw" / "events"
    raw.mkdir(parents=True)
    (raw / "day1.csv").write_text("id,kind\n1,a\n2,b\n")
    scripts = airflow_server.sluice_home / "scripts"
    scripts.mkdir()
    (scripts / "events.py").write_text(SCRIPT)
    (scripts / "failing.py").write_text(FAILING)
    glue.create_database(DatabaseInput={"Name": "glue_runs"})
    glue.create_job(
        Name="events",
        Role="sluice",
        Command={"Name": "glueetl", "ScriptLocation": str(scripts / "events.py")},
        DefaultArguments={"--job-bookmark-option": "job-bookmark-enable"},
    )
    glue.create_job(Name="failing", Role="sluice", Command={"ScriptLocation": str(scripts / "failing.py")})

    run_id = glue.start_job_run(JobName="events")["JobRunId"]
    failing_id = glue.start_job_run(JobName="failing")["JobRunId"]

    def state(name: str, rid: str) -> dict[str, Any]:
        return glue.get_job_run(JobName=name, RunId=rid)["JobRun"]

    run = wait(lambda: state("events", run_id), lambda r: r["JobRunState"] in {"SUCCEEDED", "FAILED", "STOPPED"})
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    finished = {"success", "failed"}
    ran = wait(lambda: dag_run(airflow_server, "sluice_glue_job", run_id)["state"], finished.__contains__, 60)
    assert ran == "success"  # the DAG run has the Glue run's id
    bookmark = glue.get_job_bookmark(JobName="events")["JobBookmarkEntry"]
    assert bookmark["RunId"] == run_id and "events" in bookmark["JobBookmark"]
    assert glue.get_table(DatabaseName="glue_runs", Name="events")["Table"]["Name"] == "events"

    failed = wait(lambda: state("failing", failing_id), lambda r: r["JobRunState"] in {"SUCCEEDED", "FAILED"})
    assert (failed["JobRunState"], failed["ErrorMessage"]) == ("FAILED", "ValueError: the input is empty")
    assert (
        wait(lambda: dag_run(airflow_server, "sluice_glue_job", failing_id)["state"], lambda s: s == "failed", 60)
        == "failed"
    )


@pytest.mark.airflow
def test_start_crawler_creates_tables_through_a_dag_run(airflow_server: AirflowServer) -> None:
    glue = _glue(airflow_server, "admin")
    trips = airflow_server.sluice_home / "lake" / "raw" / "crawled_trips"
    for month in ("01", "02"):
        (trips / f"month={month}").mkdir(parents=True)
        (trips / f"month={month}" / "part-0.csv").write_text("trip_id,fare\n1,9.5\n2,7.25\n")
    glue.create_crawler(
        Name="trips_crawler",
        Role="sluice",
        DatabaseName="crawled",
        Targets={"S3Targets": [{"Path": "raw/crawled_trips"}]},
    )
    glue.start_crawler(Name="trips_crawler")
    with pytest.raises(glue.exceptions.CrawlerRunningException):
        glue.start_crawler(Name="trips_crawler")
    crawler = wait(lambda: glue.get_crawler(Name="trips_crawler")["Crawler"], lambda c: c["State"] == "READY")
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED", crawler
    table = glue.get_table(DatabaseName="crawled", Name="crawled_trips")["Table"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["month"]
    assert {
        p["Values"][0] for p in glue.get_partitions(DatabaseName="crawled", TableName="crawled_trips")["Partitions"]
    } == {"01", "02"}


@pytest.mark.airflow
def test_2500_partitions_page_and_split_into_segments(airflow_server: AirflowServer) -> None:
    glue = _glue(airflow_server, "admin")
    glue.create_database(DatabaseInput={"Name": "paged"})
    columns = [{"Name": "v", "Type": "int"}]
    keys = [{"Name": "day", "Type": "string"}, {"Name": "n", "Type": "int"}]
    glue.create_table(
        DatabaseName="paged", TableInput={"Name": "t", "StorageDescriptor": {"Columns": columns}, "PartitionKeys": keys}
    )
    values = [[f"2024-{1 + d // 28:02d}-{1 + d % 28:02d}", str(n)] for d in range(250) for n in range(10)]
    for start in range(0, len(values), 100):
        chunk = [{"Values": v, "StorageDescriptor": {"Columns": columns}} for v in values[start : start + 100]]
        assert (
            glue.batch_create_partition(DatabaseName="paged", TableName="t", PartitionInputList=chunk)["Errors"] == []
        )

    paginator = glue.get_paginator("get_partitions")
    pages = list(paginator.paginate(DatabaseName="paged", TableName="t", PaginationConfig={"PageSize": 1000}))
    assert [len(p["Partitions"]) for p in pages] == [1000, 1000, 500]
    seen = []
    for segment in range(4):
        result = paginator.paginate(
            DatabaseName="paged", TableName="t", Segment={"SegmentNumber": segment, "TotalSegments": 4}
        ).build_full_result()
        seen.append([p["Values"] for p in result["Partitions"]])
    assert sorted(v for part in seen for v in part) == sorted(values)  # the segments split the table
    assert all(part for part in seen)
    eq = glue.get_partitions(DatabaseName="paged", TableName="t", Expression="n = 7 AND day < '2024-02-01'")
    assert len(eq["Partitions"]) == 28
