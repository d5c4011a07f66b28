"""Nested executions of a durable execution are stored executions: ``states:startExecution`` starts the child
through the service layer (its launcher runs it: a DAG run inside Airflow), and a ``.sync`` or ``.sync:2`` parent
waits for it as for a ``.sync`` job run, handed back to be deferred between polls. A SIGKILLed parent resumes
polling the same child; a timed-out parent stops its child."""

from __future__ import annotations

import dataclasses
import json
import signal
from pathlib import Path
from typing import Any

import pytest

from service import STATES, invoke
from sluice.context import SluiceContext
from sluice.settings import Settings
from stepfunctions.durable import due, resume
from tests.awsapi.test_stepfunctions_api import ROLE, Deferred, wait_for
from tests.stepfunctions.durable_runs import IN_FLIGHT_TASK, event_types, start_in_runner

SM = "arn:aws:states:us-east-1:123456789012:stateMachine:"
CHILD = {
    "StartAt": "Rest",
    "States": {
        "Rest": {"Type": "Wait", "Seconds": 1, "Next": "Echo"},
        "Echo": {"Type": "Pass", "Parameters": {"echoed.$": "$.n"}, "End": True},
    },
}
FAILING = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Child.Broke", "Cause": "on purpose"}}}
SLOW = {"StartAt": "Long", "States": {"Long": {"Type": "Wait", "Seconds": 30, "End": True}}}


@pytest.fixture
def ctx(tmp_path: Path) -> SluiceContext:
    return SluiceContext(Settings(home=tmp_path / "home"))


def machine(ctx: SluiceContext, name: str, definition: dict[str, Any]) -> str:
    request = {"name": name, "definition": json.dumps(definition), "roleArn": ROLE}
    return str(invoke(ctx, "CreateStateMachine", request, STATES)["stateMachineArn"])


