"""Dispatched Tasks of durable executions (``durable.Dispatcher``, ``stepfunctions.dispatched``) on a real store:
``resume`` with a launcher records the calls of Map and Parallel Tasks and launches them as ``tasks`` work; the
calls made there (as a ``sluice_state_tasks`` DAG run makes them) wake the execution, which ends as an inline run
does; a call left without an outcome is failed by ``settle`` and never made again."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from service import STATES, invoke, runner
from sluice.context import SluiceContext
from sluice.errors import SluiceError
from sluice.launch import Work
from sluice.settings import Settings
from stepfunctions import dispatched
from stepfunctions.durable import Progress, due, resume
from stepfunctions.integrations import Integrations, load_registry
from stepfunctions.interpreter import INTERRUPTED
from stepfunctions.sync import run_sync
from tests.awsapi.test_stepfunctions_api import ROLE, Deferred

HANDLERS = """\
import json


def double(event, context):
    with open(event["log"], "a") as out:
        out.write(json.dumps(event["value"]) + "\\n")
    if event["value"] < 0:
        raise ValueError("negative")
    return {"doubled": 2 * event["value"]}
"""
DOUBLE = "arn:aws:lambda:us-east-1:123456789012:function:double"


def fan_out(max_concurrency: int) -> dict[str, Any]:
    """A Map of a Lambda Task over ``$.items``, a Parallel of two, then a top-level Task (made in place)."""
    task = {"Type": "Task", "Resource": DOUBLE, "End": True}
    branches = [
        {"StartAt": name, "States": {name: {**task, "Parameters": {"value": 10, "log.$": "$.log"}}}}
        for name in ("Left", "Right")
    ]
    return {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": max_concurrency,
                "ItemSelector": {"value.$": "$$.Map.Item.Value", "log.$": "$.log"},
                "ItemProcessor": {"StartAt": "T", "States": {"T": task}},
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Both"}],
                "ResultPath": "$.each",
                "Next": "Both",
            },
            "Both": {"Type": "Parallel", "Branches": branches, "ResultPath": "$.both", "Next": "Last"},
            "Last": {**task, "Parameters": {"value": 7, "log.$": "$.log"}, "ResultPath": "$.last"},
        },
    }


class Setup:
    """A store, a Lambda registry whose ``double`` logs each value it is called with, and a launcher keeping
    the work it is given."""

    def __init__(self, tmp_path: Path) -> None:
        self.ctx = SluiceContext(Settings(home=tmp_path / "home"), launcher=Deferred())
        (tmp_path / "handlers.py").write_text(HANDLERS)
        self.registry = tmp_path / "lambdas.yaml"
        self.registry.write_text("double: handlers.py:double\n")
        self.log = tmp_path / "calls.log"
        self.launched = Deferred()

    def start(self, definition: dict[str, Any], value: dict[str, Any]) -> str:
        request = {"name": "fan", "definition": json.dumps(definition), "roleArn": ROLE}
        machine = invoke(self.ctx, "CreateStateMachine", request, STATES)["stateMachineArn"]
        started = invoke(self.ctx, "StartExecution", {"stateMachineArn": machine, "input": json.dumps(value)}, STATES)
        return str(started["executionArn"])

    def resume(self, arn: str) -> Progress:
        return resume(self.ctx, arn, defer_after=0.5, launcher=self.launched, lambda_registry=str(self.registry))

    def calls(self) -> list[int]:
        return [json.loads(line) for line in self.log.read_text().splitlines()] if self.log.exists() else []

    def inline(self, definition: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
        tasks = Integrations(self.ctx, functions=load_registry(self.registry))
        return run_sync(definition, value, name="fan", tasks=tasks, role_arn=ROLE)

    def history(self, arn: str) -> list[dict[str, Any]]:
        return list(
            invoke(self.ctx, "GetExecutionHistory", {"executionArn": arn, "maxResults": 1000}, STATES)["events"]
        )


def events(history: list[dict[str, Any]]) -> Counter[str]:
    """Events without timestamps and ids, as a multiset: concurrent iterations interleave theirs."""
    drop = ("timestamp", "id", "previousEventId")
    return Counter(
        json.dumps({k: v for k, v in e.items() if k not in drop}, sort_keys=True, default=str) for e in history
    )


def test_map_and_parallel_calls_are_launched_in_batches_bounded_by_max_concurrency(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    value = {"items": [1, 2, 3, 4, 5], "log": str(setup.log)}
    definition = fan_out(2)
    arn = setup.start(definition, value)
    sizes = []
    progress = setup.resume(arn)
    while progress.status == "RUNNING":
        assert progress.wake is not None and not due(setup.ctx, arn, progress.wake)  # it waits for the calls
        work = setup.launched.work[-1]
        assert (work.kind, work.name) == ("tasks", arn)
        keys = dispatched.batch_keys(setup.ctx, work.run_id)
        sizes.append(len(keys))
        assert [dispatched.make_call(setup.ctx, key) for key in keys] == ["SUCCEEDED"] * len(keys)
        assert due(setup.ctx, arn, progress.wake)
        progress = setup.resume(arn)
    assert progress.status == "SUCCEEDED"
    assert sizes[0] == 2 and max(sizes) == 2 and sum(sizes) == 7  # the Map's 5 calls, 2 at most; the Parallel's 2
    assert setup.calls() == [1, 2, 3, 4, 5, 10, 10, 7] or sorted(setup.calls()) == [1, 2, 3, 4, 5, 7, 10, 10]
    described = invoke(setup.ctx, "DescribeExecution", {"executionArn": arn}, STATES)
    expected = setup.inline(definition, value)
    assert json.loads(described["output"]) == json.loads(expected["output"])
    assert json.loads(described["output"])["each"] == [{"doubled": n} for n in (2, 4, 6, 8, 10)]
    history = setup.history(arn)
    assert "TaskSubmitted" not in {e["type"] for e in history}
    assert events(history) == events(expected["history"])


def test_unbounded_max_concurrency_launches_every_iteration_at_once(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    arn = setup.start(fan_out(0), {"items": [1, 2, 3, 4, 5], "log": str(setup.log)})
    assert setup.resume(arn).status == "RUNNING"
    (work,) = setup.launched.work
    assert len(dispatched.batch_keys(setup.ctx, work.run_id)) == 5


def test_a_failed_call_fails_its_iteration_as_in_place_and_is_caught(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    value = {"items": [1, -1], "log": str(setup.log)}
    definition = fan_out(0)
    arn = setup.start(definition, value)
    progress = setup.resume(arn)
    while progress.status == "RUNNING":  # the batches carried out as the runner does them outside Airflow
        assert runner.run(setup.ctx, setup.launched.work[-1]) == runner.SUCCEEDED
        progress = setup.resume(arn)
    described = invoke(setup.ctx, "DescribeExecution", {"executionArn": arn}, STATES)
    expected = setup.inline(definition, value)
    error, inline_error = json.loads(described["output"])["error"], json.loads(expected["output"])["error"]
    assert error["Error"] == inline_error["Error"] == "ValueError"
    cause, inline_cause = json.loads(error["Cause"]), json.loads(inline_error["Cause"])
    assert cause.pop("requestId") != inline_cause.pop("requestId")  # each invocation's own
    assert cause == inline_cause and cause["errorMessage"] == "negative"
    assert Counter(e["type"] for e in setup.history(arn)) == Counter(e["type"] for e in expected["history"])


def test_a_call_left_without_an_outcome_fails_with_task_failed_and_is_never_made(tmp_path: Path) -> None:
    """Its runner died: ``settle`` fails it, the Task's Catch sees States.TaskFailed, and making it later (a
    mapped instance that started late) does nothing; the other call, made, is not made again."""
    setup = Setup(tmp_path)
    arn = setup.start(fan_out(0), {"items": [1, 2], "log": str(setup.log)})
    setup.resume(arn)
    batch = setup.launched.work[-1].run_id
    made, lost = dispatched.batch_keys(setup.ctx, batch)
    assert dispatched.make_call(setup.ctx, made) == "SUCCEEDED"
    assert dispatched.settle(setup.ctx, batch) == 1
    assert dispatched.make_call(setup.ctx, lost) is None and dispatched.make_call(setup.ctx, made) is None
    assert setup.calls() == [1]
    progress = setup.resume(arn)
    while progress.status == "RUNNING":
        for key in dispatched.batch_keys(setup.ctx, setup.launched.work[-1].run_id):
            dispatched.make_call(setup.ctx, key)
        progress = setup.resume(arn)
    output = json.loads(invoke(setup.ctx, "DescribeExecution", {"executionArn": arn}, STATES)["output"])
    assert output["error"] == {"Error": "States.TaskFailed", "Cause": INTERRUPTED}


def test_a_resumed_execution_launches_its_open_batch_again_under_the_same_id(tmp_path: Path) -> None:
    """The worker that dispatched the calls may have died before its launch: a resume launches the batch again
    (an existing DAG run of that id is kept), and launches nothing new."""
    setup = Setup(tmp_path)
    arn = setup.start(fan_out(0), {"items": [1, 2], "log": str(setup.log)})
    setup.resume(arn)
    setup.resume(arn)
    first, again = setup.launched.work
    assert first == again == Work("tasks", first.run_id, arn)


class Refusing:
    def launch(self, ctx: SluiceContext, work: Work) -> None:
        raise SluiceError("no runner DAG")


def test_calls_that_cannot_be_launched_fail_with_task_failed(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    arn = setup.start(fan_out(0), {"items": [1], "log": str(setup.log)})
    progress = resume(setup.ctx, arn, defer_after=0.5, launcher=Refusing(), lambda_registry=str(setup.registry))
    assert progress.status == "FAILED"  # the Map's failure is caught; the Parallel's Tasks fail uncaught
    described = invoke(setup.ctx, "DescribeExecution", {"executionArn": arn}, STATES)
    assert described["error"] == "States.TaskFailed"
    assert described["cause"] == "The task could not be started: no runner DAG"
    assert setup.calls() == []


@pytest.mark.parametrize("defer_after", [None, 0.5])
def test_without_a_launcher_or_a_deferral_every_call_is_made_in_place(tmp_path: Path, defer_after: Any) -> None:
    setup = Setup(tmp_path)
    arn = setup.start(fan_out(2), {"items": [1, 2, 3], "log": str(setup.log)})
    launcher = None if defer_after else setup.launched
    progress = resume(setup.ctx, arn, defer_after=defer_after, launcher=launcher, lambda_registry=str(setup.registry))
    assert progress.status == "SUCCEEDED" and setup.calls() == [1, 2, 3, 10, 10, 7]
    assert setup.launched.work == []
