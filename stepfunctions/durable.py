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

With a ``launcher`` too (an execution run by Airflow), a Task in a Map iteration or a Parallel branch whose call
ends in the call is *dispatched* (:class:`Dispatcher`): its request is recorded, the interpreter awaits its
outcome as a callback's, and the recorded calls are handed to the launcher as ``tasks`` work (a DAG run of
``sluice_state_tasks``, whose mapped task makes each call with the same task runner and writes its outcome:
``stepfunctions.dispatched``). The Map's ``MaxConcurrency`` bounds the iterations, hence the calls, in flight.
The job runs, crawls and nested executions its Tasks start are launched by it too (DAG runs of the runner DAGs),
and a ``states:startExecution.sync`` Task waits for its stored child as for a ``.sync`` job run: deferred.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sluice.clock import utcnow
from sluice.context import SluiceContext
from sluice.errors import SluiceError
from sluice.launch import Launcher, Work
from stepfunctions import store
from stepfunctions.definition import load
from stepfunctions.errors import TASK_FAILED
from stepfunctions.integrations import Integrations, load_registry
from stepfunctions.interpreter import RUNNING, Execution, Interpreter
from stepfunctions.runtime import Dispatched, SystemClock, TaskRequest

STOP_CHECK_SECONDS = 0.25
"""How often a sleeping execution checks whether it was stopped or a callback came."""
BATCH_SIZE = 1000
"""The most calls one runner DAG run makes (Airflow maps a task over at most ``max_map_length``, 1024, items)."""


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
    execution has callback Tasks (``clock.callbacks``), closes the tokens its Tasks no longer wait with.

    On PostgreSQL a transition with no tokens to close is one autocommitted statement (one round trip)."""

    def __init__(self, ctx: SluiceContext, persisted: int, clock: StoppableClock) -> None:
        self.ctx, self.persisted, self.clock = ctx, persisted, clock
        self.engine = ctx.engine()

    def __call__(self, ex: Execution) -> None:
        if not self.clock.callbacks and self.engine.dialect.name == "postgresql":
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                saved = store.save_progress_at_once(conn, ex, self.persisted)
        else:
            with self.ctx.session() as s:
                store.relax_commit(s, ex, self.persisted)
                saved = store.save_progress(s, ex, self.persisted)
                if saved and self.clock.callbacks:
                    awaited = Interpreter.awaiting(ex) if ex.status == RUNNING else None
                    store.close_tokens(s, ex.execution_arn, awaited)
        if not saved:
            raise Stopped(ex.execution_arn)
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


def integrations(
    ctx: SluiceContext, clock: SystemClock, lambda_registry: str | None = None, **options: object
) -> Integrations:
    """The task runner of executions run on ``ctx``: Glue through the service layer, nested executions of the
    stored state machines, the Lambda functions of ``lambda_registry`` (a registry file); ``options`` are
    further Integrations fields."""
    functions = load_registry(Path(lambda_registry)) if lambda_registry else {}
    return Integrations(
        ctx,
        clock=clock,
        functions=functions,
        state_machines=StoredDefinitions(ctx),
        poll_clock=clock,
        **options,  # type: ignore[arg-type]
    )


class Dispatcher:
    """The task runner of an execution run with a launcher: a Task in a Map iteration or Parallel branch whose call
    ends in the call (not a callback Task, nor a deferred ``.sync`` job run, which already wait holding no worker)
    is recorded with its request and returned :class:`Dispatched`; :meth:`launch` hands the recorded calls to
    ``launcher``. Every other call is made by ``tasks``."""

    def __init__(
        self,
        ctx: SluiceContext,
        execution_arn: str,
        tasks: Integrations,
        clock: StoppableClock,
        launcher: Launcher,
        lambda_registry: str | None,
    ) -> None:
        self.ctx, self.execution_arn, self.tasks, self.clock = ctx, execution_arn, tasks, clock
        self.launcher, self.lambda_registry = launcher, lambda_registry
        self.relaunched = False

    def __call__(self, request: TaskRequest) -> Any:
        if not request.nested or request.task_token or self.tasks.defers(request.resource):
            return self.tasks(request)
        key = f"dispatch-{uuid.uuid4()}"
        recorded = {"request": asdict(request), "lambdaRegistry": self.lambda_registry}
        with self.ctx.session() as s:
            store.dispatch(s, key, self.execution_arn, request.state_name, recorded, utcnow())
        self.clock.callbacks = True
        return Dispatched(key)

    def poll(self, request: TaskRequest, handle: Any) -> Any:
        return self.tasks.poll(request, handle)

    def cancel(self, request: TaskRequest, handle: Any) -> None:
        self.tasks.cancel(request, handle)

    def launch(self) -> None:
        """Launch a runner DAG run per batch of the calls dispatched since the last launch; the first time, the
        batches whose calls have not all ended again too (a launch an interrupted worker may not have made: a DAG
        run that exists is kept). A batch that cannot be launched has its calls fail with States.TaskFailed."""
        with self.ctx.session() as s:
            batches = [] if self.relaunched else store.open_batches(s, self.execution_arn)
            batches += store.batch_dispatched(s, self.execution_arn, self._batch_id, BATCH_SIZE)
        self.relaunched = True
        for batch in batches:
            try:
                self.launcher.launch(self.ctx, Work("tasks", batch, self.execution_arn))
            except Exception as exc:  # any launcher failure fails the calls, which the Tasks' Retry/Catch see
                message = exc.message if isinstance(exc, SluiceError) else f"{type(exc).__name__}: {exc}"
                with self.ctx.session() as s:
                    store.fail_batch(s, batch, TASK_FAILED, f"The task could not be started: {message}")

    def _batch_id(self) -> str:
        """A new batch's id, the runner DAG run's id: the execution's name and a unique suffix."""
        name = re.sub(r"[^0-9A-Za-z_.~:+-]", "-", self.execution_arn.rsplit(":", 1)[-1])
        return f"{name}.tasks-{uuid.uuid4().hex[:12]}"


