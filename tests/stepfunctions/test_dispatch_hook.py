"""The interpreter's hook for Task calls made by another worker: a runner returning ``Dispatched`` leaves the Task
awaiting its outcome (no TaskSubmitted), ``deliver`` hands the outcome in as a callback's, and the execution
ends with the output and events of the run that made every call in place; on a fake clock."""

from __future__ import annotations

import copy
import json
from collections import Counter
from typing import Any

import pytest

from stepfunctions import Execution, FakeClock, FunctionTasks, Interpreter, TaskError, run_sync
from stepfunctions.interpreter import task_outcome
from stepfunctions.runtime import Dispatched, TaskRequest
from tests.stepfunctions.conftest import machine

DOUBLE = "arn:aws:lambda:us-east-1:123456789012:function:double"
ARNS = {
    "execution_arn": "arn:aws:states:us-east-1:123456789012:execution:sm:e",
    "state_machine_arn": "arn:aws:states:us-east-1:123456789012:stateMachine:sm",
    "name": "e",
    "role_arn": "arn:aws:iam::123456789012:role/service-role/StepFunctions-sm-role",  # run_sync's
}


def double(value: Any) -> Any:
    if value["n"] < 0:
        raise ValueError("negative")
    return {"doubled": 2 * value["n"]}


class Away:
    """A runner that dispatches the calls of nested Tasks (keeping their requests) and makes the others."""

    def __init__(self) -> None:
        self.in_place = FunctionTasks({DOUBLE: double})
        self.requests: dict[str, TaskRequest] = {}
        self.top_level: list[TaskRequest] = []

    def __call__(self, request: TaskRequest) -> Any:
        if not request.nested:
            self.top_level.append(request)
            return self.in_place(request)
        key = f"call-{len(self.requests)}"
        self.requests[key] = request
        return Dispatched(key)

    def make(self, interpreter: Interpreter, ex: Execution) -> int:
        """Make the calls the execution awaits and deliver their outcomes; how many."""
        keys = Interpreter.awaiting(ex)
        for key in keys:
            request = self.requests[key]
            assert interpreter.deliver(ex, key, task_outcome(lambda r=request: self.in_place(r)))  # type: ignore[misc]
        return len(keys)


def task(**extra: Any) -> dict[str, Any]:
    """A Task of ``double``, ending its branch unless it has a Next."""
    return {"Type": "Task", "Resource": DOUBLE, **({} if "Next" in extra else {"End": True}), **extra}


def each(max_concurrency: int, **extra: Any) -> dict[str, Any]:
    return machine(
        {
            "Each": {
                "Type": "Map",
                "MaxConcurrency": max_concurrency,
                "ItemSelector": {"n.$": "$$.Map.Item.Value"},
                "ItemProcessor": {"StartAt": "Double", "States": {"Double": task(**extra)}},
                "Next": "Last",
            },
            "Last": {"Type": "Pass", "End": True},
        }
    )


def drive(definition: dict[str, Any], value: Any) -> tuple[Execution, list[int], Away]:
    """Run ``definition`` with its nested calls dispatched, delivering each round's outcomes; the execution and
    how many calls were in flight in each round."""
    away = Away()
    interpreter = Interpreter(tasks=away, clock=FakeClock())
    ex = interpreter.start(definition, value, **ARNS)
    rounds = []
    while interpreter.advance(ex) is not None:
        rounds.append(away.make(interpreter, ex))
        assert rounds[-1], "the execution waits for nothing"
    return ex, rounds, away


def shape(events: list[dict[str, Any]]) -> Counter[str]:
    """Events without timestamps and ids (concurrent iterations interleave theirs)."""
    drop = ("timestamp", "id", "previousEventId")
    return Counter(json.dumps({k: v for k, v in e.items() if k not in drop}, sort_keys=True) for e in events)


def in_place(definition: dict[str, Any], value: Any) -> dict[str, Any]:
    return run_sync(definition, value, tasks={DOUBLE: double}, clock=FakeClock(), name="e", state_machine_name="sm")


@pytest.mark.parametrize(("limit", "rounds"), [(2, [2, 2, 1]), (0, [5]), (1, [1, 1, 1, 1, 1])])
def test_a_map_has_at_most_max_concurrency_calls_in_flight(limit: int, rounds: list[int]) -> None:
    ex, seen, _ = drive(each(limit), [1, 2, 3, 4, 5])
    assert seen == rounds
    expected = in_place(each(limit), [1, 2, 3, 4, 5])
    assert ex.status == "SUCCEEDED" and ex.output == json.loads(expected["output"])
    assert ex.output == [{"doubled": n} for n in (2, 4, 6, 8, 10)]
    assert "TaskSubmitted" not in [e["type"] for e in ex.events]
    assert shape(ex.events) == shape(expected["history"])
    assert [e["id"] for e in ex.events] == list(range(1, len(ex.events) + 1))


