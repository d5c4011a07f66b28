"""Crawler definitions in Glue's CreateCrawler/GetCrawler shapes, their state, run history and metrics.

A running crawler holds a *lease* (:mod:`sluice.lease`): the ``owner_*`` columns name the crawl's
process and ``crawlers.state_changed`` is its heartbeat while the state is RUNNING or STOPPING. A crawl
whose process died reads as READY, and the next StartCrawler reclaims it, marking the orphaned crawl
FAILED: at once when it ran on this host (its pid is gone), after :data:`LEASE_SECONDS` without a
heartbeat when it ran on another.
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
import uuid
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from catalog.crawler.grouping import COMBINE_COMPATIBLE_SCHEMAS
from catalog.crawler.schedule import validate as validate_schedule
from catalog.models import CrawlerRow, CrawlRunRow
from catalog.shapes import iso
from sluice import lease
from sluice.clock import utcnow
from sluice.context import SluiceContext
from sluice.errors import (
    AlreadyExistsException,
    ConcurrentRunsExceededException,
    EntityNotFoundException,
    InvalidInputException,
    SluiceError,
)
from sluice.globs import compile_globs
from sluice.lake.paths import resolve

UPDATE_BEHAVIORS = ("UPDATE_IN_DATABASE", "LOG")
DELETE_BEHAVIORS = ("DEPRECATE_IN_DATABASE", "DELETE_FROM_DATABASE", "LOG")
RECRAWL_BEHAVIORS = ("CRAWL_EVERYTHING", "CRAWL_NEW_FOLDERS_ONLY")
ACTIVE_STATES = ("RUNNING", "STOPPING")
LEASE_SECONDS = 60.0
"""A crawler RUNNING on another host whose heartbeat is older than this is taken as dead and may be reclaimed."""
PENDING_SECONDS = 600.0
"""A crawl StartCrawler claimed for a launcher, which no process has taken over yet, is lost after this."""
HEARTBEAT_SECONDS = 5.0
"""How often a running crawl renews its lease (and notices a StopCrawler)."""
_GLUE_CRAWL_STATES = {"RUNNING": "RUNNING", "SUCCEEDED": "COMPLETED", "FAILED": "FAILED", "CANCELLED": "STOPPED"}


class CrawlerRunningException(ConcurrentRunsExceededException):
    """The crawler is already running (Glue's CrawlerRunningException)."""


class CrawlerNotRunningException(SluiceError):
    """StopCrawler on a crawler that is not running (Glue's CrawlerNotRunningException)."""


class CrawlCancelled(SluiceError):
    """The crawl was stopped (StopCrawler, Ctrl-C) or lost its lease; nothing was written."""


@dataclass
class CrawlerOptions:
    """Everything a crawl needs, with Glue's defaults.

    ``table_level`` is the folder depth of tables below the include path (1: its sub-folders). Glue's
    TableLevelConfiguration counts from the bucket instead (level 1 is the bucket's top-level folder);
    Sluice keeps the include-relative meaning so one definition works on any lake root.
    """

    database_name: str
    paths: list[str]
    exclusions: list[str] = field(default_factory=list)
    table_prefix: str = ""
    update_behavior: str = "UPDATE_IN_DATABASE"
    delete_behavior: str = "DEPRECATE_IN_DATABASE"
    recrawl_behavior: str = "CRAWL_EVERYTHING"
    sample_size: int | None = None
    schedule: str | None = None
    table_level: int | None = None
    table_threshold: int | None = None
    grouping_policy: str | None = None
    add_new_columns_only: bool = False
    partitions_inherit_from_table: bool = False

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("--update-behavior", self.update_behavior, UPDATE_BEHAVIORS),
            ("--delete-behavior", self.delete_behavior, DELETE_BEHAVIORS),
            ("--recrawl-policy", self.recrawl_behavior, RECRAWL_BEHAVIORS),
            ("--grouping-policy", self.grouping_policy, (None, COMBINE_COMPATIBLE_SCHEMAS)),
        ):
            if value not in allowed:
                choices = ", ".join(a for a in allowed if a)
                raise InvalidInputException(f"{name} must be one of {choices}, got {value!r}")
        if not self.paths:
            raise InvalidInputException("A crawler needs at least one include path (--path)")
        if not self.database_name:
            raise InvalidInputException("A crawler needs a --database-name")
        _check_range("--sample-size", self.sample_size, 1, 249, "files per leaf folder")
        _check_range("--table-level", self.table_level, 0, None, "folder levels below the include path")
        _check_range("--table-threshold", self.table_threshold, 1, None, "tables")
        if self.schedule is not None:
            validate_schedule(self.schedule)
        compile_globs(self.exclusions)  # raises GlobSyntaxError for a malformed pattern
        self.paths = [p.strip() for p in self.paths]  # blanks typed around are dropped
        if self.recrawl_behavior == "CRAWL_NEW_FOLDERS_ONLY":
            # Glue: an incremental crawl only adds; schema changes and deletions are logged.
            self.update_behavior = self.delete_behavior = "LOG"

    def resolved(self, ctx: SluiceContext | None = None) -> CrawlerOptions:
        """These options with their include paths as stored: relative ones under the context's lake root."""
        return replace(self, paths=[resolve(p, ctx=ctx) for p in self.paths])

    def to_definition(self) -> dict[str, Any]:
        """Glue's crawler fields (Targets, SchemaChangePolicy, RecrawlPolicy, Configuration …)."""
        configuration: dict[str, Any] = {"Version": 1.0, "Grouping": {}, "CrawlerOutput": {}}
        if self.grouping_policy:
            configuration["Grouping"]["TableGroupingPolicy"] = self.grouping_policy
        if self.table_level is not None:
            configuration["Grouping"]["TableLevelConfiguration"] = self.table_level
        tables: dict[str, Any] = {}
        if self.add_new_columns_only:
            tables["AddOrUpdateBehavior"] = "MergeNewColumns"
        if self.table_threshold is not None:
            tables["TableThreshold"] = self.table_threshold
        if tables:
            configuration["CrawlerOutput"]["Tables"] = tables
        if self.partitions_inherit_from_table:
            configuration["CrawlerOutput"]["Partitions"] = {"AddOrUpdateBehavior": "InheritFromTable"}
        target: dict[str, Any] = {"Exclusions": self.exclusions}
        if self.sample_size is not None:
            target["SampleSize"] = self.sample_size
        out: dict[str, Any] = {
            "DatabaseName": self.database_name,
            "Targets": {"S3Targets": [{"Path": p, **target} for p in self.paths]},
            "TablePrefix": self.table_prefix,
            "SchemaChangePolicy": {"UpdateBehavior": self.update_behavior, "DeleteBehavior": self.delete_behavior},
            "RecrawlPolicy": {"RecrawlBehavior": self.recrawl_behavior},
            "Configuration": json.dumps(configuration),
        }
        if self.schedule:
            out["Schedule"] = {"ScheduleExpression": self.schedule, "State": "SCHEDULED"}
        return out

    @classmethod
    def from_definition(cls, d: dict[str, Any]) -> CrawlerOptions:
        """Rebuild options from a stored definition."""
        targets = d["Targets"]["S3Targets"]
        config = json.loads(d.get("Configuration") or "{}")
        tables = config.get("CrawlerOutput", {}).get("Tables", {})
        partitions = config.get("CrawlerOutput", {}).get("Partitions", {})
        return cls(
            database_name=d["DatabaseName"],
            paths=[t["Path"] for t in targets],
            exclusions=list(targets[0].get("Exclusions", [])) if targets else [],
            table_prefix=d.get("TablePrefix", ""),
            update_behavior=d["SchemaChangePolicy"]["UpdateBehavior"],
            delete_behavior=d["SchemaChangePolicy"]["DeleteBehavior"],
            recrawl_behavior=d["RecrawlPolicy"]["RecrawlBehavior"],
            sample_size=targets[0].get("SampleSize") if targets else None,
            schedule=(d.get("Schedule") or {}).get("ScheduleExpression"),
            table_level=config.get("Grouping", {}).get("TableLevelConfiguration"),
            table_threshold=tables.get("TableThreshold"),
            grouping_policy=config.get("Grouping", {}).get("TableGroupingPolicy"),
            add_new_columns_only=tables.get("AddOrUpdateBehavior") == "MergeNewColumns",
            partitions_inherit_from_table=partitions.get("AddOrUpdateBehavior") == "InheritFromTable",
        )


