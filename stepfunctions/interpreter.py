"""The ASL interpreter: a step function over a serializable execution state.

An ``Execution`` holds everything an execution is: a tree of ``Frame`` s (the top level, each Parallel branch
and Map iteration in flight), its variables, its history and its status; ``Execution.to_dict`` and
``Execution.from_dict`` round-trip it through plain JSON-able data. ``Interpreter.advance`` moves every frame
that can move, one state transition at a time (calling ``on_transition`` after each, where a durable layer
persists), and returns the time the execution next has work, or None once it has finished. Tasks run
through the injected ``TaskRunner``, time comes from the injected ``Clock`` and randomness from ``Random``.

A Task in flight waits in the ``await`` phase: a ``.waitForTaskToken`` one for the callback that
:meth:`Interpreter.deliver` hands in (SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat), a ``.sync`` one
whose runner returned :class:`~stepfunctions.runtime.Pending` for its next poll, one whose runner returned
:class:`~stepfunctions.runtime.Dispatched` (its call is made by another worker) for the outcome
:func:`task_outcome` gave there, delivered as a callback is; each until its TimeoutSeconds (``States.Timeout``)
or HeartbeatSeconds (``States.HeartbeatTimeout``, not of a dispatched call: it has no heartbeat) run out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from stepfunctions import choice as choice_rules
from stepfunctions import errors, history, payload, query
from stepfunctions.errors import StatesError, TaskError
from stepfunctions.payload import Scope, dumps
from stepfunctions.runtime import (
    Clock,
    Dispatched,
    FunctionTasks,
    Pending,
    Random,
    SystemClock,
    SystemRandom,
    TaskRequest,
    TaskRunner,
    task_token,
)

JSONPATH, JSONATA = "JSONPath", "JSONata"
RUNNING, SUCCEEDED, FAILED, TIMED_OUT = "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT"
ENTER, INVOKE, WAIT, RETRY, CHILDREN, AWAIT = "enter", "invoke", "wait", "retry", "children", "await"
DEFAULT_TASK_TIMEOUT = 99999999
INTERRUPTED = "The worker running the task stopped before the task reported its result"

ItemReader = Callable[[dict[str, Any], Any], list[Any]]
ResultWriter = Callable[[dict[str, Any], list[Any]], Any]


@lru_cache(maxsize=1024)
def _iso(ts: float) -> str:
    """A context-object timestamp: ISO 8601 UTC with milliseconds, as AWS writes ``$$.Execution.StartTime``."""
    when = datetime.fromtimestamp(ts, UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


@dataclass
class Frame:
    """One running sequence of states: the top level, a Parallel branch or a Map iteration."""

    container: list[str | int]  # path in the definition to the object holding StartAt/States
    state: str
    input: Any
    phase: str = ENTER
    wake: float | None = None
    entered_at: float = 0.0
    entered_id: int = 0
    last_id: int = 0
    retries: list[int] = field(default_factory=list)
    retry_count: int = 0
    work: dict[str, Any] = field(default_factory=dict)
    children: list[Frame] = field(default_factory=list)
    results: list[Any] = field(default_factory=list)
    next_item: int = 0
    failures: int = 0
    variables: dict[str, Any] = field(default_factory=dict)
    isolated: bool = False
    quiet: bool = False
    index: int | None = None
    status: str = RUNNING
    output: Any = None
    error: str | None = None
    cause: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Frame:
        frame = cls(**{k: v for k, v in data.items() if k != "children"})
        frame.children = [cls.from_dict(c) for c in data.get("children", [])]
        return frame


@dataclass
class Execution:
    """An execution's whole state: JSON-able apart from the event timestamps (aware datetimes)."""

    definition: dict[str, Any]
    execution_arn: str
    state_machine_arn: str
    name: str
    input: Any
    start: float
    root: Frame
    events: list[dict[str, Any]] = field(default_factory=list)
    role_arn: str = ""
    status: str = RUNNING
    output: Any = None
    error: str | None = None
    cause: str | None = None
    stop: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Execution:
        fields = dict(data)
        fields["root"] = Frame.from_dict(data["root"])
        fields["events"] = list(data["events"])
        return cls(**fields)


