"""What the lake costs and what lifecycle plans do to it: the lifecycle report split per catalog table (or
top-level prefix), the latest plan's projected bytes and cost per storage class, and the journal of plans
and their actions with each object's state before and after.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from catalog.models import DatabaseRow, TableRow
from catalog.shapes import iso
from lifecycle.listing import Found, open_listing
from lifecycle.models import LifecycleActionRow, LifecyclePlanRow
from lifecycle.prices import load_prices
from lifecycle.report import summarize
from sluice.context import SluiceContext
from sluice.errors import EntityNotFoundException
from sluice.lake.paths import resolve

__all__ = ["get_lifecycle_plan", "get_storage_cost", "list_lifecycle_plans"]

OTHER = "(other)"


def _table_locations(ctx: SluiceContext) -> list[tuple[str, str]]:
    """``(resolved location + "/", "db.table")`` of every catalog table, the deepest first."""
    with ctx.session() as s:
        rows = s.execute(
            sa.select(DatabaseRow.name, TableRow.name, TableRow.descriptor).join(
                DatabaseRow, TableRow.database_id == DatabaseRow.id
            )
        ).all()
    found = []
    for database, name, descriptor in rows:
        location = (descriptor or {}).get("Location")
        if location:
            try:
                found.append((resolve(location, ctx=ctx).rstrip("/") + "/", f"{database}.{name}"))
            except Exception:  # a location on storage the lake cannot reach (another scheme): not grouped
                continue
    return sorted(found, key=lambda pair: -len(pair[0]))


def group_of(uri: str, key: str, tables: list[tuple[str, str]]) -> str:
    """The catalog table holding the object ``key`` under ``uri``, else the key's first folder."""
    full = f"{uri.rstrip('/')}/{key}"
    table = next((name for location, name in tables if full.startswith(location)), None)
    if table is not None:
        return table
    return key.split("/", 1)[0] + "/" if "/" in key else OTHER


def get_storage_cost(
    ctx: SluiceContext, *, Uri: str | None = None, MaxGroups: int = 20, now: datetime | None = None
) -> dict[str, Any]:
    """``{"Uri", "Currency", "Groups": [{"Name", "StorageClasses": [...], "Total": {...}}], "Total", "Plan"?}``:
    the lifecycle report of ``Uri`` (the lake root by default) per catalog table or top-level prefix, the
    ``MaxGroups`` costliest first (the rest summed as ``(other)``); ``Plan`` is the latest plan on ``Uri``:
    its billable bytes and monthly cost per class before and after."""
    target = resolve(Uri or "", ctx=ctx)
    prices = load_prices()
    when = now or datetime.now(UTC)
    tables = _table_locations(ctx)
    grouped: dict[str, list[Found]] = defaultdict(list)
    for found in open_listing(target, ctx=ctx).found():
        grouped[group_of(target, found.obj.key, tables)].append(found)
    groups = [{"Name": name, **summarize(items, when, prices)} for name, items in grouped.items()]
    groups.sort(key=lambda g: (-g["Total"]["MonthlyCost"], -g["Total"]["Bytes"], g["Name"]))
    if len(groups) > MaxGroups:
        rest = [f for g in groups[MaxGroups:] for f in grouped[g["Name"]]]
        groups = [*groups[:MaxGroups], {"Name": OTHER, **summarize(rest, when, prices)}]
    everything = summarize((f for items in grouped.values() for f in items), when, prices)
    out: dict[str, Any] = {
        "Uri": target,
        "Currency": prices.currency,
        "Groups": [{k: g[k] for k in ("Name", "StorageClasses", "Total")} for g in groups],
        "StorageClasses": everything["StorageClasses"],
        "Total": everything["Total"],
    }
    plan = _latest_plan(ctx, target)
    return out | ({"Plan": plan} if plan else {})


