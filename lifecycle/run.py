"""Plan, and on request apply, a lifecycle configuration over a lake URI; every plan is journaled.

:func:`plan_or_apply` is the one entry point (CLI, Airflow operator). Apply first finishes any apply on
the same URI that a dead process left half done, then plans and carries out the new plan.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lifecycle import journal
from lifecycle.config import LifecycleConfiguration, Rule, load_config
from lifecycle.executors import Executor
from lifecycle.journal import APPLIED, FAILED, Outcome, PlanRecord, Step
from lifecycle.listing import Found, Listing, open_listing
from lifecycle.partitions import follow
from lifecycle.planner import Action, LakeObject, MultipartUpload, plan
from lifecycle.prices import PriceTable, load_prices
from lifecycle.rulesets import ConfigSource, Rules, load_rules
from sluice.clock import as_utc
from sluice.context import SluiceContext
from sluice.errors import ConcurrentRunsExceededException, SluiceError
from sluice.lake.fs import concurrency
from sluice.lake.paths import resolve

if TYPE_CHECKING:
    from rich.progress import Progress

#: Objects planned at a time: memory stays bounded, and a key's versions are never split.
CHUNK = 50_000
#: Actions whose outcomes are journaled in one transaction.
BATCH = 200


def plan_or_apply(
    config: ConfigSource,
    uri: str,
    *,
    apply: bool = False,
    now: datetime | None = None,
    progress: Progress | None = None,
    ctx: SluiceContext | None = None,
) -> dict[str, Any]:
    """Plan ``config`` over ``uri`` (relative paths are under the lake root) and, when ``apply``, carry it out.

    Returns ``{"Actions": [...], "Summary": {...}}``; on apply each action has its ``Status`` (APPLIED or
    FAILED, with an ``Error``).
    """
    ctx = SluiceContext.resolve(ctx)
    target = resolve(uri, ctx=ctx)
    resumed = resume(target, progress, ctx=ctx) if apply else []
    listing = open_listing(target, ctx=ctx)
    rules = load_rules(config, listing)
    listing.tag_prefixes = rules.tag_prefixes
    when = as_utc(now)
    steps, summary = survey(listing, rules, when, progress=progress)
    mode = "APPLY" if apply else "PLAN"
    record = PlanRecord(target, rules.kind, mode, rules.source, rules.document, when, {**summary, **rules.extra})
    plan_id = journal.record(record, steps, ctx=ctx)
    head = {"PlanId": plan_id, "Uri": target, "Kind": rules.kind, "Mode": mode}
    if not apply:
        pending = [row.id for row in journal.unfinished(target, ctx=ctx)]
        extra = {"PendingApplies": pending} if pending else {}
        return {"Actions": [s.action.to_dict() for s in steps], "Summary": {**head, **record.summary, **extra}}
    results, final = drive(plan_id, progress, ctx=ctx)
    extra = {"Resumed": resumed} if resumed else {}
    return {
        "Actions": [_outcome_dict(step, outcome) for step, outcome in results],
        "Summary": {**head, **record.summary, **final, **extra},
    }


def resume(uri: str, progress: Progress | None = None, *, ctx: SluiceContext | None = None) -> list[dict[str, Any]]:
    """Finish every apply on ``uri`` that a dead process left half done; returns their final counts."""
    finished = []
    for row in journal.unfinished(uri, ctx=ctx):
        verdict = journal.liveness(row)
        if verdict.alive:
            raise ConcurrentRunsExceededException(
                f"lifecycle apply {row.id} on {uri} is still running ({verdict.reason})",
                hint="Wait for it to finish; an apply whose process died is resumed by the next apply.",
            )
        if not journal.take_over(row, ctx=ctx):
            raise ConcurrentRunsExceededException(
                f"lifecycle apply {row.id} on {uri} is being resumed by another process",
                hint="Wait for it to finish.",
            )
        _, final = drive(row.id, progress, ctx=ctx)
        finished.append({"PlanId": row.id, **final})
    return finished


def survey(
    listing: Listing,
    rules: Rules,
    now: datetime,
    *,
    prices: PriceTable | None = None,
    progress: Progress | None = None,
) -> tuple[list[Step], dict[str, Any]]:
    """List and plan, a chunk at a time; each action comes with the object's state when planned."""
    prices = prices or load_prices()
    steps: list[Step] = []
    summary: dict[str, Any] = {}
    batch: list[LakeObject] = []
    memo: dict[tuple[str, str | None], Found] = {}
    task = progress.add_task("Listing and planning", total=None) if progress else None

    def flush(uploads: Iterable[MultipartUpload] = ()) -> None:
        result = plan(rules.config, batch, uploads=uploads, now=now, prices=prices)
        steps.extend(Step(a, _before(a, memo.get((a.key, a.version_id)))) for a in result.actions)
        _merge(summary, result.summary)
        if progress is not None and task is not None:
            progress.update(task, advance=len(batch))
        batch.clear()
        memo.clear()

    for found in listing.found():
        if rules.adjust is not None and rules.adjust(found) is None:
            continue
        obj = found.obj
        if len(batch) >= CHUNK and obj.key != batch[-1].key:
            flush()
        batch.append(obj)
        memo[obj.key, obj.version_id] = found
    flush(listing.uploads())
    summary["MonthlyStorageCostBefore"] = _cost(prices, summary["BillableBytesBefore"])
    summary["MonthlyStorageCostAfter"] = _cost(prices, summary["BillableBytesAfter"])
    return steps, summary


