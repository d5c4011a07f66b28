"""Job runs in the metadata DB: start (with the concurrency limit; StartJobRun's STARTING runs first), heartbeat,
finish, and Glue-shaped reads."""

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
STARTING_STALE_AFTER = timedelta(minutes=10)
"""A STARTING run no process has taken yet (queued in Airflow) is taken as lost once its start is this old."""
TERMINAL = {"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT"}
LIVE = ("STARTING", "RUNNING", "STOPPING")


RUN_ID_LENGTH = 64  # the metadata DB's run-id columns


def new_run_id() -> str:
    """A Glue-style run id: ``jr_`` and hex digits (61 of them, to fit the run-id columns; Glue uses 64)."""
    return ("jr_" + uuid.uuid4().hex + uuid.uuid4().hex)[:RUN_ID_LENGTH]


def record_starting(
    job_name: str,
    run_id: str,
    arguments: dict[str, str],
    *,
    max_concurrent_runs: int = 1,
    ctx: SluiceContext | None = None,
) -> JobRunRow:
    """Record a STARTING run (StartJobRun's, before its driver is launched), refusing as :func:`start_run` does.

    It holds no lease until :func:`hand_over` names the process launched for it; its driver's
    :func:`start_run` with this ``run_id`` takes it over as RUNNING.
    """
    now = utcnow()
    with SluiceContext.resolve(ctx).session() as s:
        _lock_job(s, job_name)
        _check_slots(s, job_name, max_concurrent_runs, now)
        row = JobRunRow(
            id=run_id,
            job_name=job_name,
            state="STARTING",
            attempt=_next_attempt(s, job_name),
            started_on=now,
            heartbeat=now,
            arguments=arguments,
        )
        s.add(row)
    return row


def hand_over(run_id: str, pid: int, *, ctx: SluiceContext | None = None) -> None:
    """Make the process ``pid`` of this host the lease owner of a STARTING run (a no-op once its driver took it)."""
    owner = lease.Owner(lease.this_host(), pid, lease.boot_id(), lease.probe_process(pid).started)
    with SluiceContext.resolve(ctx).session() as s:
        s.execute(
            update(JobRunRow)
            .where(JobRunRow.id == run_id, JobRunRow.state == "STARTING")
            .values(host=owner.host, pid=owner.pid, boot_id=owner.boot_id, pid_started=owner.started)
        )


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
    marked FAILED (a failed attempt for its bookmark too) and its slot reclaimed. A STARTING run of
    ``run_id`` (:func:`record_starting`) is taken over: it becomes this process's RUNNING run.
    """
    now = utcnow()
    owner = lease.current_owner()
    with SluiceContext.resolve(ctx).session() as s:
        _lock_job(s, job_name)
        if run_id is not None and len(run_id) > RUN_ID_LENGTH:
            raise InvalidInputException(f"--JOB_RUN_ID {run_id!r} is longer than {RUN_ID_LENGTH} characters.")
        row = s.get(JobRunRow, run_id) if run_id is not None else None
        if row is not None and (row.state != "STARTING" or row.job_name != job_name):
            raise AlreadyExistsException(f"Job run {run_id} exists already.", hint="Omit --JOB_RUN_ID for a new id.")
        _check_slots(s, job_name, max_concurrent_runs, now, starting=run_id)
        if row is None:
            attempt = _next_attempt(s, job_name)
            row = JobRunRow(id=run_id or new_run_id(), job_name=job_name, attempt=attempt, started_on=now)
            s.add(row)
        row.state, row.heartbeat, row.arguments = "RUNNING", now, arguments
        row.host, row.pid, row.boot_id, row.pid_started = owner.host, owner.pid, owner.boot_id, owner.started
    return row


def _check_slots(
    s: Session, job_name: str, max_concurrent_runs: int, now: datetime, starting: str | None = None
) -> None:
    """ConcurrentRunsExceededException when the job has ``max_concurrent_runs`` live runs but ``starting``."""
    live = [r for r in _live_runs(s, job_name, now) if r.id != starting]
    if len(live) >= max_concurrent_runs:
        running = ", ".join(f"{r.id} ({'STARTING' if r.state == 'STARTING' else r.host}, pid {r.pid})" for r in live)
        raise ConcurrentRunsExceededException(
            f"Job {job_name} already has {len(live)} running run(s) (max concurrent runs: {max_concurrent_runs}):"
            f" {running}.",
            hint="Wait for it to finish, or raise --max-concurrent-runs.",
        )


def _next_attempt(s: Session, job_name: str) -> int:
    """Glue's Attempt of a new run: one more than a failed (or timed-out) latest run's, else 0."""
    previous = s.scalar(
        select(JobRunRow).where(JobRunRow.job_name == job_name).order_by(JobRunRow.started_on.desc()).limit(1)
    )
    return previous.attempt + 1 if previous is not None and previous.state in {"FAILED", "TIMEOUT"} else 0


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
    """The job's STARTING and RUNNING runs whose process lives; the others are reclaimed as FAILED, naming why."""
    live = []
    query = select(JobRunRow).where(JobRunRow.job_name == job_name, JobRunRow.state.in_(LIVE))
    for run in s.scalars(query):
        owner = run_owner(run)
        ttl = STARTING_STALE_AFTER if owner is None and run.state == "STARTING" else STALE_AFTER
        verdict = lease.judge(owner, run.heartbeat, ttl=ttl, now=now)
        if verdict.alive:
            live.append(run)
            continue
        started = run.state != "STARTING"
        run.state, run.completed_on = "FAILED", now
        run.error_message = f"Reclaimed: {verdict.reason} (process killed?)."
        if started and run.arguments.get("--job-bookmark-option") == "job-bookmark-enable":
            bookmark_store.record_failure(s, job_name)
    return live


