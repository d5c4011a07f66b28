"""Rulesets (``dq_rulesets``) and ruleset evaluation runs (``dq_evaluation_runs``) in the metadata DB, in
Glue's shapes.

A run moves STARTING → RUNNING → SUCCEEDED or FAILED, or is cancelled: STARTING → STOPPED, RUNNING →
STOPPING → STOPPED. Every move is one conditional UPDATE (:func:`move_run`), so two parties racing on a run
(the evaluation and a cancel) never both win.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from quality.dqdl import parse
from quality.models import DQEvaluationRunRow, DQRulesetRow
from sluice import lease
from sluice.clock import as_utc, utcnow
from sluice.context import SluiceContext
from sluice.errors import AlreadyExistsException, EntityNotFoundException, InvalidInputException

if TYPE_CHECKING:
    from sqlalchemy import CursorResult
    from sqlalchemy.orm import Session

FINAL = ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT")
ACTIVE = ("RUNNING", "STOPPING")
HEARTBEAT_SECONDS = 10.0
"""How often an evaluating process renews its run's lease."""
LEASE_SECONDS = 60.0
"""A run evaluated on another host whose heartbeat is older than this is taken as dead (on this host: its pid)."""
PENDING_SECONDS = 600.0
"""A STARTING run that no process took within this (its runner DAG run never ran) is taken as lost."""

Row = TypeVar("Row")


def _page(rows: Iterable[Row], keep: Callable[[Row], bool], limit: int) -> tuple[list[Row], bool]:
    """The first ``limit`` rows ``keep`` accepts, and whether another one follows."""
    page: list[Row] = []
    for row in rows:
        if keep(row):
            if len(page) == limit:
                return page, True
            page.append(row)
    return page, False


def moment(value: datetime | float | str, member: str) -> datetime:
    """A request timestamp (a datetime, epoch seconds as the JSON protocol sends them, or ISO 8601) as aware UTC."""
    if isinstance(value, datetime):
        return as_utc(value)
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except ValueError:
        pass
    try:
        return as_utc(datetime.fromisoformat(str(value)))
    except ValueError:
        raise InvalidInputException(f"{member}: {value!r} is not a timestamp.") from None


def _same_table(wanted: dict[str, str], table: dict[str, str] | None) -> bool:
    """Whether ``table`` names the catalog table ``wanted`` does (Sluice has one catalog: CatalogId aside)."""
    return table is not None and all(table.get(k) == wanted[k] for k in ("DatabaseName", "TableName"))


# rulesets ---------------------------------------------------------------------------------------


def _ruleset_row(s: Session, name: str) -> DQRulesetRow:
    row = s.get(DQRulesetRow, name)
    if row is None:
        raise EntityNotFoundException(
            f"Data quality ruleset {name} not found.", hint="List rulesets with ListDataQualityRulesets."
        )
    return row


def _rule_count(name: str, text: str) -> int:
    """The number of rules of DQDL ``text``; InvalidInputException (DQDLSyntaxError) naming the ruleset, the
    line, the column and the rule when it does not parse."""
    return len(parse(text, source=f"ruleset {name}").rules)


def ruleset_shape(row: DQRulesetRow) -> dict[str, Any]:
    """Glue GetDataQualityRuleset."""
    out: dict[str, Any] = {"Name": row.name}
    if row.description is not None:
        out["Description"] = row.description
    out["Ruleset"] = row.ruleset
    if row.target_table:
        out["TargetTable"] = row.target_table
    out |= {"CreatedOn": row.created_on, "LastModifiedOn": row.last_modified_on}
    if row.security_configuration:
        out["DataQualitySecurityConfiguration"] = row.security_configuration
    return out


def _ruleset_item(row: DQRulesetRow) -> dict[str, Any]:
    """Glue DataQualityRulesetListDetails."""
    shaped = ruleset_shape(row)
    keep = ("Name", "Description", "CreatedOn", "LastModifiedOn", "TargetTable")
    return {k: shaped[k] for k in keep if k in shaped} | {"RuleCount": row.rule_count}


def create_ruleset(
    name: str,
    text: str,
    *,
    description: str | None = None,
    target_table: dict[str, str] | None = None,
    tags: dict[str, str] | None = None,
    security_configuration: str | None = None,
    client_token: str | None = None,
    ctx: SluiceContext | None = None,
) -> None:
    """Store a new ruleset; AlreadyExistsException when the name is taken, unless by the same ``client_token``
    (a retried create succeeds, as Glue's idempotency token makes it). The DQDL text must parse."""
    ctx = SluiceContext.resolve(ctx)
    rule_count = _rule_count(name, text)
    try:
        with ctx.session() as s:
            existing = s.get(DQRulesetRow, name)
            if existing is not None:
                if client_token is not None and existing.client_token == client_token:
                    return
                raise AlreadyExistsException(f"Data quality ruleset {name} already exists.")
            s.add(
                DQRulesetRow(
                    name=name,
                    description=description,
                    ruleset=text,
                    rule_count=rule_count,
                    target_table=target_table,
                    security_configuration=security_configuration,
                    client_token=client_token,
                    tags=tags or {},
                )
            )
    except IntegrityError:  # created by a concurrent call between the check and the insert
        raise AlreadyExistsException(f"Data quality ruleset {name} already exists.") from None


