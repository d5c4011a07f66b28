"""Job runs in the metadata DB: start (with the concurrency limit), heartbeat, finish, and Glue-shaped reads."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from etl.bookmarks import store as bookmark_store
from etl.models import JobRunRow
from sluice import lease
from sluice.clock import utcnow
from sluice.context import SluiceContext
from sluice.errors import (
    AlreadyExistsException,
    ConcurrentRunsExceededException,
    EntityNotFoundException,
    InvalidInputException,
)

HEARTBEAT_SECONDS = 10
STALE_AFTER = timedelta(seconds=60)
"""A run of another host is taken as dead once its heartbeat is this old (a local run: once its pid is gone)."""
TERMINAL = {"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT"}


RUN_ID_LENGTH = 64  # the metadata DB's run-id columns


def new_run_id() -> str:
    """A Glue-style run id: ``jr_`` and hex digits (61 of them, to fit the run-id columns; Glue uses 64)."""
    return ("jr_" + uuid.uuid4().hex + uuid.uuid4().hex)[:RUN_ID_LENGTH]


def start_run(
    job_name: str,
    arguments: dict[str, str],
    *,
    max_concurrent_runs: int = 1,
    run_id: str | None = None,
    ctx: SluiceContext | None = None,
) -> JobRunRow:
    """Record a RUNNING run, refusing when ``max_concurrent_runs`` live runs exist.

    Starts of one job are serialised (:func:`_lock_job`), so two starting at once cannot both take the
    last slot. The run is a lease held by this process (:mod:`sluice.lease`): a RUNNING run whose driver
    is gone (its pid on this host, or its heartbeat from another host older than ``STALE_AFTER``) is
    marked FAILED (a failed attempt for its bookmark too) and its slot reclaimed.
    """
    now = utcnow()
    owner = lease.current_owner()
    with SluiceContext.resolve(ctx).session() as s:
        _lock_job(s, job_name)
        live = _live_runs(s, job_name, now)
        if len(live) >= max_concurrent_runs:
            running = ", ".join(f"{r.id} ({r.host}, pid {r.pid})" for r in live)
            raise ConcurrentRunsExceededException(
                f"Job {job_name} already has {len(live)} running run(s) (max concurrent runs: {max_concurrent_runs}):"
                f" {running}.",
                hint="Wait for it to finish, or raise --max-concurrent-runs.",
            )
        if run_id is not None and len(run_id) > RUN_ID_LENGTH:
            raise InvalidInputException(f"--JOB_RUN_ID {run_id!r} is longer than {RUN_ID_LENGTH} characters.")
        if run_id is not None and s.get(JobRunRow, run_id) is not None:
            raise AlreadyExistsException(f"Job run {run_id} exists already.", hint="Omit --JOB_RUN_ID for a new id.")
        previous = s.scalar(
            select(JobRunRow).where(JobRunRow.job_name == job_name).order_by(JobRunRow.started_on.desc()).limit(1)
        )
        attempt = previous.attempt + 1 if previous is not None and previous.state in {"FAILED", "TIMEOUT"} else 0
        row = JobRunRow(
            id=run_id or new_run_id(),
            job_name=job_name,
            state="RUNNING",
            attempt=attempt,
            started_on=now,
            heartbeat=now,
            arguments=arguments,
            host=owner.host,
            pid=owner.pid,
            boot_id=owner.boot_id,
            pid_started=owner.started,
        )
        s.add(row)
    return row


def _lock_job(s: Session, job_name: str) -> None:
    """Hold the job's start lock until the transaction ends.

    PostgreSQL takes a transaction advisory lock on the job name. SQLite ignores ``SELECT … FOR UPDATE``
    and lets two deferred transactions read the same free slot, so an UPDATE comes first: it takes the
    database write lock even when it matches no row, and the other start waits for this one to commit.
    """
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"sluice.job:{job_name}"})
    else:
        s.execute(
            update(JobRunRow)
            .where(JobRunRow.job_name == job_name, JobRunRow.state == "RUNNING")
            .values(heartbeat=JobRunRow.heartbeat)
        )


def _live_runs(s: Session, job_name: str, now: datetime) -> list[JobRunRow]:
    """The job's RUNNING runs whose driver lives; the others are reclaimed as FAILED, naming why."""
    live = []
    for run in s.scalars(select(JobRunRow).where(JobRunRow.job_name == job_name, JobRunRow.state == "RUNNING")):
        verdict = lease.judge(run_owner(run), run.heartbeat, ttl=STALE_AFTER, now=now)
        if verdict.alive:
            live.append(run)
            continue
        run.state, run.completed_on = "FAILED", now
        run.error_message = f"Reclaimed: {verdict.reason} (process killed?)."
        if run.arguments.get("--job-bookmark-option") == "job-bookmark-enable":
            bookmark_store.record_failure(s, job_name)
    return live


