"""Tasks in flight, on a fake clock: ``.waitForTaskToken`` callbacks (success, failure, heartbeats, timeouts)
and runners that return ``Pending`` (a ``.sync`` job polled until it ends), paused and resumed mid-wait."""

from __future__ import annotations

import copy
import json
from typing import Any

from stepfunctions import Execution, FakeClock, FunctionTasks, Interpreter, TaskError
from stepfunctions.runtime import Pending, TaskRequest, is_task_token
from stepfunctions.sync import response
from tests.stepfunctions.conftest import machine
from tests.stepfunctions.durable_runs import IN_FLIGHT_TASK

CALLBACK = "arn:aws:states:::lambda:invoke.waitForTaskToken"
SYNC = "arn:aws:states:::glue:startJobRun.sync"


def notify(**extra: Any) -> dict[str, Any]:
    """A callback Task that hands its token to a function (as a Lambda that notifies a person would)."""
    parameters = {"FunctionName": "notify", "Payload": {"token.$": "$$.Task.Token", "who.$": "$.who"}}
    return {"Type": "Task", "Resource": CALLBACK, "Parameters": parameters, **extra}


class Harness:
    """An interpreter on a fake clock over a callback task that records the payloads it was handed."""

    def __init__(self, definition: dict[str, Any], value: Any = None) -> None:
        self.clock = FakeClock()
        self.payloads: list[Any] = []
        tasks = FunctionTasks({CALLBACK: lambda p: self.payloads.append(p["Payload"]) or {"StatusCode": 200}})
        self.interpreter = Interpreter(tasks=tasks, clock=self.clock)
        self.ex = self.interpreter.start(
            definition,
            {"who": "ada"} if value is None else value,
            execution_arn="arn:aws:states:us-east-1:123456789012:execution:sm:e",
            state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:sm",
            name="e",
        )

    @property
    def token(self) -> str:
        return str(self.payloads[-1]["token"])

    def advance(self, seconds: float = 0) -> float | None:
        self.clock.advance(seconds)
        return self.interpreter.advance(self.ex)

    def types(self) -> list[str]:
        return [e["type"] for e in self.ex.events]


def test_a_task_waits_for_its_token_and_succeeds_with_the_output_sent() -> None:
    h = Harness(machine({"Ask": notify(ResultPath="$.answer", End=True)}))
    wake = h.advance()
    assert h.ex.status == "RUNNING" and wake is not None
    assert is_task_token(h.token) and h.payloads == [{"token": h.token, "who": "ada"}]
    assert h.interpreter.awaiting(h.ex) == [h.token]
    assert h.advance(3600) is not None  # nothing came: it waits on
    assert h.interpreter.deliver(h.ex, h.token, {"status": "SUCCEEDED", "output": {"ok": True}})
    assert h.advance() is None
    assert json.loads(response(h.ex)["output"]) == {"who": "ada", "answer": {"ok": True}}
    assert h.types() == ["ExecutionStarted", *IN_FLIGHT_TASK, "ExecutionSucceeded"]
    submitted = h.ex.events[4]["taskSubmittedEventDetails"]
    assert submitted["resourceType"] == "lambda" and submitted["resource"] == "invoke.waitForTaskToken"
    assert json.loads(submitted["output"]) == {"StatusCode": 200}
    assert h.token in h.ex.events[2]["taskScheduledEventDetails"]["parameters"]
    assert not h.interpreter.deliver(h.ex, h.token, {"status": "SUCCEEDED", "output": 1})  # closed


def test_a_failure_sent_is_the_tasks_error_and_is_caught() -> None:
    catch = [{"ErrorEquals": ["Rejected"], "ResultPath": "$.error", "Next": "Handled"}]
    h = Harness(machine({"Ask": notify(Catch=catch, End=True), "Handled": {"Type": "Pass", "End": True}}))
    h.advance()
    h.interpreter.deliver(h.ex, h.token, {"status": "FAILED", "error": "Rejected", "cause": "no thanks"})
    assert h.advance() is None
    assert json.loads(response(h.ex)["output"])["error"] == {"Error": "Rejected", "Cause": "no thanks"}
    failed = next(e for e in h.ex.events if e["type"] == "TaskFailed")["taskFailedEventDetails"]
    assert (failed["error"], failed["cause"]) == ("Rejected", "no thanks")


