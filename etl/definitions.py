"""Job definitions in the metadata DB (Glue's Job): create, read, page, replace and delete, by name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from etl.models import JobDefinitionRow
from sluice.clock import utcnow
from sluice.context import SluiceContext
from sluice.errors import AlreadyExistsException, EntityNotFoundException


def job_shape(row: JobDefinitionRow) -> dict[str, Any]:
    """Glue ``Job``."""
    return {
        "Name": row.name,
        **row.definition,
        "CreatedOn": row.created_on.isoformat(),
        "LastModifiedOn": row.last_modified_on.isoformat(),
    }


def create_job(
    name: str, definition: dict[str, Any], tags: dict[str, str] | None = None, *, ctx: SluiceContext | None = None
) -> None:
    """Store a new job; AlreadyExistsException when one of that name exists."""
    with SluiceContext.resolve(ctx).session() as s:
        if s.get(JobDefinitionRow, name) is not None:
            raise AlreadyExistsException(
                f"Job {name} already exists.", hint=f"Change it with `sluice job update-job --job-name {name}`."
            )
        now = utcnow()
        s.add(JobDefinitionRow(name=name, definition=definition, tags=tags or {}, created_on=now, last_modified_on=now))


def _row(s: Session, name: str) -> JobDefinitionRow:
    row = s.get(JobDefinitionRow, name)
    if row is None:
        raise EntityNotFoundException(f"Job {name} not found.", hint="List jobs with `sluice job get-jobs`.")
    return row


def get_job(name: str, *, ctx: SluiceContext | None = None) -> dict[str, Any]:
    """Glue GetJob's ``Job``; EntityNotFoundException when there is none."""
    with SluiceContext.resolve(ctx).session() as s:
        return job_shape(_row(s, name))


def get_jobs(
    *, limit: int = 100, after: str | None = None, ctx: SluiceContext | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of jobs by name, those after ``after``, and the token of the next page (None after the last)."""
    with SluiceContext.resolve(ctx).session() as s:
        query = select(JobDefinitionRow).order_by(JobDefinitionRow.name).limit(limit + 1)
        if after is not None:
            query = query.where(JobDefinitionRow.name > after)
        rows = list(s.scalars(query))
        page = [job_shape(r) for r in rows[:limit]]
    return page, page[-1]["Name"] if len(rows) > limit else None


def update_job(name: str, definition: dict[str, Any], *, ctx: SluiceContext | None = None) -> None:
    """Replace a job's definition (its tags and creation date stay); EntityNotFoundException when there is none."""
    with SluiceContext.resolve(ctx).session() as s:
        row = _row(s, name)
        row.definition, row.last_modified_on = definition, utcnow()


def delete_job(name: str, *, ctx: SluiceContext | None = None) -> None:
    """Delete a job (its runs and bookmark stay); nothing happens when there is none."""
    with SluiceContext.resolve(ctx).session() as s:
        s.execute(delete(JobDefinitionRow).where(JobDefinitionRow.name == name))