def _check_range(flag: str, value: int | None, low: int, high: int | None, unit: str) -> None:
    if value is not None and (value < low or (high is not None and value > high)):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise InvalidInputException(f"{flag} must be {bounds} {unit}, got {value}")


def default_name(database_name: str, paths: list[str]) -> str:
    """A stable name for a one-shot crawl, so repeated crawls of the same paths share recrawl state."""
    digest = hashlib.sha1("\n".join(sorted(paths)).encode()).hexdigest()[:8]
    return f"{database_name}-{re.sub(r'[^a-z0-9]+', '-', paths[0].lower())[-40:].strip('-')}-{digest}"


def create_crawler(
    name: str, options: CrawlerOptions, *, exist_ok: bool = False, ctx: SluiceContext | None = None
) -> dict[str, Any]:
    """Glue CreateCrawler; with ``exist_ok`` an existing crawler's definition is replaced (UpdateCrawler)."""
    options = options.resolved(ctx)
    with SluiceContext.resolve(ctx).session() as s:
        row = s.scalar(select(CrawlerRow).where(CrawlerRow.name == name))
        if row is not None and not exist_ok:
            raise AlreadyExistsException(f"Crawler {name} already exists.", hint="Use a new --name.")
        if row is None:
            row = CrawlerRow(name=name, definition=options.to_definition())
            s.add(row)
        else:
            row.definition = options.to_definition()
            row.update_time = utcnow()
        s.flush()
        return crawler_shape(s, row)


