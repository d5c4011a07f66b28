"""Job bookmarks in the metadata DB: the current entry, every committed state, resets."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from etl.bookmarks.state import (
    BookmarkEntry,
    History,
    JobBookmark,
    ReadPlan,
    on_failure,
    on_success,
    reset,
    resolve_read_state,
)
from etl.models import BookmarkHistoryRow, BookmarkRow
from sluice.clock import utcnow
from sluice.context import SluiceContext
from sluice.errors import EntityNotFoundException


def _entry(row: BookmarkRow) -> BookmarkEntry:
    return BookmarkEntry(
        job_name=row.job_name,
        version=row.version,
        run=row.run,
        attempt=row.attempt,
        run_id=row.run_id,
        previous_run_id=row.previous_run_id,
        job_bookmark=dict(row.state),
    )


def _store(s: Session, entry: BookmarkEntry) -> None:
    row = s.get(BookmarkRow, entry.job_name) or BookmarkRow(job_name=entry.job_name)
    row.version, row.run, row.attempt = entry.version, entry.run, entry.attempt
    row.run_id, row.previous_run_id = entry.run_id, entry.previous_run_id
    row.state = dict(entry.job_bookmark)
    row.updated_on = utcnow()
    s.add(row)


def history(s: Session, job_name: str) -> History:
    """Every committed ``(run_id, JobBookmark)`` of a job, oldest first."""
    rows = s.scalars(
        select(BookmarkHistoryRow).where(BookmarkHistoryRow.job_name == job_name).order_by(BookmarkHistoryRow.id)
    )
    return [(r.run_id, dict(r.state)) for r in rows]


def read_plan(
    job_name: str,
    option: str,
    bookmark_from: str | None,
    bookmark_to: str | None,
    *,
    ctx: SluiceContext | None = None,
) -> ReadPlan:
    """What a run of ``job_name`` reads under ``--job-bookmark-option`` (see ``resolve_read_state``)."""
    with SluiceContext.resolve(ctx).session() as s:
        row = s.get(BookmarkRow, job_name)
        past = history(s, job_name) if bookmark_from is not None else ()
        return resolve_read_state(option, dict(row.state) if row else None, past, bookmark_from, bookmark_to)


def commit(s: Session, job_name: str, run_id: str, bookmark: JobBookmark) -> BookmarkEntry:
    """Advance the bookmark in the caller's transaction (the one that marks the run SUCCEEDED)."""
    row = s.get(BookmarkRow, job_name)
    entry = on_success(_entry(row) if row else BookmarkEntry(job_name), run_id, bookmark)
    _store(s, entry)
    s.add(BookmarkHistoryRow(job_name=job_name, run_id=run_id, version=entry.version, run=entry.run, state=bookmark))
    return entry


def record_failure(s: Session, job_name: str) -> None:
    """A failed attempt bumps Version and Attempt; the state is untouched, so a retry rereads the same input."""
    row = s.get(BookmarkRow, job_name)
    if row is not None:
        _store(s, on_failure(_entry(row)))


def get_job_bookmark(job_name: str, *, ctx: SluiceContext | None = None) -> dict[str, Any]:
    """Glue GetJobBookmark → ``{"JobBookmarkEntry": {...}}``."""
    with SluiceContext.resolve(ctx).session() as s:
        row = s.get(BookmarkRow, job_name)
        if row is None:
            raise EntityNotFoundException(
                f"Continuation for job {job_name} not found",
                hint="Run the job with --job-bookmark-option job-bookmark-enable first.",
            )
        return {"JobBookmarkEntry": _entry(row).to_glue_dict()}


def reset_job_bookmark(job_name: str, run_id: str | None = None, *, ctx: SluiceContext | None = None) -> dict[str, Any]:
    """Glue ResetJobBookmark; with ``run_id`` rewind to the state that run committed.

    Every committed state stays in the history, so a later reset can rewind to any run.
    """
    with SluiceContext.resolve(ctx).session() as s:
        row = s.get(BookmarkRow, job_name)
        if row is None:
            raise EntityNotFoundException(f"Continuation for job {job_name} not found")
        kept = reset(history(s, job_name), run_id)
        entry = _entry(row)
        if kept:
            last_run, state = kept[-1]
            entry = BookmarkEntry(
                job_name, entry.version + 1, entry.run, 0, last_run, kept[-2][0] if len(kept) > 1 else None, state
            )
        else:
            entry = BookmarkEntry(job_name, entry.version + 1, entry.run, 0, None, None, {})
        _store(s, entry)
        return {"JobBookmarkEntry": entry.to_glue_dict()}
