"""``.waitForTaskToken`` over the Step Functions API: boto3's ``stepfunctions`` client sends SendTaskSuccess,
SendTaskFailure and SendTaskHeartbeat to a durable execution run by its own runner process, with AWS's
errors for tokens that are malformed, unknown or closed; the waiting Task and its token survive a SIGKILL."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from service import STATES, invoke
from sluice.context import SluiceContext
from sluice.settings import Settings
from stepfunctions.durable import run_execution
from stepfunctions.runtime import task_token
from tests.awsapi.test_app import Endpoint, endpoint, error  # noqa: F401  (endpoint: a fixture)
from tests.awsapi.test_stepfunctions_api import ROLE, ended, history, states_client, wait_for
from tests.stepfunctions.durable_runs import IN_FLIGHT_TASK, event_types, start_in_runner

PUBLISH = "arn:aws:states:::aws-sdk:glue:createDatabase.waitForTaskToken"


def approval(**task: Any) -> dict[str, Any]:
    """Publish the task token as a Glue database's parameter (where an approver finds it), wait for the
    approval, and catch a rejection or a timeout (a heartbeat timeout is one)."""
    publish = {
        "Type": "Task",
        "Resource": PUBLISH,
        "Parameters": {"DatabaseInput": {"Name.$": "$.database", "Parameters": {"token.$": "$$.Task.Token"}}},
        "ResultPath": "$.approval",
        "Catch": [
            {"ErrorEquals": ["Rejected"], "ResultPath": "$.rejected", "Next": "Rejected"},
            {"ErrorEquals": ["States.Timeout"], "Next": "NoAnswer"},
        ],
        "Next": "Approved",
        **task,
    }
    return {
        "StartAt": "Publish",
        "States": {
            "Publish": publish,
            "Approved": {"Type": "Succeed"},
            "Rejected": {"Type": "Fail", "Error": "Rejected", "CausePath": "$.rejected.Cause"},
            "NoAnswer": {"Type": "Fail", "Error": "NoAnswer"},
        },
    }


@pytest.fixture
def ctx(tmp_path: Path) -> SluiceContext:
    return SluiceContext(Settings(home=tmp_path / "home"))


@pytest.fixture
def sfn(endpoint: Endpoint) -> Any:  # noqa: F811
    return states_client(endpoint)


def start(sfn: Any, name: str, definition: dict[str, Any], database: str) -> str:
    machine = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)
    started = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps({"database": database}))
    return str(started["executionArn"])


def published_token(glue: Any, database: str) -> str:
    def found() -> str | None:
        try:
            return str(glue.get_database(Name=database)["Database"]["Parameters"]["token"])
        except glue.exceptions.EntityNotFoundException:
            return None

    return str(wait_for(found))


def test_send_task_success_completes_the_waiting_task(sfn: Any, endpoint: Endpoint) -> None:  # noqa: F811
    arn = start(sfn, "approve", approval(HeartbeatSeconds=30), "orders")
    token = published_token(endpoint.client(), "orders")
    assert sfn.send_task_heartbeat(taskToken=token)["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(ClientError) as bad_output:
        sfn.send_task_success(taskToken=token, output="{not json")
    assert error(bad_output)[0] == "InvalidOutput"
    sfn.send_task_success(taskToken=token, output=json.dumps({"approver": "ada"}))
    described = ended(sfn, arn)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"])["approval"] == {"approver": "ada"}
    events = history(sfn, arn)
    types = [e["type"] for e in events]
    assert types == [
        "ExecutionStarted",
        *IN_FLIGHT_TASK,
        "SucceedStateEntered",
        "SucceedStateExited",
        "ExecutionSucceeded",
    ]
    scheduled = events[2]["taskScheduledEventDetails"]
    assert (scheduled["resourceType"], scheduled["resource"]) == ("aws-sdk:glue", "createDatabase.waitForTaskToken")
    assert scheduled["heartbeatInSeconds"] == 30 and token in scheduled["parameters"]

    for call in (
        lambda t: sfn.send_task_success(taskToken=t, output="{}"),
        lambda t: sfn.send_task_failure(taskToken=t, error="Late"),
        lambda t: sfn.send_task_heartbeat(taskToken=t),
    ):
        with pytest.raises(ClientError) as closed:
            call(token)
        assert error(closed) == ("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'", 400)
        with pytest.raises(ClientError) as unknown:
            call(task_token("never-issued"))
        assert error(unknown)[0] == "TaskDoesNotExist"
        with pytest.raises(ClientError) as invalid:
            call("not a token")
        assert error(invalid) == ("InvalidToken", "Invalid Token: 'Invalid token'", 400)


def test_send_task_failure_is_the_tasks_error_and_a_silent_task_times_out(sfn: Any, endpoint: Endpoint) -> None:  # noqa: F811
    rejected = start(sfn, "reject", approval(), "refunds")
    token = published_token(endpoint.client(), "refunds")
    sfn.send_task_failure(taskToken=token, error="Rejected", cause="over budget")
    described = ended(sfn, rejected)
    assert (described["status"], described["error"], described["cause"]) == ("FAILED", "Rejected", "over budget")
    failed = next(e for e in history(sfn, rejected) if e["type"] == "TaskFailed")["taskFailedEventDetails"]
    assert (failed["error"], failed["cause"]) == ("Rejected", "over budget")

    silent = start(sfn, "silent", approval(HeartbeatSeconds=1), "silence")
    token = published_token(endpoint.client(), "silence")
    described = ended(sfn, silent)
    assert (described["status"], described["error"]) == ("FAILED", "NoAnswer")  # caught as a timeout
    timed_out = next(e for e in history(sfn, silent) if e["type"] == "TaskTimedOut")["taskTimedOutEventDetails"]
    assert timed_out["error"] == "States.HeartbeatTimeout"
    with pytest.raises(ClientError) as late:
        sfn.send_task_success(taskToken=token, output="{}")
    assert error(late)[0] == "TaskTimedOut"


def test_a_waiting_task_and_its_token_survive_a_killed_runner(ctx: SluiceContext) -> None:
    """SIGKILL the runner while its Task waits for the token; the success sent while no runner lives is taken
    by the next run, which does not make the Task's call again (a second createDatabase would fail)."""
    arn, runner = start_in_runner(ctx, "durable", approval(), {"database": "kept"})

    wait_for(lambda: "TaskSubmitted" in event_types(ctx, arn) and runner.poll() is None)
    runner.send_signal(signal.SIGKILL)
    runner.wait()
    token = invoke(ctx, "GetDatabase", {"Name": "kept"})["Database"]["Parameters"]["token"]
    invoke(ctx, "SendTaskSuccess", {"taskToken": token, "output": '"yes"'}, STATES)
    assert run_execution(ctx, arn) == "SUCCEEDED"
    described = invoke(ctx, "DescribeExecution", {"executionArn": arn}, STATES)
    assert json.loads(described["output"]) == {"database": "kept", "approval": "yes"}
    events = invoke(ctx, "GetExecutionHistory", {"executionArn": arn}, STATES)["events"]
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert [e["type"] for e in events].count("TaskScheduled") == 1
