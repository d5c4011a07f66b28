"""``dags/state_machines/*.asl.json`` become DAGs (``dags/state_machine_factory.py``): ``airflow dags test`` of one
runs an execution durably, its conf the input, and the Step Functions API reads it back; on a running Airflow,
a DAG run started through the REST API is an execution whose waits defer to the triggerer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from awsapi.keys import create_access_key
from service import STATES, invoke
from sluice.context import SluiceContext
from sluice.settings import Settings
from tests.airflow.server import AirflowServer
from tests.airflow.test_aws_endpoint import _glue
from tests.airflow.test_glue_runs import wait
from tests.awsapi.test_app import Endpoint
from tests.awsapi.test_stepfunctions_api import states_client


@pytest.mark.airflow
def test_a_state_machine_file_is_a_dag_whose_run_is_an_execution(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLUICE_", "AIRFLOW"))}
    env |= {"SLUICE_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    conf = json.dumps({"name": "Ada", "items": [1, 2, 3]})
    command = [str(Path(sys.executable).parent / "sluice"), "airflow", "dags-test", "hello_retry", "--conf", conf]
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]

    ctx = SluiceContext(Settings(home=home))
    (machine,) = invoke(ctx, "ListStateMachines", {}, api=STATES)["stateMachines"]
    assert machine["name"] == "hello_retry"
    (execution,) = invoke(ctx, "ListExecutions", {"stateMachineArn": machine["stateMachineArn"]}, api=STATES)[
        "executions"
    ]
    described = invoke(ctx, "DescribeExecution", {"executionArn": execution["executionArn"]}, api=STATES)
    assert described["status"] == "SUCCEEDED" and json.loads(described["input"]) == json.loads(conf)
    output = json.loads(described["output"])
    assert output["greeting"] == {"greeting": "Hello, Ada!", "count": 3}
    assert output["caught"] == {"Error": "Oops", "Cause": "on purpose"}
    history = invoke(ctx, "GetExecutionHistory", {"executionArn": execution["executionArn"]}, api=STATES)["events"]
    types = [e["type"] for e in history]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded"
    assert "WaitStateEntered" in types and "ParallelStateFailed" in types


RETRIED_JOB = """\
from pathlib import Path

marker = Path({marker!r})
if not marker.exists():  # the first attempt fails: the Task's Retry starts the job again
    marker.write_text("attempted")
    raise RuntimeError("the first attempt fails")
print("transformed")
"""


def _states(server: AirflowServer) -> Any:
    """boto3's ``stepfunctions`` client of the Airflow's ``/aws`` endpoint, as admin."""
    ctx = SluiceContext(Settings(home=server.sluice_home))
    key, secret = create_access_key(ctx, "admin")
    return states_client(Endpoint(f"{server.url}/aws", ctx, key.access_key_id, secret))


def _trigger(server: AirflowServer, dag_id: str, run_id: str, conf: dict[str, Any]) -> None:
    url = f"{server.url}/api/v2/dags/{dag_id}"
    wait(lambda: httpx.get(url, headers=server.headers(), timeout=30).status_code, lambda code: code == 200, 180)
    body = {"dag_run_id": run_id, "logical_date": None, "conf": conf}
    response = httpx.post(f"{url}/dagRuns", json=body, headers=server.headers(), timeout=30)
    assert response.status_code == 200, response.text


def _task_state(server: AirflowServer, dag_id: str, run_id: str, task_id: str = "execute") -> str | None:
    """The task instance's state; None until it exists (or when a loaded api-server is slow to answer)."""
    url = f"{server.url}/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}"
    try:
        response = httpx.get(url, headers=server.headers(), timeout=30)
    except httpx.TimeoutException:
        return None
    return response.json().get("state") if response.status_code == 200 else None


