"""The Sluice pages in a real Airflow: auth on every route, real catalog/job/bookmark/DQ data, a real browser."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from tests.airflow.server import AirflowServer

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
    "/sluice/api/lineage",
    f"/sluice/api/trends/dq?dataset={DATASET}",
    f"/sluice/api/trends/jobs/{JOB}",
    "/sluice/api/cost?uri=curated",
    "/sluice/api/lifecycle/plans",
    "/sluice/api/crawls",
    "/sluice/api/loads",
    "/sluice/api/state-machines",
]
PAGES = [
    "/sluice/lineage",
    "/sluice/cost",
    "/sluice/crawls",
    "/sluice/loads",
    "/sluice/lifecycle",
    "/sluice/state-machines",
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


MACHINE = "flights_check"
WAREHOUSE = "flights_by_origin_wh"
DEFINITION = {
    "Comment": "Check the job has run (else run it), then two checks side by side.",
    "StartAt": "Runs",
    "States": {
        "Runs": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:glue:getJobRuns",
            "Parameters": {"JobName": JOB},
            "ResultSelector": {"count.$": "States.ArrayLength($.JobRuns)"},
            "Next": "Ran?",
        },
        "Ran?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.count", "NumericGreaterThan": 0, "Next": "Checks"}],
            "Default": "RunJob",
        },
        "RunJob": {
            "Type": "Task",
            "Resource": "arn:aws:states:::glue:startJobRun.sync",
            "Parameters": {"JobName": JOB},
            "Next": "Checks",
        },
        "Checks": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "Rows", "States": {"Rows": {"Type": "Pass", "Result": "ok", "End": True}}},
                {"StartAt": "Schema", "States": {"Schema": {"Type": "Pass", "Result": "ok", "End": True}}},
            ],
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
    },
}
LIFECYCLE = {
    "TransitionDefaultMinimumObjectSize": "varies_by_storage_class",
    "Rules": [
        {
            "ID": "archive-curated",
            "Status": "Enabled",
            "Filter": {"Prefix": "flights_by_origin/"},
            "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}],
        }
    ],
}


class InProcess:
    """A launcher that carries started work out at once, in this process (the seeded execution)."""

    def launch(self, ctx: Any, work: Any) -> None:
        from service.runner import run

        run(ctx, work)


def _seed(spark: Any) -> dict[str, Any]:
    """The reference pipeline's first steps (land a month, crawl raw), then a bookmarked Spark job, a warehouse
    load, three DQ evaluations, a lifecycle plan and a state machine execution.

    Landing and crawling are idempotent, and the job, its table and its results have names of their own, so
    this shares the server's SLUICE_HOME with test_rest's flights_daily run in either order.
    """
    import dataclasses
    from datetime import UTC, datetime, timedelta

    from pyspark.sql import functions as F

    from catalog.crawler.run import crawl
    from etl.context import JobContext
    from etl.samples.nycflights13 import land_dimensions, land_month
    from lifecycle.run import plan_or_apply
    from quality.gate import run_gate
    from service import states
    from sluice.context import SluiceContext
    from sluice.settings import get_settings
    from warehouse.loader import load_table

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
    load = load_table("curated", JOB, WAREHOUSE).to_dict()
    earlier = [run_gate(database="curated", table=JOB, ruleset=RULESET, action="warn", engine="pandas") for _ in "ab"]
    result = run_gate(database="curated", table=JOB, ruleset=RULESET, action="warn", engine="gx")
    plan = plan_or_apply(LIFECYCLE, "curated", now=datetime.now(UTC) + timedelta(days=400))
    ctx = dataclasses.replace(SluiceContext.resolve(None), launcher=InProcess())
    role = "arn:aws:iam::123456789012:role/sluice"
    machine = states.create_state_machine(ctx, name=MACHINE, definition=json.dumps(DEFINITION), roleArn=role)
    execution = states.start_execution(ctx, stateMachineArn=machine["stateMachineArn"], name="seeded", input="{}")
    return {
        "run": run,
        "result": result,
        "results": [*earlier, result],
        "load": load,
        "plan": plan,
        "execution": execution,
    }


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
    for path in PAGES:
        assert httpx.get(server.url + path, timeout=30).status_code == 303, path
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


def test_sql_box_answers_reads_and_refuses_writes(server: AirflowServer) -> None:
    """The catalog page's SQL box through the api-server's own auth: a pruned point query, a refused CTAS, a
    refused anonymous call, and the page rendering the answer."""
    url, viewer = f"{server.url}/sluice/api/sql", server.headers("viewer")
    query = "select count(*) as n from raw.flights where arr_date = '2013-02-03'"
    answer = httpx.post(url, headers=viewer, json={"QueryString": query}, timeout=60)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["QueryExecution"]["Statistics"]["FilesRead"] == 1
    assert int(body["ResultSet"]["Rows"][1]["Data"][0]["VarCharValue"]) > 0
    write = {"QueryString": "create table raw.copy as select * from raw.flights"}
    refused = httpx.post(url, headers=viewer, json=write, timeout=60)
    assert refused.status_code == 400 and refused.json()["__type"] == "InvalidInputException"
    assert "copy" not in {t["Name"] for t in _get(server, "/sluice/api/tables", database="raw")["TableList"]}
    assert httpx.post(url, json={"QueryString": query}, timeout=30).status_code == 401
    page = httpx.get(f"{server.url}/sluice/sql", headers=viewer, params={"q": query}, timeout=60)
    assert page.status_code == 200 and "<table" in page.text


def test_job_runs_and_dq_results_api(server: AirflowServer, seeded: dict[str, Any]) -> None:
    runs = _get(server, "/sluice/api/job-runs", job_name=JOB)["JobRuns"]
    assert [r["Id"] for r in runs] == [seeded["run"]["Id"]]
    assert runs[0]["JobRunState"] == "SUCCEEDED"
    assert runs[0]["Metrics"] == seeded["run"]["Metrics"]
    results = _get(server, "/sluice/api/dq-results", dataset=DATASET)["Results"]
    assert [(r["ResultId"], r["RulesPassed"], r["RulesTotal"]) for r in results] == [
        (r["ResultId"], 3, 4) for r in reversed(seeded["results"])
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


def test_lineage_api_joins_the_crawl_job_load_and_state_machine(server: AirflowServer) -> None:
    graph = _get(server, "/sluice/api/lineage")
    edges = {(e["From"], e["To"], e["Via"]) for e in graph["Edges"]}
    assert {
        ("table:raw.flights", f"job:{JOB}", "read"),
        (f"job:{JOB}", f"table:{DATASET}", "job"),
        (f"table:{DATASET}", f"warehouse:main.{WAREHOUSE}", "load"),
        (f"state_machine:{MACHINE}", f"job:{JOB}", "runs"),
    } <= edges
    crawled = {b for a, b, via in edges if via == "crawl" and a.startswith("crawler:")}
    assert {f"table:raw.{name}" for name in RAW_TABLES} <= crawled
    near = _get(server, "/sluice/api/lineage", node=f"table:{DATASET}", depth=1)
    assert {n["Id"] for n in near["Nodes"]} == {f"table:{DATASET}", f"job:{JOB}", f"warehouse:main.{WAREHOUSE}"}
    missing = httpx.get(f"{server.url}/sluice/api/lineage?node=table:raw.nope", headers=server.headers(), timeout=30)
    assert missing.status_code == 404


def test_lineage_draws_the_dags_on_sluice_assets(server: AirflowServer) -> None:
    """dags/flights_marts.py is scheduled on two table assets and declares a third its outlet: Airflow's
    asset references join the lineage (once the DAG processor has parsed it)."""
    wanted = {
        ("table:curated.flights", "dag:flights_marts", "schedules"),
        ("warehouse:main.fact_flights", "dag:flights_marts", "schedules"),
        ("dag:flights_marts", "warehouse:main.mart_daily_delays", "outlet"),
    }
    deadline = time.monotonic() + 120
    while True:
        graph = _get(server, "/sluice/api/lineage")
        # an edge is drawn once: when an earlier test ran flights_marts, its outlet is also an "asset event" edge
        edges = {(e["From"], e["To"], "outlet" if e["Via"] == "asset event" else e["Via"]) for e in graph["Edges"]}
        if wanted <= edges or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert wanted <= edges
    assert {"Id": "dag:flights_marts", "Kind": "dag", "Name": "flights_marts"} in graph["Nodes"]


def test_trend_apis_chart_the_recorded_runs_and_results(server: AirflowServer, seeded: dict[str, Any]) -> None:
    dq = _get(server, "/sluice/api/trends/dq", dataset=DATASET)
    assert [p["ResultId"] for p in dq["Score"]] == [r["ResultId"] for r in seeded["results"]]
    assert [p["Score"] for p in dq["Score"]] == [0.75] * 3
    mean = next(r for r in dq["Rules"] if r["Rule"].startswith("Mean"))
    assert [p["Result"] for p in mean["Points"]] == ["FAIL"] * 3
    assert all(p["Upper"] == 5 and p["Bound"] == "static" for p in mean["Points"])
    job = _get(server, f"/sluice/api/trends/jobs/{JOB}")["Runs"]
    assert [(r["Id"], r["recordsWritten"]) for r in job] == [
        (seeded["run"]["Id"], seeded["run"]["Metrics"]["recordsWritten"])
    ]


def test_cost_crawls_loads_lifecycle_and_machine_apis(server: AirflowServer, seeded: dict[str, Any]) -> None:
    cost = _get(server, "/sluice/api/cost", uri="curated")
    assert DATASET in {g["Name"] for g in cost["Groups"]}
    assert cost["Plan"]["PlanId"] == seeded["plan"]["Summary"]["PlanId"]
    assert "GLACIER" in cost["Plan"]["BillableBytesAfter"]
    plan = _get(server, f"/sluice/api/lifecycle/plans/{seeded['plan']['Summary']['PlanId']}")
    assert len(plan["Actions"]) == len(seeded["plan"]["Actions"]) > 0
    assert all(a["Action"] == "TRANSITION" and a["Before"]["StorageClass"] == "STANDARD" for a in plan["Actions"])
    crawls = _get(server, "/sluice/api/crawls")["Crawls"]
    assert any({"flights", "airports"} <= {t["Table"] for t in c["Tables"]} for c in crawls)
    targets = {t["Target"]: t for t in _get(server, "/sluice/api/loads")["Targets"]}
    assert targets[f"main.{WAREHOUSE}"]["Rows"] == seeded["load"]["RowsLoaded"] > 0
    ledger = _get(server, f"/sluice/api/loads/main.{WAREHOUSE}")
    assert [load["LoadId"] for load in ledger["Loads"]] == [seeded["load"]["LoadId"]]
    execution = _get(server, f"/sluice/api/state-machines/{MACHINE}/executions/seeded")
    assert execution["Execution"]["status"] == "SUCCEEDED"
    assert execution["Statuses"] | {"RunJob": None} == {
        **dict.fromkeys(["Start", "Runs", "Ran?", "Checks", "Rows", "Schema", "Done", "End"], "SUCCEEDED"),
        "RunJob": None,
    }
    assert execution["Steps"][0]["Name"] == "Runs" and execution["Steps"][0]["Output"] == {"count": 1}


def _log_in(page: Any, server: AirflowServer, path: str) -> None:
    """Open ``path`` as the viewer: Airflow's login page first, then back with the ``_token`` cookie."""
    page.goto(server.url + path)
    page.wait_for_url("**/auth/login**")
    page.fill("input[name=username]", "viewer")
    page.fill("input[name=password]", server.passwords["viewer"])
    page.keyboard.press("Enter")
    page.wait_for_url(server.url + path)


