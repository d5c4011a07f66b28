"""The Sluice operators run for real (catalog, Spark, warehouse, lifecycle) with an Airflow outlet-events context.

Each returns its Glue-shaped result (the XCom) and records asset events only for tables it changed.
"""

from __future__ import annotations

import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from airflow.sdk.execution_time.context import OutletEventAccessors
from sluice_airflow.assets import TABLES
from sluice_airflow.operators import (
    SluiceCrawlerOperator,
    SluiceDataQualityOperator,
    SluiceLifecycleOperator,
    SluiceSparkJobOperator,
    SluiceWarehouseLoadOperator,
    job_application_args,
    job_arguments,
)

from etl.runs import get_job_runs
from quality.gate import DataQualityFailed
from sluice.settings import get_settings
from sparkio.session import spark_env

REPO = Path(__file__).resolve().parents[2]
RULES = 'Rules = [ IsComplete "id", ColumnValues "value" <= 10 ]'
# A job that starts its run, waits (a minute at most) until a second run of the job is running too, and commits.
OVERLAPPING_JOB = """
import sys, time
from etl.context import JobContext
from etl.runs import get_job_runs

with JobContext.from_argv(sys.argv) as job:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if sum(r["JobRunState"] == "RUNNING" for r in get_job_runs(job.job_name)) >= 2:
            break
        time.sleep(0.2)
    job.commit()
"""


def _context() -> dict:
    return {"outlet_events": OutletEventAccessors()}


def _events(context: dict) -> list[str]:
    return [e.dest_asset_key.uri for e in context["outlet_events"][TABLES].asset_alias_events]


def _csv(day: int, rows: list[tuple[int, int]]) -> None:
    folder = Path(get_settings().lake) / "raw" / "things" / f"day={day}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "things.csv").write_text("id,value\n" + "".join(f"{i},{v}\n" for i, v in rows))


def _parquet(name: str, part: int, rows: list[tuple[int, int]]) -> None:
    folder = Path(get_settings().lake) / "curated" / name / f"part={part}"
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.table({"id": [r[0] for r in rows], "value": [r[1] for r in rows]})
    pq.write_table(table, folder / "data.parquet")


def _crawl(database: str = "raw", path: str = "raw/things") -> tuple[dict, list[str]]:
    context = _context()
    run = SluiceCrawlerOperator(task_id="crawl", paths=[path], database_name=database).execute(context)
    return run, _events(context)


def test_crawler_returns_the_crawl_and_emits_events_for_changed_tables(capsys: pytest.CaptureFixture) -> None:
    _csv(1, [(1, 1), (2, 2)])
    run, events = _crawl()
    assert run["Status"] == "SUCCEEDED" and run["Metrics"]["TablesCreated"] == 1
    assert "Log" not in run
    json.dumps(run)  # the XCom is JSON
    assert events == ["sluice://raw/things"]
    logged = capsys.readouterr().out  # Airflow's task logger
    assert "Crawling raw/things into database raw" in logged and "Asset events: sluice://raw/things" in logged

    # Nothing new: no table changed, so no event; a new partition changes the table again.
    assert _crawl()[1] == []
    _csv(2, [(3, 3)])
    run, events = _crawl()
    assert run["Metrics"]["PartitionsAdded"] == 1 and events == ["sluice://raw/things"]


def test_crawler_runs_an_existing_crawler_by_name() -> None:
    _csv(1, [(1, 1)])
    SluiceCrawlerOperator(task_id="define", paths=["raw/things"], database_name="raw", crawler_name="raw_zone").execute(
        _context()
    )
    _csv(2, [(2, 2)])
    context = _context()
    run = SluiceCrawlerOperator(task_id="again", crawler_name="raw_zone").execute(context)
    assert run["CrawlerName"] == "raw_zone" and _events(context) == ["sluice://raw/things"]
    with pytest.raises(ValueError, match="needs paths and database_name"):
        SluiceCrawlerOperator(task_id="bad", paths=["raw"])


def test_templated_fields_render_from_the_context() -> None:
    op = SluiceCrawlerOperator(task_id="crawl", paths=["raw/{{ params.zone }}"], database_name="{{ params.db }}")
    op.render_template_fields({"params": {"zone": "flights", "db": "raw"}})
    assert (op.paths, op.database_name) == (["raw/flights"], "raw")
    assert TABLES in op.outlets
    job = SluiceSparkJobOperator(
        task_id="job", script="raw_to_curated.py", job_name="j_{{ ds_nodash }}", job_args={"day": "{{ ds }}"}
    )
    job.render_template_fields({"ds": "2013-01-02", "ds_nodash": "20130102"})
    assert (job.job_name, job.job_args) == ("j_20130102", {"day": "2013-01-02"})
    assert job.application == str(REPO / "etl" / "jobs" / "raw_to_curated.py")
    assert job_arguments(job.job_name, "job-bookmark-pause", {"keys": ["a", "b"]}) == [
        "--JOB_NAME", "j_20130102", "--job-bookmark-option", "job-bookmark-pause", "--keys", "a,b",
    ]  # fmt: skip


