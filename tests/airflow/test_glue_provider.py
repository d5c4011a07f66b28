"""``dags/flights_glue.py``, written only with Airflow's Amazon provider, runs through ``airflow dags test``
against Sluice's endpoint on a real ``sluice airflow standalone``: the crawl, the bookmarked Glue job and the
data-quality evaluation each run as a DAG run of Sluice's runner DAGs there."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from awsapi.keys import create_access_key
from etl.samples.nycflights13 import land_month
from sluice.context import SluiceContext
from sluice.settings import Settings
from tests.airflow.server import VENV_BIN, AirflowServer
from tests.airflow.test_aws_endpoint import _glue


@pytest.mark.airflow
@pytest.mark.spark
@pytest.mark.slow
def test_the_amazon_provider_dag_runs_against_sluice(airflow_server: AirflowServer, tmp_path: Path) -> None:
    server_ctx = SluiceContext(Settings(home=airflow_server.sluice_home))
    landed = land_month(server_ctx.settings.lake, "2013-01", ctx=server_ctx)
    key, secret = create_access_key(server_ctx, "admin")
    connection = {
        "conn_type": "aws",
        "login": key.access_key_id,
        "password": secret,
        "extra": {"endpoint_url": f"{airflow_server.url}/aws", "region_name": "us-east-1"},
    }
    home = tmp_path / "dags-test-home"  # the dags-test process's own Airflow home; Sluice's state is the server's
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLUICE_", "AIRFLOW", "AWS_"))}
    env |= {"SLUICE_HOME": str(home), "AIRFLOW_CONN_SLUICE_AWS": json.dumps(connection)}
    env |= {"AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    run = subprocess.run(
        [str(VENV_BIN / "sluice"), "airflow", "dags-test", "flights_glue"],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-6000:]
    assert secret not in run.stdout + run.stderr  # the key's secret is never logged
    with sqlite3.connect(home / "airflow" / "airflow.db") as conn:
        states = dict(conn.execute("SELECT task_id, state FROM task_instance WHERE dag_id = 'flights_glue'"))
    assert states == {
        "crawl_raw": "success",
        "curate_flights": "success",
        "define_ruleset": "success",
        "check_quality": "success",
    }

    glue = _glue(airflow_server, "viewer")
    (job_run,) = glue.get_job_runs(JobName="flights_raw_to_curated_glue")["JobRuns"]
    assert job_run["JobRunState"] == "SUCCEEDED"
    assert job_run["Arguments"]["--job-bookmark-option"] == "job-bookmark-enable"
    bookmark = glue.get_job_bookmark(JobName="flights_raw_to_curated_glue")["JobBookmarkEntry"]
    assert bookmark["RunId"] == job_run["Id"]
    table = glue.get_table(DatabaseName="curated", Name="flights_glue")["Table"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["year", "month"]
    source = {"GlueTable": {"DatabaseName": "curated", "TableName": "flights_glue"}}  # other tests' runs aside
    (evaluation,) = glue.list_data_quality_ruleset_evaluation_runs(Filter={"DataSource": source})["Runs"]
    assert evaluation["Status"] == "SUCCEEDED"
    result_ids = glue.get_data_quality_ruleset_evaluation_run(RunId=evaluation["RunId"])["ResultIds"]
    (result,) = glue.batch_get_data_quality_result(ResultIds=result_ids)["Results"]
    assert {r["Result"] for r in result["RuleResults"]} == {"PASS"}
    assert landed.rows > 0