def _crawler_row(s: Session, name: str) -> CrawlerRow:
    row = s.scalar(select(CrawlerRow).where(CrawlerRow.name == name))
    if row is None:
        raise EntityNotFoundException(f"Crawler {name} not found.", hint="Create it with `sluice crawler create`.")
    return row


def _owner(row: CrawlerRow) -> lease.Owner | None:
    """The process holding the crawler's lease (None when READY, or claimed before leases had owners)."""
    return lease.Owner.of(row.owner_host, row.owner_pid, row.owner_boot_id, row.owner_pid_started)


def _verdict(row: CrawlerRow) -> lease.Verdict:
    """Whether the crawl holding the crawler still lives (a crawl started but not yet taken by a process,
    queued in Airflow, lives for :data:`PENDING_SECONDS`)."""
    owner = _owner(row)
    ttl = LEASE_SECONDS if owner is not None else PENDING_SECONDS
    return lease.judge(owner, row.state_changed, ttl=timedelta(seconds=ttl))


def _state(row: CrawlerRow) -> str:
    """The crawler's state, READY when the process of a RUNNING crawler is gone."""
    return row.state if row.state == "READY" or _verdict(row).alive else "READY"


def _held_by(row: CrawlerRow) -> tuple[ColumnElement[bool], ...]:
    """A condition: the crawler's owner columns still hold what ``row`` read (compare-and-set)."""
    return (
        CrawlerRow.state == row.state,
        CrawlerRow.owner_host.is_(None) if row.owner_host is None else CrawlerRow.owner_host == row.owner_host,
        CrawlerRow.owner_pid.is_(None) if row.owner_pid is None else CrawlerRow.owner_pid == row.owner_pid,
    )


def crawler_shape(s: Session, row: CrawlerRow) -> dict[str, Any]:
    """Glue ``Crawler``."""
    runs = select(CrawlRunRow).where(CrawlRunRow.crawler_id == row.id).order_by(CrawlRunRow.started_on.desc())
    state = _state(row)
    out: dict[str, Any] = {
        "Name": row.name,
        **row.definition,
        "State": state,
        "CreationTime": iso(row.create_time),
        "LastUpdated": iso(row.update_time),
        "Version": 1,
    }
    if state != "READY":
        running = s.scalar(runs.where(CrawlRunRow.status == "RUNNING").limit(1))
        if running is not None:
            out["CrawlElapsedTime"] = int((utcnow() - running.started_on).total_seconds() * 1000)
    last = s.scalar(runs.where(CrawlRunRow.status != "RUNNING").limit(1))
    if last is not None:
        out["LastCrawl"] = {
            "Status": last.status,
            "StartTime": iso(last.started_on),
            "MessagePrefix": last.id,
            **({"ErrorMessage": last.error_message} if last.error_message else {}),
        }
    return out


