"""The catalog's SQL box: Athena SQL over the catalog from the Sluice pages, read-only and row-limited.

``add_sql_page(app)`` adds ``GET /sql?q=…`` (the box and its result) to the pages app, ``add_sql_api(api)``
adds ``POST /sql`` (StartQueryExecution's members in, its response out) to the JSON API. Both need read
access, and run only SELECT, SHOW TABLES, SHOW PARTITIONS and DESCRIBE (``read_only``), keeping at most
:data:`MAX_ROWS` rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from athena.results import response_values
from service.sql import start_query_execution
from sluice.errors import SluiceError
from sluice_airflow.ui import data
from sluice_airflow.ui.auth import READ, api_access, page_access

MAX_ROWS = 500
"""Rows a UI result holds at most."""
EXAMPLE = "SHOW TABLES IN default"
read_page = page_access(READ)
read_api = api_access(READ)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


class QueryBody(BaseModel):
    """Athena StartQueryExecution's members the box takes."""

    QueryString: str = Field(min_length=1, max_length=262144)
    QueryExecutionContext: dict[str, str] | None = None
    MaxRows: int = Field(default=MAX_ROWS, ge=0, le=MAX_ROWS)


def run_query(query: str, database: str | None, max_rows: int = MAX_ROWS) -> dict[str, Any]:
    """One read-only statement through the service layer, in the UI's context."""
    return start_query_execution(
        data.context(),
        QueryString=query,
        QueryExecutionContext={"Database": database} if database else None,
        max_rows=min(max_rows, MAX_ROWS),
        read_only=True,
    )


def add_sql_page(app: FastAPI) -> None:
    """``GET /sql``: the SQL box; with ``q``, the statement's result (or its error, caret included) below it."""

    @app.get("/sql", response_class=HTMLResponse)
    def sql_page(
        request: Request,
        user: Annotated[BaseUser, Depends(read_page)],
        q: str | None = None,
        database: str | None = None,
    ) -> HTMLResponse:
        answer, error = None, None
        if q and q.strip():
            try:
                answer = run_query(q, database)
            except SluiceError as exc:
                error = exc.message
        names, rows = response_values(answer) if answer else ([], [])
        context = {
            "base": request.scope.get("root_path", "").rstrip("/"),
            "user": user.get_name(),
            "page": "sql",
            "q": q or "",
            "example": EXAMPLE,
            "database": database or "",
            "answer": answer,
            "names": names,
            "rows": rows,
            "error": error,
            "max_rows": MAX_ROWS,
        }
        return templates.TemplateResponse(request, "sql.html", context, status_code=400 if error else 200)


def add_sql_api(api: FastAPI) -> None:
    """``POST /sql``: StartQueryExecution's response (read-only, :data:`MAX_ROWS` rows at most)."""

    @api.post("/sql")
    def sql_api(body: QueryBody, _user: Annotated[BaseUser, Depends(read_api)]) -> dict[str, Any]:
        context = body.QueryExecutionContext or {}
        return run_query(body.QueryString, context.get("Database"), body.MaxRows)
