"""Durable executions: StartExecution's recorded execution, run to its end by ``service.runner``.

:func:`run_execution` loads the execution, resumes from its persisted interpreter state, and runs it with
:class:`~stepfunctions.integrations.Integrations` on the context. After every transition the state and the new
history events are written in one transaction, which also tells whether StopExecution ended the execution
meanwhile; Wait states and retry delays sleep in short slices that check the same. The end (status, output,
error, cause) is written with the last events.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from datetime import datetime

from sluice.context import SluiceContext
from stepfunctions import store
from stepfunctions.definition import load
from stepfunctions.integrations import Integrations
from stepfunctions.interpreter import RUNNING, Execution, Interpreter
from stepfunctions.runtime import SystemClock

STOP_CHECK_SECONDS = 0.25
"""How often a sleeping execution checks whether it was stopped."""


class Stopped(Exception):
    """The execution is no longer RUNNING in the store (StopExecution ended it): this run stops here."""


class StoppableClock(SystemClock):
    """The wall clock, whose sleeps end early (:class:`Stopped`) once the execution is no longer RUNNING."""

    def __init__(self, ctx: SluiceContext, execution_arn: str) -> None:
        self.ctx, self.execution_arn = ctx, execution_arn

    def sleep_until(self, when: datetime) -> None:
        while (delay := (when - self.now()).total_seconds()) > 0:
            time.sleep(min(delay, STOP_CHECK_SECONDS))
            with self.ctx.session() as s:
                if store.status_of(s, self.execution_arn) != RUNNING:
                    raise Stopped(self.execution_arn)


class Persister:
    """``on_transition``: writes the execution's state and new events after each transition."""

    def __init__(self, ctx: SluiceContext, persisted: int) -> None:
        self.ctx, self.persisted = ctx, persisted

    def __call__(self, ex: Execution) -> None:
        with self.ctx.session() as s:
            if not store.save_progress(s, ex, self.persisted):
                raise Stopped(ex.execution_arn)
        self.persisted = len(ex.events)


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


def integrations(ctx: SluiceContext, clock: SystemClock) -> Integrations:
    """The task runner of executions run on ``ctx``: Glue through the service layer, nested executions of the
    stored state machines."""
    return Integrations(ctx, clock=clock, state_machines=StoredDefinitions(ctx), poll_clock=clock)


def run_execution(ctx: SluiceContext, execution_arn: str) -> str:
    """Run the recorded execution to its end (or until it is stopped); its final status."""
    with ctx.session() as s:
        row = store.get_execution(s, execution_arn)
        if row.status != RUNNING or row.state is None:
            return row.status
        definition, state = row.definition, dict(row.state)
        state["events"] = store.events(s, execution_arn)
    clock = StoppableClock(ctx, execution_arn)
    persister = Persister(ctx, len(state["events"]))
    tasks = integrations(ctx, clock)
    ex = Execution.from_dict(state | {"definition": load(definition, check_resource=tasks.check_resource)})
    interpreter = Interpreter(tasks=tasks, clock=clock, on_transition=persister)
    try:
        interpreter.run(ex)
        persister(ex)  # the end and its last events
    except Stopped:
        with ctx.session() as s:
            return store.status_of(s, execution_arn) or store.ABORTED
    return ex.status
