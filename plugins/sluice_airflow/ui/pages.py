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
from sluice_airflow.ui import data
from sluice_airflow.ui.api import create_api, error_status
from sluice_airflow.ui.auth import EDIT, READ, LoginRequired, can, login_url, page_access

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["when"] = lambda value: str(value or "")[:19].replace("T", " ")
templates.env.filters["tojson_pretty"] = lambda value: json.dumps(value, indent=2, sort_keys=True, default=str)

Reader = Annotated[BaseUser, Depends(page_access(READ))]


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
        request: Request, user: Reader, database: str, table: str, expression: str | None = None
    ) -> HTMLResponse:
        return _render(
            request, "table.html", user, expression=expression or "", **data.get_table(database, table, expression)
        )

    @app.get("/job-runs", response_class=HTMLResponse)
    def job_runs_page(request: Request, user: Reader, job_name: str | None = None) -> HTMLResponse:
        return _render(request, "job_runs.html", user, runs=data.get_job_runs(job_name)["JobRuns"], job_name=job_name)

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
        return _render(request, "dq_results.html", user, results=results, dataset=dataset, data_docs=docs)

    @app.get("/dq-results/{result_id}", response_class=HTMLResponse)
    def dq_result_page(request: Request, user: Reader, result_id: str) -> HTMLResponse:
        docs = data.data_docs_file("") is not None
        return _render(request, "dq_result.html", user, result=data.get_dq_result(result_id), data_docs=docs)

    @app.get("/data-docs/{path:path}")
    def data_docs(_user: Reader, path: str) -> Response:
        target = data.data_docs_file(path)
        if target is None:
            raise HTTPException(
                404, f"No Great Expectations Data Docs file {path or 'index.html'!r} under {data.data_docs_root()}."
            )
        return FileResponse(target)

    return app
