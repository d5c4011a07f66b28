"""The lifecycle journal: every plan and action in the metadata DB, so an interrupted apply can resume.

A plan is written whole before anything is touched: one ``lifecycle_plans`` row and one PLANNED
``lifecycle_actions`` row per action, with the object's state when planned (``before``) and the planned
result (``after``). Apply then records each batch of outcomes, with the object state rows they change, in
one transaction. Actions still PLANNED when a process dies are carried out by the next apply on the URI.

An APPLYING plan is a lease (:mod:`sluice.lease`): ``summary["Owner"]`` names the applying process, which
renews ``heartbeat`` while it applies (:func:`hold`). Another apply resumes the plan only once that owner
is gone: at once when it ran on this host, after :data:`STALE_AFTER` without a heartbeat from another host.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, insert, select, update

from lifecycle.models import LifecycleActionRow, LifecyclePlanRow
from lifecycle.planner import TRANSITION, TRANSITION_NONCURRENT, Action
from lifecycle.state import delete_states, upsert_states
from sluice import lease
from sluice.clock import utcnow
from sluice.context import SluiceContext
from sluice.errors import EntityNotFoundException

PLANNED = "PLANNED"
APPLYING = "APPLYING"
APPLIED = "APPLIED"
FAILED = "FAILED"
#: Columns an applied action sets in ``lifecycle_objects``.
STATE_COLUMNS = ("storage_class", "location", "modified", "created_on", "class_since", "restored_until")
HEARTBEAT_SECONDS = 10.0
"""How often an applying process renews its plan's heartbeat."""
STALE_AFTER = timedelta(seconds=60)
"""An apply of another host is taken as dead once its heartbeat is this old."""

_applying: set[str] = set()
"""Plans this process is applying now (an own plan not among them was left by an apply that raised)."""
_applying_lock = threading.Lock()


@dataclass(slots=True)
class Step:
    """One journaled action: what the planner decided, and the object's state when it did."""

    action: Action
    before: dict[str, Any]
    row_id: int | None = None

    def planned(self) -> dict[str, Any]:
        """The state the action is meant to leave."""
        kind = self.action.action
        if kind in (TRANSITION, TRANSITION_NONCURRENT):
            return {"StorageClass": self.action.storage_class}
        return {"Aborted": True} if self.action.upload_id else {"Deleted": True}


@dataclass(slots=True)
class Outcome:
    """What carrying out a step did: ``after`` for the journal, and the object state row to write or forget."""

    status: str
    after: dict[str, Any]
    state: dict[str, Any] | None = None
    forget: tuple[str, str] | None = None


@dataclass(slots=True)
class PlanRecord:
    """The plan-level fields of a journal entry."""

    uri: str
    kind: str
    mode: str
    source: str | None
    config: dict[str, Any]
    now: datetime
    summary: dict[str, Any] = field(default_factory=dict)


def record(plan: PlanRecord, steps: Iterable[Step], *, ctx: SluiceContext | None = None) -> str:
    """Write a plan and its PLANNED actions; returns the new plan id."""
    plan_id = f"lp_{uuid.uuid4().hex}"
    status = APPLYING if plan.mode == "APPLY" else PLANNED
    owner = lease.current_owner().to_dict()
    now = utcnow()
    rows = [
        {
            "plan_id": plan_id,
            "root": plan.uri,
            "key": step.action.key,
            "action": step.action.action,
            "rule_id": step.action.rule_id,
            "status": PLANNED,
            "before": step.before,
            "after": step.planned(),
            "recorded_on": now,
        }
        for step in steps
    ]
    with SluiceContext.resolve(ctx).session() as s:
        s.add(
            LifecyclePlanRow(
                id=plan_id,
                uri=plan.uri,
                kind=plan.kind,
                mode=plan.mode,
                status=status,
                source=plan.source,
                config=plan.config,
                planned_for=plan.now,
                summary={**plan.summary, "Owner": owner},
                heartbeat=now,
            )
        )
        s.flush()
        if rows:
            s.execute(insert(LifecycleActionRow), rows)
    if status == APPLYING:
        with _applying_lock:
            _applying.add(plan_id)
    return plan_id