class Interpreter:
    """Runs executions of validated definitions with injected tasks, clock and randomness."""

    def __init__(
        self,
        *,
        tasks: TaskRunner | None = None,
        clock: Clock | None = None,
        random: Random | None = None,
        item_reader: ItemReader | None = None,
        result_writer: ResultWriter | None = None,
        on_transition: Callable[[Execution], None] | None = None,
    ) -> None:
        self.tasks: TaskRunner = tasks or FunctionTasks()
        self.clock: Clock = clock or SystemClock()
        self.random: Random = random or SystemRandom()
        self.item_reader = item_reader
        self.result_writer = result_writer
        self.on_transition = on_transition
        self._functions = query.functions(self.random, lambda: int(self._now() * 1000))

    # ---- lifecycle ----------------------------------------------------------------------------------------

    def start(
        self,
        definition: dict[str, Any],
        input: Any,
        *,
        execution_arn: str,
        state_machine_arn: str,
        name: str,
        role_arn: str = "",
    ) -> Execution:
        """A new execution, with its ExecutionStarted event recorded."""
        now = self._now()
        ex = Execution(
            definition=definition,
            execution_arn=execution_arn,
            state_machine_arn=state_machine_arn,
            name=name,
            input=input,
            start=now,
            root=Frame(container=[], state=definition["StartAt"], input=input),
            role_arn=role_arn,
        )
        details = history.data_details("input", input)
        details["roleArn"] = role_arn
        self._emit(ex, ex.root, "ExecutionStarted", details)
        return ex

    def run(self, ex: Execution) -> Execution:
        """Advance ``ex`` to its end, sleeping on the clock whenever it waits."""
        while True:
            wake = self.advance(ex)
            if wake is None:
                return ex
            self.clock.sleep_until(datetime.fromtimestamp(self.wake_at(ex, wake), UTC))

    def wake_at(self, ex: Execution, wake: float) -> float:
        """When ``ex``, whose frames next have work at ``wake``, must be advanced: then, or at its timeout."""
        deadline = self._deadline(ex)
        return min(wake, deadline) if deadline is not None else wake

    def advance(self, ex: Execution) -> float | None:
        """Run every transition that is due; the epoch second of the next due one, or None when finished."""
        if ex.status != RUNNING:
            return None
        if self._timed_out(ex):
            return None
        wake = self._drive(ex, ex.root, (ex.root.variables,))
        if ex.status == RUNNING and ex.root.status != RUNNING:
            self._finish(ex)
        return wake if ex.status == RUNNING else None

    # ---- scheduling ---------------------------------------------------------------------------------------

    def _drive(self, ex: Execution, frame: Frame, scopes: tuple[dict[str, Any], ...]) -> float | None:
        """Advance ``frame`` while it can; the time it waits for, or None once it has finished."""
        while frame.status == RUNNING and ex.status == RUNNING:
            if self._timed_out(ex):
                return None
            if frame.phase == CHILDREN:
                wake = self._drive_children(ex, frame, scopes)
                if wake is not None or ex.status != RUNNING:
                    return wake
                self._join(ex, frame, scopes)
            elif frame.wake is not None and frame.wake > self._now():
                return frame.wake
            else:
                frame.wake = None
                self._step(ex, frame, scopes)
            if self.on_transition is not None:
                self.on_transition(ex)
        return None

    def _drive_children(self, ex: Execution, frame: Frame, scopes: tuple[dict[str, Any], ...]) -> float | None:
        state = self._state(ex, frame)
        if state["Type"] == "Parallel":
            wake: float | None = None
            for child in frame.children:
                if child.status == RUNNING:
                    w = self._drive(ex, child, (*scopes, child.variables))
                    if child.status == FAILED:
                        return None
                    if w is not None:
                        wake = w if wake is None else min(wake, w)
            return wake
        return self._drive_map(ex, frame, scopes)

    # ---- callbacks ----------------------------------------------------------------------------------------

    @staticmethod
    def awaiting(ex: Execution) -> list[str]:
        """The task tokens (and dispatch keys) of the Tasks that wait for their callback (or outcome)."""
        return [key for f in _frames(ex.root) if (key := _awaited(f))]

    def deliver(self, ex: Execution, token: str, outcome: dict[str, Any]) -> bool:
        """Hand a callback to the Task waiting with ``token`` (a task token or a dispatch key):
        ``{"status": "SUCCEEDED", "output": value}``, ``{"status": "FAILED", "error", "cause"}`` (due at once) or
        ``{"heartbeat": epoch seconds}`` (its heartbeat timer restarts then). False when no Task waits with it."""
        frame = next((f for f in _frames(ex.root) if _awaited(f) == token), None)
        if frame is None:
            return False
        if "heartbeat" in outcome:
            frame.work["heartbeat_at"] = max(frame.work["heartbeat_at"], outcome["heartbeat"])
            frame.wake = self._await_wake(frame.work)
        if "status" in outcome:
            frame.work["callback"], frame.wake = outcome, None
        return True

    def _drive_map(self, ex: Execution, frame: Frame, scopes: tuple[dict[str, Any], ...]) -> float | None:
        items: list[Any] = frame.work["items"]
        limit = frame.work["max_concurrency"] or math.inf
        waits: dict[int, float] = {}

        def drive(child: Frame) -> bool:
            """Drive one iteration; False when the Map must stop (an untolerated failure)."""
            inner = (child.variables,) if child.isolated else (*scopes, child.variables)
            w = self._drive(ex, child, inner)
            if child.status == RUNNING:
                if w is not None:
                    waits[id(child)] = w
                return True
            frame.children.remove(child)
            return self._iteration_done(ex, frame, child)

        for child in list(frame.children):
            if not drive(child):
                return None
        while frame.next_item < len(items) and len(frame.children) < limit:
            child = self._spawn_iteration(ex, frame, frame.next_item)
            frame.next_item += 1
            frame.children.append(child)
            if not drive(child):
                return None
            if ex.status != RUNNING:
                return None
        if not frame.children:
            return None
        pending = [waits[id(c)] for c in frame.children if id(c) in waits]
        return min(pending) if pending else self._now()

    # ---- helpers ------------------------------------------------------------------------------------------

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def _deadline(self, ex: Execution) -> float | None:
        timeout = ex.definition.get("TimeoutSeconds")
        return ex.start + timeout if isinstance(timeout, int) else None

    def _timed_out(self, ex: Execution) -> bool:
        deadline = self._deadline(ex)
        if deadline is None or self._now() < deadline or ex.status != RUNNING:
            return False
        ex.status, ex.error = TIMED_OUT, errors.TIMEOUT
        ex.cause = f"The execution timed out after {ex.definition['TimeoutSeconds']} seconds."
        ex.stop = self._now()
        self._emit(ex, ex.root, "ExecutionTimedOut", {"error": ex.error, "cause": ex.cause}, force=True)
        return True

    def _emit(
        self, ex: Execution, frame: Frame, kind: str, details: dict[str, Any] | None, *, force: bool = False
    ) -> int:
        if frame.quiet and not force:
            return frame.last_id
        event: dict[str, Any] = {
            "timestamp": self.clock.now(),
            "type": kind,
            "id": len(ex.events) + 1,
            "previousEventId": frame.last_id,
        }
        key = history.details_key(kind)
        if key is not None and details is not None:
            event[key] = details
        ex.events.append(event)
        frame.last_id = event["id"]
        return event["id"]

    def _container(self, ex: Execution, frame: Frame) -> dict[str, Any]:
        node: Any = ex.definition
        for key in frame.container:
            node = node[key]
        return node

    def _state(self, ex: Execution, frame: Frame) -> dict[str, Any]:
        return self._container(ex, frame)["States"][frame.state]

    def _language(self, ex: Execution, state: dict[str, Any]) -> str:
        lang = state.get("QueryLanguage") or ex.definition.get("QueryLanguage") or JSONPATH
        return JSONATA if lang == JSONATA else JSONPATH

    def _context(self, ex: Execution, frame: Frame, **extra: Any) -> dict[str, Any]:
        sm_name = ex.state_machine_arn.rsplit(":", 1)[-1]
        context: dict[str, Any] = {
            "Execution": {
                "Id": ex.execution_arn,
                "Input": ex.input,
                "StartTime": _iso(ex.start),
                "Name": ex.name,
                "RoleArn": ex.role_arn,
                "RedriveCount": 0,
            },
            "StateMachine": {"Id": ex.state_machine_arn, "Name": sm_name},
            "State": {"EnteredTime": _iso(frame.entered_at), "Name": frame.state, "RetryCount": frame.retry_count},
        }
        token = frame.work.get("task_token")
        if token:
            context["Task"] = {"Token": token}
        context.update(extra)
        return context

    def _scope(self, ex: Execution, frame: Frame, scopes: tuple[dict[str, Any], ...], **extra: Any) -> Scope:
        def variable(name: str) -> Any:
            for values in reversed(scopes):
                if name in values:
                    return values[name]
            raise KeyError(name)

        return Scope(lambda: self._context(ex, frame, **extra), variable, self.random)

    def _bindings(
        self, ex: Execution, frame: Frame, scopes: tuple[dict[str, Any], ...], states: dict[str, Any]
    ) -> dict[str, Any]:
        bindings: dict[str, Any] = dict(self._functions)
        for values in scopes:
            bindings.update(values)
        bindings["states"] = states
        return bindings

    def _jsonata_states(self, ex: Execution, frame: Frame, **extra: Any) -> dict[str, Any]:
        context = self._context(ex, frame, **{k: v for k, v in extra.items() if k == "Map"})
        states: dict[str, Any] = {"input": frame.input, "context": context}
        states.update({k: v for k, v in extra.items() if k != "Map"})
        return states

    def _located(self, frame: Frame, err: StatesError) -> StatesError:
        if err.located:
            return err
        prefix = (
            f"An error occurred while executing the state '{frame.state}' "
            f"(entered at the event id #{frame.entered_id})."
        )
        cause = f"{prefix} {err.cause}" if err.cause else prefix
        return StatesError(err.error, cause, located=True, location=err.location)

    def _evaluation_failed(self, ex: Execution, frame: Frame, err: StatesError) -> None:
        """A JSONata expression's failure is recorded as an EvaluationFailed event before it propagates."""
        if err.location is not None:
            details = {"error": err.error, "cause": err.cause, "location": err.location, "state": frame.state}
            self._emit(ex, frame, "EvaluationFailed", details)

    # ---- one transition -----------------------------------------------------------------------------------

    def _step(self, ex: Execution, frame: Frame, scopes: tuple[dict[str, Any], ...]) -> None:
        state = self._state(ex, frame)
        try:
            if frame.phase == ENTER:
                self._enter(ex, frame, state, scopes)
            elif frame.phase == INVOKE:
                self._interrupted(ex, frame, state)
            elif frame.phase == RETRY:
                self._run(ex, frame, state, scopes)
            elif frame.phase == WAIT:
                self._complete(ex, frame, state, scopes, frame.work["effective"])
            elif frame.phase == AWAIT:
                self._await(ex, frame, state, scopes)
        except StatesError as err:
            self._failed(ex, frame, state, scopes, self._located(frame, err))

    def _enter(self, ex: Execution, frame: Frame, state: dict[str, Any], scopes: tuple[dict[str, Any], ...]) -> None:
        kind = state["Type"]
        frame.entered_at = self._now()
        frame.retry_count, frame.work, frame.children, frame.results = 0, {}, [], []
        frame.retries = [0] * len(state.get("Retry", []))
        details = {"name": frame.state, **history.data_details("input", frame.input)}
        frame.entered_id = self._emit(ex, frame, history.STATE_EVENTS[kind][0], details)
        lang = self._language(ex, state)
        if kind == "Fail":
            self._fail_state(ex, frame, state, scopes, lang)
            return
        if lang == JSONPATH:
            effective = payload.select_path(state.get("InputPath", "$"), frame.input, self._scope(ex, frame, scopes))
        else:
            effective = frame.input
        frame.work["effective"] = effective
        if kind in ("Pass", "Succeed"):
            self._complete(ex, frame, state, scopes, self._pass_result(ex, frame, state, scopes, lang, effective))
        elif kind == "Choice":
            self._choose(ex, frame, state, scopes, lang, effective)
        elif kind == "Wait":
            frame.wake = self._now() + self._wait_seconds(ex, frame, state, scopes, lang, effective)
            frame.phase = WAIT
        else:
            self._run(ex, frame, state, scopes)

    def _run(self, ex: Execution, frame: Frame, state: dict[str, Any], scopes: tuple[dict[str, Any], ...]) -> None:
        """Start a Task, Parallel or Map's work, on entry and again on each retry: its input processing is
        evaluated each time (``$$.State.RetryCount`` counts the retries)."""
        lang, effective = self._language(ex, state), frame.work["effective"]
        frame.work = {"effective": effective}
        frame.phase = INVOKE
        if state["Type"] == "Task":
            self._prepare_task(ex, frame, state, scopes, lang, effective)
            self._invoke(ex, frame, state, scopes)
        else:
            self._prepare_branches(ex, frame, state, scopes, lang, effective)
            self._spawn(ex, frame, state, scopes)

    def _pass_result(
        self,
        ex: Execution,
        frame: Frame,
        state: dict[str, Any],
        scopes: tuple[dict[str, Any], ...],
        lang: str,
        effective: Any,
    ) -> Any:
        if lang == JSONATA or state["Type"] == "Succeed":
            return effective
        if "Result" in state:
            return state["Result"]
        if "Parameters" in state:
            return payload.render(state["Parameters"], effective, self._scope(ex, frame, scopes))
        return effective

    def _fail_state(
        self, ex: Execution, frame: Frame, state: dict[str, Any], scopes: tuple[dict[str, Any], ...], lang: str
    ) -> None:
        values: dict[str, str | None] = {}
        for key in ("Error", "Cause"):
            if lang == JSONATA:
                value = state.get(key)
                if value is not None:
                    value = query.evaluate(
                        value, self._bindings(ex, frame, scopes, self._jsonata_states(ex, frame)), key
                    )
            elif key + "Path" in state:
                value = payload.dynamic(key + "Path", state[key + "Path"], frame.input, self._scope(ex, frame, scopes))
            else:
                value = state.get(key)
            if value is not None and not isinstance(value, str):
                raise StatesError(errors.RUNTIME, f"The value of '{key}' must be a string, got {dumps(value)}")
            values[key] = value
        frame.status, frame.error, frame.cause = FAILED, values["Error"], values["Cause"]

    def _choose(
        self,
        ex: Execution,
        frame: Frame,
        state: dict[str, Any],
        scopes: tuple[dict[str, Any], ...],
        lang: str,
        effective: Any,
    ) -> None:
        matched: dict[str, Any] | None = None
        index = -1
        if lang == JSONATA:
            bindings = self._bindings(ex, frame, scopes, self._jsonata_states(ex, frame))
            for i, rule in enumerate(state.get("Choices", [])):
                value = query.evaluate(rule.get("Condition"), bindings, f"Choices[{i}]/Condition")
                if not isinstance(value, bool):
                    raise StatesError(
                        errors.QUERY_EVALUATION_ERROR,
                        f"The Condition of Choices[{i}] must evaluate to a boolean, got {dumps(value)}",
                        location=f"Choices[{i}]/Condition",
                    )
                if value:
                    matched, index = rule, i
                    break
        else:
            scope = self._scope(ex, frame, scopes)
            for i, rule in enumerate(state.get("Choices", [])):
                if choice_rules.evaluate(rule, lambda p: payload.resolve(p, effective, scope)):
                    matched, index = rule, i
                    break
        if matched is None and "Default" not in state:
            raise StatesError(errors.NO_CHOICE_MATCHED, "No Choice Rule matched the input and there is no Default.")
        target = matched["Next"] if matched is not None else state["Default"]
        self._complete(
            ex, frame, state, scopes, effective, next_state=target, rule=matched, rule_field=f"Choices[{index}]/"
        )

    def _wait_seconds(
        self,
        ex: Execution,
        frame: Frame,
        state: dict[str, Any],
        scopes: tuple[dict[str, Any], ...],
        lang: str,
        effective: Any,
    ) -> float:
        if lang == JSONATA:
            bindings = self._bindings(ex, frame, scopes, self._jsonata_states(ex, frame))
            seconds = query.evaluate(state["Seconds"], bindings, "Seconds") if "Seconds" in state else None
            stamp = query.evaluate(state["Timestamp"], bindings, "Timestamp") if "Timestamp" in state else None
        else:
            scope = self._scope(ex, frame, scopes)
            seconds, stamp = state.get("Seconds"), state.get("Timestamp")
            if "SecondsPath" in state:
                seconds = payload.select_path(state["SecondsPath"], effective, scope)
            if "TimestampPath" in state:
                stamp = payload.select_path(state["TimestampPath"], effective, scope)
        if "Seconds" in state or "SecondsPath" in state:
            if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
                raise StatesError(
                    errors.RUNTIME, f"The Wait duration must be a non-negative integer, got {dumps(seconds)}"
                )
            return float(seconds)
        when = choice_rules.parse_timestamp(stamp)
        if when is None:
            raise StatesError(errors.RUNTIME, f"The Wait timestamp {dumps(stamp)} is not an ISO 8601 timestamp")
        return max(0.0, when.timestamp() - self._now())

    # ---- Task ---------------------------------------------------------------------------------------------

    def _prepare_task(
        self,
        ex: Execution,
        frame: Frame,
        state: dict[str, Any],
        scopes: tuple[dict[str, Any], ...],
        lang: str,
        effective: Any,
    ) -> None:
        resource: str = state["Resource"]
        if resource.endswith(".waitForTaskToken"):
            frame.work["task_token"] = task_token(self.random.uuid())
        timeouts: dict[str, Any] = {}
        if lang == JSONATA:
            bindings = self._bindings(ex, frame, scopes, self._jsonata_states(ex, frame))
            parameters = (
                query.evaluate(state["Arguments"], bindings, "Arguments") if "Arguments" in state else effective
            )
            for key in ("TimeoutSeconds", "HeartbeatSeconds"):
                if key in state:
                    timeouts[key] = query.evaluate(state[key], bindings, key)
            credentials = query.evaluate(state.get("Credentials"), bindings, "Credentials")
        else:
            scope = self._scope(ex, frame, scopes)
            parameters = payload.render(state["Parameters"], effective, scope) if "Parameters" in state else effective
            for key in ("TimeoutSeconds", "HeartbeatSeconds"):
                if key in state:
                    timeouts[key] = state[key]
                elif key + "Path" in state:
                    timeouts[key] = payload.select_path(state[key + "Path"], effective, scope)
            credentials = payload.render(state.get("Credentials"), effective, scope)
        for key, value in timeouts.items():
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise StatesError(
                    errors.RUNTIME, f"The value of '{key}' must be a positive integer, got {dumps(value)}"
                )
        frame.work.update(
            parameters=parameters,
            timeout=timeouts.get("TimeoutSeconds"),
            heartbeat=timeouts.get("HeartbeatSeconds"),
            credentials=credentials,
        )

    def _invoke(self, ex: Execution, frame: Frame, state: dict[str, Any], scopes: tuple[dict[str, Any], ...]) -> None:
        resource: str = state["Resource"]
        family, names, ids = self._task_kind(resource)
        work = frame.work
        timeout, heartbeat = work.get("timeout"), work.get("heartbeat")
        if family == "task":
            scheduled: dict[str, Any] = {
                **ids,
                "region": ex.execution_arn.split(":")[3],
                "parameters": dumps(work["parameters"]),
            }
        else:
            scheduled = {"resource": resource, **history.data_details("input", work["parameters"])}
        if timeout is not None:
            scheduled["timeoutInSeconds"] = timeout
        if heartbeat is not None and family != "lambda":
            scheduled["heartbeatInSeconds"] = heartbeat
        self._emit(ex, frame, names["scheduled"], scheduled)
        self._emit(ex, frame, names["started"], dict(ids) if family == "task" else {})
        if self.on_transition is not None:  # persisted in flight: a resumed execution knows the call was made
            self.on_transition(ex)
        started = self._now()
        with self._task_events(ex, frame, names, ids):
            result, output = self._call(lambda: self.tasks(self._request(ex, frame, state)))
            if self._now() - started > (timeout or DEFAULT_TASK_TIMEOUT):
                raise TaskError(errors.TIMEOUT, None)
        if isinstance(result, Dispatched):  # made elsewhere: its outcome comes as a callback does
            work.update(dispatch=result.key, started=started, heartbeat_at=started)
            frame.phase, frame.wake = AWAIT, self._await_wake(work)
            return
        if isinstance(result, Pending) or work.get("task_token"):
            if isinstance(result, Pending):
                work.update(handle=result.handle, poll_at=result.poll_at)
            self._emit(ex, frame, "TaskSubmitted", {**ids, **output})
            work.update(started=started, heartbeat_at=started)
            frame.phase, frame.wake = AWAIT, self._await_wake(work)
            return
        self._emit(ex, frame, names["succeeded"], {**ids, **output})
        self._complete(ex, frame, state, scopes, result)

    def _interrupted(self, ex: Execution, frame: Frame, state: dict[str, Any]) -> None:
        """A Task whose call was in flight when its execution was persisted and its worker died: the call's
        outcome is unknown, so the Task fails with ``States.TaskFailed`` (its Retry may make the call again)."""
        _, names, ids = self._task_kind(state["Resource"])
        with self._task_events(ex, frame, names, ids):
            raise TaskError(errors.TASK_FAILED, INTERRUPTED)

    def _await(self, ex: Execution, frame: Frame, state: dict[str, Any], scopes: tuple[dict[str, Any], ...]) -> None:
        """A Task in flight, woken: its callback, its timeout or heartbeat timeout, or its next poll."""
        work, now = frame.work, self._now()
        _, names, ids = self._task_kind(state["Resource"])
        callback = work.pop("callback", None)
        result: Any = None
        output: dict[str, Any] = {}
        done = callback is not None
        with self._task_events(ex, frame, names, ids):
            if callback is not None:
                if callback["status"] != SUCCEEDED:
                    raise TaskError(callback.get("error"), callback.get("cause"))
                result = callback.get("output")
                output = history.data_details("output", result)
            elif now >= work["started"] + (work.get("timeout") or DEFAULT_TASK_TIMEOUT):
                self._cancel(ex, frame, state)
                raise TaskError(errors.TIMEOUT, None)
            elif _heartbeat(work) and now >= work["heartbeat_at"] + work["heartbeat"]:
                self._cancel(ex, frame, state)
                raise TaskError(errors.HEARTBEAT_TIMEOUT, None)
            elif "handle" in work and now >= work["poll_at"]:
                poll = self.tasks.poll  # type: ignore[attr-defined]  # a PollingTaskRunner: it returned Pending
                result, output = self._call(lambda: poll(self._request(ex, frame, state), work["handle"]))
                if isinstance(result, Pending):
                    work.update(handle=result.handle, poll_at=result.poll_at)
                else:
                    done = True
        if not done:  # nothing came yet: wait on
            frame.wake = self._await_wake(work)
            return
        self._emit(ex, frame, names["succeeded"], {**ids, **output})
        self._complete(ex, frame, state, scopes, result)

    def _await_wake(self, work: dict[str, Any]) -> float:
        """When a Task in flight next has something to do: a poll, its timeout or its heartbeat timeout."""
        wake = work["started"] + (work.get("timeout") or DEFAULT_TASK_TIMEOUT)
        if _heartbeat(work):
            wake = min(wake, work["heartbeat_at"] + work["heartbeat"])
        return min(wake, work["poll_at"]) if "handle" in work else wake

    def _cancel(self, ex: Execution, frame: Frame, state: dict[str, Any]) -> None:
        cancel = getattr(self.tasks, "cancel", None)
        if "handle" in frame.work and cancel is not None:
            self._call(lambda: cancel(self._request(ex, frame, state), frame.work["handle"]))

    def _request(self, ex: Execution, frame: Frame, state: dict[str, Any]) -> TaskRequest:
        work = frame.work
        return TaskRequest(
            resource=state["Resource"],
            parameters=work["parameters"],
            state_name=frame.state,
            context=self._context(ex, frame),
            timeout_seconds=work.get("timeout"),
            heartbeat_seconds=work.get("heartbeat"),
            credentials=work.get("credentials"),
            task_token=work.get("task_token"),
            attempt=frame.retry_count,
            nested=bool(frame.container),
        )

    @staticmethod
    def _task_kind(resource: str) -> tuple[str, dict[str, str], dict[str, str]]:
        """A Task's family, its event types, and the members naming its resource in task events."""
        family, resource_type, resource_name = history.resource_kind(resource)
        ids = {"resourceType": resource_type, "resource": resource_name} if family == "task" else {}
        return family, history.task_events(family), ids

    @staticmethod
    def _call(call: Callable[[], Any]) -> tuple[Any, dict[str, Any]]:
        """A runner's call: its result (or Pending) and the result's ``output`` details (a Pending's: what it
        submitted); any failure but a TaskError, a result that is not JSON included, is ``States.TaskFailed``."""
        try:
            result = call()
            if isinstance(result, Dispatched):
                return result, {}
            return result, history.data_details("output", result.submitted if isinstance(result, Pending) else result)
        except TaskError:
            raise
        except (TypeError, ValueError) as err:  # a result that is not JSON
            raise TaskError(errors.TASK_FAILED, f"The task result is not JSON: {err}") from err
        except Exception as err:  # the runner's own failure fails the task, as a service error would
            raise TaskError(errors.TASK_FAILED, f"{type(err).__name__}: {err}") from err

    @contextmanager
    def _task_events(self, ex: Execution, frame: Frame, names: dict[str, str], ids: dict[str, str]) -> Iterator[None]:
        """Record a task's failure (``TaskFailed``, or ``TaskTimedOut`` for the timeouts) as it propagates."""
        try:
            yield
        except TaskError as err:
            kind = names["timed_out"] if err.error in (errors.TIMEOUT, errors.HEARTBEAT_TIMEOUT) else names["failed"]
            details = {**ids, **({"error": err.error} if err.error is not None else {})}
            if err.cause is not None:
                details["cause"] = err.cause
            self._emit(ex, frame, kind, details)
            raise

    # ---- Parallel and Map ---------------------------------------------------------------------------------

    def _prepare_branches(
        self,
        ex: Execution,
        frame: Frame,
        state: dict[str, Any],
        scopes: tuple[dict[str, Any], ...],
        lang: str,
        effective: Any,
    ) -> None:
        if state["Type"] == "Parallel":
            if lang == JSONATA:
                bindings = self._bindings(ex, frame, scopes, self._jsonata_states(ex, frame))
                branch_input = (
                    query.evaluate(state["Arguments"], bindings, "Arguments") if "Arguments" in state else effective
                )
            elif "Parameters" in state:
                branch_input = payload.render(state["Parameters"], effective, self._scope(ex, frame, scopes))
            else:
                branch_input = effective
            frame.work["branch_input"] = branch_input
            return
        items = self._map_items(ex, frame, state, scopes, lang, effective)
        frame.work["items"] = items
        frame.work["max_concurrency"] = self._map_number(ex, frame, state, scopes, lang, effective, "MaxConcurrency")
        distributed = _processor(state).get("ProcessorConfig", {}).get("Mode") == "DISTRIBUTED"
        frame.work["distributed"] = distributed
        frame.work["tolerated_count"] = self._map_number(
            ex, frame, state, scopes, lang, effective, "ToleratedFailureCount"
        )
        frame.work["tolerated_percentage"] = self._map_number(
            ex, frame, state, scopes, lang, effective, "ToleratedFailurePercentage"
        )

    def _map_number(
        self,
        ex: Execution,
        frame: Frame,
        state: dict[str, Any],
        scopes: tuple[dict[str, Any], ...],
        lang: str,
        effective: Any,
        key: str,
    ) -> float:
        if lang == JSONATA and key in state:
            value = query.evaluate(state[key], self._bindings(ex, frame, scopes, self._jsonata_states(ex, frame)), key)
        elif key + "Path" in state:
            value = payload.select_path(state[key + "Path"], effective, self._scope(ex, frame, scopes))
        else:
            value = state.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise StatesError(errors.RUNTIME, f"The value of '{key}' must be a non-negative number, got {dumps(value)}")
        return float(value)

    def _map_items(
        self,
        ex: Execution,
        frame: Frame,
        state: dict[str, Any],
        scopes: tuple[dict[str, Any], ...],
        lang: str,
        effective: Any,
    ) -> list[Any]:
        if "ItemReader" in state:
            reader = dict(state["ItemReader"])
            if lang == JSONATA:
                bindings = self._bindings(ex, frame, scopes, self._jsonata_states(ex, frame))
                reader["Arguments"] = query.evaluate(reader.get("Arguments"), bindings, "ItemReader.Arguments")
            else:
                reader["Parameters"] = payload.render(
                    reader.get("Parameters"), effective, self._scope(ex, frame, scopes)
                )
            if self.item_reader is None:
                raise StatesError(errors.ITEM_READER_FAILED, "No ItemReader is configured for this interpreter")
            try:
                source = self.item_reader(reader, effective)
            except StatesError:
                raise
            except Exception as err:  # a reader's failure is the Map's States.ItemReaderFailed
                raise StatesError(errors.ITEM_READER_FAILED, str(err)) from err
            limit = (reader.get("ReaderConfig") or {}).get("MaxItems")
            if isinstance(source, list) and isinstance(limit, int) and limit > 0:
                source = source[:limit]
        elif lang == JSONATA:
            bindings = self._bindings(ex, frame, scopes, self._jsonata_states(ex, frame))
            source = query.evaluate(state["Items"], bindings, "Items") if "Items" in state else effective
        else:
            source = payload.select_path(state.get("ItemsPath", "$"), effective, self._scope(ex, frame, scopes))
        if not isinstance(source, list):
            field_name = "Items" if lang == JSONATA else "ItemsPath"
            raise StatesError(
                errors.RUNTIME, f"The {field_name} field must select a JSON array, but selected {dumps(source)}"
            )
        items = [self._select_item(ex, frame, state, scopes, lang, effective, i, v) for i, v in enumerate(source)]
        return self._batch(ex, frame, state, scopes, lang, effective, items)

    def _select_item(
        self,
        ex: Execution,
        frame: Frame,
        state: dict[str, Any],
        scopes: tuple[dict[str, Any], ...],
        lang: str,
        effective: Any,
        index: int,
        value: Any,
    ) -> Any:
        selector = state.get("ItemSelector", state.get("Parameters"))
        if selector is None:
            return value
        item = {"Item": {"Index": index, "Value": value}}
        if lang == JSONATA:
            bindings = self._bindings(ex, frame, scopes, self._jsonata_states(ex, frame, Map=item))
            return query.evaluate(selector, bindings, "ItemSelector")
        return payload.render(selector, effective, self._scope(ex, frame, scopes, Map=item))

    def _batch(
        self,
        ex: Execution,
        frame: Frame,
        state: dict[str, Any],
        scopes: tuple[dict[str, Any], ...],
        lang: str,
        effective: Any,
        items: list[Any],
    ) -> list[Any]:
        batcher = state.get("ItemBatcher")
        if batcher is None:
            return items
        if lang == JSONATA:
            bindings = self._bindings(ex, frame, scopes, self._jsonata_states(ex, frame))
            batcher = query.evaluate(batcher, bindings, "ItemBatcher")
            batch_input = batcher.get("BatchInput")
        else:
            scope = self._scope(ex, frame, scopes)
            batcher = dict(batcher)
            for key in ("MaxItemsPerBatch", "MaxInputBytesPerBatch"):
                if key + "Path" in batcher:
                    batcher[key] = payload.select_path(batcher[key + "Path"], effective, scope)
            batch_input = payload.render(batcher.get("BatchInput"), effective, scope)
        max_items = batcher.get("MaxItemsPerBatch") or len(items) or 1
        max_bytes = batcher.get("MaxInputBytesPerBatch") or history.MAX_PAYLOAD
        batches: list[Any] = []
        current: list[Any] = []
        for item in items:
            trial = [*current, item]
            if current and (len(trial) > max_items or len(dumps(trial).encode()) > max_bytes):
                batches.append(current)
                trial = [item]
            current = trial
        if current:
            batches.append(current)
        wrap = (
            (lambda b: {"BatchInput": batch_input, "Items": b}) if batch_input is not None else (lambda b: {"Items": b})
        )
        return [wrap(b) for b in batches]

    def _spawn(self, ex: Execution, frame: Frame, state: dict[str, Any], scopes: tuple[dict[str, Any], ...]) -> None:
        """Start the branches of a Parallel (or the run of a Map): its children, and its Started event."""
        frame.children, frame.results, frame.next_item, frame.failures = [], [], 0, 0
        frame.phase = CHILDREN
        if state["Type"] == "Parallel":
            self._emit(ex, frame, "ParallelStateStarted", None)
            for i, branch in enumerate(state["Branches"]):
                child = Frame(
                    container=[*frame.container, "States", frame.state, "Branches", i],
                    state=branch["StartAt"],
                    input=frame.work["branch_input"],
                    last_id=frame.last_id,
                    index=i,
                )
                frame.children.append(child)
            return
        items = frame.work["items"]
        frame.results = [None] * len(items)
        self._emit(ex, frame, "MapStateStarted", {"length": len(items)})
        if frame.work["distributed"]:
            run_arn = ex.execution_arn.replace(":execution:", ":mapRun:").replace(":express:", ":mapRun:")
            frame.work["map_run_arn"] = f"{run_arn}/{frame.state}:{self.random.uuid()}"
            self._emit(ex, frame, "MapRunStarted", {"mapRunArn": frame.work["map_run_arn"]})

    def _spawn_iteration(self, ex: Execution, frame: Frame, index: int) -> Frame:
        state = self._state(ex, frame)
        key = "ItemProcessor" if "ItemProcessor" in state else "Iterator"
        processor = state[key]
        distributed = frame.work["distributed"]
        child = Frame(
            container=[*frame.container, "States", frame.state, key],
            state=processor["StartAt"],
            input=frame.work["items"][index],
            index=index,
            isolated=distributed,
            quiet=distributed or frame.quiet,
        )
        self._emit(ex, frame, "MapIterationStarted", {"name": frame.state, "index": index})
        child.last_id = frame.last_id
        return child

    def _iteration_done(self, ex: Execution, frame: Frame, child: Frame) -> bool:
        assert child.index is not None
        frame.last_id = max(frame.last_id, child.last_id)
        details = {"name": frame.state, "index": child.index}
        if child.status == SUCCEEDED:
            frame.results[child.index] = child.output
            self._emit(ex, frame, "MapIterationSucceeded", details)
            return True
        self._emit(ex, frame, "MapIterationFailed", details)
        frame.failures += 1
        if frame.work["distributed"]:
            frame.results[child.index] = _error_output(child.error, child.cause)
            total = max(len(frame.work["items"]), 1)
            count, percentage = frame.work["tolerated_count"], frame.work["tolerated_percentage"]
            if frame.failures <= count or (percentage and frame.failures * 100 / total <= percentage):
                return True
            frame.error = errors.EXCEED_TOLERATED_FAILURE_THRESHOLD
            frame.cause = "The specified tolerated failure threshold was exceeded"
        else:
            frame.error, frame.cause = child.error, child.cause
        for other in frame.children:
            self._emit(ex, frame, "MapIterationAborted", {"name": frame.state, "index": other.index})
        frame.children = []
        frame.work["failed"] = True
        return False

    def _join(self, ex: Execution, frame: Frame, scopes: tuple[dict[str, Any], ...]) -> None:
        state = self._state(ex, frame)
        for child in frame.children:
            frame.last_id = max(frame.last_id, child.last_id)
        try:
            if state["Type"] == "Parallel":
                failed = next((c for c in frame.children if c.status == FAILED), None)
                if failed is not None:
                    self._emit(ex, frame, "ParallelStateFailed", None)
                    raise StatesError(failed.error or errors.BRANCH_FAILED, failed.cause, located=True)
                self._emit(ex, frame, "ParallelStateSucceeded", None)
                result = [c.output for c in frame.children]
            else:
                if frame.work.pop("failed", False):
                    if frame.work["distributed"]:
                        self._emit(ex, frame, "MapRunFailed", {"error": frame.error, "cause": frame.cause})
                    self._emit(ex, frame, "MapStateFailed", None)
                    raise StatesError(frame.error or errors.BRANCH_FAILED, frame.cause, located=True)
                if frame.work["distributed"]:
                    self._emit(ex, frame, "MapRunSucceeded", None)
                self._emit(ex, frame, "MapStateSucceeded", None)
                result = self._write_results(ex, frame, state, frame.results)
            frame.children, frame.results = [], []
            self._complete(ex, frame, state, scopes, result)
        except StatesError as err:
            frame.children, frame.results = [], []
            self._failed(ex, frame, state, scopes, self._located(frame, err))

    def _write_results(self, ex: Execution, frame: Frame, state: dict[str, Any], results: list[Any]) -> Any:
        writer = state.get("ResultWriter")
        if writer is None or self.result_writer is None:
            return results
        try:
            details = self.result_writer(writer, results)
        except Exception as err:  # a writer's failure is the Map's States.ResultWriterFailed
            raise StatesError(errors.RESULT_WRITER_FAILED, str(err)) from err
        return {"MapRunArn": frame.work.get("map_run_arn"), "ResultWriterDetails": details}

    # ---- leaving a state ----------------------------------------------------------------------------------

    def _complete(
        self,
        ex: Execution,
        frame: Frame,
        state: dict[str, Any],
        scopes: tuple[dict[str, Any], ...],
        result: Any,
        *,
        next_state: str | None = None,
        rule: dict[str, Any] | None = None,
        rule_field: str = "",
    ) -> None:
        """Leave a state with its result: output and variables from Output/Assign (a matched Choice rule's own,
        named ``Choices[i]/...`` in errors, before the state's) or from ResultSelector/ResultPath/OutputPath."""
        kind = state["Type"]
        with_result = kind in ("Task", "Parallel", "Map", "Pass")
        rule = rule or {}
        assign_spec = rule.get("Assign", state.get("Assign"))
        assign_field = f"{rule_field}Assign" if "Assign" in rule else "Assign"
        if self._language(ex, state) == JSONATA:
            extra = {"result": result} if kind in ("Task", "Parallel", "Map") else {}
            bindings = self._bindings(ex, frame, scopes, self._jsonata_states(ex, frame, **extra))
            output_spec = rule.get("Output", state.get("Output"))
            output_field = f"{rule_field}Output" if "Output" in rule else "Output"
            default = result if kind in ("Task", "Parallel", "Map") else frame.input
            output = query.evaluate(output_spec, bindings, output_field) if output_spec is not None else default
            assigned = query.evaluate(assign_spec, bindings, assign_field) if assign_spec is not None else None
        else:
            scope = self._scope(ex, frame, scopes)
            if kind in ("Task", "Parallel", "Map") and "ResultSelector" in state:
                result = payload.render(state["ResultSelector"], result, scope)
            assigned = payload.render(assign_spec, result, scope) if assign_spec is not None else None
            if with_result:
                merged = payload.apply_result_path(state.get("ResultPath", "$"), frame.input, result)
            else:
                merged = result
            output = payload.select_path(state.get("OutputPath", "$"), merged, scope)
        self._leave(ex, frame, state, output, assigned, next_state or state.get("Next"))

    def _leave(
        self,
        ex: Execution,
        frame: Frame,
        state: dict[str, Any],
        output: Any,
        assigned: dict[str, Any] | None,
        next_state: str | None,
    ) -> None:
        text = dumps(output)
        if len(text.encode()) > history.MAX_PAYLOAD:
            raise StatesError(
                errors.DATA_LIMIT_EXCEEDED,
                f"The state/task '{frame.state}' returned a result with a size exceeding the maximum number of "
                f"bytes service limit.",
                located=True,
            )
        details: dict[str, Any] = {"name": frame.state, "output": text, "outputDetails": {"truncated": False}}
        if assigned:
            frame.variables.update(assigned)
            details["assignedVariables"] = {k: dumps(v) for k, v in assigned.items()}
            details["assignedVariablesDetails"] = {"truncated": False}
        exit_kind = history.STATE_EVENTS[state["Type"]][1]
        assert exit_kind is not None
        self._emit(ex, frame, exit_kind, details)
        frame.work, frame.phase, frame.wake = {}, ENTER, None
        if next_state is None or state["Type"] == "Succeed":
            frame.status, frame.output = SUCCEEDED, output
        else:
            frame.state, frame.input = next_state, output

    def _failed(
        self, ex: Execution, frame: Frame, state: dict[str, Any], scopes: tuple[dict[str, Any], ...], err: StatesError
    ) -> None:
        """An error in a state: retry it, catch it, or fail the frame with it."""
        self._evaluation_failed(ex, frame, err)
        if state["Type"] in ("Task", "Parallel", "Map") and "effective" in frame.work:
            if self._retry(frame, state, err):
                return
            for i, catcher in enumerate(state.get("Catch", [])):
                if errors.matches(catcher["ErrorEquals"], err.error):
                    self._catch(ex, frame, state, scopes, i, err)
                    return
        frame.status, frame.error, frame.cause = FAILED, err.error, err.cause
        frame.children = []

    def _retry(self, frame: Frame, state: dict[str, Any], err: StatesError) -> bool:
        for i, retrier in enumerate(state.get("Retry", [])):
            if not errors.matches(retrier["ErrorEquals"], err.error):
                continue
            if frame.retries[i] >= retrier.get("MaxAttempts", 3):
                return False
            delay = retrier.get("IntervalSeconds", 1) * retrier.get("BackoffRate", 2.0) ** frame.retries[i]
            if "MaxDelaySeconds" in retrier:
                delay = min(delay, retrier["MaxDelaySeconds"])
            if retrier.get("JitterStrategy") == "FULL":
                delay = self.random.uniform(0, delay)
            frame.retries[i] += 1
            frame.retry_count += 1
            frame.phase, frame.wake = RETRY, self._now() + delay
            return True
        return False

    def _catch(
        self,
        ex: Execution,
        frame: Frame,
        state: dict[str, Any],
        scopes: tuple[dict[str, Any], ...],
        index: int,
        err: StatesError,
    ) -> None:
        catcher = state["Catch"][index]
        error_output = _error_output(err.error, err.cause)
        frame.children = []
        try:
            if self._language(ex, state) == JSONATA:
                states = self._jsonata_states(ex, frame, errorOutput=error_output)
                bindings = self._bindings(ex, frame, scopes, states)
                where = f"Catch[{index}]/"
                output = (
                    query.evaluate(catcher["Output"], bindings, where + "Output")
                    if "Output" in catcher
                    else error_output
                )
                assigned = (
                    query.evaluate(catcher["Assign"], bindings, where + "Assign") if "Assign" in catcher else None
                )
            else:
                scope = self._scope(ex, frame, scopes)
                assigned = payload.render(catcher["Assign"], error_output, scope) if "Assign" in catcher else None
                output = payload.apply_result_path(catcher.get("ResultPath", "$"), frame.input, error_output)
            self._leave(ex, frame, state, output, assigned, catcher["Next"])
        except StatesError as failure:
            located = self._located(frame, failure)
            self._evaluation_failed(ex, frame, located)
            frame.status, frame.error, frame.cause = FAILED, located.error, located.cause

    # ---- the end ------------------------------------------------------------------------------------------

    def _finish(self, ex: Execution) -> None:
        root = ex.root
        ex.stop = self._now()
        if root.status == SUCCEEDED:
            ex.status, ex.output = SUCCEEDED, root.output
            self._emit(ex, root, "ExecutionSucceeded", history.data_details("output", root.output))
        else:
            ex.status, ex.error, ex.cause = FAILED, root.error, root.cause
            details = {k: v for k, v in (("error", root.error), ("cause", root.cause)) if v is not None}
            self._emit(ex, root, "ExecutionFailed", details)