def get_crawler(name: str, *, ctx: SluiceContext | None = None) -> dict[str, Any]:
    """Glue GetCrawler → the Crawler object."""
    with SluiceContext.resolve(ctx).session() as s:
        return crawler_shape(s, _crawler_row(s, name))


def get_crawlers(*, ctx: SluiceContext | None = None) -> list[dict[str, Any]]:
    """Glue GetCrawlers → Crawlers."""
    with SluiceContext.resolve(ctx).session() as s:
        return [crawler_shape(s, r) for r in s.scalars(select(CrawlerRow).order_by(CrawlerRow.name))]


def delete_crawler(name: str, *, ctx: SluiceContext | None = None) -> None:
    """Glue DeleteCrawler (its run history goes with it); refused while it runs."""
    with SluiceContext.resolve(ctx).session() as s:
        row = _crawler_row(s, name)
        if _state(row) != "READY":
            raise CrawlerRunningException(
                f"Crawler {name} is {row.state}; it cannot be deleted while it runs.",
                hint=f"Stop it with `sluice crawler stop --name {name}`.",
            )
        s.delete(row)


# --- state: claim, heartbeat, stop ------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A crawler claimed for one crawl, by ``owner`` (this process)."""

    crawler_id: int
    run_id: str
    options: CrawlerOptions
    owner: lease.Owner
    ctx: SluiceContext


def claim_crawler(name: str, *, pending: bool = False, ctx: SluiceContext | None = None) -> Claim:
    """READY → RUNNING atomically, reclaiming a crawler whose crawl's process is gone; records a RUNNING crawl.

    The crawler's row is compare-and-set on the state and owner read, so of two processes reclaiming
    the same dead crawl only one gets it. A ``pending`` claim (StartCrawler's, for a launcher) has no owner
    until the process that crawls calls :func:`take_over`.
    """
    owner = lease.current_owner()
    ctx = SluiceContext.resolve(ctx)
    with ctx.session() as s:
        row = _crawler_row(s, name)
        now = utcnow()
        verdict = None if row.state == "READY" else _verdict(row)
        claimed = verdict is None or not verdict.alive
        if claimed:
            claimed = bool(
                s.execute(
                    update(CrawlerRow)
                    .where(CrawlerRow.id == row.id, *_held_by(row))
                    .values(state="RUNNING", state_changed=now, **_owner_columns(None if pending else owner))
                    .execution_options(synchronize_session=False)
                ).rowcount
            )
        if not claimed:
            holder = _owner(row)
            by = f" by {holder.describe()}" if holder else ""
            raise CrawlerRunningException(
                f"Crawler with name {name} has already started{by} (state {row.state}, last heartbeat "
                f"{row.state_changed:%Y-%m-%d %H:%M:%S} UTC).",
                hint=f"Wait for it, or stop it with `sluice crawler stop --name {name}`.",
            )
        if verdict is not None:  # the crawl still RUNNING belongs to a process that is gone
            s.execute(
                update(CrawlRunRow)
                .where(CrawlRunRow.crawler_id == row.id, CrawlRunRow.status == "RUNNING")
                .values(
                    status="FAILED",
                    completed_on=now,
                    error_message=f"The crawl's process stopped: {verdict.reason}; the crawler was reclaimed.",
                )
            )
        run_id = uuid.uuid4().hex
        s.add(CrawlRunRow(id=run_id, crawler_id=row.id, status="RUNNING", started_on=now))
        return Claim(row.id, run_id, CrawlerOptions.from_definition(row.definition), owner, ctx)


def _owner_columns(owner: lease.Owner | None) -> dict[str, Any]:
    return {
        "owner_host": owner.host if owner else None,
        "owner_pid": owner.pid if owner else None,
        "owner_boot_id": owner.boot_id if owner else None,
        "owner_pid_started": owner.started if owner else None,
    }