def _svg_count(page: Any, selector: str) -> int:
    return page.locator(selector).count()


def test_browser_draws_the_pictures(server: AirflowServer, seeded: dict[str, Any], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    lineage = _get(server, "/sluice/api/lineage")
    near = _get(server, "/sluice/api/lineage", node="table:raw.flights")
    dq = _get(server, "/sluice/api/trends/dq", dataset=DATASET)
    job = _get(server, f"/sluice/api/trends/jobs/{JOB}")
    cost = _get(server, "/sluice/api/cost", uri="curated")
    machine = _get(server, f"/sluice/api/state-machines/{MACHINE}")
    execution = _get(server, f"/sluice/api/state-machines/{MACHINE}/executions/seeded")
    shots: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            _log_in(page, server, "/sluice/lineage")

            def shot(name: str) -> None:
                page.screenshot(path=str(tmp_path / name), full_page=True)
                shots.append(name)

            assert _svg_count(page, "#lineage g.node") == len(lineage["Nodes"])
            assert _svg_count(page, "#lineage path.edge") == len(lineage["Edges"])
            shot("sluice-lineage.png")

            page.goto(f"{server.url}/sluice/tables/raw/flights")
            assert _svg_count(page, "#lineage g.node") == len(near["Nodes"])
            assert _svg_count(page, "#lineage .status-focus") == 1
            page.click(f"#lineage g.node[data-id='job:{JOB}'] a")
            page.wait_for_url(f"**/sluice/job-runs?job_name={JOB}")
            assert _svg_count(page, "#job-ExecutionTime circle.point") == len(job["Runs"])
            assert _svg_count(page, "svg.line-chart") == 4

            page.goto(f"{server.url}/sluice/dq-results?dataset={DATASET}")
            assert _svg_count(page, "#dq-score circle.point") == len(dq["Score"]) == 3
            assert _svg_count(page, "svg.line-chart") == 1 + len(dq["Rules"])
            failing = next(i for i, r in enumerate(dq["Rules"]) if r["Rule"].startswith("Mean"))
            assert _svg_count(page, f"#dq-rule-{failing} circle.point.marked") == 3
            assert _svg_count(page, f"#dq-rule-{failing} path.band") == 1
            shot("sluice-trends.png")

            page.goto(f"{server.url}/sluice/cost?uri=curated")
            segments = sum(1 for g in cost["Groups"] for c in g["StorageClasses"] if c["Bytes"] > 0)
            assert _svg_count(page, "#cost-bytes rect.bar") == segments
            assert _svg_count(page, "#cost-plan rect.bar") == sum(
                1
                for side in ("BillableBytesBefore", "BillableBytesAfter")
                for v in cost["Plan"][side].values()
                if v > 0
            )
            shot("sluice-cost.png")

            page.goto(f"{server.url}/sluice/crawls")
            assert page.locator("#crawls tbody tr").count() == len(_get(server, "/sluice/api/crawls")["Crawls"])
            page.goto(f"{server.url}/sluice/loads")
            page.click(f"#load-targets a[href$='/loads/main.{WAREHOUSE}']")
            assert page.locator("#loads tbody tr").count() == 1
            page.goto(f"{server.url}/sluice/lifecycle")
            page.locator("#plans tbody a").first.click()
            assert page.locator("#actions tbody tr").count() == len(seeded["plan"]["Actions"])

            page.goto(f"{server.url}/sluice/state-machines/{MACHINE}")
            assert _svg_count(page, "#machine g.node") == len(machine["Graph"]["States"])
            assert _svg_count(page, "#machine rect.group") == 2
            page.click("#executions a")
            succeeded = [n for n, s in execution["Statuses"].items() if s == "SUCCEEDED"]
            assert _svg_count(page, "#machine g.node.status-SUCCEEDED") == len(succeeded)
            assert page.locator("#steps tbody tr").count() == len(execution["Steps"])
            shot("sluice-execution.png")
        finally:
            browser.close()
    for name in shots:
        assert (tmp_path / name).stat().st_size > 10_000
        shutil.copyfile(tmp_path / name, REPO / "docs" / "screenshots" / name)


def test_browser_logs_in_and_sees_the_sluice_pages(server: AirflowServer, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 860})
            _log_in(page, server, "/sluice/")
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