def test_heartbeats_keep_a_task_alive_until_they_stop() -> None:
    retry = [{"ErrorEquals": ["States.HeartbeatTimeout"], "MaxAttempts": 1, "IntervalSeconds": 1}]
    h = Harness(machine({"Ask": notify(HeartbeatSeconds=10, Retry=retry, End=True)}))
    start = h.clock.now().timestamp()
    assert h.advance() == start + 10
    h.clock.advance(8)
    h.interpreter.deliver(h.ex, h.token, {"heartbeat": h.clock.now().timestamp()})
    assert h.advance(4) == start + 18  # 12 s in, alive: the heartbeat at 8 s moved its timeout
    first = h.token
    assert h.advance(7) is not None  # 19 s: timed out, retried after a second with a new token
    assert h.advance(1) is not None and h.token != first and h.interpreter.awaiting(h.ex) == [h.token]
    assert h.advance(11) is None
    assert (h.ex.status, h.ex.error) == ("FAILED", "States.HeartbeatTimeout")
    assert h.types().count("TaskTimedOut") == 2
    scheduled = next(e for e in h.ex.events if e["type"] == "TaskScheduled")["taskScheduledEventDetails"]
    assert scheduled["heartbeatInSeconds"] == 10


def test_timeout_seconds_bounds_the_wait_for_a_token() -> None:
    catch = [{"ErrorEquals": ["States.Timeout"], "Next": "Late"}]
    h = Harness(machine({"Ask": notify(TimeoutSeconds=300, Catch=catch, End=True), "Late": {"Type": "Succeed"}}))
    h.advance()
    assert h.advance(299) is not None
    assert h.advance(1) is None and h.ex.status == "SUCCEEDED"
    timed_out = next(e for e in h.ex.events if e["type"] == "TaskTimedOut")["taskTimedOutEventDetails"]
    assert timed_out["error"] == "States.Timeout"
    assert json.loads(response(h.ex)["output"])["Error"] == "States.Timeout"


class Job:
    """A ``.sync`` runner: start returns Pending, each poll moves the job on until it ends."""

    def __init__(self, polls_to_finish: int, fail: bool = False) -> None:
        self.left, self.fail = polls_to_finish, fail
        self.polls: list[Any] = []
        self.cancelled: list[Any] = []
        self.clock = FakeClock()

    def __call__(self, request: TaskRequest) -> Any:
        return Pending({"RunId": "jr_1"}, self.clock.now().timestamp() + 30, {"JobRunId": "jr_1"})

    def poll(self, request: TaskRequest, handle: Any) -> Any:
        self.polls.append(handle)
        self.left -= 1
        if self.left > 0:
            return Pending(handle, self.clock.now().timestamp() + 30)
        if self.fail:
            raise TaskError("States.TaskFailed", '{"JobRunState":"FAILED"}')
        return {"JobRunState": "SUCCEEDED", **handle}

    def cancel(self, request: TaskRequest, handle: Any) -> None:
        self.cancelled.append(handle)


def _sync_execution(job: Job, **task: Any) -> tuple[Interpreter, Execution]:
    interpreter = Interpreter(tasks=job, clock=job.clock)
    definition = machine({"Run": {"Type": "Task", "Resource": SYNC, "Parameters": {"JobName": "j"}, **task}})
    ex = interpreter.start(
        definition,
        {},
        execution_arn="arn:aws:states:us-east-1:123456789012:execution:sm:e",
        state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:sm",
        name="e",
    )
    return interpreter, ex


def test_a_pending_task_is_polled_until_it_ends_and_survives_a_pause() -> None:
    job = Job(polls_to_finish=3)
    interpreter, ex = _sync_execution(job, End=True)
    now = job.clock.now().timestamp()
    assert interpreter.advance(ex) == now + 30 and job.polls == []
    resumed = Execution.from_dict(copy.deepcopy(ex.to_dict()))  # a new worker picks it up: no second start
    job.clock.advance(30)
    assert interpreter.advance(resumed) == now + 60 and job.polls == [{"RunId": "jr_1"}]
    interpreter.run(resumed)
    assert resumed.status == "SUCCEEDED" and len(job.polls) == 3
    assert json.loads(response(resumed)["output"]) == {"JobRunState": "SUCCEEDED", "RunId": "jr_1"}
    types = [e["type"] for e in resumed.events]
    assert types[2:6] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]


def test_a_pending_task_that_times_out_is_cancelled() -> None:
    job = Job(polls_to_finish=100)
    interpreter, ex = _sync_execution(job, TimeoutSeconds=100, End=True)
    interpreter.run(ex)
    assert (ex.status, ex.error) == ("FAILED", "States.Timeout")
    assert job.cancelled == [{"RunId": "jr_1"}] and len(job.polls) == 3


def test_a_pending_task_that_fails_is_retried_from_its_start() -> None:
    job = Job(polls_to_finish=1, fail=True)
    interpreter, ex = _sync_execution(job, Retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1}], End=True)
    interpreter.run(ex)
    assert ex.status == "FAILED" and len(job.polls) == 2
    assert [e["type"] for e in ex.events].count("TaskSubmitted") == 2
