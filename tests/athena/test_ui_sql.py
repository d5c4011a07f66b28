"""The catalog's SQL box (``sluice_airflow.ui.sql``) on a bare FastAPI app: the page, the JSON route, read-only.

Airflow's auth manager is replaced by a fixed reader (``dependency_overrides``), and the UI's context by the
test's: the routes, templates and service calls are the real ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sluice_airflow.ui import data
from sluice_airflow.ui import sql as box

from sluice.context import SluiceContext


class Reader:
    def get_name(self) -> str:
        return "reader"


@pytest.fixture
def client(ctx: SluiceContext, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setattr(data, "context", lambda: ctx)
    app, api = FastAPI(), FastAPI()
    box.add_sql_page(app)
    box.add_sql_api(api)
    app.mount("/api", api)
    for dependency, target in ((box.read_page, app), (box.read_api, api)):
        target.dependency_overrides[dependency] = Reader
    return TestClient(app)


def test_the_page_runs_a_query_and_shows_its_rows(client: TestClient, flights: Path) -> None:
    page = client.get(
        "/sql", params={"q": "select carrier, delay from flights where dt = '2013-01-01' order by 1", "database": "raw"}
    )
    assert page.status_code == 200
    assert '<table id="sql-result">' in page.text and "<td>DL</td>" in page.text and "1 files read" in page.text
    assert client.get("/sql").status_code == 200  # the empty box


def test_the_page_shows_errors_with_their_caret(client: TestClient, flights: Path) -> None:
    page = client.get("/sql", params={"q": "select nope from raw.flights"})
    assert page.status_code == 400
    assert "COLUMN_NOT_FOUND" in page.text and "       ^^^^" in page.text


def test_the_api_is_read_only_and_row_limited(client: TestClient, flights: Path, tmp_path: Path) -> None:
    answer = client.post("/api/sql", json={"QueryString": "select * from raw.flights", "MaxRows": 2})
    assert answer.status_code == 200
    assert len(answer.json()["ResultSet"]["Rows"]) == 3 and answer.json()["Truncated"] is True
    assert client.post("/api/sql", json={"QueryString": "select 1", "MaxRows": 100000}).status_code == 422
    ctas = f"create table raw.x with (external_location = '{tmp_path}/x') as select 1 as a"
    for statement in (ctas, "msck repair table raw.flights"):
        page = client.get("/sql", params={"q": statement})
        assert page.status_code == 400 and "read-only" in page.text
    assert not (tmp_path / "x").exists()