def task_outcome(call: Callable[[], Any]) -> dict[str, Any]:
    """The outcome of a Task's call made away from its execution (a :class:`~stepfunctions.runtime.Dispatched`
    one), as :meth:`Interpreter.deliver` takes it: ``{"status": "SUCCEEDED", "output"}`` or ``{"status":
    "FAILED", "error", "cause"}``, with the errors the call made in place records."""
    try:
        result, _ = Interpreter._call(call)
    except TaskError as err:
        return {"status": FAILED, "error": err.error, "cause": err.cause}
    return {"status": SUCCEEDED, "output": result}


def _awaited(frame: Frame) -> str | None:
    """The task token or dispatch key ``frame``'s Task in flight waits with, if any."""
    if frame.phase != AWAIT:
        return None
    return frame.work.get("task_token") or frame.work.get("dispatch")


def _heartbeat(work: dict[str, Any]) -> int | None:
    """A Task in flight's HeartbeatSeconds: none for a dispatched call (no heartbeat comes from it)."""
    return None if "dispatch" in work else work.get("heartbeat")


def _frames(frame: Frame) -> Iterator[Frame]:
    """``frame`` and every frame under it."""
    yield frame
    for child in frame.children:
        yield from _frames(child)


def _processor(state: dict[str, Any]) -> dict[str, Any]:
    return state.get("ItemProcessor") or state.get("Iterator") or {}


def _error_output(error: str | None, cause: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"Error": error}
    if cause is not None:
        out["Cause"] = cause
    return out