def parent(resource: str, child: str, **task: Any) -> dict[str, Any]:
    """A state machine whose one Task starts ``child`` on ``{"n": $.n}``; errors are caught into ``$.error``."""
    return {
        "StartAt": "Nested",
        "States": {
            "Nested": {
                "Type": "Task",
                "Resource": f"arn:aws:states:::states:{resource}",
                "Parameters": {"StateMachineArn": SM + child, "Input": {"n.$": "$.n"}},
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
                "End": True,
                **task,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }


def executions(ctx: SluiceContext, machine_arn: str) -> list[dict[str, Any]]:
    return list(invoke(ctx, "ListExecutions", {"stateMachineArn": machine_arn}, STATES)["executions"])


def describe(ctx: SluiceContext, arn: str) -> dict[str, Any]:
    return dict(invoke(ctx, "DescribeExecution", {"executionArn": arn}, STATES))


def start(ctx: SluiceContext, machine_arn: str, value: Any) -> str:
    return str(
        invoke(ctx, "StartExecution", {"stateMachineArn": machine_arn, "input": json.dumps(value)}, STATES)[
            "executionArn"
        ]
    )


@pytest.mark.parametrize("pattern", ["sync", "sync:2"])
def test_a_sync_child_is_a_stored_execution_the_parent_waits_for_deferred(ctx: SluiceContext, pattern: str) -> None:
    launched = Deferred()
    on = dataclasses.replace(ctx, launcher=launched)
    child_machine = machine(on, "child", CHILD)
    arn = start(on, machine(on, "parent", parent(f"startExecution.{pattern}", "child")), {"n": 7})

    progress = resume(on, arn, defer_after=0.2, poll_seconds=0.3, launcher=launched)
    assert progress.status == "RUNNING" and progress.wake is not None  # handed back: the child runs elsewhere
    (child,) = executions(on, child_machine)
    assert [w.kind for w in launched.work[1:]] == ["execution"] and launched.work[1].run_id == child["executionArn"]
    assert child["status"] == "RUNNING" and json.loads(describe(on, child["executionArn"])["input"]) == {"n": 7}
    submitted = next(e for e in event_types_with_details(on, arn) if e["type"] == "TaskSubmitted")
    output = json.loads(submitted["taskSubmittedEventDetails"]["output"])
    assert output["ExecutionArn"] == child["executionArn"] and isinstance(output["StartDate"], int)

    assert resume(on, child["executionArn"]).status == "SUCCEEDED"  # its own runner, as the DAG run would
    wait_for(lambda: due(on, arn, progress.wake), seconds=5)
    assert resume(on, arn, defer_after=0.2, poll_seconds=0.3, launcher=launched).status == "SUCCEEDED"
    result = json.loads(describe(on, arn)["output"])
    ended = describe(on, child["executionArn"])
    expected_output: Any = {"echoed": 7} if pattern == "sync:2" else ended["output"]
    expected_input: Any = {"n": 7} if pattern == "sync:2" else ended["input"]
    assert result["Output"] == expected_output and result["Input"] == expected_input
    assert result["Status"] == "SUCCEEDED" and result["ExecutionArn"] == child["executionArn"]
    assert result["StopDate"] == int(ended["stopDate"].timestamp() * 1000)
    assert event_types(on, arn) == ["ExecutionStarted", *IN_FLIGHT_TASK, "ExecutionSucceeded"]
    assert len(executions(on, child_machine)) == 1


def event_types_with_details(ctx: SluiceContext, arn: str) -> list[dict[str, Any]]:
    return list(invoke(ctx, "GetExecutionHistory", {"executionArn": arn}, STATES)["events"])


def test_a_failed_child_fails_the_task_with_its_description_and_a_missing_machine_is_named(ctx: SluiceContext) -> None:
    machine(ctx, "failing", FAILING)
    arn = start(ctx, machine(ctx, "parent", parent("startExecution.sync:2", "failing")), {"n": 1})
    assert resume(ctx, arn, poll_seconds=0.3).status == "SUCCEEDED"  # the child runs in its own local runner
    error = json.loads(describe(ctx, arn)["output"])["error"]
    cause = json.loads(error["Cause"])
    assert error["Error"] == "States.TaskFailed"
    assert (cause["Status"], cause["Error"], cause["Cause"]) == ("FAILED", "Child.Broke", "on purpose")
    assert "Output" not in cause and cause["Input"] == {"n": 1}

    arn = start(ctx, machine(ctx, "orphan", parent("startExecution.sync", "nothing")), {"n": 1})
    assert resume(ctx, arn).status == "SUCCEEDED"
    error = json.loads(describe(ctx, arn)["output"])["error"]
    assert error["Error"] == "StepFunctions.StateMachineDoesNotExistException"
    assert error["Cause"].startswith(f"State Machine Does Not Exist: '{SM}nothing' (Service: AWSStepFunctions;")


def test_request_response_starts_the_child_and_goes_on(ctx: SluiceContext) -> None:
    launched = Deferred()
    on = dataclasses.replace(ctx, launcher=launched)
    child_machine = machine(on, "child", CHILD)
    arn = start(on, machine(on, "parent", parent("startExecution", "child")), {"n": 2})
    assert resume(on, arn, defer_after=0.2, launcher=launched).status == "SUCCEEDED"
    (child,) = executions(on, child_machine)
    assert child["status"] == "RUNNING"  # started, not waited for
    assert json.loads(describe(on, arn)["output"])["ExecutionArn"] == child["executionArn"]


def test_a_timed_out_parent_stops_its_child(ctx: SluiceContext) -> None:
    launched = Deferred()
    on = dataclasses.replace(ctx, launcher=launched)
    slow = machine(on, "slow", SLOW)
    arn = start(on, machine(on, "parent", parent("startExecution.sync", "slow", TimeoutSeconds=1)), {"n": 3})
    assert resume(on, arn, poll_seconds=0.3, launcher=launched).status == "SUCCEEDED"
    assert json.loads(describe(on, arn)["output"])["error"]["Error"] == "States.Timeout"
    (child,) = executions(on, slow)
    assert child["status"] == "ABORTED"


def test_a_killed_parent_resumes_polling_the_same_child(ctx: SluiceContext) -> None:
    child_machine = machine(
        ctx, "child", CHILD | {"States": CHILD["States"] | {"Rest": {"Type": "Wait", "Seconds": 3, "Next": "Echo"}}}
    )
    arn, runner = start_in_runner(ctx, "parent", parent("startExecution.sync:2", "child"), {"n": 5})
    wait_for(lambda: "TaskSubmitted" in event_types(ctx, arn) and runner.poll() is None)
    runner.send_signal(signal.SIGKILL)
    runner.wait()
    (child,) = executions(ctx, child_machine)
    assert child["status"] == "RUNNING"  # the child goes on in its own runner without the parent's

    assert resume(ctx, arn, poll_seconds=0.3).status == "SUCCEEDED"
    assert json.loads(describe(ctx, arn)["output"])["Output"] == {"echoed": 5}
    assert len(executions(ctx, child_machine)) == 1
    assert event_types(ctx, arn) == ["ExecutionStarted", *IN_FLIGHT_TASK, "ExecutionSucceeded"]
