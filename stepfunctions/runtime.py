"""What the interpreter is given rather than reaching for: a clock, randomness and a task runner."""

from __future__ import annotations

import base64
import binascii
import random as _random
import time
import uuid as _uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from stepfunctions.errors import TaskError


class Clock(Protocol):
    """Time for the interpreter: ``now`` and ``sleep_until`` (a fake clock just moves on)."""

    def now(self) -> datetime: ...

    def sleep_until(self, when: datetime) -> None: ...


class SystemClock:
    """The wall clock, timezone-aware UTC; ``sleep_until`` really sleeps."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep_until(self, when: datetime) -> None:
        delay = (when - self.now()).total_seconds()
        if delay > 0:
            time.sleep(delay)


class FakeClock:
    """A clock that only moves when slept on or advanced: Wait states and retries take no real time."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2024, 1, 1, tzinfo=UTC)
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.current

    def sleep_until(self, when: datetime) -> None:
        if when > self.current:
            self.sleeps.append((when - self.current).total_seconds())
            self.current = when

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class Random(Protocol):
    """Randomness for States.UUID/$uuid, States.MathRandom/$random and Retry jitter."""

    def uuid(self) -> str: ...

    def randint(self, start: int, end: int, seed: int | None) -> int: ...

    def uniform(self, low: float, high: float) -> float: ...

    def random(self, seed: int | None) -> float: ...


class SystemRandom:
    """Python's randomness; a seeded draw is reproducible, as AWS's is for a given seed."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = _random.Random(seed)

    def uuid(self) -> str:
        return str(_uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def randint(self, start: int, end: int, seed: int | None) -> int:
        rng = _random.Random(seed) if seed is not None else self._rng
        return rng.randrange(start, end)

    def uniform(self, low: float, high: float) -> float:
        return self._rng.uniform(low, high)

    def random(self, seed: int | None) -> float:
        return (_random.Random(seed) if seed is not None else self._rng).random()


@dataclass(frozen=True)
class TaskRequest:
    """One Task invocation: the resource ARN, the evaluated parameters and what else the state declares."""

    resource: str
    parameters: Any
    state_name: str
    context: Mapping[str, Any]
    timeout_seconds: int | None = None
    heartbeat_seconds: int | None = None
    credentials: Any = None
    task_token: str | None = None
    attempt: int = 0
    nested: bool = False  # the Task is in a Map iteration or a Parallel branch


TOKEN_PREFIX = "sluice-task:"


def task_token(unique: str) -> str:
    """The task token of a ``.waitForTaskToken`` invocation (``$$.Task.Token``): opaque text, as AWS's are."""
    return base64.urlsafe_b64encode(f"{TOKEN_PREFIX}{unique}".encode()).decode().rstrip("=")


def is_task_token(text: str) -> bool:
    """Whether ``text`` has the form of a :func:`task_token` (SendTask* calls with any other are InvalidToken)."""
    try:
        decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    return decoded.startswith(TOKEN_PREFIX) and len(decoded) > len(TOKEN_PREFIX)


@dataclass(frozen=True)
class Pending:
    """What a TaskRunner returns for a task still in flight (a ``.sync`` job run): ``handle`` (JSON-able) names
    it for :meth:`PollingTaskRunner.poll` at ``poll_at`` (epoch seconds); ``submitted`` is the output of the
    call that started it (the TaskSubmitted event's)."""

    handle: Any
    poll_at: float
    submitted: Any = None


@dataclass(frozen=True)
class Dispatched:
    """What a TaskRunner returns for a Task it handed to another worker: the interpreter awaits its outcome,
    which :meth:`~stepfunctions.interpreter.Interpreter.deliver` hands in under ``key`` as a callback's (no
    TaskSubmitted event: the history is the one the call made in place records)."""

    key: str


class TaskRunner(Protocol):
    """Runs a Task: returns its result (or :class:`Pending`, :class:`Dispatched`), or raises
    ``TaskError(error, cause)``."""

    def __call__(self, request: TaskRequest) -> Any: ...


class PollingTaskRunner(TaskRunner, Protocol):
    """A TaskRunner whose tasks may be :class:`Pending`: ``poll`` gives the result (or Pending again) or raises
    TaskError; ``cancel`` stops a task that timed out."""

    def poll(self, request: TaskRequest, handle: Any) -> Any: ...

    def cancel(self, request: TaskRequest, handle: Any) -> None: ...


@dataclass
class FunctionTasks:
    """A TaskRunner over a mapping of resource ARN to ``callable(parameters) -> result``.

    An exception other than TaskError becomes the error named by its class, as Lambda reports
    unhandled exceptions; an unknown resource fails with ``States.TaskFailed``.
    """

    functions: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)

    def __call__(self, request: TaskRequest) -> Any:
        fn = self.functions.get(request.resource)
        if fn is None:
            raise TaskError("States.TaskFailed", f"No task is registered for the resource '{request.resource}'")
        try:
            return fn(request.parameters)
        except TaskError:
            raise
        except Exception as err:  # the task's own failure becomes its error name, as AWS reports it
            raise TaskError(type(err).__name__, str(err)) from err