def pending(plan_id: str, *, ctx: SluiceContext | None = None) -> list[Step]:
    """The plan's actions not yet carried out, in plan order."""
    query = (
        select(LifecycleActionRow)
        .where(LifecycleActionRow.plan_id == plan_id, LifecycleActionRow.status == PLANNED)
        .order_by(LifecycleActionRow.id)
    )
    with SluiceContext.resolve(ctx).session() as s:
        return [_step(row) for row in s.scalars(query)]


def _step(row: LifecycleActionRow) -> Step:
    before = row.before
    transition = row.action in (TRANSITION, TRANSITION_NONCURRENT)
    action = Action(
        row.key,
        row.action,
        row.after.get("StorageClass") if transition else before.get("StorageClass"),
        row.rule_id or "",
        before.get("Size", 0),
        before.get("AgeDays", 0),
        before.get("VersionId"),
        before.get("UploadId"),
        list(before.get("Warnings", [])),
    )
    return Step(action, before, row.id)


def commit(results: list[tuple[Step, Outcome]], *, ctx: SluiceContext | None = None) -> None:
    """Record a batch of outcomes and the object state they leave, in one transaction."""
    with SluiceContext.resolve(ctx).session() as s:
        s.execute(
            update(LifecycleActionRow),
            [{"id": step.row_id, "status": out.status, "after": out.after} for step, out in results],
        )
        upsert_states(s, [out.state for _, out in results if out.state], STATE_COLUMNS)
        delete_states(s, [out.forget for _, out in results if out.forget])


def finish(plan_id: str, status: str, summary: dict[str, Any], *, ctx: SluiceContext | None = None) -> None:
    """Close a plan with its final status and summary."""
    with SluiceContext.resolve(ctx).session() as s:
        row = s.get(LifecyclePlanRow, plan_id)
        if row is not None:
            row.status = status
            row.summary = summary
            row.finished_on = utcnow()
    with _applying_lock:
        _applying.discard(plan_id)


def unfinished(uri: str, *, ctx: SluiceContext | None = None) -> list[LifecyclePlanRow]:
    """Applies on ``uri`` that have not finished, oldest first (running, or interrupted)."""
    query = (
        select(LifecyclePlanRow)
        .where(LifecyclePlanRow.uri == uri, LifecyclePlanRow.status == APPLYING)
        .order_by(LifecyclePlanRow.created_on)
    )
    with SluiceContext.resolve(ctx).session() as s:
        return list(s.scalars(query))


def owner(plan: LifecyclePlanRow) -> lease.Owner | None:
    """The process that holds an APPLYING plan (None for a plan recorded without one)."""
    return lease.Owner.from_dict(plan.summary.get("Owner"))


def liveness(plan: LifecyclePlanRow) -> lease.Verdict:
    """Whether the plan's apply is still in progress, and why: the lease decision on its owner and heartbeat.

    A plan owned by this very process is in progress only while :func:`hold` holds it (otherwise the
    apply that recorded it raised, and the plan is as good as orphaned).
    """
    held = owner(plan)
    me = lease.current_owner()
    if held is not None and (held.host, held.pid, held.boot_id) == (me.host, me.pid, me.boot_id):
        with _applying_lock:
            applying = plan.id in _applying
        return lease.Verdict(applying, f"{me.describe()} (this process) {'is' if applying else 'is not'} applying it")
    return lease.judge(held, plan.heartbeat, ttl=STALE_AFTER)


def running(plan: LifecyclePlanRow) -> bool:
    """True while the plan's apply is in progress in a live process (here or on another host)."""
    return liveness(plan).alive


