"""Glue's job-run and bookmark operations over ``etl.runs`` and ``etl.bookmarks.store``.

Runs are recorded by the jobs themselves (``sluice job run``, the Airflow Spark operator); there are no
job definitions, so a job is known by the ``--JOB_NAME`` of its runs.
"""

from __future__ import annotations

from typing import Any

from etl import runs
from etl.bookmarks import store as bookmarks
from sluice.context import SluiceContext

__all__ = ["get_job_bookmark", "get_job_run", "get_job_runs", "reset_job_bookmark"]


def get_job_run(
    ctx: SluiceContext | None, *, JobName: str, RunId: str, PredecessorsIncluded: bool = False
) -> dict[str, Any]:
    """Glue GetJobRun. Sluice's runs have no predecessors (no triggers start them)."""
    return {"JobRun": runs.get_job_run(JobName, RunId, ctx=ctx)}


def get_job_runs(ctx: SluiceContext | None, *, JobName: str | None, MaxResults: int = 100) -> dict[str, Any]:
    """Glue GetJobRuns, newest first: the latest ``MaxResults``. ``JobName=None`` (Sluice's) lists every job's."""
    return {"JobRuns": runs.get_job_runs(JobName, limit=MaxResults, ctx=ctx)}


def get_job_bookmark(ctx: SluiceContext | None, *, JobName: str) -> dict[str, Any]:
    """Glue GetJobBookmark."""
    return bookmarks.get_job_bookmark(JobName, ctx=ctx)


def reset_job_bookmark(ctx: SluiceContext | None, *, JobName: str, RunId: str | None = None) -> dict[str, Any]:
    """Glue ResetJobBookmark; with ``RunId``, rewind to the state that run committed."""
    return bookmarks.reset_job_bookmark(JobName, RunId, ctx=ctx)
