"""The interpreter as a step function: serialize an execution mid-flight and resume it elsewhere."""

from __future__ import annotations

import copy
import json
from typing import Any

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
