"""End to end through Airflow's REST API: ``sluice airflow trigger flights_daily --wait`` on a real standalone Airflow.

The trigger goes through the official ``apache-airflow-client`` (token from ``POST /auth/token``); the run's
crawler, Spark job and warehouse load tasks record table asset events, and those start ``flights_marts``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

MONTH = "2013-02"  # the smallest month: 24,951 flights


def _api(server):
    import airflow_client.client as client

    return client.ApiClient(client.Configuration(host=server.url, access_token=server.token("admin")))


def _wait_for(what: str, probe, server, timeout: float = 180.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (value := probe()) is not None:
            return value
        time.sleep(2)
    pytest.fail(f"{what} within {timeout:.0f} s:\n{server.log_tail()}")


def _parsed(api, dag_id: str):
    from airflow_client.client.api.dag_api import DAGApi
    from airflow_client.client.exceptions import NotFoundException

    try:
        return DAGApi(api).get_dag(dag_id)
    except NotFoundException:
        return None


def _trigger(server, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLUICE_", "AIRFLOW"))}
    env |= {"SLUICE_HOME": str(server.sluice_home), "AIRFLOW_URL": server.url, "AIRFLOW_USERNAME": "admin"}
    env["AIRFLOW_PASSWORD"] = server.passwords["admin"]
    sluice = str(Path(sys.executable).parent / "sluice")
    return subprocess.run(
        [sluice, "airflow", "trigger", *args], env=env, capture_output=True, text=True, timeout=900, check=False
    )


@pytest.mark.parametrize(
    ("conf", "message"),
    [("{month", "--conf is not valid JSON: Expecting property name"), ("[1]", "--conf must be a JSON object")],
)
def test_trigger_rejects_bad_conf_before_calling_airflow(conf: str, message: str) -> None:
    from typer.testing import CliRunner

    from sluice.airflow_cli import app

    result = CliRunner().invoke(app, ["trigger", "flights_daily", "--conf", conf, "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 2 and message in result.output


@pytest.mark.airflow
@pytest.mark.spark
@pytest.mark.slow
def test_trigger_flights_daily_over_rest_and_assets_start_the_marts(airflow_server) -> None:
    from airflow_client.client.api.asset_api import AssetApi
    from airflow_client.client.api.dag_api import DAGApi
    from airflow_client.client.api.dag_run_api import DagRunApi
    from airflow_client.client.models.dag_patch_body import DAGPatchBody

    with _api(airflow_server) as api:
        for dag_id in ("flights_daily", "flights_marts"):
            _wait_for(f"{dag_id} was not parsed", lambda d=dag_id: _parsed(api, d), airflow_server)
        DAGApi(api).patch_dag("flights_marts", DAGPatchBody(is_paused=False))

        missing = _trigger(airflow_server, "no_such_dag")
        assert missing.returncode == 2 and "DAG no_such_dag is not known" in missing.stderr + missing.stdout

        done = _trigger(airflow_server, "flights_daily", "--conf", json.dumps({"month": MONTH}), "--wait", "--json")
        assert done.returncode == 0, done.stdout + done.stderr + airflow_server.log_tail()
        result = json.loads(done.stdout)
        assert (result["state"], result["conf"]) == ("success", {"month": MONTH})

        events = AssetApi(api).get_asset_events(limit=100).asset_events
        uris = {e.uri for e in events}
        assert {"sluice://raw/flights", "sluice://curated/flights", "sluice://warehouse/fact_flights"} <= uris

        def marts_done():
            runs = DagRunApi(api).get_dag_runs("flights_marts").dag_runs
            finished = [r for r in runs if str(getattr(r.state, "value", r.state)) in ("success", "failed")]
            return finished[0] if finished else None

        marts = _wait_for("flights_marts did not finish", marts_done, airflow_server)
        assert str(getattr(marts.state, "value", marts.state)) == "success"
        assert str(getattr(marts.run_type, "value", marts.run_type)) == "asset_triggered"