def _before(action: Action, found: Found | None) -> dict[str, Any]:
    """The journal's ``before``: the object's state when planned, and the plan's view of it."""
    before: dict[str, Any] = {"Size": action.size, "AgeDays": action.age_days, "Warnings": action.warnings}
    if found is None:
        return {**before, "UploadId": action.upload_id}
    obj = found.obj
    before |= {
        "StorageClass": None if obj.is_delete_marker else obj.storage_class,
        "Created": obj.last_modified.isoformat(),
        "Modified": found.modified,
        "Location": found.location,
    }
    extra = {"ETag": found.etag, "VersionId": obj.version_id, "Tags": dict(obj.tags) or None}
    return before | {name: value for name, value in extra.items() if value is not None}


def _merge(total: dict[str, Any], part: dict[str, Any]) -> None:
    """Add one chunk's plan summary to the running one (costs are recomputed from the bytes at the end)."""
    for name, value in part.items():
        if name not in total:
            total[name] = dict(value) if isinstance(value, dict) else value
        elif isinstance(value, dict):
            merged = total[name]
            for key, count in value.items():
                merged[key] = merged.get(key, 0) + count
            total[name] = dict(sorted(merged.items()))
        elif isinstance(value, list):
            total[name] = sorted({*total[name], *value})
        elif isinstance(value, int):
            total[name] += value


def _cost(prices: PriceTable, billable: dict[str, int]) -> float:
    return round(sum(prices.monthly_cost(billable).values()), 6)


def drive(
    plan_id: str, progress: Progress | None = None, *, ctx: SluiceContext | None = None
) -> tuple[list[tuple[Step, Outcome]], dict[str, Any]]:
    """Carry out a plan's actions still PLANNED, let the catalog follow, and close the plan.

    The plan's heartbeat is renewed meanwhile (:func:`journal.hold`); should another process take the plan
    over (this one was frozen past the lease), the apply stops before its next batch.
    """
    ctx = SluiceContext.resolve(ctx)
    plan_row = journal.plan_row(plan_id, ctx=ctx)
    listing = open_listing(plan_row.uri, ctx=ctx)
    config = load_config(plan_row.config)
    steps = journal.pending(plan_id, ctx=ctx)
    executor = Executor(listing)
    task = progress.add_task("Applying", total=len(steps)) if progress and steps else None
    results: list[tuple[Step, Outcome]] = []
    workers = concurrency(listing.uri)
    with journal.hold(plan_row, ctx=ctx) as held, ThreadPoolExecutor(max_workers=workers) as pool:
        for start in range(0, len(steps), BATCH):
            if held.lost:
                raise ConcurrentRunsExceededException(
                    f"lifecycle apply {plan_id} was taken over by another process; this one stopped",
                    hint=f"See `sluice lifecycle get-plan {plan_id}`.",
                )
            chunk = steps[start : start + BATCH]
            outcomes = list(pool.map(lambda step: _attempt(executor, config, step, plan_row.planned_for), chunk))
            batch = list(zip(chunk, outcomes, strict=True))
            journal.commit(batch, ctx=ctx)
            results += batch
            if progress is not None and task is not None:
                progress.update(task, advance=len(chunk))
        catalog = follow(plan_id, plan_row.kind, ctx=ctx)
        counts = journal.counts(plan_id, ctx=ctx)
        status = FAILED if counts.get(FAILED) else APPLIED
        final = {"Status": status, "Applied": counts.get(APPLIED, 0), "Failed": counts.get(FAILED, 0), **catalog}
        journal.finish(plan_id, status, {**plan_row.summary, **final}, ctx=ctx)
    return results, final


def _attempt(executor: Executor, config: LifecycleConfiguration, step: Step, now: datetime) -> Outcome:
    """Carry out one step, unless its rule no longer selects the object; failures are outcomes, not raised."""
    rule = next((r for r in config.rules if r.enabled and r.label == step.action.rule_id), None)
    if rule is None or not _selects(rule, step):
        return Outcome(FAILED, {"Error": "outside every enabled rule's filter: left alone"})
    try:
        return executor.execute(step, now)
    except (SluiceError, OSError) as exc:
        message = exc.message if isinstance(exc, SluiceError) else f"{type(exc).__name__}: {exc}"
        return Outcome(FAILED, {"Error": message})


def _selects(rule: Rule, step: Step) -> bool:
    """An independent check of the rule's filter against the object as planned."""
    key, size, tags = step.action.key, step.action.size, step.before.get("Tags") or {}
    bounds = rule.filter
    low = bounds.size_greater_than if bounds else None
    high = bounds.size_less_than if bounds else None
    wanted = bounds.tags if bounds else ()
    return (
        key.startswith(rule.prefix)
        and (low is None or size > low)
        and (high is None or size < high)
        and all(tags.get(tag.key) == tag.value for tag in wanted)
    )


def _outcome_dict(step: Step, outcome: Outcome) -> dict[str, Any]:
    out = {**step.action.to_dict(), "Status": outcome.status}
    if "Error" in outcome.after:
        out["Error"] = outcome.after["Error"]
    return out
