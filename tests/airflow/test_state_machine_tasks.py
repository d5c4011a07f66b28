"""The Tasks of Map iterations and Parallel branches run as mapped Airflow tasks: ``dags/state_machines/fan_out``
started through the REST API dispatches each Task's call to a ``sluice_state_tasks`` DAG run, whose mapped task
instances make the calls (at most ``MaxConcurrency`` of the Map's at once) while the execution's task defers; the
execution ends as ``start-sync-execution`` ends it, with the same history. A mapped instance SIGKILLed mid-call
fails its Task with States.TaskFailed, which the Task's Retry retries."""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from sluice.context import SluiceContext
from stepfunctions.integrations import Integrations, load_registry
from stepfunctions.interpreter import INTERRUPTED
from stepfunctions.sync import run_sync
from tests.airflow.server import AirflowServer
from tests.airflow.test_glue_runs import wait
from tests.airflow.test_state_machine_dags import _states, _task_state, _trigger

MACHINES = Path(__file__).parents[2] / "dags" / "state_machines"
ROLE = "arn:aws:iam::123456789012:role/sluice"
RUNNER = "sluice_state_tasks"


def inline(value: dict[str, Any], name: str) -> dict[str, Any]:
    """``start-sync-execution``'s run of ``fan_out`` on ``value``: every Task called in place, one at a time."""
    tasks = Integrations(SluiceContext.from_env(), functions=load_registry(MACHINES / "lambdas.yaml"))
    definition = (MACHINES / "fan_out.asl.json").read_text()
    return run_sync(definition, value, name=name, tasks=tasks, state_machine_name="fan_out", role_arn=ROLE)


def events(history: list[dict[str, Any]]) -> Counter[str]:
    """The history's events without their timestamps and ids: concurrent iterations interleave their events, as
    AWS's do, so events are compared as a multiset (each with its details)."""
    return Counter(
        json.dumps({k: v for k, v in e.items() if k not in ("timestamp", "id", "previousEventId")}, sort_keys=True)
        for e in history
    )


def most_at_once(calls: list[dict[str, float]]) -> int:
    """The most calls that were running at one moment."""
    edges = sorted([(c["start"], 1) for c in calls] + [(c["end"], -1) for c in calls])
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


def runner_instances(server: AirflowServer, arn: str) -> dict[str, list[dict[str, Any]]]:
    """The ``call`` task instances of each ``sluice_state_tasks`` run of the execution, by map index."""
    url = f"{server.url}/api/v2/dags/{RUNNER}/dagRuns"
    runs = httpx.get(url, params={"limit": 100}, headers=server.headers(), timeout=30).json()["dag_runs"]
    found: dict[str, list[int]] = {}
    for run in runs:
        if (run.get("conf") or {}).get("Name") != arn:
            continue
        listed = httpx.get(f"{url}/{run['dag_run_id']}/taskInstances", headers=server.headers(), timeout=30).json()
        mapped = [t for t in listed["task_instances"] if t["task_id"] == "call"]
        found[run["dag_run_id"]] = sorted(mapped, key=lambda t: int(t["map_index"]))
    return found


def run_to_end(server: AirflowServer, run_id: str) -> tuple[dict[str, Any], list[Any]]:
    """Wait for the ``fan_out`` run's task to succeed, having deferred; the execution (DescribeExecution) and its
    history, through boto3."""
    seen: set[str | None] = set()

    def finished() -> str | None:
        seen.add(state := _task_state(server, "fan_out", run_id))
        return state if state in {"success", "failed"} else None

    assert wait(finished, bool, 900) == "success", server.log_tail()
    assert "deferred" in seen, seen  # the execution's task held no worker slot while the calls were made
    sfn = _states(server)
    machine = next(m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == "fan_out")
    executions = sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]
    arn = next(e["executionArn"] for e in executions if e["name"] == run_id)
    return sfn.describe_execution(executionArn=arn), sfn.get_execution_history(executionArn=arn, maxResults=1000)[
        "events"
    ]


@pytest.mark.airflow
def test_map_and_parallel_tasks_run_as_mapped_airflow_tasks_bounded_by_max_concurrency(
    airflow_server: AirflowServer,
) -> None:
    log = airflow_server.sluice_home / "fan_out_calls.jsonl"
    value = {"items": [1, 2, 3, 4, 5], "calls": {"pause": 3, "log": str(log)}}
    _trigger(airflow_server, "fan_out", "fan-1", value)
    described, history = run_to_end(airflow_server, "fan-1")

    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert sorted(c["value"] for c in calls) == [1, 2, 3, 4, 5, 100, 200]
    assert most_at_once([c for c in calls if c["value"] <= 5]) <= 2  # the Map's MaxConcurrency
    instances = runner_instances(airflow_server, described["executionArn"])
    indexes = [[t["map_index"] for t in mapped] for mapped in instances.values()]
    assert sum(len(i) for i in indexes) == 7  # 5 iterations' Tasks and 2 branches'
    assert all(i == list(range(len(i))) for i in indexes), indexes
    assert max(len(i) for i in indexes) == 2  # two calls at once, each a task instance mapped over them
    assert {t["state"] for mapped in instances.values() for t in mapped} == {"success"}

    log.unlink()
    expected = inline(value, "fan-1")
    assert described["status"] == "SUCCEEDED"
    assert (
        json.loads(described["output"])
        == json.loads(expected["output"])
        == {
            "doubled": [2, 4, 6, 8, 10],
            "both": [{"value": 100, "doubled": 200}, {"value": 200, "doubled": 400}],
        }
    )
    assert [e["id"] for e in history] == list(range(1, len(history) + 1))
    assert "TaskSubmitted" not in {e["type"] for e in history}
    assert events(history) == events(expected["history"])


@pytest.mark.airflow
def test_a_killed_mapped_task_instance_fails_its_call_with_task_failed_which_is_retried(
    airflow_server: AirflowServer,
) -> None:
    """The first call hangs; SIGKILLing its task instance's process fails the instance, ``settle`` fails the call
    with States.TaskFailed, and the Task's Retry makes it again: the execution succeeds, the call that finished
    is not made again."""
    hang = airflow_server.sluice_home / "fan_out_hang.pid"
    log = airflow_server.sluice_home / "fan_out_killed.jsonl"
    value = {"items": [1, 2], "calls": {"pause": 0, "hang": str(hang), "log": str(log)}}
    _trigger(airflow_server, "fan_out", "fan-killed", value)
    pid = wait(lambda: hang.read_text() if hang.exists() else "", bool, 600)
    assert pid, airflow_server.log_tail()
    os.kill(int(pid), signal.SIGKILL)

    described, history = run_to_end(airflow_server, "fan-killed")
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"])["doubled"] == [2, 4]
    (failed,) = [e["lambdaFunctionFailedEventDetails"] for e in history if e["type"] == "LambdaFunctionFailed"]
    assert failed == {"error": "States.TaskFailed", "cause": INTERRUPTED}
    values = sorted(json.loads(line)["value"] for line in log.read_text().splitlines())
    assert values == [1, 2, 100, 200]  # each call made once to its end: the killed one again, the other not
    states = [
        t["state"] for mapped in runner_instances(airflow_server, described["executionArn"]).values() for t in mapped
    ]
    assert sorted(states) == ["failed"] + ["success"] * 4
