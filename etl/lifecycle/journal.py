"""The lifecycle journal: every plan and action in the metadata DB, so an interrupted apply can resume.

A plan is written whole before anything is touched: one ``lifecycle_plans`` row and one PLANNED
``lifecycle_actions`` row per action, with the object's state when planned (``before``) and the planned
result (``after``). Apply then records each batch of outcomes, with the object state rows they change, in
one transaction. Actions still PLANNED when a process dies are carried out by the next apply on the URI.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from etl.lifecycle.models import LifecycleActionRow, LifecyclePlanRow
from etl.lifecycle.planner import TRANSITION, TRANSITION_NONCURRENT, Action
from etl.lifecycle.state import delete_states, upsert_states
from sluice.db import session_scope, utcnow
from sluice.errors import EntityNotFoundException

PLANNED = "PLANNED"
APPLYING = "APPLYING"
APPLIED = "APPLIED"
FAILED = "FAILED"
#: Columns an applied action sets in ``lifecycle_objects``.
STATE_COLUMNS = ("storage_class", "location", "modified", "created_on", "class_since", "restored_until")


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


def record(plan: PlanRecord, steps: Iterable[Step]) -> str:
    """Write a plan and its PLANNED actions; returns the new plan id."""
    plan_id = f"lp_{uuid.uuid4().hex}"
    status = APPLYING if plan.mode == "APPLY" else PLANNED
    owner = {"Host": socket.gethostname(), "Pid": os.getpid()}
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
    with session_scope() as s:
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
            )
        )
        s.flush()
        if rows:
            s.execute(insert(LifecycleActionRow), rows)
    return plan_id


def pending(plan_id: str) -> list[Step]:
    """The plan's actions not yet carried out, in plan order."""
    query = (
        select(LifecycleActionRow)
        .where(LifecycleActionRow.plan_id == plan_id, LifecycleActionRow.status == PLANNED)
        .order_by(LifecycleActionRow.id)
    )
    with session_scope() as s:
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


def commit(results: list[tuple[Step, Outcome]]) -> None:
    """Record a batch of outcomes and the object state they leave, in one transaction."""
    with session_scope() as s:
        s.execute(
            update(LifecycleActionRow),
            [{"id": step.row_id, "status": out.status, "after": out.after} for step, out in results],
        )
        upsert_states(s, [out.state for _, out in results if out.state], STATE_COLUMNS)
        delete_states(s, [out.forget for _, out in results if out.forget])


def finish(plan_id: str, status: str, summary: dict[str, Any]) -> None:
    """Close a plan with its final status and summary."""
    with session_scope() as s:
        row = s.get(LifecyclePlanRow, plan_id)
        if row is not None:
            row.status = status
            row.summary = summary
            row.finished_on = utcnow()


def unfinished(uri: str) -> list[LifecyclePlanRow]:
    """Applies on ``uri`` that have not finished, oldest first (running, or interrupted)."""
    query = (
        select(LifecyclePlanRow)
        .where(LifecyclePlanRow.uri == uri, LifecyclePlanRow.status == APPLYING)
        .order_by(LifecyclePlanRow.created_on)
    )
    with session_scope() as s:
        return list(s.scalars(query))


def running(plan: LifecyclePlanRow) -> bool:
    """True when the plan's process runs on this host, is not this process, and has not exited."""
    owner = plan.summary.get("Owner", {})
    pid = owner.get("Pid")
    if owner.get("Host") != socket.gethostname() or not isinstance(pid, int) or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def actions_of(plan_id: str) -> list[LifecycleActionRow]:
    """Every action of a plan, in plan order."""
    with session_scope() as s:
        query = select(LifecycleActionRow).where(LifecycleActionRow.plan_id == plan_id)
        return list(s.scalars(query.order_by(LifecycleActionRow.id)))


def recent(uri: str | None = None, limit: int = 20) -> list[LifecyclePlanRow]:
    """The latest plans, applies and restores (on ``uri`` only, when given), newest first."""
    query = select(LifecyclePlanRow).order_by(LifecyclePlanRow.created_on.desc()).limit(limit)
    if uri is not None:
        query = query.where(LifecyclePlanRow.uri == uri)
    with session_scope() as s:
        return list(s.scalars(query))


def plan_row(plan_id: str) -> LifecyclePlanRow:
    """One plan; EntityNotFoundException when there is none."""
    with session_scope() as s:
        row = s.get(LifecyclePlanRow, plan_id)
        if row is None:
            raise EntityNotFoundException(f"Lifecycle plan {plan_id} not found.")
        return row


def counts(plan_id: str) -> dict[str, int]:
    """How many of a plan's actions are in each status."""
    query = (
        select(LifecycleActionRow.status, func.count())
        .where(LifecycleActionRow.plan_id == plan_id)
        .group_by(LifecycleActionRow.status)
    )
    with session_scope() as s:
        return {status: n for status, n in s.execute(query)}
