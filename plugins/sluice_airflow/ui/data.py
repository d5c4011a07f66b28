"""What the Sluice pages show, read through the catalog, etl and quality packages in their Glue shapes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from catalog import Catalog
from etl import runs
from etl.bookmarks import store as bookmarks
from quality import store as dq


def get_tables(database: str | None = None) -> dict[str, Any]:
    """Glue GetTables over one database, or over every database when ``database`` is None."""
    catalog = Catalog()
    names = [database] if database else [db["Name"] for db in catalog.get_databases()]
    return {"TableList": [table for name in names for table in catalog.get_tables(name)]}


def get_table(database: str, table: str, expression: str | None = None) -> dict[str, Any]:
    """One table with its partitions (filtered by a Glue partition ``expression``) and its schema versions."""
    catalog = Catalog()
    return {
        "Table": catalog.get_table(database, table),
        "Partitions": catalog.get_partitions(database, table, expression),
        "TableVersions": catalog.get_table_versions(database, table),
    }


def get_job_runs(job_name: str | None = None, limit: int = 100) -> dict[str, Any]:
    """Glue GetJobRuns, newest first, of one job or of all jobs."""
    return {"JobRuns": runs.get_job_runs(job_name, limit=limit)}


def get_job_bookmarks() -> dict[str, Any]:
    """Every job's bookmark entry (Glue GetJobBookmark for each job that has one)."""
    from sqlalchemy import select

    from etl.models import BookmarkRow
    from sluice.db import session_scope

    with session_scope() as s:
        names = list(s.scalars(select(BookmarkRow.job_name).order_by(BookmarkRow.job_name)))
    return {"JobBookmarkEntries": [bookmarks.get_job_bookmark(name)["JobBookmarkEntry"] for name in names]}


def get_job_bookmark(job_name: str) -> dict[str, Any]:
    """Glue GetJobBookmark."""
    return bookmarks.get_job_bookmark(job_name)


def reset_job_bookmark(job_name: str, run_id: str | None = None) -> dict[str, Any]:
    """Glue ResetJobBookmark; with ``run_id``, rewind to the state that run committed."""
    return bookmarks.reset_job_bookmark(job_name, run_id or None)


def list_dq_results(dataset: str | None = None, limit: int = 50) -> dict[str, Any]:
    """Stored data-quality results, newest first, with their rule counts."""
    return {"Results": dq.list_results(dataset, limit)}


def get_dq_result(result_id: str) -> dict[str, Any]:
    """Glue GetDataQualityResult: the score and every rule's outcome."""
    return dq.get_result(result_id)


def data_docs_root() -> Path:
    """Where the ``gx`` engine's checkpoints write Great Expectations Data Docs."""
    from quality.engines.gx import docs_dir

    return docs_dir()


def data_docs_file(path: str) -> Path | None:
    """A file of the Data Docs site (``index.html`` for an empty path); None when absent or outside the site."""
    root = data_docs_root().resolve()
    target = (root / (path or "index.html")).resolve()
    return target if target.is_file() and target.is_relative_to(root) else None
