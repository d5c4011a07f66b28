"""The calls of dispatched Tasks (``stepfunctions.durable.Dispatcher``), made where a runner DAG run puts them.

A batch is one DAG run of ``sluice_state_tasks``: :func:`batch_keys` lists its calls, a mapped task instance
makes each (:func:`make_call`) with the task runner the execution itself would use, and writes its outcome as
the call made in place would have ended (``interpreter.task_outcome``), which wakes the deferred execution.
:func:`settle` then fails with ``States.TaskFailed`` every call of the batch left without an outcome (its
worker was killed, or its task failed before writing one), so no Task waits for ever; a call that has its
outcome is never made again.
"""

from __future__ import annotations

from sluice.context import SluiceContext
from stepfunctions import store
from stepfunctions.durable import integrations
from stepfunctions.errors import TASK_FAILED
from stepfunctions.interpreter import INTERRUPTED, task_outcome
from stepfunctions.runtime import SystemClock, TaskRequest


def batch_keys(ctx: SluiceContext, batch: str) -> list[str]:
    """The dispatch keys of a batch's calls."""
    with ctx.session() as s:
        return store.batch_keys(s, batch)


def make_call(ctx: SluiceContext, key: str) -> str | None:
    """Make the dispatched call ``key`` and record its outcome; its status (SUCCEEDED or FAILED), or None when
    it was not made: it had an outcome already, or its Task no longer waits for it."""
    with ctx.session() as s:
        recorded = store.dispatched(s, key)
    if recorded is None:
        return None
    request = TaskRequest(**recorded["request"])
    tasks = integrations(ctx, SystemClock(), recorded.get("lambdaRegistry"))
    outcome = task_outcome(lambda: tasks(request))
    with ctx.session() as s:
        store.record_outcome(s, key, outcome)
    return str(outcome["status"])


def settle(ctx: SluiceContext, batch: str) -> int:
    """Fail the calls of ``batch`` that have no outcome (their Tasks fail with States.TaskFailed); how many."""
    with ctx.session() as s:
        return store.fail_batch(s, batch, TASK_FAILED, INTERRUPTED)