def test_one_iteration_at_a_time_records_the_history_of_the_run_in_place_exactly() -> None:
    ex, _, _ = drive(each(1), [1, 2])
    expected = in_place(each(1), [1, 2])["history"]
    strip = [{k: v for k, v in e.items() if k != "timestamp"} for e in ex.events]
    assert strip == [{k: v for k, v in e.items() if k != "timestamp"} for e in expected]


def test_parallel_branches_are_in_flight_together_and_top_level_tasks_run_in_place() -> None:
    branches = [{"StartAt": n, "States": {n: task(Parameters={"n": i})}} for i, n in enumerate(("A", "B"), 1)]
    definition = machine(
        {
            "First": task(Parameters={"n": 5}, ResultPath="$.first", Next="Both"),
            "Both": {"Type": "Parallel", "Branches": branches, "End": True},
        }
    )
    ex, rounds, away = drive(definition, {})
    assert rounds == [2] and [r.state_name for r in away.top_level] == ["First"]
    assert sorted(r.state_name for r in away.requests.values()) == ["A", "B"]
    assert all(r.nested for r in away.requests.values()) and not away.top_level[0].nested
    expected = in_place(definition, {})
    assert ex.output == json.loads(expected["output"]) == [{"doubled": 2}, {"doubled": 4}]
    assert shape(ex.events) == shape(expected["history"])


def test_a_failed_outcome_is_the_tasks_error_under_its_retry_and_catch() -> None:
    definition = each(
        0,
        Retry=[{"ErrorEquals": ["ValueError"], "MaxAttempts": 1, "IntervalSeconds": 1}],
        Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
        Next="Caught",
    )
    definition["States"]["Each"]["ItemProcessor"]["States"]["Caught"] = {"Type": "Pass", "End": True}
    away = Away()
    clock = FakeClock()
    interpreter = Interpreter(tasks=away, clock=clock)
    ex = interpreter.start(definition, [3, -1], **ARNS)
    rounds = []
    while (wake := interpreter.advance(ex)) is not None:
        if not Interpreter.awaiting(ex):  # the retry's interval
            clock.sleep_until(clock.now().fromtimestamp(wake, clock.now().tzinfo))
            continue
        rounds.append(away.make(interpreter, ex))
    assert rounds == [2, 1]  # the failed call is made again after its interval
    expected = in_place(definition, [3, -1])
    assert ex.output == json.loads(expected["output"])
    assert ex.output[1] == {"Error": "ValueError", "Cause": "negative"}
    assert shape(ex.events) == shape(expected["history"])


def test_a_dispatched_call_times_out_but_has_no_heartbeat() -> None:
    """TimeoutSeconds bounds the wait for the outcome (States.Timeout); HeartbeatSeconds does not apply to a call
    that sends no heartbeat, as it does not to a call made in place."""
    away = Away()
    clock = FakeClock()
    interpreter = Interpreter(tasks=away, clock=clock)
    ex = interpreter.start(each(0, TimeoutSeconds=30, HeartbeatSeconds=5), [1], **ARNS)
    assert interpreter.advance(ex) == clock.now().timestamp() + 30
    clock.advance(30)
    assert interpreter.advance(ex) is None
    assert ex.status == "FAILED" and ex.error == "States.Timeout"
    assert [e["type"] for e in ex.events][-4:] == [
        "LambdaFunctionTimedOut",
        "MapIterationFailed",
        "MapStateFailed",
        "ExecutionFailed",
    ]
    assert not interpreter.deliver(ex, "call-0", {"status": "SUCCEEDED", "output": 1})  # too late: none waits


def test_a_call_in_flight_survives_a_round_trip_through_json() -> None:
    away = Away()
    interpreter = Interpreter(tasks=away, clock=FakeClock())
    ex = interpreter.start(each(0), [4], **ARNS)
    interpreter.advance(ex)
    state = json.loads(json.dumps(ex.to_dict(), default=str))
    restored = Execution.from_dict(state | {"definition": copy.deepcopy(ex.definition), "events": ex.events})
    (key,) = Interpreter.awaiting(restored)
    assert interpreter.deliver(restored, key, {"status": "SUCCEEDED", "output": {"doubled": 8}})
    assert interpreter.advance(restored) is None and restored.output == [{"doubled": 8}]


def fails(_: Any) -> Any:
    raise KeyError("x")


def test_task_outcome_is_what_the_call_in_place_would_record() -> None:
    assert task_outcome(lambda: {"a": 1}) == {"status": "SUCCEEDED", "output": {"a": 1}}
    assert task_outcome(lambda: fails(None)) == {
        "status": "FAILED",
        "error": "States.TaskFailed",
        "cause": "KeyError: 'x'",
    }
    raised = TaskError("Lambda.Unknown", "gone")

    def lost() -> Any:
        raise raised

    assert task_outcome(lost) == {"status": "FAILED", "error": "Lambda.Unknown", "cause": "gone"}
    not_json = task_outcome(lambda: {1, 2})
    assert not_json["error"] == "States.TaskFailed" and not_json["cause"].startswith("The task result is not JSON")