def get_ruleset(name: str, *, ctx: SluiceContext | None = None) -> dict[str, Any]:
    """Glue GetDataQualityRuleset; EntityNotFoundException when there is none."""
    with SluiceContext.resolve(ctx).session() as s:
        return ruleset_shape(_ruleset_row(s, name))


def ruleset_texts(names: Collection[str], *, ctx: SluiceContext | None = None) -> dict[str, str]:
    """The DQDL text of each named ruleset; EntityNotFoundException naming every one that does not exist."""
    with SluiceContext.resolve(ctx).session() as s:
        rows = {r.name: r.ruleset for r in s.scalars(select(DQRulesetRow).where(DQRulesetRow.name.in_(names)))}
    missing = [n for n in names if n not in rows]
    if missing:
        raise EntityNotFoundException(f"Data quality ruleset(s) not found: {', '.join(missing)}.")
    return rows


def update_ruleset(
    name: str,
    *,
    description: str | None = None,
    text: str | None = None,
    ctx: SluiceContext | None = None,
) -> dict[str, Any]:
    """Replace a ruleset's description and/or text (those given; the text must parse); returns the ruleset."""
    with SluiceContext.resolve(ctx).session() as s:
        row = _ruleset_row(s, name)
        if description is not None:
            row.description = description
        if text is not None:
            row.ruleset, row.rule_count = text, _rule_count(name, text)
        row.last_modified_on = utcnow()
        return ruleset_shape(row)


def delete_ruleset(name: str, *, ctx: SluiceContext | None = None) -> None:
    """Delete a ruleset (its results stay); EntityNotFoundException when there is none."""
    with SluiceContext.resolve(ctx).session() as s:
        s.delete(_ruleset_row(s, name))


def ruleset_filter(criteria: dict[str, Any], tags: dict[str, str]) -> Callable[[DQRulesetRow], bool]:
    """Whether a ruleset meets Glue's DataQualityRulesetFilterCriteria (Name and Description match exactly,
    the dates bound strictly, TargetTable names the table) and carries every one of ``tags``."""
    bounds = {k: moment(v, f"Filter.{k}") for k, v in criteria.items() if k.endswith(("Before", "After"))}

    def keep(row: DQRulesetRow) -> bool:
        dates = {"Created": row.created_on, "LastModified": row.last_modified_on}
        for key, bound in bounds.items():
            when = dates[key.removesuffix("Before").removesuffix("After")]
            if (when >= bound) if key.endswith("Before") else (when <= bound):
                return False
        if "Name" in criteria and row.name != criteria["Name"]:
            return False
        if "Description" in criteria and row.description != criteria["Description"]:
            return False
        if "TargetTable" in criteria and not _same_table(criteria["TargetTable"], row.target_table):
            return False
        return all(row.tags.get(k) == v for k, v in tags.items())

    return keep


