"""Durable executions: StartExecution's recorded execution, run by ``service.runner`` or an Airflow task.

:func:`resume` loads the execution, resumes from its persisted interpreter state, and runs it with
:class:`~stepfunctions.integrations.Integrations` on the context. After every transition the state and the new
history events are written in one transaction, which also tells whether StopExecution ended the execution
meanwhile; the end (status, output, error, cause) is written with the last events. Between transitions it
sleeps in short slices that check the same, and that end early when a callback Task's outcome arrives
(SendTaskSuccess/SendTaskFailure write it to the task token's row; heartbeats are read before each advance).

With ``defer_after``, :func:`resume` returns instead of sleeping longer than that (a Wait state, a ``.sync``
job's next poll, a Task waiting for its token): the caller (an Airflow task) defers until :func:`due`, holding
no worker slot, and resumes it then. A ``.sync`` job run is persisted once started, so a resumed execution
polls the same run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sluice.clock import utcnow
from sluice.context import SluiceContext
from stepfunctions import store
from stepfunctions.definition import load
from stepfunctions.integrations import Integrations
from stepfunctions.interpreter import RUNNING, Execution, Interpreter
from stepfunctions.runtime import SystemClock, TaskRequest

STOP_CHECK_SECONDS = 0.25
"""How often a sleeping execution checks whether it was stopped or a callback came."""


class Stopped(Exception):
    """The execution is no longer RUNNING in the store (StopExecution ended it): this run stops here."""


@dataclass(frozen=True)
class Progress:
    """Where :func:`resume` left an execution: its status, and while RUNNING when it next has work."""

    status: str
    wake: float | None = None


class StoppableClock(SystemClock):
    """The wall clock, whose sleeps end early (:class:`Stopped`) once the execution is no longer RUNNING, and
    return early when ``callbacks`` is set and a callback Task's outcome has arrived."""

    def __init__(self, ctx: SluiceContext, execution_arn: str) -> None:
        self.ctx, self.execution_arn = ctx, execution_arn
        self.callbacks = False

    def sleep_until(self, when: datetime) -> None:
        while (delay := (when - self.now()).total_seconds()) > 0:
            time.sleep(min(delay, STOP_CHECK_SECONDS))
            with self.ctx.session() as s:
                if store.status_of(s, self.execution_arn) != RUNNING:
                    raise Stopped(self.execution_arn)
                if self.callbacks and store.has_outcome(s, self.execution_arn):
                    return


class Persister:
    """``on_transition``: writes the execution's state and new events after each transition, and, once the
    execution has callback Tasks (``clock.callbacks``), closes the tokens its Tasks no longer wait with."""

    def __init__(self, ctx: SluiceContext, persisted: int, clock: StoppableClock) -> None:
        self.ctx, self.persisted, self.clock = ctx, persisted, clock

    def __call__(self, ex: Execution) -> None:
        with self.ctx.session() as s:
            store.relax_commit(s, ex, self.persisted)
            if not store.save_progress(s, ex, self.persisted):
                raise Stopped(ex.execution_arn)
            if self.clock.callbacks:
                store.close_tokens(s, ex.execution_arn, Interpreter.awaiting(ex) if ex.status == RUNNING else None)
        self.persisted = len(ex.events)

    def register(self, request: TaskRequest, execution_arn: str) -> None:
        """``on_token``: record a callback Task's token before its call is made."""
        assert request.task_token is not None
        with self.ctx.session() as s:
            store.register_token(s, request.task_token, execution_arn, request.state_name, utcnow())
        self.clock.callbacks = True


class StoredDefinitions(Mapping[str, str]):
    """State machine definitions by name, read from the store: the targets of nested executions."""

    def __init__(self, ctx: SluiceContext) -> None:
        self.ctx = ctx

    def __getitem__(self, name: str) -> str:
        with self.ctx.session() as s:
            found = store.definition_named(s, name)
        if found is None:
            raise KeyError(name)
        return found

    def __iter__(self) -> Iterator[str]:
        with self.ctx.session() as s:
            return iter(store.state_machine_names(s))

    def __len__(self) -> int:
        with self.ctx.session() as s:
            return len(store.state_machine_names(s))


def integrations(ctx: SluiceContext, clock: SystemClock, **options: object) -> Integrations:
    """The task runner of executions run on ``ctx``: Glue through the service layer, nested executions of the
    stored state machines; ``options`` are further Integrations fields."""
    return Integrations(ctx, clock=clock, state_machines=StoredDefinitions(ctx), poll_clock=clock, **options)  # type: ignore[arg-type]


def run_execution(ctx: SluiceContext, execution_arn: str) -> str:
    """Run the recorded execution to its end (or until it is stopped); its final status."""
    return resume(ctx, execution_arn).status


def resume(
    ctx: SluiceContext, execution_arn: str, *, defer_after: float | None = None, poll_seconds: float = 2.0
) -> Progress:
    """Run the recorded execution from its persisted state until it ends, is stopped, or (with
    ``defer_after``) would sleep longer than ``defer_after`` seconds; ``.sync`` jobs are polled every
    ``poll_seconds``."""
    with ctx.session() as s:
        row = store.get_execution(s, execution_arn)
        if row.status != RUNNING or row.state is None:
            return Progress(row.status)
        definition, state = row.definition, dict(row.state)
        state["events"] = store.events(s, execution_arn)
        callbacks = store.has_tokens(s, execution_arn)
    clock = StoppableClock(ctx, execution_arn)
    clock.callbacks = callbacks
    persister = Persister(ctx, len(state["events"]), clock)
    tasks = integrations(
        ctx,
        clock,
        defer_sync=True,
        poll_seconds=poll_seconds,
        on_token=lambda request: persister.register(request, execution_arn),
    )
    ex = Execution.from_dict(state | {"definition": load(definition, check_resource=tasks.check_resource)})
    interpreter = Interpreter(tasks=tasks, clock=clock, on_transition=persister)
    try:
        while True:
            if clock.callbacks:
                _deliver(ctx, interpreter, ex)
            wake = interpreter.advance(ex)
            if wake is None:
                break
            target = interpreter.wake_at(ex, wake)
            if defer_after is not None and target - time.time() > defer_after:
                return Progress(RUNNING, target)
            clock.sleep_until(datetime.fromtimestamp(target, UTC))
        persister(ex)  # the end and its last events
    except Stopped:
        with ctx.session() as s:
            return Progress(store.status_of(s, execution_arn) or store.ABORTED)
    return Progress(ex.status)


def _deliver(ctx: SluiceContext, interpreter: Interpreter, ex: Execution) -> None:
    """Hand the callbacks that came (outcomes and heartbeats) to the Tasks waiting for them."""
    with ctx.session() as s:
        arrived = store.callbacks(s, ex.execution_arn)
        taken = [interpreter.deliver(ex, token, outcome) for token, outcome in arrived]
        if not all(taken):  # outcomes no Task waits for any more: closed, so they wake nothing again
            store.close_tokens(s, ex.execution_arn, Interpreter.awaiting(ex))


def due(ctx: SluiceContext, execution_arn: str, wake: float) -> bool:
    """Whether a deferred execution must be resumed now: it is ``wake`` time, a callback Task's outcome came, or
    it is no longer RUNNING (stopped)."""
    if time.time() >= wake:
        return True
    with ctx.session() as s:
        return store.status_of(s, execution_arn) != RUNNING or store.has_outcome(s, execution_arn)
