"""The pictures' service reads over real records: a crawl (with an unreadable file), two Spark job runs and a
failed one, a warehouse load, DQ evaluations with static, dynamic and anomaly rules, a lifecycle plan and a
state machine execution, all in one explicit context; lineage, trends, crawls, the ledger, cost and plans
are read back from them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sluice.context import SluiceContext
from sluice.launch import Work
from sluice.settings import Settings

pytestmark = [pytest.mark.spark]

JOB = "events_daily"
RULESET = """Rules = [
    RowCount > 0,
    RowCount >= avg(last(3)) * 0.5,
    DetectAnomalies "RowCount",
    Completeness "events" > 0.9
]"""
MACHINE = {
    "StartAt": "Crawl",
    "States": {
        "Crawl": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:glue:getCrawler",
            "Parameters": {"Name": "raw-crawler"},
            "ResultSelector": {"state.$": "$.Crawler.State"},
            "Next": "Ready?",
        },
        "Ready?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.state", "StringEquals": "READY", "Next": "Both"}],
            "Default": "Wait",
        },
        "Wait": {"Type": "Wait", "Seconds": 1, "Next": "Crawl"},
        "Both": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "Result": 1, "End": True}}},
                {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "Result": 2, "End": True}}},
            ],
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
    },
}


class InProcess:
    """A launcher that carries the work out at once, in this process."""

    def launch(self, ctx: SluiceContext, work: Work) -> None:
        from service.runner import run

        run(ctx, work)


def _day(lake: Path, day: int, rows: int) -> None:
    folder = lake / "raw" / "events" / f"day=2026-01-{day:02d}"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"id": list(range(rows)), "kind": ["a"] * rows}), folder / "part-0.parquet")


def _job(ctx: SluiceContext, spark: Any, *, fail: bool = False) -> dict[str, Any]:
    from pyspark.sql import functions as F

    from etl.context import JobContext

    argv = ["test", "--JOB_NAME", JOB, "--job-bookmark-option", "job-bookmark-enable"]
    with JobContext.from_argv(argv, spark, ctx=ctx) as job:
        events = job.read_catalog("raw", "events", transformation_ctx="events")
        daily = events.groupBy("day").agg(F.count(F.lit(1)).alias("events"))
        if fail:
            raise RuntimeError("the third run fails on purpose")
        job.write_lake(daily, "curated/events_daily", partition_keys=["day"], database="curated", table=JOB)
        job.write_warehouse(daily, "events_daily_wh")
        return job.commit()


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory, spark: Any) -> dict[str, Any]:
    from catalog.crawler.run import crawl
    from lifecycle.run import plan_or_apply
    from quality.gate import run_gate
    from service import states
    from warehouse.loader import load_table

    home = tmp_path_factory.mktemp("pictures")
    ctx = SluiceContext(Settings(home=home), launcher=InProcess())
    lake_root = Path(ctx.settings.lake)
    for day in (1, 2):
        _day(lake_root, day, 10 * day)
    broken = lake_root / "raw" / "broken"
    broken.mkdir(parents=True)
    (broken / "x.parquet").write_bytes(b"PAR1 not really parquet")
    targets = [str(lake_root / "raw" / "events"), str(broken)]
    crawl(targets, database_name="raw", name="raw-crawler", ctx=ctx)
    runs = [_job(ctx, spark)]
    _day(lake_root, 3, 30)
    crawl(targets, database_name="raw", name="raw-crawler", ctx=ctx)
    runs.append(_job(ctx, spark))
    with pytest.raises(RuntimeError):
        _job(ctx, spark, fail=True)
    load = load_table("raw", "events", "raw_events", ctx=ctx).to_dict()
    results = [
        run_gate(database="curated", table=JOB, ruleset=RULESET, action="warn", engine="pandas", ctx=ctx)
        for _ in range(4)
    ]
    rules = {
        "TransitionDefaultMinimumObjectSize": "varies_by_storage_class",  # small files may go to GLACIER
        "Rules": [
            {
                "ID": "cold",
                "Status": "Enabled",
                "Filter": {"Prefix": "events/"},
                "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}],
            }
        ],
    }
    plan = plan_or_apply(rules, "raw", now=datetime.now(UTC) + timedelta(days=400), ctx=ctx)
    role = "arn:aws:iam::123456789012:role/sluice"
    machine = states.create_state_machine(ctx, name="poller", definition=json.dumps(MACHINE), roleArn=role)
    execution = states.start_execution(ctx, stateMachineArn=machine["stateMachineArn"], name="first", input="{}")
    return {"ctx": ctx, "runs": runs, "load": load, "results": results, "plan": plan, "execution": execution}


def test_lineage_joins_crawler_job_load_and_machine(lake: dict[str, Any]) -> None:
    from service.lineage import get_lineage

    graph = get_lineage(lake["ctx"])
    edges = {(e["From"], e["To"], e["Via"]) for e in graph["Edges"]}
    assert {
        ("crawler:raw-crawler", "table:raw.events", "crawl"),
        ("table:raw.events", f"job:{JOB}", "read"),
        (f"job:{JOB}", f"table:curated.{JOB}", "job"),
        (f"job:{JOB}", "warehouse:main.events_daily_wh", "load"),
        ("table:raw.events", "warehouse:main.raw_events", "load"),
    } <= edges
    kinds = {n["Kind"] for n in graph["Nodes"]}
    assert kinds == {"table", "warehouse", "job", "crawler", "state_machine"}

    near = get_lineage(lake["ctx"], Node=f"table:curated.{JOB}", Depth=1)
    assert {n["Id"] for n in near["Nodes"]} == {f"table:curated.{JOB}", f"job:{JOB}"}
    two = {n["Id"] for n in get_lineage(lake["ctx"], Node=f"table:curated.{JOB}", Depth=2)["Nodes"]}
    assert two == {f"table:curated.{JOB}", f"job:{JOB}", "table:raw.events"}  # upstream only: it feeds nothing
    down = {n["Id"] for n in get_lineage(lake["ctx"], Node="crawler:raw-crawler", Depth=3)["Nodes"]}
    assert {f"table:curated.{JOB}", "warehouse:main.events_daily_wh", "warehouse:main.raw_events"} <= down


def test_job_trend_marks_the_failed_run(lake: dict[str, Any]) -> None:
    from service.trends import get_job_run_trend

    trend = get_job_run_trend(lake["ctx"], JobName=JOB)["Runs"]
    assert [r["JobRunState"] for r in trend] == ["SUCCEEDED", "SUCCEEDED", "FAILED"]
    assert [r["Failed"] for r in trend] == [None, None, "FAILED"]
    assert [r["recordsRead"] for r in trend[:2]] == [30, 30]  # days 1-2, then the bookmark's new day 3
    assert [r["Id"] for r in trend[:2]] == [r["Id"] for r in lake["runs"]]
    assert all(r["ExecutionTime"] is not None and r["ExecutionTime"] >= 0 for r in trend)


def test_dq_trend_has_score_metrics_and_bounds(lake: dict[str, Any]) -> None:
    from service.trends import get_data_quality_trend

    trend = get_data_quality_trend(lake["ctx"], Dataset=f"curated.{JOB}")
    assert [p["ResultId"] for p in trend["Score"]] == [r["ResultId"] for r in lake["results"]]
    rules = {r["Rule"]: r for r in trend["Rules"]}
    static = rules["RowCount > 0"]["Points"]
    assert [p["Value"] for p in static] == [3.0] * 4
    assert all(p["Lower"] == 0 and p["Bound"] == "static" for p in static)
    dynamic = rules["RowCount >= avg(last(3)) * 0.5"]["Points"]
    assert [p["Bound"] for p in dynamic] == ["dynamic"] * 4
    assert [p["Lower"] for p in dynamic] == pytest.approx([0.0, 1.5, 1.5, 1.5])  # avg of no history is 0
    anomaly = rules['DetectAnomalies "RowCount"']["Points"]
    assert [p.get("Bound") for p in anomaly] == [None, None, None, "anomaly"]  # after 3 runs of history
    assert anomaly[-1]["Lower"] <= 3.0 <= anomaly[-1]["Upper"]


def test_crawls_list_table_changes_and_unreadable_files(lake: dict[str, Any]) -> None:
    from service.crawls import list_crawler_runs

    crawls = list_crawler_runs(lake["ctx"])["Crawls"]
    assert len(crawls) == 2
    latest, first = crawls
    assert {t["Table"]: t["PartitionsAdded"] for t in latest["Tables"]} == {"events": 1}
    assert {t["Table"]: t["Changes"] for t in first["Tables"]}["events"] == ["created"]
    assert {t["Table"]: t["PartitionsAdded"] for t in first["Tables"]}["events"] == 2
    assert [e["Path"].rsplit("/", 1)[-1] for e in first["Errors"]] == ["x.parquet"]
    assert first["Errors"][0]["Reason"]
    assert list_crawler_runs(lake["ctx"], MaxResults=1)["NextToken"] == "1"


def test_load_ledger_per_target(lake: dict[str, Any]) -> None:
    from service.loads import get_load_ledger, list_load_targets

    targets = {t["Target"]: t for t in list_load_targets(lake["ctx"])["Targets"]}
    assert targets["main.raw_events"]["Files"] == 3 and targets["main.raw_events"]["Rows"] == 60
    assert targets["main.events_daily_wh"]["Loads"] == 2
    ledger = get_load_ledger(lake["ctx"], Target="raw_events")
    assert [load["LoadId"] for load in ledger["Loads"]] == [lake["load"]["LoadId"]]
    assert sorted(f["Rows"] for f in ledger["Files"]) == [10, 20, 30]
    job_loads = get_load_ledger(lake["ctx"], Target="main.events_daily_wh")["Loads"]
    assert {load["JobRunId"] for load in job_loads} == {r["Id"] for r in lake["runs"]}


def test_storage_cost_per_table_with_the_plan(lake: dict[str, Any]) -> None:
    from service.costs import get_lifecycle_plan, get_storage_cost, list_lifecycle_plans

    cost = get_storage_cost(lake["ctx"], Uri="raw")
    groups = {g["Name"]: g for g in cost["Groups"]}
    assert set(groups) == {"raw.events", "broken/"}
    assert groups["raw.events"]["Total"]["Objects"] == 3
    assert cost["Total"]["Bytes"] == sum(g["Total"]["Bytes"] for g in cost["Groups"])
    plan_id = lake["plan"]["Summary"]["PlanId"]
    assert cost["Plan"]["PlanId"] == plan_id
    assert cost["Plan"]["BillableBytesBefore"].keys() == {"STANDARD"}
    assert "GLACIER" in cost["Plan"]["BillableBytesAfter"]
    plans = list_lifecycle_plans(lake["ctx"])["Plans"]
    assert [(p["PlanId"], p["ActionCounts"]) for p in plans] == [(plan_id, {"PLANNED": 3})]
    actions = get_lifecycle_plan(lake["ctx"], PlanId=plan_id)["Actions"]
    assert {a["Action"] for a in actions} == {"TRANSITION"} and all(a["Before"] for a in actions)


def test_execution_reads_back_as_steps(lake: dict[str, Any]) -> None:
    from sluice_airflow.ui.machine import execution_steps, machine_graph, state_statuses

    from service import states

    arn = lake["execution"]["executionArn"]
    described = states.describe_execution(lake["ctx"], executionArn=arn)
    assert described["status"] == "SUCCEEDED"
    events = states.get_execution_history(lake["ctx"], executionArn=arn)["events"]
    steps = execution_steps(events, described["status"])
    assert [s.name for s in steps][:2] == ["Crawl", "Ready?"]
    assert state_statuses(steps) == dict.fromkeys(["Crawl", "Ready?", "Both", "Left", "Right", "Done"], "SUCCEEDED")
    assert steps[0].output == {"state": "READY"}
    machine = states.describe_state_machine(lake["ctx"], stateMachineArn=described["stateMachineArn"])
    graph = machine_graph(machine["definition"])
    assert ("Wait", "Crawl", "next") in graph.edges and graph.groups["Left"] == "Both: branch 1"


def test_a_job_without_bookmarks_still_draws_what_it_read(lake: dict[str, Any], spark: Any) -> None:
    """Sources come from the run's journal (``SourceRead``), not only from bookmark states."""
    from etl.context import JobContext
    from service.lineage import get_lineage

    ctx = lake["ctx"]
    argv = ["test", "--JOB_NAME", "unbookmarked", "--job-bookmark-option", "job-bookmark-disable"]
    with JobContext.from_argv(argv, spark, ctx=ctx) as job:
        by_path = job.read_path("parquet", str(Path(ctx.settings.lake) / "raw" / "events"))
        job.write_lake(by_path.select("id"), "curated/unbookmarked", database="curated", table="unbookmarked")
        job.commit()
    edges = {(e["From"], e["To"], e["Via"]) for e in get_lineage(ctx)["Edges"]}
    assert ("table:raw.events", "job:unbookmarked", "read") in edges
    assert ("job:unbookmarked", "table:curated.unbookmarked", "job") in edges
