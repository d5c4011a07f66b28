"""``sluice airflow …``: run Airflow over this repo (standalone, dags test) and trigger DAGs over REST."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sluice.console import console, friendly_errors, print_json
from sluice.errors import EntityNotFoundException, InvalidInputException, SluiceError

if TYPE_CHECKING:
    from sluice.airflow_env import airflow_home

app = typer.Typer(help="Run Airflow with Sluice's DAGs and plugins, and trigger DAG runs.", no_args_is_help=True)

TERMINAL = {"success", "failed"}


def _airflow(*args: str) -> list[str]:
    """The venv's ``airflow`` command with ``args``."""
    return [str(Path(sys.executable).parent / "airflow"), *args]


def migrate(env: dict[str, str]) -> None:
    """``airflow db migrate`` once per AIRFLOW_HOME (a marker file remembers it)."""
    marker = Path(env["AIRFLOW_HOME"]) / ".sluice-migrated"
    if marker.exists():
        return
    subprocess.run(_airflow("db", "migrate"), env=env, check=True, stdout=subprocess.DEVNULL)
    marker.touch()


@app.command("standalone")
@friendly_errors
def standalone(port: Annotated[int, typer.Option("--port", help="UI and REST API port.")] = 8080) -> None:
    """api-server, scheduler, dag-processor and triggerer in one process, on this repo's dags/ and plugins/,
    and the ``sluice`` AWS profile (an access key of the admin user) for boto3 and the AWS CLI at ``/aws/``."""
    from awsapi.profiles import write_profile
    from sluice.airflow_env import admin_password_file, airflow_env
    from sluice.context import SluiceContext

    env = airflow_env(port)
    profile = write_profile(SluiceContext.from_env(), port)
    console.print(f"AIRFLOW_HOME={env['AIRFLOW_HOME']}  UI and REST API: http://127.0.0.1:{port}")
    console.print(f"The admin password is written to {admin_password_file()} once Airflow starts.")
    console.print("boto3 and the AWS CLI reach Glue's API at /aws/ as the admin user after:")
    for line in profile.exports():
        console.print(line, soft_wrap=True, markup=False, highlight=False)
    command = _airflow("standalone")
    os.execve(command[0], command, env)


def dags_test(dag_id: str, conf: dict[str, Any]) -> int:
    """Run one DAG run in-process with ``airflow dags test`` (no scheduler needed); returns the exit code."""
    from sluice.airflow_env import airflow_env

    env = airflow_env()
    migrate(env)
    return subprocess.call(_airflow("dags", "test", dag_id, "--conf", json.dumps(conf)), env=env)


@app.command("dags-test")
@friendly_errors
def dags_test_command(
    dag_id: str, conf: Annotated[str, typer.Option("--conf", help="DAG run conf as JSON.")] = "{}"
) -> None:
    """Run a DAG once, in-process, with ``airflow dags test``."""
    raise typer.Exit(dags_test(dag_id, _conf(conf)))


def _conf(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputException(f"--conf is not valid JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(value, dict):
        raise InvalidInputException('--conf must be a JSON object, e.g. \'{"month": "2013-01"}\'')
    return value


def api_token(url: str, username: str, password: str) -> str:
    """A JWT from Airflow's ``POST /auth/token``."""
    import urllib.request

    request = urllib.request.Request(
        f"{url.rstrip('/')}/auth/token",
        data=json.dumps({"username": username, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())["access_token"]
    except OSError as exc:
        raise SluiceError(
            f"Could not get a token from {url}/auth/token: {exc}", hint="Is `make airflow` running?"
        ) from exc


def default_credentials() -> tuple[str, str]:
    """``admin`` and the password ``airflow standalone`` generated, if it is there."""
    from sluice.airflow_env import admin_password_file

    path = admin_password_file()
    if path.exists():
        users = json.loads(path.read_text())
        if "admin" in users:
            return "admin", users["admin"]
    return os.environ.get("AIRFLOW_USERNAME", "admin"), os.environ.get("AIRFLOW_PASSWORD", "")


def _state(run: Any) -> str:
    return str(getattr(run.state, "value", run.state))


def trigger_dag(
    url: str, token: str, dag_id: str, conf: dict[str, Any], *, wait: bool, timeout: float
) -> dict[str, Any]:
    """Unpause and trigger a DAG through the official client; optionally wait for a final state."""
    import airflow_client.client as client
    from airflow_client.client.api.dag_api import DAGApi
    from airflow_client.client.api.dag_run_api import DagRunApi
    from airflow_client.client.exceptions import NotFoundException
    from airflow_client.client.models.dag_patch_body import DAGPatchBody
    from airflow_client.client.models.trigger_dag_run_post_body import TriggerDAGRunPostBody

    configuration = client.Configuration(host=url.rstrip("/"), access_token=token)
    with client.ApiClient(configuration) as api:
        try:
            DAGApi(api).patch_dag(dag_id, DAGPatchBody(is_paused=False))
        except NotFoundException:
            raise EntityNotFoundException(
                f"DAG {dag_id} is not known to the Airflow at {url}.",
                hint="New DAG files are parsed within 30 s; `airflow dags list-import-errors` shows broken ones.",
            ) from None
        runs = DagRunApi(api)
        run = runs.trigger_dag_run(dag_id, TriggerDAGRunPostBody(conf=conf, logical_date=None))
        deadline = time.monotonic() + timeout
        while wait and _state(run) not in TERMINAL:
            if time.monotonic() > deadline:
                raise SluiceError(f"DAG run {run.dag_run_id} of {dag_id} did not finish within {timeout:.0f} s.")
            time.sleep(3)
            run = runs.get_dag_run(dag_id, run.dag_run_id)
        return {"dag_id": dag_id, "dag_run_id": run.dag_run_id, "state": _state(run), "conf": run.conf}


@app.command("trigger")
@friendly_errors
def trigger(
    dag_id: str,
    conf: Annotated[str, typer.Option("--conf", help="DAG run conf as JSON.")] = "{}",
    wait: Annotated[bool, typer.Option("--wait", help="Wait until the run succeeds or fails.")] = False,
    url: Annotated[str, typer.Option("--url", envvar="AIRFLOW_URL")] = "http://127.0.0.1:8080",
    username: Annotated[str | None, typer.Option("--username", envvar="AIRFLOW_USERNAME")] = None,
    password: Annotated[str | None, typer.Option("--password", envvar="AIRFLOW_PASSWORD")] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait with --wait.")] = 3600,
    json_: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Trigger a DAG run through Airflow's REST API (token from /auth/token, then POST dagRuns)."""
    run_conf = _conf(conf)
    if username is None or password is None:
        username, password = default_credentials()
    result = trigger_dag(url, api_token(url, username, password), dag_id, run_conf, wait=wait, timeout=timeout)
    if json_:
        print_json(result)
    else:
        console.print(f"{dag_id} run {result['dag_run_id']}: [bold]{result['state']}[/]")
    if wait and result["state"] != "success":
        raise typer.Exit(1)


__all__ = ["airflow_home", "app", "dags_test", "trigger_dag"]


def __getattr__(name: str) -> Any:
    if name == "airflow_home":  # re-exported; sluice.airflow_env loads the settings, so only on demand
        from sluice.airflow_env import airflow_home

        return airflow_home
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