def list_rulesets(
    criteria: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
    *,
    limit: int,
    after: str | None = None,
    ctx: SluiceContext | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the rulesets meeting ``criteria`` and ``tags`` (:func:`ruleset_filter`), by name, those
    after ``after``, and the next page's token (the page's last name)."""
    keep = ruleset_filter(criteria or {}, tags or {})
    with SluiceContext.resolve(ctx).session() as s:
        query = select(DQRulesetRow).order_by(DQRulesetRow.name)
        if after is not None:
            query = query.where(DQRulesetRow.name > after)
        rows, more = _page(s.scalars(query), keep, limit)
        return [_ruleset_item(r) for r in rows], rows[-1].name if more else None


# evaluation runs --------------------------------------------------------------------------------


def new_run_id() -> str:
    """A Glue-style evaluation run id, ``dqrun-<hex>``."""
    return f"dqrun-{uuid.uuid4().hex}"


def record_run(
    *,
    dataset: str,
    data_source: dict[str, Any],
    role: str,
    ruleset_names: list[str],
    number_of_workers: int,
    timeout: int,
    additional_run_options: dict[str, Any] | None = None,
    additional_data_sources: dict[str, Any] | None = None,
    client_token: str | None = None,
    ctx: SluiceContext | None = None,
) -> tuple[str, bool]:
    """Record a STARTING run: its id, and True; the id of the run recorded with the same ``client_token``
    and False, when there is one."""
    with SluiceContext.resolve(ctx).session() as s:
        if client_token is not None:
            query = select(DQEvaluationRunRow.run_id).where(DQEvaluationRunRow.client_token == client_token)
            existing = s.scalars(query).first()
            if existing is not None:
                return existing, False
        row = DQEvaluationRunRow(
            run_id=new_run_id(),
            status="STARTING",
            dataset=dataset,
            data_source=data_source,
            role=role,
            ruleset_names=ruleset_names,
            number_of_workers=number_of_workers,
            timeout=timeout,
            additional_run_options=additional_run_options,
            additional_data_sources=additional_data_sources,
            result_ids=[],
            client_token=client_token,
        )
        s.add(row)
        return row.run_id, True


def move_run(
    run_id: str, was: Collection[str], status: str, *, ctx: SluiceContext | None = None, **values: Any
) -> bool:
    """Move a run in one of the states ``was`` to ``status`` (a final one sets CompletedOn), setting ``values``
    (columns) too; False when the run was in none of them."""
    now = utcnow()
    changes = {"status": status, "last_modified_on": now, **values}
    if status in FINAL:
        changes["completed_on"] = now
    with SluiceContext.resolve(ctx).session() as s:
        query = update(DQEvaluationRunRow).where(
            DQEvaluationRunRow.run_id == run_id, DQEvaluationRunRow.status.in_(was)
        )
        result = cast("CursorResult[Any]", s.execute(query.values(**changes)))
        return bool(result.rowcount)


def take_run(run_id: str, *, ctx: SluiceContext | None = None) -> lease.Owner | None:
    """STARTING → RUNNING, held by this process (its lease): the owner, or None when the run was not STARTING
    (cancelled meanwhile)."""
    owner = lease.current_owner()
    columns = {"owner_host": owner.host, "owner_pid": owner.pid}
    columns |= {"owner_boot_id": owner.boot_id, "owner_pid_started": owner.started}
    return owner if move_run(run_id, ("STARTING",), "RUNNING", ctx=ctx, **columns) else None


def renewer(run_id: str, owner: lease.Owner, *, ctx: SluiceContext | None = None) -> lease.Renewer:
    """Beats the lease of a run this process holds every :data:`HEARTBEAT_SECONDS` (``with`` it while evaluating)."""
    resolved = SluiceContext.resolve(ctx)

    def renew() -> bool:
        held = (
            DQEvaluationRunRow.run_id == run_id,
            DQEvaluationRunRow.status.in_(ACTIVE),
            DQEvaluationRunRow.owner_host == owner.host,
            DQEvaluationRunRow.owner_pid == owner.pid,
        )
        with resolved.session() as s:
            query = update(DQEvaluationRunRow).where(*held).values(last_modified_on=utcnow())
            return bool(cast("CursorResult[Any]", s.execute(query)).rowcount)

    return lease.Renewer(renew, every=HEARTBEAT_SECONDS, name="sluice-dq-heartbeat")


def _reclaim(s: Session, row: DQEvaluationRunRow) -> None:
    """End a run whose process is gone FAILED, naming why: a RUNNING or STOPPING run whose owner died (its pid on
    this host, or no heartbeat from another host for :data:`LEASE_SECONDS`), or a STARTING one no process took
    within :data:`PENDING_SECONDS`."""
    if row.status not in (*ACTIVE, "STARTING"):
        return
    owner = lease.Owner.of(row.owner_host, row.owner_pid, row.owner_boot_id, row.owner_pid_started)
    ttl = PENDING_SECONDS if row.status == "STARTING" else LEASE_SECONDS
    verdict = lease.judge(owner, row.last_modified_on, ttl=timedelta(seconds=ttl))
    if not verdict.alive:
        now = utcnow()
        row.status, row.completed_on, row.last_modified_on = "FAILED", now, now
        row.error_string = f"The run's process stopped: {verdict.reason}."


def finish_run(
    run_id: str, status: str, result_ids: list[str], error: str | None = None, *, ctx: SluiceContext | None = None
) -> str:
    """End a RUNNING run as ``status``, or a run cancelled while it ran (STOPPING) as STOPPED; its final state."""
    if move_run(run_id, ("RUNNING",), status, result_ids=result_ids, error_string=error, ctx=ctx):
        return status
    move_run(run_id, ("STOPPING",), "STOPPED", result_ids=result_ids, ctx=ctx)
    return str(get_run(run_id, ctx=ctx)["Status"])


def cancel_run(run_id: str, *, ctx: SluiceContext | None = None) -> str:
    """Cancel a run: one not yet running is STOPPED, a running one STOPPING (its evaluation ends it STOPPED).

    InvalidInputException for a run that has ended (or is stopping already), naming its state.
    """
    if move_run(run_id, ("STARTING",), "STOPPED", ctx=ctx):
        return "STOPPED"
    if move_run(run_id, ("RUNNING",), "STOPPING", ctx=ctx):
        return "STOPPING"
    status = get_run(run_id, ctx=ctx)["Status"]
    raise InvalidInputException(
        f"Data quality ruleset evaluation run {run_id} is {status}: only a STARTING or RUNNING run can be cancelled."
    )


def _run_row(s: Session, run_id: str) -> DQEvaluationRunRow:
    row = s.get(DQEvaluationRunRow, run_id)
    if row is None:
        raise EntityNotFoundException(
            f"Data quality ruleset evaluation run {run_id} not found.",
            hint="List runs with ListDataQualityRulesetEvaluationRuns.",
        )
    return row


def run_shape(row: DQEvaluationRunRow) -> dict[str, Any]:
    """Glue GetDataQualityRulesetEvaluationRun."""
    out: dict[str, Any] = {"RunId": row.run_id, "DataSource": row.data_source, "Role": row.role}
    out |= {"NumberOfWorkers": row.number_of_workers, "Timeout": row.timeout}
    if row.additional_run_options:
        out["AdditionalRunOptions"] = row.additional_run_options
    out["Status"] = row.status
    if row.error_string:
        out["ErrorString"] = row.error_string
    out |= {"StartedOn": row.started_on, "LastModifiedOn": row.last_modified_on}
    if row.completed_on is not None:
        out["CompletedOn"] = row.completed_on
    out["ExecutionTime"] = int(((row.completed_on or utcnow()) - row.started_on).total_seconds())
    out["RulesetNames"] = row.ruleset_names
    if row.result_ids:  # Glue's list has at least one id, or is absent
        out["ResultIds"] = row.result_ids
    if row.additional_data_sources:
        out["AdditionalDataSources"] = row.additional_data_sources
    return out


def get_run(run_id: str, *, ctx: SluiceContext | None = None) -> dict[str, Any]:
    """Glue GetDataQualityRulesetEvaluationRun (a run whose process is gone is FAILED, :func:`_reclaim`);
    EntityNotFoundException when there is none."""
    with SluiceContext.resolve(ctx).session() as s:
        row = _run_row(s, run_id)
        _reclaim(s, row)
        return run_shape(row)


def run_filter(criteria: dict[str, Any]) -> Callable[[DQEvaluationRunRow], bool]:
    """Whether a run meets Glue's DataQualityRulesetEvaluationRunFilter (but DataSource, which
    :func:`list_runs` selects by): started strictly before/after the bounds, evaluating ``RulesetName``."""
    before, after = (criteria.get(k) for k in ("StartedBefore", "StartedAfter"))
    before = None if before is None else moment(before, "Filter.StartedBefore")
    after = None if after is None else moment(after, "Filter.StartedAfter")
    name = criteria.get("RulesetName")

    def keep(row: DQEvaluationRunRow) -> bool:
        if (before is not None and row.started_on >= before) or (after is not None and row.started_on <= after):
            return False
        return name is None or name in row.ruleset_names

    return keep


def list_runs(
    criteria: dict[str, Any] | None = None,
    *,
    dataset: str | None = None,
    limit: int,
    after: str | None = None,
    ctx: SluiceContext | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the runs of ``dataset`` (every one's when None) meeting ``criteria`` (:func:`run_filter`),
    newest first, those after the run ``after``, and the next page's token (the page's last run id)."""
    keep = run_filter(criteria or {})
    order = (DQEvaluationRunRow.started_on.desc(), DQEvaluationRunRow.run_id.desc())
    with SluiceContext.resolve(ctx).session() as s:
        query = select(DQEvaluationRunRow).order_by(*order)
        if dataset is not None:
            query = query.where(DQEvaluationRunRow.dataset == dataset)
        if after is not None:
            last = s.get(DQEvaluationRunRow, after)
            if last is None:
                raise InvalidInputException(f"NextToken {after!r} is not a token this operation returned.")
            started: datetime = last.started_on
            query = query.where(
                or_(
                    DQEvaluationRunRow.started_on < started,
                    and_(DQEvaluationRunRow.started_on == started, DQEvaluationRunRow.run_id < after),
                )
            )
        rows, more = _page(s.scalars(query), keep, limit)
        for row in rows:
            _reclaim(s, row)
        page = [
            {"RunId": r.run_id, "Status": r.status, "StartedOn": r.started_on, "DataSource": r.data_source}
            for r in rows
        ]
        return page, rows[-1].run_id if more else None
