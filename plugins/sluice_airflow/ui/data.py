"""What the Sluice pages show: the service layer's Glue operations, in their response shapes.

Every read goes through :func:`context`, the ``sluice_default`` connection's context.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from service import catalog, jobs, quality
from sluice.context import SluiceContext


@cache
def context() -> SluiceContext:
    """The UI's context: the ``sluice_default`` connection's (the environment's when there is none), read once."""
    from sluice_airflow.hooks import SluiceHook

    return SluiceHook().get_conn()


def get_tables(database: str | None = None) -> dict[str, Any]:
    """Glue GetTables over one database, or over every database when ``database`` is None."""
    ctx = context()
    names = [database] if database else [db["Name"] for db in catalog.get_databases(ctx)["DatabaseList"]]
    return {"TableList": [table for name in names for table in catalog.get_tables(ctx, DatabaseName=name)["TableList"]]}


def get_table(database: str, table: str, expression: str | None = None) -> dict[str, Any]:
    """One table with its partitions (filtered by a Glue partition ``expression``) and its schema versions."""
    ctx = context()
    return {
        **catalog.get_table(ctx, DatabaseName=database, Name=table),
        "Partitions": catalog.get_partitions(ctx, DatabaseName=database, TableName=table, Expression=expression)[
            "Partitions"
        ],
        **catalog.get_table_versions(ctx, DatabaseName=database, TableName=table),
    }


def get_job_runs(job_name: str | None = None, limit: int = 100) -> dict[str, Any]:
    """Glue GetJobRuns, newest first, of one job or of all jobs."""
    return jobs.get_job_runs(context(), JobName=job_name, MaxResults=limit)


def get_job_bookmarks() -> dict[str, Any]:
    """Every job's bookmark entry (Glue GetJobBookmark for each job that has one)."""
    from sqlalchemy import select

    from etl.models import BookmarkRow

    ctx = context()
    with ctx.session() as s:
        names = list(s.scalars(select(BookmarkRow.job_name).order_by(BookmarkRow.job_name)))
    return {"JobBookmarkEntries": [jobs.get_job_bookmark(ctx, JobName=name)["JobBookmarkEntry"] for name in names]}


def get_job_bookmark(job_name: str) -> dict[str, Any]:
    """Glue GetJobBookmark."""
    return jobs.get_job_bookmark(context(), JobName=job_name)


def reset_job_bookmark(job_name: str, run_id: str | None = None) -> dict[str, Any]:
    """Glue ResetJobBookmark; with ``run_id``, rewind to the state that run committed."""
    return jobs.reset_job_bookmark(context(), JobName=job_name, RunId=run_id or None)


def list_dq_results(dataset: str | None = None, limit: int = 50) -> dict[str, Any]:
    """Stored data-quality results of a dataset (all when None), newest first, with their rule counts."""
    return quality.list_data_quality_results(context(), MaxResults=limit, dataset=dataset)


def get_dq_result(result_id: str) -> dict[str, Any]:
    """Glue GetDataQualityResult: the score and every rule's outcome."""
    return quality.get_data_quality_result(context(), ResultId=result_id)


def data_docs_root() -> Path:
    """Where the ``gx`` engine's checkpoints write Great Expectations Data Docs."""
    from quality.engines.gx import docs_dir

    return docs_dir()


def data_docs_file(path: str) -> Path | None:
    """A file of the Data Docs site (``index.html`` for an empty path); None when absent or outside the site."""
    root = data_docs_root().resolve()
    target = (root / (path or "index.html")).resolve()
    return target if target.is_file() and target.is_relative_to(root) else None