def run_owner(run: JobRunRow) -> lease.Owner | None:
    """The process holding a run's lease (None for runs recorded without one)."""
    return lease.Owner.of(run.host, run.pid, run.boot_id, run.pid_started)


def heartbeat(run_id: str, *, ctx: SluiceContext | None = None) -> str | None:
    """Mark a run alive: its state (RUNNING, or STOPPING once BatchStopJobRun asked it to stop), or None when
    it is neither any more (it ended, or was reclaimed)."""
    with SluiceContext.resolve(ctx).session() as s:
        live = (JobRunRow.id == run_id, JobRunRow.state.in_(("RUNNING", "STOPPING")))
        renewed = s.execute(update(JobRunRow).where(*live).values(heartbeat=utcnow())).rowcount
        return s.scalar(select(JobRunRow.state).where(JobRunRow.id == run_id)) if renewed else None


def stop_run(job_name: str, run_id: str, *, ctx: SluiceContext | None = None) -> None:
    """BatchStopJobRun of one run: a STARTING run ends STOPPED at once, a RUNNING one becomes STOPPING (its
    driver sees that at its next heartbeat and ends STOPPED). EntityNotFoundException for an unknown run,
    InvalidInputException for one that has ended."""
    with SluiceContext.resolve(ctx).session() as s:
        row = s.get(JobRunRow, run_id)
        if row is None or row.job_name != job_name:
            raise EntityNotFoundException(f"Job run {run_id} of job {job_name} not found.")
        if row.state == "STARTING":
            finish(s, run_id, "STOPPED", error="Stopped (BatchStopJobRun) before it started.", was="STARTING")
        elif row.state == "RUNNING":
            running = (JobRunRow.id == run_id, JobRunRow.state == "RUNNING")
            s.execute(update(JobRunRow).where(*running).values(state="STOPPING"))
        elif row.state != "STOPPING":
            raise InvalidInputException(f"Job run {run_id} is not running: it ended {row.state}.")


def run_state(run_id: str, *, ctx: SluiceContext | None = None) -> tuple[str, str | None] | None:
    """A run's state and error message; None when there is no such run."""
    with SluiceContext.resolve(ctx).session() as s:
        row = s.get(JobRunRow, run_id)
        return (row.state, row.error_message) if row is not None else None


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


def get_run(run_id: str, *, ctx: SluiceContext | None = None) -> dict[str, Any]:
    """The Glue ``JobRun`` of ``run_id``, whatever its job."""
    with SluiceContext.resolve(ctx).session() as s:
        row = s.get(JobRunRow, run_id)
        if row is None:
            raise EntityNotFoundException(f"Job run {run_id} not found.")
        return job_run_shape(row)


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
    s: Session,
    run_id: str,
    state: str,
    *,
    error: str | None = None,
    metrics: dict[str, Any] | None = None,
    was: str | tuple[str, ...] = ("RUNNING", "STOPPING"),
) -> bool:
    """Move a run in state ``was`` (one, or any of several) to its final state in the caller's transaction;
    False when it was not in it.

    One conditional UPDATE, so a run reclaimed meanwhile (marked FAILED by another start) stays reclaimed.
    """
    values: dict[str, Any] = {"state": state, "completed_on": utcnow(), "error_message": error}
    if metrics is not None:
        values["metrics"] = metrics
    states = (was,) if isinstance(was, str) else was
    result = s.execute(update(JobRunRow).where(JobRunRow.id == run_id, JobRunRow.state.in_(states)).values(**values))
    return bool(result.rowcount)
