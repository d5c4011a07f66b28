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
from sluice_airflow.ui.sql import add_sql_api
from stepfunctions.store import ExecutionDoesNotExist, StateMachineDoesNotExist

STATUS = {
    EntityNotFoundException: 404,
    StateMachineDoesNotExist: 404,
    ExecutionDoesNotExist: 404,
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

    @api.get("/lineage")
    def lineage(
        node: str | None = None, depth: Annotated[int, Query(ge=1, le=10)] = 2, database: str | None = None
    ) -> dict[str, Any]:
        """``{"Nodes", "Edges"}``: the lake's lineage, ``node``'s neighbourhood (``table:raw.flights``), or a
        database's part."""
        return data.get_lineage(node, depth, database)

    @api.get("/trends/dq")
    def dq_trend(dataset: str, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
        """A dataset's DQ score and rule metrics over time, with static, dynamic and anomaly bounds."""
        return data.get_dq_trend(dataset, limit)

    @api.get("/trends/jobs/{job_name}")
    def job_trend(job_name: str, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
        """A job's ended runs over time: duration, records read and written, bad records, failures."""
        return data.get_job_trend(job_name, limit)

    @api.get("/cost")
    def cost(uri: str | None = None) -> dict[str, Any]:
        """The lifecycle report per table or prefix, and the latest plan's projected change."""
        return data.get_storage_cost(uri)

    @api.get("/lifecycle/plans")
    def lifecycle_plans(uri: str | None = None, next_token: str | None = None) -> dict[str, Any]:
        """Lifecycle plans, applies and restores, newest first, with their action counts."""
        return data.list_lifecycle_plans(uri, next_token)

    @api.get("/lifecycle/plans/{plan_id}")
    def lifecycle_plan(plan_id: str, next_token: str | None = None) -> dict[str, Any]:
        """One plan and a page of its actions, each with the object's state before and after."""
        return data.get_lifecycle_plan(plan_id, next_token)

    @api.get("/crawls")
    def crawls(crawler: str | None = None, next_token: str | None = None) -> dict[str, Any]:
        """Crawls, newest first: per-table changes, partitions added, unreadable files with reasons."""
        return data.list_crawler_runs(crawler, next_token)

    @api.get("/loads")
    def loads() -> dict[str, Any]:
        """Every warehouse table in a load ledger, with its files, rows, loads and last load."""
        return data.list_load_targets()

    @api.get("/loads/{target}")
    def load_ledger(target: str, next_token: str | None = None) -> dict[str, Any]:
        """One target's ledger: files (path, rows, when, load, job run) and its loads."""
        return data.get_load_ledger(target, next_token)

    @api.get("/state-machines")
    def state_machines() -> dict[str, Any]:
        """ListStateMachines."""
        return data.list_state_machines()

    @api.get("/state-machines/{name}")
    def state_machine(name: str) -> dict[str, Any]:
        """The machine, its graph (states, transitions, groups) and its latest executions."""
        return data.get_state_machine(name)

    @api.get("/state-machines/{name}/executions/{execution}")
    def execution(name: str, execution: str) -> dict[str, Any]:
        """An execution: each state's status on the graph, and every step's input and output."""
        return data.get_execution(name, execution)

    add_sql_api(api)
    return api