def test_job_arguments_follow_the_users_application_args() -> None:
    generated = job_arguments("j", "job-bookmark-enable", {"day": "1"})
    user = ["--max-concurrent-runs", "2", "--flag", "--day=7"]
    args, flags = job_application_args(user, generated, "jr_new")
    assert args == [*user, "--JOB_NAME", "j", "--job-bookmark-option", "job-bookmark-enable", "--JOB_RUN_ID", "jr_new"]
    assert (flags["JOB_RUN_ID"], flags["day"], flags["flag"]) == ("jr_new", "7", "")
    args, flags = job_application_args(["--JOB_RUN_ID", "jr_mine"], generated, "jr_new")
    assert args.count("--JOB_RUN_ID") == 1 and flags["JOB_RUN_ID"] == "jr_mine"


@pytest.mark.spark
@pytest.mark.slow
def test_concurrent_spark_jobs_each_return_their_own_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two runs of one job at once (the user's --max-concurrent-runs allows it): each task's XCom is its run."""
    script = tmp_path / "overlapping_job.py"
    script.write_text(OVERLAPPING_JOB)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("AIRFLOW_CONN_SPARK_TEST", json.dumps({"conn_type": "spark", "host": "local[1]"}))

    def operator(task_id: str, args: list[str]) -> SluiceSparkJobOperator:
        return SluiceSparkJobOperator(
            task_id=task_id,
            script=str(script),
            job_name="overlapping",
            bookmark_option="job-bookmark-disable",
            application_args=args,
            conn_id="spark_test",
            env_vars=spark_env(),
        )

    first = operator("first", ["--max-concurrent-runs", "2", "--note", "first"])
    second = operator(
        "second", ["--note", "second", "--JOB_RUN_ID", "jr_chosen_by_the_user", "--max-concurrent-runs=2"]
    )
    assert get_job_runs("overlapping") == []  # creates the metadata schema before two jobs race to
    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(op.execute, _context()) for op in (first, second)]
        runs = [f.result(timeout=300) for f in futures]

    assert first.application_args[:4] == ["--max-concurrent-runs", "2", "--note", "first"]
    generated = first.application_args[first.application_args.index("--JOB_RUN_ID") + 1]
    assert [r["Id"] for r in runs] == [generated, "jr_chosen_by_the_user"]
    assert [r["Arguments"]["--note"] for r in runs] == ["first", "second"]
    assert all(r["JobRunState"] == "SUCCEEDED" for r in runs)
    assert {r["Id"] for r in get_job_runs("overlapping")} == {generated, "jr_chosen_by_the_user"}
    json.dumps(runs)


def test_warehouse_load_emits_only_when_rows_change() -> None:
    _parquet("things", 1, [(1, 1), (2, 2)])
    _crawl("curated", "curated/things")

    def load() -> tuple[dict, list[str]]:
        context = _context()
        op = SluiceWarehouseLoadOperator(task_id="load", database_name="curated", table_name="things", target="things")
        return op.execute(context), _events(context)

    result, events = load()
    assert (result["RowsLoaded"], result["TableCreated"]) == (2, True)
    assert events == ["sluice://warehouse/things"]
    again, events = load()  # the ledger skips loaded files: no rows, no event
    assert again["RowsLoaded"] == 0 and events == []


def test_lifecycle_plan_is_glue_shaped_and_changes_nothing() -> None:
    _csv(1, [(1, 1)])
    op = SluiceLifecycleOperator(task_id="plan", config=str(REPO / "dags/lifecycle/raw_zone.json"), uri="raw")
    result = op.execute(_context())
    assert result["Summary"]["Mode"] == "PLAN" and isinstance(result["Actions"], list)
    assert (Path(get_settings().lake) / "raw/things/day=1/things.csv").exists()


@pytest.mark.spark
def test_data_quality_fail_warn_and_quarantine(spark, tmp_path: Path) -> None:
    _csv(1, [(1, 1), (2, 50), (3, 3)])
    _crawl()

    def gate(on_failure: str, ruleset: str = RULES, **kwargs) -> dict:
        op = SluiceDataQualityOperator(
            task_id="dq", database_name="raw", table_name="things", ruleset=ruleset, on_failure=on_failure, **kwargs
        )
        return op.execute(_context())

    with pytest.raises(DataQualityFailed, match="did not pass"):
        gate("fail")
    warned = gate("warn")
    assert [r["Result"] for r in warned["RuleResults"]] == ["PASS", "FAIL"] and "Quarantine" not in warned

    ruleset = tmp_path / "things.dqdl"
    ruleset.write_text(RULES)
    quarantined = gate("quarantine", str(ruleset))
    assert quarantined["Quarantine"]["Rows"] == 1
    assert spark.read.parquet(quarantined["Quarantine"]["Path"]).select("id").collect()[0]["id"] == 2
    # Whatever the action, a score below min_score stops the run.
    with pytest.raises(DataQualityFailed, match="below min_score"):
        gate("warn", min_score=0.9)


def test_data_quality_rejects_a_missing_ruleset_file_and_a_bad_action() -> None:
    op = SluiceDataQualityOperator(task_id="dq", database_name="raw", table_name="t", ruleset="rules/missing.dqdl")
    with pytest.raises(FileNotFoundError, match=r"rules/missing\.dqdl not found"):
        op.execute(_context())
    with pytest.raises(ValueError, match="on_failure must be fail, warn or quarantine"):
        SluiceDataQualityOperator(task_id="dq", database_name="raw", table_name="t", ruleset=RULES, on_failure="skip")