def _latest_plan(ctx: SluiceContext, uri: str) -> dict[str, Any] | None:
    with ctx.session() as s:
        row = s.scalars(
            sa.select(LifecyclePlanRow)
            .where(LifecyclePlanRow.uri == uri, LifecyclePlanRow.kind != "RESTORE")
            .order_by(LifecyclePlanRow.created_on.desc())
            .limit(1)
        ).first()
    if row is None:
        return None
    summary = row.summary or {}
    keys = ("BillableBytesBefore", "BillableBytesAfter", "MonthlyStorageCostBefore", "MonthlyStorageCostAfter")
    return _plan_head(row) | {k: summary.get(k) for k in keys} | {"Actions": summary.get("Actions", {})}


#: Response member → column, of a plan's head and of an action.
PLAN_HEAD = {"PlanId": "id", "Uri": "uri", "Kind": "kind", "Mode": "mode", "Status": "status"}
PLAN_TIMES = {"PlannedFor": "planned_for", "CreatedOn": "created_on", "FinishedOn": "finished_on"}
ACTION = {
    "Key": "key",
    "Action": "action",
    "RuleId": "rule_id",
    "Status": "status",
    "Before": "before",
    "After": "after",
}


def _plan_head(row: LifecyclePlanRow) -> dict[str, Any]:
    head = {member: getattr(row, column) for member, column in PLAN_HEAD.items()}
    return head | {member: iso(getattr(row, column)) for member, column in PLAN_TIMES.items()}


def list_lifecycle_plans(
    ctx: SluiceContext, *, Uri: str | None = None, MaxResults: int = 50, NextToken: str | None = None
) -> dict[str, Any]:
    """``{"Plans": [{head, "ActionCounts": {status: n}, "MonthlyStorageCostBefore"/"After"}], "NextToken"?}``,
    newest first; the action counts are one grouped query for the page."""
    offset = int(NextToken or 0)
    query = (
        sa.select(LifecyclePlanRow).order_by(LifecyclePlanRow.created_on.desc()).offset(offset).limit(MaxResults + 1)
    )
    if Uri:
        query = query.where(LifecyclePlanRow.uri == resolve(Uri, ctx=ctx))
    with ctx.session() as s:
        rows = list(s.scalars(query))
        ids = [r.id for r in rows[:MaxResults]]
        counts: dict[str, dict[str, int]] = defaultdict(dict)
        tally = (
            sa.select(LifecycleActionRow.plan_id, LifecycleActionRow.status, sa.func.count())
            .where(LifecycleActionRow.plan_id.in_(ids))
            .group_by(LifecycleActionRow.plan_id, LifecycleActionRow.status)
        )
        for plan_id, status, n in s.execute(tally):
            counts[plan_id][status] = n
    plans = [
        _plan_head(r)
        | {
            "ActionCounts": counts.get(r.id, {}),
            "MonthlyStorageCostBefore": (r.summary or {}).get("MonthlyStorageCostBefore"),
            "MonthlyStorageCostAfter": (r.summary or {}).get("MonthlyStorageCostAfter"),
        }
        for r in rows[:MaxResults]
    ]
    return {"Plans": plans} | ({"NextToken": str(offset + MaxResults)} if len(rows) > MaxResults else {})


def get_lifecycle_plan(
    ctx: SluiceContext, *, PlanId: str, MaxResults: int = 200, NextToken: str | None = None
) -> dict[str, Any]:
    """One plan: its head, summary and a page of its actions (``Key``, ``Action``, ``RuleId``, ``Status``,
    ``Before``, ``After``) in plan order."""
    offset = int(NextToken or 0)
    with ctx.session() as s:
        row = s.get(LifecyclePlanRow, PlanId)
        if row is None:
            raise EntityNotFoundException(f"Lifecycle plan {PlanId} not found.")
        actions = list(
            s.scalars(
                sa.select(LifecycleActionRow)
                .where(LifecycleActionRow.plan_id == PlanId)
                .order_by(LifecycleActionRow.id)
                .offset(offset)
                .limit(MaxResults + 1)
            )
        )
        out = _plan_head(row) | {
            "Summary": row.summary or {},
            "Actions": [
                {member: getattr(a, column) for member, column in ACTION.items()} for a in actions[:MaxResults]
            ],
        }
    return out | ({"NextToken": str(offset + MaxResults)} if len(actions) > MaxResults else {})