def take_over(name: str, crawl_id: str, *, ctx: SluiceContext | None = None) -> Claim:
    """Make this process the owner of the pending claim of crawl ``crawl_id`` (:func:`claim_crawler`);
    CrawlCancelled when that crawl is not the crawler's pending one any more (stopped, or reclaimed)."""
    owner = lease.current_owner()
    ctx = SluiceContext.resolve(ctx)
    with ctx.session() as s:
        row = _crawler_row(s, name)
        crawl = s.get(CrawlRunRow, crawl_id)
        taken = (
            crawl is not None
            and crawl.crawler_id == row.id
            and crawl.status == "RUNNING"
            and s.execute(
                update(CrawlerRow)
                .where(CrawlerRow.id == row.id, CrawlerRow.state.in_(ACTIVE_STATES), CrawlerRow.owner_pid.is_(None))
                .values(state_changed=utcnow(), **_owner_columns(owner))
                .execution_options(synchronize_session=False)
            ).rowcount
        )
        if not taken:
            raise CrawlCancelled(f"Crawl {crawl_id} of crawler {name} is not waiting to start (stopped or reclaimed).")
        return Claim(row.id, crawl_id, CrawlerOptions.from_definition(row.definition), owner, ctx)


class Lease:
    """Renews a claimed crawler's heartbeat on a background thread (:class:`sluice.lease.Renewer`) while it crawls.

    ``check()`` raises :class:`CrawlCancelled` once StopCrawler asked the crawl to stop, or when the
    lease was lost (another process reclaimed the crawler while this one was frozen).
    """

    def __init__(self, claim: Claim) -> None:
        self.claim = claim
        self.stopping = False
        self._renewer = lease.Renewer(self._renew, every=HEARTBEAT_SECONDS, name="sluice-crawler-heartbeat")

    @property
    def lost(self) -> bool:
        """True once a heartbeat found the crawler claimed by another process."""
        return self._renewer.lost

    def __enter__(self) -> Lease:
        self._renewer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._renewer.stop()

    def beat(self) -> None:
        """Renew the lease and read the crawler's state."""
        self._renewer.beat()

    def _renew(self) -> bool:
        owner = self.claim.owner
        crawler = CrawlerRow.id == self.claim.crawler_id
        with self.claim.ctx.session() as s:
            renewed = s.execute(
                update(CrawlerRow)
                .where(
                    crawler,
                    CrawlerRow.state.in_(ACTIVE_STATES),
                    CrawlerRow.owner_host == owner.host,
                    CrawlerRow.owner_pid == owner.pid,
                )
                .values(state_changed=utcnow())
                .execution_options(synchronize_session=False)
            ).rowcount
            state = s.scalar(select(CrawlerRow.state).where(crawler))
        self.stopping = state == "STOPPING"
        return bool(renewed)

    def check(self) -> None:
        """Raise :class:`CrawlCancelled` when the crawl must stop."""
        if self.stopping:
            raise CrawlCancelled("The crawl was stopped (StopCrawler); nothing was written to the catalog.")
        if self.lost:
            raise CrawlCancelled(
                "The crawl lost its lease (its process was taken as gone) and another process reclaimed the "
                "crawler; nothing was written to the catalog."
            )


def stop_crawler(name: str, *, ctx: SluiceContext | None = None) -> None:
    """Glue StopCrawler: a running crawl is asked to stop and ends CANCELLED, writing nothing."""
    with SluiceContext.resolve(ctx).session() as s:
        row = _crawler_row(s, name)
        stopped = 0
        if row.state == "RUNNING" and _verdict(row).alive:
            stopped = s.execute(
                update(CrawlerRow)
                .where(CrawlerRow.id == row.id, *_held_by(row))
                .values(state="STOPPING")
                .execution_options(synchronize_session=False)
            ).rowcount
        if not stopped:
            raise CrawlerNotRunningException(
                f"Crawler {name} is not running (state {_state(row)}).",
                hint=f"Start it with `sluice crawler start --name {name}`.",
            )


