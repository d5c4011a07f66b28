"""The Sluice HTML pages, mounted at ``/sluice`` (the JSON API lives under ``/sluice/api``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from sluice.errors import SluiceError
from sluice_airflow.ui import data, pictures
from sluice_airflow.ui.api import create_api, error_status
from sluice_airflow.ui.auth import EDIT, READ, LoginRequired, can, login_url, page_access
from sluice_airflow.ui.sql import add_sql_page

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["when"] = lambda value: str(value or "")[:19].replace("T", " ")
templates.env.filters["tojson_pretty"] = lambda value: json.dumps(value, indent=2, sort_keys=True, default=str)

Reader = Annotated[BaseUser, Depends(page_access(READ))]
PARTITION_PAGE = 500
"""Partitions on one table page (the next page is a link)."""


def _base(request: Request) -> str:
    return request.scope.get("root_path", "").rstrip("/")


def _render(request: Request, name: str, user: BaseUser, status_code: int = 200, **context: Any) -> HTMLResponse:
    context |= {"base": _base(request), "user": user.get_name() if user else None, "page": name.split(".")[0]}
    return templates.TemplateResponse(request, name, context, status_code=status_code)


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """Build the pages' SluiceContext from the ``sluice_default`` connection (env vars without one) at start;
    nothing is written to the API server's environment."""
    await asyncio.to_thread(data.context)
    yield