@pytest.mark.airflow
@pytest.mark.spark
def test_a_crawl_poll_and_job_state_machine_runs_through_the_rest_api_deferring_its_waits(
    airflow_server: AirflowServer,
) -> None:
    """``crawl_and_transform`` started by ``POST /api/v2/dags/{id}/dagRuns``: the crawler is started and polled
    with ``aws-sdk:glue:getCrawler`` in a Wait/Choice loop, then ``glue:startJobRun.sync`` runs a Sluice job that
    fails once and is retried; its task defers while it waits, and boto3 reads the history back. A second run
    on a crawler that does not exist is caught and ends in the Fail state."""
    home = airflow_server.sluice_home
    trips = home / "lake" / "raw" / "sfn_trips" / "month=01"
    trips.mkdir(parents=True)
    (trips / "part-0.csv").write_text("trip_id,fare\n1,9.5\n2,7.25\n")
    scripts = home / "sfn_scripts"
    scripts.mkdir()
    (scripts / "transform.py").write_text(RETRIED_JOB.format(marker=str(scripts / "attempted")))
    glue = _glue(airflow_server, "admin")
    glue.create_crawler(
        Name="sfn_trips", Role="sluice", DatabaseName="sfn", Targets={"S3Targets": [{"Path": "raw/sfn_trips"}]}
    )
    glue.create_job(Name="sfn_transform", Role="sluice", Command={"ScriptLocation": str(scripts / "transform.py")})

    dag_id = "crawl_and_transform"
    _trigger(airflow_server, dag_id, "crawl-1", {"crawler": "sfn_trips", "job": "sfn_transform"})
    _trigger(airflow_server, dag_id, "no-crawler", {"crawler": "missing", "job": "sfn_transform"})
    seen: set[str | None] = set()

    def finished() -> str | None:
        seen.add(state := _task_state(airflow_server, dag_id, "crawl-1"))
        return state if state in {"success", "failed"} else None

    assert wait(finished, bool, 600) == "success", airflow_server.log_tail()
    assert "deferred" in seen, seen  # the Wait and the job's polls held no worker slot
    assert wait(lambda: _task_state(airflow_server, dag_id, "no-crawler"), "failed".__eq__, 120) == "failed"

    sfn = _states(airflow_server)
    machine = next(m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == dag_id)
    runs = {e["name"]: e for e in sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]}
    assert {runs["crawl-1"]["status"], runs["no-crawler"]["status"]} == {"SUCCEEDED", "FAILED"}
    described = sfn.describe_execution(executionArn=runs["crawl-1"]["executionArn"])
    output = json.loads(described["output"])
    assert output["crawl"]["State"] == "READY" and output["crawl"]["LastCrawl"]["Status"] == "SUCCEEDED"
    assert output["run"]["JobRunState"] == "SUCCEEDED" and output["run"]["Attempt"] == 1
    events = sfn.get_execution_history(executionArn=runs["crawl-1"]["executionArn"], maxResults=1000)["events"]
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    types = [e["type"] for e in events]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded"
    assert types.count("WaitStateEntered") >= 1 and types.count("ChoiceStateEntered") == types.count("WaitStateEntered")
    assert types.count("TaskSubmitted") == 2 and types.count("TaskFailed") == 1  # the job's first attempt
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]
    assert entered[:3] == ["Crawl", "Pause", "Poll"] and entered[-1] == "Transform"
    failed = next(e for e in events if e["type"] == "TaskFailed")["taskFailedEventDetails"]
    assert failed["error"] == "States.TaskFailed" and '"JobRunState":"FAILED"' in failed["cause"]
    reversed_page = sfn.get_execution_history(
        executionArn=runs["crawl-1"]["executionArn"], reverseOrder=True, maxResults=2
    )
    assert [e["type"] for e in reversed_page["events"]] == ["ExecutionSucceeded", "TaskStateExited"]

    job_run = output["run"]["Id"]  # run by Airflow's executor, as a DAG run of the Glue job runner
    assert _task_state(airflow_server, "sluice_glue_job", job_run, "run") == "success"

    caught = sfn.describe_execution(executionArn=runs["no-crawler"]["executionArn"])
    assert caught["error"] == "Glue.EntityNotFoundException"
    caught_types = [e["type"] for e in sfn.get_execution_history(executionArn=caught["executionArn"])["events"]]
    assert caught_types[-3:] == ["TaskStateExited", "FailStateEntered", "ExecutionFailed"]


@pytest.mark.airflow
def test_an_execution_started_through_boto3_runs_in_its_runner_dag_and_defers_its_wait(
    airflow_server: AirflowServer,
) -> None:
    """Its Lambda Task calls a function of the state machine DAGs' registry (``dags/state_machines/lambdas.yaml``)."""
    sfn = _states(airflow_server)
    definition = {
        "StartAt": "Double",
        "States": {
            "Double": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:fan_out_double",
                "Parameters": {"value": 21},
                "Next": "Nap",
            },
            "Nap": {"Type": "Wait", "Seconds": 15, "Next": "Done"},  # over defer_after
            "Done": {"Type": "Pass", "Parameters": {"rested.$": "$.doubled"}, "End": True},
        },
    }
    role = "arn:aws:iam::123456789012:role/sluice"
    machine = sfn.create_state_machine(name="nap", definition=json.dumps(definition), roleArn=role)
    arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")["executionArn"]
    seen: set[str | None] = set()

    def status() -> str:
        seen.add(_task_state(airflow_server, "sluice_state_machine", arn, "run"))  # its DAG run is named by the ARN
        return str(sfn.describe_execution(executionArn=arn)["status"])

    assert wait(status, lambda s: s != "RUNNING", 180) == "SUCCEEDED", airflow_server.log_tail()
    assert "deferred" in seen, seen
    assert json.loads(sfn.describe_execution(executionArn=arn)["output"]) == {"rested": 42}


@pytest.mark.airflow
def test_a_nested_sync_execution_is_its_own_dag_run_while_the_parent_defers(airflow_server: AirflowServer) -> None:
    """``states:startExecution.sync:2`` under Airflow: the child is a stored execution run by its own
    ``sluice_state_machine`` DAG run, and the parent's task defers while it waits, holding no worker slot."""
    sfn = _states(airflow_server)
    role = "arn:aws:iam::123456789012:role/sluice"
    child = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "Parameters": {"echoed.$": "$.n"}, "End": True}}}
    child_arn = sfn.create_state_machine(name="nested_child", definition=json.dumps(child), roleArn=role)[
        "stateMachineArn"
    ]
    parent = {
        "StartAt": "Nested",
        "States": {
            "Nested": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Parameters": {"StateMachineArn": child_arn, "Input": {"n.$": "$.n"}},
                "OutputPath": "$.Output",
                "End": True,
            }
        },
    }
    machine = sfn.create_state_machine(name="nested_parent", definition=json.dumps(parent), roleArn=role)
    arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input='{"n": 6}')["executionArn"]
    seen: set[str | None] = set()

    def status() -> str:
        seen.add(_task_state(airflow_server, "sluice_state_machine", arn, "run"))
        return str(sfn.describe_execution(executionArn=arn)["status"])

    assert wait(status, lambda s: s != "RUNNING", 300) == "SUCCEEDED", airflow_server.log_tail()
    assert "deferred" in seen, seen
    assert json.loads(sfn.describe_execution(executionArn=arn)["output"]) == {"echoed": 6}
    (execution,) = sfn.list_executions(stateMachineArn=child_arn)["executions"]
    assert execution["status"] == "SUCCEEDED"
    assert _task_state(airflow_server, "sluice_state_machine", execution["executionArn"], "run") == "success"
