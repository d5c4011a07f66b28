"""The Sluice pages in a real Airflow: auth on every route, real catalog/job/bookmark/DQ data, a real browser."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from tests.airflow.conftest import AirflowServer

pytestmark = [pytest.mark.airflow, pytest.mark.spark, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
RAW_TABLES = {"airlines", "airports", "flights", "planes", "weather"}
MONTH = "2013-02"  # the month test_rest's flights_daily run lands too, so a shared server sees the same raw data
FEBRUARY = {f"2013-02-{day:02d}" for day in range(1, 29)}
JOB = "flights_by_origin"
DATASET = f"curated.{JOB}"
RULESET = """Rules = [
    RowCount > 0,
    IsComplete "origin",
    ColumnValues "origin" in ["EWR", "JFK", "LGA"],
    Mean "avg_dep_delay" < 5
]"""
READS = [
    "/sluice/api/tables",
    "/sluice/api/tables/raw/flights",
    "/sluice/api/job-runs",
    "/sluice/api/bookmarks",
    f"/sluice/api/bookmarks/{JOB}",
    "/sluice/api/dq-results",
]
RESET = f"/sluice/api/bookmarks/{JOB}/reset"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _seed(spark: Any) -> dict[str, Any]:
    """The reference pipeline's first steps (land a month, crawl raw), then a bookmarked Spark job and a DQ gate.

    Landing and crawling are idempotent, and the job, its table and its results have names of their own, so
    this shares the server's SLUICE_HOME with test_rest's flights_daily run in either order.
    """
    from pyspark.sql import functions as F

    from catalog.crawler.run import crawl
    from etl.context import JobContext
    from etl.samples.nycflights13 import land_dimensions, land_month
    from quality.gate import run_gate
    from sluice.settings import get_settings

    lake = get_settings().lake
    land_month(lake, MONTH)
    land_dimensions(lake)
    crawl(["raw"], database_name="raw")
    argv = ["seed", "--JOB_NAME", JOB, "--job-bookmark-option", "job-bookmark-enable"]
    with JobContext.from_argv(argv, spark) as job:
        flights = job.read_catalog("raw", "flights", transformation_ctx="flights")
        by_origin = flights.groupBy("arr_date", "origin").agg(
            F.count(F.lit(1)).alias("flights"), F.round(F.avg("dep_delay"), 2).alias("avg_dep_delay")
        )
        job.write_lake(by_origin, "curated/flights_by_origin", partition_keys=["origin"], database="curated", table=JOB)
        run = job.commit()
    result = run_gate(database="curated", table=JOB, ruleset=RULESET, action="warn", engine="gx")
    return {"run": run, "result": result}


@pytest.fixture(scope="session")
def seeded(airflow_started: AirflowServer, spark: Any) -> dict[str, Any]:
    """Real data in the server's SLUICE_HOME, written while Airflow starts; this process's settings are restored."""
    from sluice.db import reset_engines
    from sluice.settings import get_settings

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SLUICE_HOME", str(airflow_started.sluice_home))
        for var in ("SLUICE_METADATA_URL", "SLUICE_WAREHOUSE_URL", "SLUICE_LAKE_ROOT"):
            mp.delenv(var, raising=False)
        get_settings.cache_clear()
        reset_engines()
        try:
            return _seed(spark)
        finally:
            reset_engines()
            get_settings.cache_clear()


@pytest.fixture
def server(seeded: dict[str, Any], airflow_server: AirflowServer) -> AirflowServer:
    return airflow_server


def _get(server: AirflowServer, path: str, user: str = "viewer", **params: Any) -> dict[str, Any]:
    response = httpx.get(server.url + path, headers=server.headers(user), params=params, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_plugin_is_loaded_with_its_nav_link(server: AirflowServer) -> None:
    plugins = _get(server, "/api/v2/plugins", "admin")["plugins"]
    sluice = next(p for p in plugins if p["name"] == "sluice")
    assert sluice["fastapi_apps"][0]["url_prefix"] == "/sluice"
    assert sluice["external_views"][0] | {"href": "/sluice/", "destination": "nav"} == sluice["external_views"][0]
    assert _get(server, "/api/v2/plugins/importErrors", "admin")["import_errors"] == []


def test_anonymous_and_forged_requests_are_refused(server: AirflowServer) -> None:
    for path in READS:
        assert httpx.get(server.url + path, timeout=30).status_code == 401, path
        forged = {"Authorization": "Bearer not-a-jwt"}
        assert httpx.get(server.url + path, headers=forged, timeout=30).status_code == 403, path
        assert httpx.get(server.url + path, cookies={"_token": "not-a-jwt"}, timeout=30).status_code == 403, path
    assert httpx.post(server.url + RESET, timeout=30).status_code == 401
    page = httpx.get(f"{server.url}/sluice/", timeout=30)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/auth/login?next=")
    assert httpx.get(f"{server.url}/sluice/data-docs/index.html", timeout=30).status_code == 303


def test_catalog_api_returns_the_crawled_tables(server: AirflowServer) -> None:
    tables = _get(server, "/sluice/api/tables")["TableList"]
    assert {t["Name"] for t in tables if t["DatabaseName"] == "raw"} >= RAW_TABLES
    assert JOB in {t["Name"] for t in tables if t["DatabaseName"] == "curated"}
    assert {t["DatabaseName"] for t in _get(server, "/sluice/api/tables", database="curated")["TableList"]} == {
        "curated"
    }
    flights = _get(server, "/sluice/api/tables/raw/flights")
    assert flights["Table"]["PartitionKeys"] == [{"Name": "arr_date", "Type": "string"}]
    assert {"carrier", "dep_delay", "origin"} <= {c["Name"] for c in flights["Table"]["StorageDescriptor"]["Columns"]}
    assert {p["Values"][0] for p in flights["Partitions"]} >= FEBRUARY
    assert flights["TableVersions"][0]["VersionId"] == flights["Table"]["VersionId"]
    week = _get(server, "/sluice/api/tables/raw/flights", expression="arr_date BETWEEN '2013-02-01' AND '2013-02-07'")
    assert len(week["Partitions"]) == 7
    missing = httpx.get(f"{server.url}/sluice/api/tables/raw/nope", headers=server.headers("viewer"), timeout=30)
    assert missing.status_code == 404
    assert missing.json()["__type"] == "EntityNotFoundException"


def test_job_runs_and_dq_results_api(server: AirflowServer, seeded: dict[str, Any]) -> None:
    runs = _get(server, "/sluice/api/job-runs", job_name=JOB)["JobRuns"]
    assert [r["Id"] for r in runs] == [seeded["run"]["Id"]]
    assert runs[0]["JobRunState"] == "SUCCEEDED"
    assert runs[0]["Metrics"] == seeded["run"]["Metrics"]
    results = _get(server, "/sluice/api/dq-results", dataset=DATASET)["Results"]
    assert [(r["ResultId"], r["RulesPassed"], r["RulesTotal"]) for r in results] == [
        (seeded["result"]["ResultId"], 3, 4)
    ]
    detail = _get(server, f"/sluice/api/dq-results/{seeded['result']['ResultId']}")
    assert [r["Result"] for r in detail["RuleResults"]] == ["PASS", "PASS", "PASS", "FAIL"]
    assert detail["DataSource"] == {"GlueTable": {"DatabaseName": "curated", "TableName": JOB}}


def test_dq_pages_link_the_gx_data_docs(server: AirflowServer, seeded: dict[str, Any]) -> None:
    viewer = server.headers("viewer")
    page = httpx.get(f"{server.url}/sluice/dq-results/{seeded['result']['ResultId']}", headers=viewer, timeout=30)
    assert page.status_code == 200
    assert 'href="/sluice/data-docs/index.html"' in page.text and ">FAIL<" in page.text
    docs = httpx.get(f"{server.url}/sluice/data-docs/index.html", headers=viewer, timeout=30)
    assert docs.status_code == 200 and "Data Docs" in docs.text, docs.text[:300]
    escape = httpx.get(f"{server.url}/sluice/data-docs/..%2F..%2Fmetadata.db", headers=viewer, timeout=30)
    assert escape.status_code == 404


def test_viewer_cannot_reset_a_bookmark_and_admin_can(server: AirflowServer, seeded: dict[str, Any]) -> None:
    before = _get(server, f"/sluice/api/bookmarks/{JOB}")["JobBookmarkEntry"]
    assert before["RunId"] == seeded["run"]["Id"] and json.loads(before["JobBookmark"])

    refused = httpx.post(server.url + RESET, headers=server.headers("viewer"), json={}, timeout=30)
    assert refused.status_code == 403
    assert "viewer" in refused.json()["detail"]
    form = httpx.post(f"{server.url}/sluice/bookmarks/{JOB}/reset", headers=server.headers("viewer"), timeout=30)
    assert form.status_code == 403
    assert _get(server, f"/sluice/api/bookmarks/{JOB}")["JobBookmarkEntry"] == before

    reset = httpx.post(server.url + RESET, headers=server.headers("admin"), json={}, timeout=30)
    assert reset.status_code == 200, reset.text
    after = reset.json()["JobBookmarkEntry"]
    assert after["Version"] == before["Version"] + 1
    assert "RunId" not in after and json.loads(after["JobBookmark"]) == {}
    assert after in _get(server, "/sluice/api/bookmarks")["JobBookmarkEntries"]

    by_form = httpx.post(f"{server.url}/sluice/bookmarks/{JOB}/reset", headers=server.headers("admin"), timeout=30)
    assert by_form.status_code == 303 and by_form.headers["location"] == f"/sluice/bookmarks?reset={JOB}"
    assert _get(server, f"/sluice/api/bookmarks/{JOB}")["JobBookmarkEntry"]["Version"] == after["Version"] + 1

    rewound = httpx.post(
        server.url + RESET, headers=server.headers("admin"), json={"RunId": before["RunId"]}, timeout=30
    )
    assert rewound.status_code == 200, rewound.text
    assert json.loads(rewound.json()["JobBookmarkEntry"]["JobBookmark"]) == json.loads(before["JobBookmark"])


def test_browser_logs_in_and_sees_the_sluice_pages(server: AirflowServer, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 860})
            page.goto(f"{server.url}/sluice/")
            page.wait_for_url("**/auth/login**")
            page.fill("input[name=username]", "viewer")
            page.fill("input[name=password]", server.passwords["viewer"])
            page.keyboard.press("Enter")
            page.wait_for_url(f"{server.url}/sluice/")  # back from the login page, with the _token cookie
            assert {("raw", name) for name in RAW_TABLES} | {("curated", JOB)} <= _listed_tables(page)

            page.click("#tables a[href$='/tables/raw/flights']")
            assert "dep_delay" in page.locator("#schema").inner_text()
            assert page.locator("#partitions tbody tr").count() >= len(FEBRUARY)
            page.click("nav >> text=Bookmarks")
            assert JOB in page.locator("#bookmarks").inner_text()
            assert page.locator("#bookmarks button").count() == 0  # a viewer gets no Reset button
            page.goto(f"{server.url}/sluice/dq-results?dataset={DATASET}")
            page.locator("#dq-results tbody a").last.click()
            assert page.locator("#rule-results .badge").all_inner_texts() == ["PASS", "PASS", "PASS", "FAIL"]
            page.screenshot(path=str(tmp_path / "sluice-dq.png"), full_page=True)

            page.goto(f"{server.url}/plugin/sluice")  # the nav link: Airflow's UI embeds the page
            frame = page.frame_locator("iframe")
            frame.locator("#tables").wait_for()
            assert page.get_by_role("link", name="Sluice").count() >= 1
            page.screenshot(path=str(tmp_path / "sluice-ui.png"))
        finally:
            browser.close()
    for name in ("sluice-ui.png", "sluice-dq.png"):
        shot = tmp_path / name
        assert shot.stat().st_size > 10_000
        shutil.copyfile(shot, REPO / "docs" / "screenshots" / name)


def _listed_tables(page: Any) -> set[tuple[str, ...]]:
    rows = page.locator("#tables tbody tr")
    return {tuple(rows.nth(i).locator("td").all_inner_texts()[:2]) for i in range(rows.count())}