def run_owner(run: JobRunRow) -> lease.Owner | None:
    """The process holding a run's lease (None for runs recorded without one)."""
    return lease.Owner.of(run.host, run.pid, run.boot_id, run.pid_started)


def heartbeat(run_id: str, *, ctx: SluiceContext | None = None) -> bool:
    """Mark a run alive; False when it is not RUNNING any more (it ended, or was reclaimed)."""
    with SluiceContext.resolve(ctx).session() as s:
        renewed = s.execute(
            update(JobRunRow).where(JobRunRow.id == run_id, JobRunRow.state == "RUNNING").values(heartbeat=utcnow())
        ).rowcount
    return bool(renewed)


def job_run_shape(row: JobRunRow) -> dict[str, Any]:
    """Glue ``JobRun``."""
    completed = row.completed_on
    execution = int(((completed or utcnow()) - row.started_on).total_seconds())
    out: dict[str, Any] = {
        "Id": row.id,
        "Attempt": row.attempt,
        "JobName": row.job_name,
        "StartedOn": row.started_on.isoformat(),
        "LastModifiedOn": (completed or row.heartbeat).isoformat(),
        "JobRunState": row.state,
        "Arguments": row.arguments,
        "ExecutionTime": execution,
        "Metrics": row.metrics,
    }
    if completed:
        out["CompletedOn"] = completed.isoformat()
    if row.error_message:
        out["ErrorMessage"] = row.error_message
    return out


def get_job_runs(
    job_name: str | None = None, *, limit: int = 100, ctx: SluiceContext | None = None
) -> list[dict[str, Any]]:
    """Glue GetJobRuns (newest first); all jobs when ``job_name`` is None."""
    with SluiceContext.resolve(ctx).session() as s:
        query = select(JobRunRow).order_by(JobRunRow.started_on.desc()).limit(limit)
        if job_name:
            query = query.where(JobRunRow.job_name == job_name)
        return [job_run_shape(r) for r in s.scalars(query)]


def get_job_run(job_name: str, run_id: str, *, ctx: SluiceContext | None = None) -> dict[str, Any]:
    """Glue GetJobRun."""
    with SluiceContext.resolve(ctx).session() as s:
        row = s.get(JobRunRow, run_id)
        if row is None or row.job_name != job_name:
            raise EntityNotFoundException(
                f"Job run {run_id} of job {job_name} not found.",
                hint=f"List runs with `sluice job get-job-runs --job-name {job_name}`.",
            )
        return job_run_shape(row)


def finish(
    s: Session, run_id: str, state: str, *, error: str | None = None, metrics: dict[str, Any] | None = None
) -> bool:
    """Move a RUNNING run to its final state in the caller's transaction; False when it was not RUNNING.

    One conditional UPDATE, so a run reclaimed meanwhile (marked FAILED by another start) stays reclaimed.
    """
    values: dict[str, Any] = {"state": state, "completed_on": utcnow(), "error_message": error}
    if metrics is not None:
        values["metrics"] = metrics
    result = s.execute(update(JobRunRow).where(JobRunRow.id == run_id, JobRunRow.state == "RUNNING").values(**values))
    return bool(result.rowcount)
