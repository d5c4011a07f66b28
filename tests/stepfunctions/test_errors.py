"""Retry and Catch, their timing on a fake clock, timeouts and error-name matching."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stepfunctions import TaskError, errors

TASK = "arn:aws:states:::lambda:invoke"


class Flaky:
    """Fails with ``error`` the first ``times`` calls, then returns its parameters."""

    def __init__(self, times: int, error: str = "Lambda.ServiceException") -> None:
        self.times, self.error, self.calls = times, error, 0

    def __call__(self, params: Any) -> Any:
        self.calls += 1
        if self.calls <= self.times:
            raise TaskError(self.error, f"attempt {self.calls}")
        return params


def _task(**fields: Any) -> dict[str, Any]:
    states: dict[str, Any] = {"T": {"Type": "Task", "Resource": TASK, "End": True, **fields}}
    if "Catch" in fields:
        states["Caught"] = {"Type": "Pass", "End": True}
    return {"StartAt": "T", "States": states}


def test_retry_backoff_timing(run, clock):
    flaky = Flaky(3)
    retry = [{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 3, "BackoffRate": 2, "MaxAttempts": 3}]
    out = run(_task(Retry=retry), {"a": 1}, tasks={TASK: flaky})
    assert out["status"] == "SUCCEEDED" and flaky.calls == 4
    assert clock.sleeps == [3.0, 6.0, 12.0]
    assert out["types"].count("TaskScheduled") == 4 and out["types"].count("TaskFailed") == 3


def test_retry_defaults_and_max_delay(run, clock):
    out = run(_task(Retry=[{"ErrorEquals": ["States.ALL"], "MaxDelaySeconds": 3}]), tasks={TASK: Flaky(3)})
    assert out["status"] == "SUCCEEDED"
    assert clock.sleeps == [1.0, 2.0, 3.0]


def test_retry_exhausted_then_caught(run, clock):
    retry = [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 1.5}]
    catch = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}]
    out = run(_task(Retry=retry, Catch=catch), {"a": 1}, tasks={TASK: Flaky(10)})
    assert out["value"] == {"a": 1, "error": {"Error": "Lambda.ServiceException", "Cause": "attempt 3"}}
    assert clock.sleeps == [1.0, 1.5]


def test_first_matching_retrier_only(run, clock):
    retry = [
        {"ErrorEquals": ["Lambda.ServiceException"], "MaxAttempts": 1},
        {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5},
    ]
    out = run(_task(Retry=retry), tasks={TASK: Flaky(2)})
    assert out["status"] == "FAILED" and out["error"] == "Lambda.ServiceException"
    assert clock.sleeps == [1.0]


def test_max_attempts_zero_never_retries(run, clock):
    out = run(_task(Retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}]), tasks={TASK: Flaky(1)})
    assert out["status"] == "FAILED" and clock.sleeps == []


def test_full_jitter_uses_the_injected_randomness(run, clock):
    class Half:
        def uuid(self) -> str:
            return "00000000-0000-4000-8000-000000000000"

        def randint(self, start: int, end: int, seed: int | None) -> int:
            return start

        def uniform(self, low: float, high: float) -> float:
            return (low + high) / 2

        def random(self, seed: int | None) -> float:
            return 0.5

    retry = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 4, "JitterStrategy": "FULL"}]
    run(_task(Retry=retry), tasks={TASK: Flaky(2)}, random=Half())
    assert clock.sleeps == [2.0, 4.0]


def test_retry_count_in_context(run):
    params = {"attempt.$": "$$.State.RetryCount"}
    calls: list[Any] = []

    def record(p: Any) -> Any:
        calls.append(p)
        if len(calls) < 3:
            raise TaskError("Again")
        return p

    out = run(_task(Parameters=params, Retry=[{"ErrorEquals": ["Again"]}]), tasks={TASK: record})
    assert out["value"] == {"attempt": 2}  # Parameters are evaluated again on each retry
    assert [c["attempt"] for c in calls] == [0, 1, 2]
    assert out["types"].count("TaskStateEntered") == 1


def test_task_timeout(run, clock):
    def slow(p: Any) -> Any:
        clock.advance(20)
        return p

    out = run(_task(TimeoutSeconds=10), tasks={TASK: slow})
    assert out["error"] == "States.Timeout"
    assert "TaskTimedOut" in out["types"]
    catch = [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}]
    assert run(_task(TimeoutSeconds=10, Catch=catch), tasks={TASK: slow})["status"] == "FAILED"
    catch = [{"ErrorEquals": ["States.Timeout"], "Next": "Caught"}]
    assert run(_task(TimeoutSeconds=10, Catch=catch), tasks={TASK: slow})["status"] == "SUCCEEDED"


def test_timeout_seconds_path_and_heartbeat_reach_the_runner(run):
    seen: list[Any] = []

    def runner(request: Any) -> Any:
        seen.append((request.timeout_seconds, request.heartbeat_seconds))
        return {}

    run(_task(TimeoutSecondsPath="$.t", HeartbeatSeconds=5), {"t": 30}, tasks=runner)
    assert seen == [(30, 5)]


def test_wait_for_task_token(run):
    tokens: list[Any] = []

    def runner(request: Any) -> Any:
        tokens.append((request.task_token, request.parameters["token"]))
        return {"ok": True}

    definition = _task(Parameters={"token.$": "$$.Task.Token"}, TimeoutSeconds=60)
    definition["States"]["T"]["Resource"] = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
    out = run(definition, tasks=runner)  # the call's result is not the task's: no callback comes, so it times out
    assert (out["status"], out["error"]) == ("FAILED", "States.Timeout")
    assert tokens[0][0] == tokens[0][1] and tokens[0][0]
    assert out["types"][4:6] == ["TaskSubmitted", "TaskTimedOut"]
    assert json.loads(out["history"][4]["taskSubmittedEventDetails"]["output"]) == {"ok": True}


def test_execution_timeout(run, clock):
    definition = {"StartAt": "W", "TimeoutSeconds": 5, "States": {"W": {"Type": "Wait", "Seconds": 10, "End": True}}}
    out = run(definition)
    assert (out["status"], out["error"]) == ("TIMED_OUT", "States.Timeout")
    assert out["types"][-1] == "ExecutionTimedOut"
    assert clock.sleeps == [5.0]


def test_runtime_errors_are_not_caught_by_states_all(run):
    catch = [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]
    out = run(_task(Parameters={"x.$": "$.missing"}, Catch=catch), {}, tasks={TASK: lambda p: p})
    assert out["status"] == "FAILED" and out["error"] == "States.Runtime"


def test_result_selector_failure_is_caught(run):
    catch = [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]
    out = run(_task(ResultPath="$.a.b", Catch=catch), {"a": 1}, tasks={TASK: lambda p: 1})
    assert out["value"]["Error"] == "States.ResultPathMatchFailure"


def test_unhandled_exception_becomes_its_class_name(run):
    def broken(p: Any) -> Any:
        raise KeyError("k")

    out = run(_task(), tasks={TASK: broken})
    assert out["error"] == "KeyError"
    failed = next(e for e in out["history"] if e["type"] == "TaskFailed")["taskFailedEventDetails"]
    assert failed["error"] == "KeyError" and failed["resourceType"] == "lambda"


@pytest.mark.parametrize(
    ("names", "error", "matched"),
    [
        (["States.ALL"], "Custom", True),
        (["States.ALL"], "States.Runtime", False),
        (["States.ALL"], "States.DataLimitExceeded", False),
        (["States.TaskFailed"], "Lambda.Unknown", True),
        (["States.TaskFailed"], "States.Timeout", False),
        (["A", "B"], "B", True),
        (["A"], "B", False),
    ],
)
def test_error_matching(names, error, matched):
    assert errors.matches(names, error) is matched


def test_specification_complex_retry_scenario(run, clock):
    """The specification's example: ErrorA, ErrorB, ErrorC, ErrorB; a retrier's attempts count across errors."""
    errors_in_order = ["ErrorA", "ErrorB", "ErrorC", "ErrorB"]

    def fail(p: Any) -> Any:
        raise TaskError(errors_in_order.pop(0))

    retry = [
        {"ErrorEquals": ["ErrorA", "ErrorB"], "IntervalSeconds": 1, "BackoffRate": 2.0, "MaxAttempts": 2},
        {"ErrorEquals": ["ErrorC"], "IntervalSeconds": 5},
    ]
    catch = [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]
    out = run(_task(Retry=retry, Catch=catch), tasks={TASK: fail})
    assert out["value"] == {"Error": "ErrorB"}
    assert clock.sleeps == [1.0, 2.0, 5.0]


def test_heartbeat_timeout_matches_states_timeout():
    assert errors.matches(["States.Timeout"], "States.HeartbeatTimeout")
    assert errors.matches(["States.HeartbeatTimeout"], "States.HeartbeatTimeout")
    assert not errors.matches(["States.TaskFailed"], "States.HeartbeatTimeout")
