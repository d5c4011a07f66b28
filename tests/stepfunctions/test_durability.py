"""The interpreter as a step function: serialize an execution mid-flight and resume it elsewhere, a Task whose
worker died mid-call included."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from stepfunctions import Execution, FakeClock, FunctionTasks, Interpreter
from stepfunctions.sync import response

TASK = "arn:aws:states:::glue:startJobRun.sync"
DEFINITION = {
    "StartAt": "Wait",
    "States": {
        "Wait": {"Type": "Wait", "Seconds": 60, "Next": "Fan"},
        "Fan": {
            "Type": "Map",
            "ItemsPath": "$.jobs",
            "ItemProcessor": {
                "StartAt": "Pause",
                "States": {
                    "Pause": {"Type": "Wait", "Seconds": 5, "Next": "Run"},
                    "Run": {"Type": "Task", "Resource": TASK, "End": True},
                },
            },
            "End": True,
        },
    },
}


def test_pause_serialize_and_resume():
    calls: list[Any] = []
    tasks = FunctionTasks({TASK: lambda p: calls.append(p) or {"JobRunState": "SUCCEEDED", "job": p}})
    transitions: list[int] = []
    clock = FakeClock()
    first = Interpreter(tasks=tasks, clock=clock, on_transition=lambda ex: transitions.append(len(ex.events)))
    ex = first.start(
        DEFINITION,
        {"jobs": ["a", "b"]},
        execution_arn="arn:aws:states:us-east-1:1:execution:sm:e",
        state_machine_arn="arn:aws:states:us-east-1:1:stateMachine:sm",
        name="e",
    )
    wake = first.advance(ex)
    assert wake == clock.now().timestamp() + 60 and ex.status == "RUNNING"
    saved = json.dumps(ex.to_dict(), default=str)  # JSON-able apart from the events' datetimes
    assert "Wait" in saved

    clock.advance(60)
    second = Interpreter(tasks=tasks, clock=clock)
    resumed = Execution.from_dict(copy.deepcopy(ex.to_dict()))
    wake = second.advance(resumed)  # both iterations now wait 5 seconds, together
    assert wake == clock.now().timestamp() + 5 and calls == []
    middle = Execution.from_dict(copy.deepcopy(resumed.to_dict()))
    clock.advance(5)
    assert second.advance(middle) is None
    assert middle.status == "SUCCEEDED" and calls == ["a", "b"]
    out = response(middle)
    assert json.loads(out["output"]) == [
        {"JobRunState": "SUCCEEDED", "job": "a"},
        {"JobRunState": "SUCCEEDED", "job": "b"},
    ]
    ids = [e["id"] for e in middle.events]
    assert ids == list(range(1, len(ids) + 1))
    assert transitions  # the hook saw every transition of the first run


class Killed(Exception):
    """The worker dies: raised by the persistence hook once a Task's call is in flight."""


def test_an_interrupted_task_is_retried_and_a_completed_one_is_not_run_again():
    calls: list[str] = []
    tasks = FunctionTasks({"arn:aws:states:::lambda:invoke": lambda p: calls.append(p["step"]) or {"done": p["step"]}})
    retry = [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 1, "IntervalSeconds": 1}]

    def call(step: str, **extra: Any) -> dict[str, Any]:
        return {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"step": step}, **extra}

    definition = {
        "StartAt": "First",
        "States": {
            "First": call("first", ResultPath="$.first", Next="Second"),
            "Second": call("second", ResultPath="$.second", Retry=retry, End=True),
        },
    }
    saved: list[dict[str, Any]] = []

    def persist(ex: Execution) -> None:
        saved.append(copy.deepcopy(ex.to_dict()))
        if ex.root.state == "Second" and ex.root.phase == "invoke":
            raise Killed  # the call to Second was made, and persisted as in flight, when the worker died

    clock = FakeClock()
    worker = Interpreter(tasks=tasks, clock=clock, on_transition=persist)
    ex = worker.start(
        definition,
        {},
        execution_arn="arn:aws:states:us-east-1:1:execution:sm:e",
        state_machine_arn="arn:aws:states:us-east-1:1:stateMachine:sm",
        name="e",
    )
    with pytest.raises(Killed):
        worker.run(ex)
    assert calls == ["first"]
    resumed = Execution.from_dict(saved[-1])  # the last persisted state: Second in flight
    Interpreter(tasks=tasks, clock=clock).run(resumed)
    assert resumed.status == "SUCCEEDED" and calls == ["first", "second"]  # First is not run again
    types = [e["type"] for e in resumed.events]
    failed = next(e for e in resumed.events if e["type"] == "TaskFailed")["taskFailedEventDetails"]
    assert failed["error"] == "States.TaskFailed" and "stopped before the task reported" in failed["cause"]
    assert types.count("TaskScheduled") == 3 and types.count("TaskSucceeded") == 2
    assert [e["id"] for e in resumed.events] == list(range(1, len(resumed.events) + 1))