def finish_crawl(s: Session, claim: Claim, status: str, *, metrics: dict[str, Any], **fields: Any) -> bool:
    """Record the crawl's outcome and set the crawler READY, unless the crawl was reclaimed meanwhile.

    Returns False when the crawl no longer owns the crawler (its row is not RUNNING any more).
    """
    owned = s.execute(
        update(CrawlRunRow)
        .where(CrawlRunRow.id == claim.run_id, CrawlRunRow.status == "RUNNING")
        .values(status=status, completed_on=utcnow(), metrics=metrics, **fields)
        .execution_options(synchronize_session=False)
    ).rowcount
    if owned:
        s.execute(
            update(CrawlerRow)
            .where(CrawlerRow.id == claim.crawler_id)
            .values(state="READY", state_changed=utcnow(), **_owner_columns(None))
            .execution_options(synchronize_session=False)
        )
    return bool(owned)


# --- run history and metrics ------------------------------------------------------------------


def crawl_shape(row: CrawlRunRow, crawler_name: str) -> dict[str, Any]:
    """One crawl: Glue ListCrawls' ``CrawlerHistory`` plus Sluice's status, counts, errors and changes."""
    metrics = row.metrics or {}
    summary = {
        "TABLE": {"ADD": metrics.get("TablesCreated", 0), "UPDATE": metrics.get("TablesUpdated", 0)},
        "PARTITION": {"ADD": metrics.get("PartitionsAdded", 0), "DELETE": metrics.get("PartitionsDeleted", 0)},
    }
    summary["TABLE"]["DELETE"] = metrics.get("TablesDeleted", 0)
    out: dict[str, Any] = {
        "CrawlId": row.id,
        "State": _GLUE_CRAWL_STATES.get(row.status, row.status),
        "StartTime": iso(row.started_on),
        "EndTime": iso(row.completed_on),
        "Summary": json.dumps(summary),
        "MessagePrefix": row.id,
        "DPUHour": 0.0,
        "CrawlerName": crawler_name,
        "Status": row.status,
        "Metrics": metrics,
        "Errors": row.errors or [],
        "Log": row.log or [],
    }
    if row.error_message:
        out["ErrorMessage"] = row.error_message
    return out


def list_crawls(name: str, *, limit: int = 50, ctx: SluiceContext | None = None) -> list[dict[str, Any]]:
    """Glue ListCrawls: a crawler's runs, newest first."""
    with SluiceContext.resolve(ctx).session() as s:
        row = _crawler_row(s, name)
        runs = s.scalars(
            select(CrawlRunRow)
            .where(CrawlRunRow.crawler_id == row.id)
            .order_by(CrawlRunRow.started_on.desc())
            .limit(limit)
        )
        return [crawl_shape(r, name) for r in runs]


def get_crawler_metrics(names: list[str] | None = None, *, ctx: SluiceContext | None = None) -> list[dict[str, Any]]:
    """Glue GetCrawlerMetrics → CrawlerMetricsList (counts of the last successful crawl)."""
    with SluiceContext.resolve(ctx).session() as s:
        query = select(CrawlerRow).order_by(CrawlerRow.name)
        if names:
            missing = set(names) - set(s.scalars(select(CrawlerRow.name).where(CrawlerRow.name.in_(names))))
            if missing:
                raise EntityNotFoundException(f"Crawler {', '.join(sorted(missing))} not found.")
            query = query.where(CrawlerRow.name.in_(names))
        out = []
        for row in s.scalars(query):
            runs = list(
                s.scalars(
                    select(CrawlRunRow)
                    .where(CrawlRunRow.crawler_id == row.id, CrawlRunRow.status == "SUCCEEDED")
                    .order_by(CrawlRunRow.started_on.desc())
                )
            )
            durations = [r.metrics.get("DurationSeconds", 0.0) for r in runs]
            last = runs[0].metrics if runs else {}
            out.append(
                {
                    "CrawlerName": row.name,
                    "TimeLeftSeconds": 0.0,
                    "StillEstimating": _state(row) != "READY",
                    "LastRuntimeSeconds": durations[0] if durations else 0.0,
                    "MedianRuntimeSeconds": statistics.median(durations) if durations else 0.0,
                    "TablesCreated": last.get("TablesCreated", 0),
                    "TablesUpdated": last.get("TablesUpdated", 0),
                    "TablesDeleted": last.get("TablesDeleted", 0),
                }
            )
        return out