def create_app() -> FastAPI:
    """The app the plugin mounts at ``/sluice``: HTML pages, the JSON API at ``/api``, Data Docs."""
    app = FastAPI(title="Sluice pages", docs_url=None, redoc_url=None, openapi_url=None, lifespan=_lifespan)
    app.mount("/api", create_api())
    add_sql_page(app)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(login_url(request), status_code=303)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> HTMLResponse:
        title = HTTPStatus(exc.status_code).phrase
        return _render(request, "error.html", None, exc.status_code, title=title, message=exc.detail)

    @app.exception_handler(SluiceError)
    async def sluice_error(request: Request, exc: SluiceError) -> HTMLResponse:
        status = error_status(exc)
        return _render(request, "error.html", None, status, title=type(exc).__name__, message=exc.message)

    @app.get("/", response_class=HTMLResponse)
    def tables_page(request: Request, user: Reader, database: str | None = None) -> HTMLResponse:
        return _render(request, "tables.html", user, tables=data.get_tables(database)["TableList"], database=database)

    @app.get("/tables/{database}/{table}", response_class=HTMLResponse)
    def table_page(
        request: Request,
        user: Reader,
        database: str,
        table: str,
        expression: str | None = None,
        next_token: str | None = None,
    ) -> HTMLResponse:
        found = data.get_table(database, table, expression, PARTITION_PAGE, next_token)
        node = f"table:{database}.{table}"
        near = data.get_lineage(node, 2)
        picture = pictures.lineage_svg(near, _base(request), focus=node)
        return _render(request, "table.html", user, expression=expression or "", lineage=near, picture=picture, **found)

    @app.get("/job-runs", response_class=HTMLResponse)
    def job_runs_page(request: Request, user: Reader, job_name: str | None = None) -> HTMLResponse:
        runs = data.get_job_runs(job_name)["JobRuns"]
        trend = data.get_job_trend(job_name) if job_name else {"Runs": []}
        charts = pictures.job_trend_svgs(trend) if trend["Runs"] else []
        return _render(request, "job_runs.html", user, runs=runs, job_name=job_name, charts=charts)

    @app.get("/bookmarks", response_class=HTMLResponse)
    def bookmarks_page(request: Request, user: Reader, reset: str | None = None) -> HTMLResponse:
        entries = data.get_job_bookmarks()["JobBookmarkEntries"]
        for entry in entries:
            entry["State"] = json.loads(entry["JobBookmark"])
        return _render(request, "bookmarks.html", user, entries=entries, can_edit=can(user, EDIT), reset=reset)

    @app.post("/bookmarks/{job_name}/reset")
    def reset_bookmark_form(
        request: Request,
        _user: Annotated[BaseUser, Depends(page_access(EDIT))],
        job_name: str,
        run_id: Annotated[str, Form()] = "",
    ) -> RedirectResponse:
        data.reset_job_bookmark(job_name, run_id.strip() or None)
        return RedirectResponse(f"{_base(request)}/bookmarks?reset={quote(job_name)}", status_code=303)

    @app.get("/dq-results", response_class=HTMLResponse)
    def dq_results_page(request: Request, user: Reader, dataset: str | None = None) -> HTMLResponse:
        results = data.list_dq_results(dataset)["Results"]
        docs = data.data_docs_file("") is not None
        charts = pictures.dq_trend_svgs(data.get_dq_trend(dataset)) if dataset and results else []
        return _render(
            request, "dq_results.html", user, results=results, dataset=dataset, data_docs=docs, charts=charts
        )

    @app.get("/dq-results/{result_id}", response_class=HTMLResponse)
    def dq_result_page(request: Request, user: Reader, result_id: str) -> HTMLResponse:
        docs = data.data_docs_file("") is not None
        return _render(request, "dq_result.html", user, result=data.get_dq_result(result_id), data_docs=docs)

    @app.get("/lineage", response_class=HTMLResponse)
    def lineage_page(request: Request, user: Reader, database: str | None = None) -> HTMLResponse:
        graph = data.get_lineage(database=database)
        picture = pictures.lineage_svg(graph, _base(request))
        databases = sorted({n["Name"].split(".", 1)[0] for n in graph["Nodes"] if n["Kind"] == "table"})
        return _render(
            request, "lineage.html", user, graph=graph, picture=picture, database=database, databases=databases
        )

    @app.get("/cost", response_class=HTMLResponse)
    def cost_page(request: Request, user: Reader, uri: str | None = None) -> HTMLResponse:
        cost = data.get_storage_cost(uri)
        return _render(request, "cost.html", user, cost=cost, charts=pictures.cost_svgs(cost), uri=uri or "")

    @app.get("/lifecycle", response_class=HTMLResponse)
    def lifecycle_page(
        request: Request, user: Reader, uri: str | None = None, next_token: str | None = None
    ) -> HTMLResponse:
        return _render(request, "lifecycle.html", user, uri=uri or "", **data.list_lifecycle_plans(uri, next_token))

    @app.get("/lifecycle/{plan_id}", response_class=HTMLResponse)
    def lifecycle_plan_page(
        request: Request, user: Reader, plan_id: str, next_token: str | None = None
    ) -> HTMLResponse:
        return _render(request, "lifecycle_plan.html", user, plan=data.get_lifecycle_plan(plan_id, next_token))

    @app.get("/crawls", response_class=HTMLResponse)
    def crawls_page(
        request: Request, user: Reader, crawler: str | None = None, next_token: str | None = None
    ) -> HTMLResponse:
        return _render(request, "crawls.html", user, crawler=crawler, **data.list_crawler_runs(crawler, next_token))

    @app.get("/loads", response_class=HTMLResponse)
    def loads_page(request: Request, user: Reader) -> HTMLResponse:
        return _render(request, "loads.html", user, **data.list_load_targets())

    @app.get("/loads/{target}", response_class=HTMLResponse)
    def load_ledger_page(request: Request, user: Reader, target: str, next_token: str | None = None) -> HTMLResponse:
        return _render(request, "load_ledger.html", user, ledger=data.get_load_ledger(target, next_token))

    @app.get("/state-machines", response_class=HTMLResponse)
    def state_machines_page(request: Request, user: Reader) -> HTMLResponse:
        return _render(request, "state_machines.html", user, **data.list_state_machines())

    @app.get("/state-machines/{name}", response_class=HTMLResponse)
    def state_machine_page(request: Request, user: Reader, name: str) -> HTMLResponse:
        machine = data.get_state_machine(name)
        return _render(request, "state_machine.html", user, picture=pictures.machine_svg(machine["Graph"]), **machine)

    @app.get("/state-machines/{name}/executions/{execution}", response_class=HTMLResponse)
    def execution_page(request: Request, user: Reader, name: str, execution: str) -> HTMLResponse:
        found = data.get_execution(name, execution)
        picture = pictures.machine_svg(found["Graph"], found["Statuses"])
        return _render(request, "execution.html", user, picture=picture, machine=name, **found)

    @app.get("/data-docs/{path:path}")
    def data_docs(_user: Reader, path: str) -> Response:
        target = data.data_docs_file(path)
        if target is None:
            raise HTTPException(
                404, f"No Great Expectations Data Docs file {path or 'index.html'!r} under {data.data_docs_root()}."
            )
        return FileResponse(target)

    return app