def run_execution(ctx: SluiceContext, execution_arn: str) -> str:
    """Run the recorded execution to its end (or until it is stopped); its final status."""
    return resume(ctx, execution_arn).status


def resume(
    ctx: SluiceContext,
    execution_arn: str,
    *,
    defer_after: float | None = None,
    poll_seconds: float = 2.0,
    launcher: Launcher | None = None,
    lambda_registry: str | None = None,
) -> Progress:
    """Run the recorded execution from its persisted state until it ends, is stopped, or (with
    ``defer_after``) would sleep longer than ``defer_after`` seconds; ``.sync`` jobs are polled every
    ``poll_seconds``, Lambda functions are those of ``lambda_registry`` (by default the settings'
    :meth:`~sluice.settings.Settings.lambda_registry_file`). With ``launcher`` (and ``defer_after``), the calls of
    Tasks in Map iterations and Parallel branches are dispatched to it."""
    if lambda_registry is None and (configured := ctx.settings.lambda_registry_file()) is not None:
        lambda_registry = str(configured)
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
        ctx if launcher is None else ctx.for_caller(ctx.caller, launcher),  # its job runs and children too
        clock,
        lambda_registry,
        defer_sync=True,
        poll_seconds=poll_seconds,
        on_token=lambda request: persister.register(request, execution_arn),
    )
    dispatcher = None
    if launcher is not None and defer_after is not None:
        dispatcher = Dispatcher(ctx, execution_arn, tasks, clock, launcher, lambda_registry)
    ex = Execution.from_dict(state | {"definition": load(definition, check_resource=tasks.check_resource)})
    interpreter = Interpreter(tasks=dispatcher or tasks, clock=clock, on_transition=persister)
    try:
        while True:
            if clock.callbacks:
                _deliver(ctx, interpreter, ex)
            wake = interpreter.advance(ex)
            if wake is None:
                break
            if dispatcher is not None:
                dispatcher.launch()
            target = interpreter.wake_at(ex, wake)
            if defer_after is not None and target - time.time() > defer_after:
                if not _outcome_came(ctx, execution_arn):  # else it is delivered now, not after a deferral
                    return Progress(RUNNING, target)
                continue
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


def _outcome_came(ctx: SluiceContext, execution_arn: str) -> bool:
    with ctx.session() as s:
        return store.has_outcome(s, execution_arn)


def due(ctx: SluiceContext, execution_arn: str, wake: float) -> bool:
    """Whether a deferred execution must be resumed now: it is ``wake`` time, a callback Task's outcome came, or
    it is no longer RUNNING (stopped)."""
    if time.time() >= wake:
        return True
    with ctx.session() as s:
        return store.status_of(s, execution_arn) != RUNNING or store.has_outcome(s, execution_arn)