def take_over(plan: LifecyclePlanRow, *, ctx: SluiceContext | None = None) -> bool:
    """Make this process the owner of a plan whose apply is gone; False when another process took it first.

    Compare-and-set on the heartbeat read, so of two processes resuming one plan only one gets it.
    """
    now = utcnow()
    seen = _heartbeat_is(plan.heartbeat)
    summary = {**plan.summary, "Owner": lease.current_owner().to_dict()}
    with SluiceContext.resolve(ctx).session() as s:
        taken = s.execute(
            update(LifecyclePlanRow)
            .where(LifecyclePlanRow.id == plan.id, LifecyclePlanRow.status == APPLYING, seen)
            .values(heartbeat=now, summary=summary)
            .execution_options(synchronize_session=False)
        ).rowcount
    if taken:
        with _applying_lock:
            _applying.add(plan.id)
    return bool(taken)


def _heartbeat_is(value: datetime | None) -> ColumnElement[bool]:
    """The plan's heartbeat is still ``value`` (what this process last read or wrote)."""
    column = LifecyclePlanRow.heartbeat
    return column.is_(None) if value is None else column == value


class _Heartbeat:
    """Renews one plan's heartbeat, compare-and-set on the last value written: a takeover makes it fail."""

    def __init__(self, plan_id: str, last: datetime | None, ctx: SluiceContext) -> None:
        self.ctx = ctx
        self.plan_id, self.last = plan_id, last

    def __call__(self) -> bool:
        now = utcnow()
        seen = _heartbeat_is(self.last)
        with self.ctx.session() as s:
            renewed = s.execute(
                update(LifecyclePlanRow)
                .where(LifecyclePlanRow.id == self.plan_id, LifecyclePlanRow.status == APPLYING, seen)
                .values(heartbeat=now)
                .execution_options(synchronize_session=False)
            ).rowcount
        if renewed:
            self.last = now
        return bool(renewed)


@contextmanager
def hold(plan: LifecyclePlanRow, *, ctx: SluiceContext | None = None) -> Iterator[lease.Renewer]:
    """Hold a plan's lease while applying it: its heartbeat is renewed; check ``.lost`` between batches."""
    with _applying_lock:
        _applying.add(plan.id)
    renewer = lease.Renewer(
        _Heartbeat(plan.id, plan.heartbeat, SluiceContext.resolve(ctx)),
        every=HEARTBEAT_SECONDS,
        name="sluice-lifecycle",
    )
    try:
        with renewer:
            yield renewer
    finally:
        with _applying_lock:
            _applying.discard(plan.id)


def actions_of(plan_id: str, *, ctx: SluiceContext | None = None) -> list[LifecycleActionRow]:
    """Every action of a plan, in plan order."""
    with SluiceContext.resolve(ctx).session() as s:
        query = select(LifecycleActionRow).where(LifecycleActionRow.plan_id == plan_id)
        return list(s.scalars(query.order_by(LifecycleActionRow.id)))


def recent(uri: str | None = None, limit: int = 20, *, ctx: SluiceContext | None = None) -> list[LifecyclePlanRow]:
    """The latest plans, applies and restores (on ``uri`` only, when given), newest first."""
    query = select(LifecyclePlanRow).order_by(LifecyclePlanRow.created_on.desc()).limit(limit)
    if uri is not None:
        query = query.where(LifecyclePlanRow.uri == uri)
    with SluiceContext.resolve(ctx).session() as s:
        return list(s.scalars(query))


def plan_row(plan_id: str, *, ctx: SluiceContext | None = None) -> LifecyclePlanRow:
    """One plan; EntityNotFoundException when there is none."""
    with SluiceContext.resolve(ctx).session() as s:
        row = s.get(LifecyclePlanRow, plan_id)
        if row is None:
            raise EntityNotFoundException(f"Lifecycle plan {plan_id} not found.")
        return row


def counts(plan_id: str, *, ctx: SluiceContext | None = None) -> dict[str, int]:
    """How many of a plan's actions are in each status."""
    query = (
        select(LifecycleActionRow.status, func.count())
        .where(LifecycleActionRow.plan_id == plan_id)
        .group_by(LifecycleActionRow.status)
    )
    with SluiceContext.resolve(ctx).session() as s:
        return {status: n for status, n in s.execute(query)}
