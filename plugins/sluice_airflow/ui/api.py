"""The Sluice JSON API, mounted at ``/sluice/api``: Glue-shaped reads, and the bookmark reset."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from sluice.errors import (
    AlreadyExistsException,
    ConcurrentRunsExceededException,
    EntityNotFoundException,
    InvalidInputException,
    SluiceError,
)
from sluice_airflow.ui import data
from sluice_airflow.ui.auth import EDIT, READ, api_access

STATUS = {
    EntityNotFoundException: 404,
    InvalidInputException: 400,
    AlreadyExistsException: 409,
    ConcurrentRunsExceededException: 409,
}


def error_status(exc: SluiceError) -> int:
    """The HTTP status of a Sluice error: 404 not found, 400 bad input, 409 conflict, else 500."""
    return next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 500)


class ResetJobBookmarkBody(BaseModel):
    """Glue ResetJobBookmark's optional ``RunId``: rewind to the state that run committed."""

    RunId: str | None = None


def create_api() -> FastAPI:
    """The JSON app; every route needs read access, the reset needs edit access too."""
    api = FastAPI(
        title="Sluice",
        dependencies=[Depends(api_access(READ))],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    @api.exception_handler(SluiceError)
    async def sluice_error(_request: Request, exc: SluiceError) -> JSONResponse:
        body = {"__type": type(exc).__name__, "Message": exc.message}
        return JSONResponse(body | ({"Hint": exc.hint} if exc.hint else {}), status_code=error_status(exc))

    @api.get("/tables")
    def tables(database: str | None = None) -> dict[str, Any]:
        """Glue GetTables: ``{"TableList": [...]}``, all databases unless ``database`` is given."""
        return data.get_tables(database)

    @api.get("/tables/{database}/{table}")
    def table(database: str, table: str, expression: str | None = None) -> dict[str, Any]:
        """``{"Table", "Partitions", "TableVersions"}``; ``expression`` filters partitions as in GetPartitions."""
        return data.get_table(database, table, expression)

    @api.get("/job-runs")
    def job_runs(job_name: str | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
        """Glue GetJobRuns: ``{"JobRuns": [...]}``, newest first."""
        return data.get_job_runs(job_name, limit)

    @api.get("/bookmarks")
    def bookmarks() -> dict[str, Any]:
        """``{"JobBookmarkEntries": [...]}``: GetJobBookmark of every job that has a bookmark."""
        return data.get_job_bookmarks()

    @api.get("/bookmarks/{job_name}")
    def bookmark(job_name: str) -> dict[str, Any]:
        """Glue GetJobBookmark: ``{"JobBookmarkEntry": {...}}``."""
        return data.get_job_bookmark(job_name)

    @api.post("/bookmarks/{job_name}/reset", dependencies=[Depends(api_access(EDIT))])
    def reset_bookmark(job_name: str, body: ResetJobBookmarkBody | None = None) -> dict[str, Any]:
        """Glue ResetJobBookmark: ``{"JobBookmarkEntry": {...}}`` after the reset."""
        return data.reset_job_bookmark(job_name, body.RunId if body else None)

    @api.get("/dq-results")
    def dq_results(dataset: str | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> dict[str, Any]:
        """``{"Results": [...]}``: stored data-quality results, newest first, with rule counts."""
        return data.list_dq_results(dataset, limit)

    @api.get("/dq-results/{result_id}")
    def dq_result(result_id: str) -> dict[str, Any]:
        """Glue GetDataQualityResult, rule outcomes included."""
        return data.get_dq_result(result_id)

    return api
