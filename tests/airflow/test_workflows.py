"""Declarative workflows: schema errors with file and line (factory import error = CLI output), the DAG they
build (retries, mapping, catch, choice), and real runs under ``airflow dags test``."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sluice_airflow.workflows import build_dag, partition_items, retry_args
from typer.testing import CliRunner

from sluice.settings import get_settings
from workflow.cli import app as workflow_cli
from workflow.language import PartitionSource, Retry, WorkflowError, load_workflow, parse_workflow

REPO = Path(__file__).resolve().parents[2]
WEATHER = REPO / "dags" / "workflows" / "nycflights13_weather.yaml"

BAD = {
    "unknown_type.yaml": (
        "name: w\nsteps:\n  a:\n    type: sparkle\n",
        "unknown_type.yaml:4: steps.a.type: unknown step type 'sparkle': use one of crawler, job, dq, load",
    ),
    "unknown_dependency.yaml": (
        "name: w\nsteps:\n  a:\n    type: wait\n    seconds: 1\n    depends_on: [b]\n",
        "unknown_dependency.yaml:6: steps.a.depends_on[0]: unknown step 'b'; steps are a",
    ),
    "bad_cron.yaml": (
        "name: w\nschedule: every day\nsteps:\n  a: {type: wait, seconds: 1}\n",
        "bad_cron.yaml:2: schedule: 'every day' is neither a cron expression",
    ),
    "typo.yaml": (
        "name: w\nsteps:\n  a:\n    type: wait\n    seconds: 1\n    retry: {max_attempt: 2}\n",
        "typo.yaml:6: steps.a.retry.max_attempt: Extra inputs are not permitted",
    ),
    "missing.yaml": (
        "name: w\nsteps:\n  a:\n    type: load\n    database: curated\n    table: t\n",
        "missing.yaml:3: steps.a.target: Field required",
    ),
    "cycle.yaml": (
        "name: w\nsteps:\n  a: {type: wait, seconds: 1, depends_on: [b]}\n  b: {type: wait, seconds: 1, depends_on: a}",
        "cycle.yaml:3: steps.a: steps wait on each other in a cycle: a waits on b waits on a",
    ),
    # A longer cycle, read from the step that comes first in the file; x, outside it, is not named.
    "cycle3.yaml": (
        "name: w\nsteps:\n  x: {type: wait, seconds: 1}\n  b: {type: wait, seconds: 1, depends_on: [d]}\n"
        "  c: {type: wait, seconds: 1, depends_on: [b]}\n  d: {type: wait, seconds: 1, depends_on: [c, x]}\n",
        "cycle3.yaml:4: steps.b: steps wait on each other in a cycle: b waits on d waits on c waits on b",
    ),
    "map_without_item.yaml": (
        "name: w\nsteps:\n  a:\n    type: python\n    callable: m.f\n    map: {items: [1, 2]}\n",
        "map_without_item.yaml:6: steps.a.map: no parameter uses {{ item }}",
    ),
    "not_yaml.yaml": ("name: w\nsteps: [a\n", "not_yaml.yaml:3: invalid YAML"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_invalid_files_name_the_file_line_and_problem(name: str, tmp_path: Path) -> None:
    text, expected = BAD[name]
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(WorkflowError) as raised:
        load_workflow(path)
    assert expected in str(raised.value)
    # `sluice workflow validate FILE` prints the same lines and exits 2.
    result = CliRunner().invoke(workflow_cli, ["validate", str(path)])
    assert result.exit_code == 2
    assert [str(p) for p in raised.value.problems] == result.stderr.strip().splitlines()
    as_json = CliRunner().invoke(workflow_cli, ["validate", str(path), "--json"])
    assert as_json.exit_code == 2
    problems = json.loads(as_json.stdout)["Problems"]
    assert [(p["Line"], p["Message"]) for p in problems] == [(p.line, p.message) for p in raised.value.problems]


def test_an_invalid_file_is_a_dag_import_error_naming_file_and_line(tmp_path: Path) -> None:
    """The factory file's import error carries the validator's lines; the valid workflows still need fixing."""
    dags = tmp_path / "dags"
    (dags / "workflows").mkdir(parents=True)
    shutil.copy(REPO / "dags" / "workflow_factory.py", dags)
    text, expected = BAD["unknown_dependency.yaml"]
    (dags / "workflows" / "unknown_dependency.yaml").write_text(text)
    probe = (
        "import sys; sys.path.insert(0, sys.argv[2])\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        "print('ERRORS' + __import__('json').dumps(DagBag(dag_folder=sys.argv[1]).import_errors))"
    )
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path / "af"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    proc = subprocess.run(
        [sys.executable, "-c", probe, str(dags), str(REPO / "plugins")], capture_output=True, text=True, env=env
    )
    line = next(x for x in proc.stdout.splitlines() if x.startswith("ERRORS"))
    errors = json.loads(line[len("ERRORS") :])
    assert list(errors) == [str(dags / "workflow_factory.py")]
    message = errors[str(dags / "workflow_factory.py")]
    assert f"{dags / 'workflows' / expected}" in message and "sluice workflow validate" in message


def test_weather_workflow_builds_map_catch_and_retries() -> None:
    workflow = load_workflow(WEATHER)
    dag = build_dag(workflow)
    assert dag.dag_id == "nycflights13_weather"
    assert dag.default_args["retries"] == 2 and dag.default_args["retry_exponential_backoff"] == 2
    check = dag.get_task("check_origin")
    assert type(check).__name__ == "MappedOperator"
    assert check.partial_kwargs["retries"] == 1 and check.partial_kwargs["max_active_tis_per_dagrun"] == 2
    assert check.expand_input.value == [
        {"push_down_predicate": f"origin = '{origin}'"} for origin in ("EWR", "JFK", "LGA")
    ]
    notify = dag.get_task("notify_failure")
    assert notify.trigger_rule == "one_failed"
    assert notify.upstream_task_ids == {
        "land_weather",
        "crawl_weather",
        "curate_weather",
        "check_origin",
        "load_weather",
    }
    assert dag.get_task("load_weather").upstream_task_ids == {"check_origin"}
    assert dag.get_task("curate_weather").execution_timeout.total_seconds() == 1800


def test_retry_maps_step_functions_fields_to_airflow() -> None:
    args = retry_args(Retry(max_attempts=4, interval="30s", backoff_rate=1.5, max_delay="5m"))
    assert args["retries"] == 4 and args["retry_delay"].total_seconds() == 30
    assert args["retry_exponential_backoff"] == 1.5 and args["max_retry_delay"].total_seconds() == 300
    assert retry_args(None) == {}


def test_asset_schedules() -> None:
    text = "name: w\nschedule: {assets: [curated.flights, 'sluice://warehouse/fact_flights'], logical: ANY}\n"
    dag = build_dag(parse_workflow(text + "steps:\n  a: {type: wait, seconds: 1}\n"))
    condition = dag.timetable.asset_condition
    assert type(condition).__name__ == "AssetAny"
    assert [a.uri for a in condition.objects] == ["sluice://curated/flights", "sluice://warehouse/fact_flights"]


def test_partition_items_are_the_new_partitions() -> None:
    from datetime import UTC, datetime

    from catalog.crawler.run import crawl

    lake = Path(get_settings().lake)
    for day in (1, 2):
        (lake / "raw/obs" / f"day={day}").mkdir(parents=True)
        (lake / "raw/obs" / f"day={day}" / "o.csv").write_text("a,b\n1,2\n")
    crawl(["raw/obs"], database_name="raw")
    items = partition_items(PartitionSource(database="raw", table="obs"), None)
    assert [(i["day"], i["predicate"]) for i in items] == [("1", "day = '1'"), ("2", "day = '2'")]
    assert partition_items(PartitionSource(database="raw", table="obs"), datetime.now(UTC)) == []


SEMANTICS = """
name: sluice_test_semantics
steps:
  list_items: {type: python, callable: json.loads, kwargs: {s: '["a", "b"]'}}
  each:
    type: python
    depends_on: [list_items]
    map: {items_from: list_items}
    callable: sluice_airflow.workflows.notify
    kwargs: {message: "item {{ item }}"}
  pick:
    type: choice
    depends_on: [list_items]
    choices: [{variable: "$.list_items[0]", equals: a, next: chosen}]
    default: other
  chosen: {type: wait, seconds: 1}
  other: {type: python, callable: sluice_airflow.workflows.notify, kwargs: {message: other}}
  boom:
    type: python
    depends_on: [chosen]
    callable: json.loads
    kwargs: {s: not json}
    catch: [handler]
  handler: {type: python, callable: sluice_airflow.workflows.notify, kwargs: {message: caught}}
"""


def _dags_test(home: Path, dag_id: str, dags_folder: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLUICE_", "AIRFLOW"))}
    env |= {"SLUICE_HOME": str(home), "SLUICE_SPARK_MASTER": "local[2]", "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    if dags_folder is None:
        command = [str(Path(sys.executable).parent / "sluice"), "airflow", "dags-test", dag_id]
    else:  # the same Airflow home (already migrated), another DAG folder
        env |= {"AIRFLOW_HOME": str(home / "airflow"), "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder)}
        env |= {"AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins")}
        command = [str(Path(sys.executable).parent / "airflow"), "dags", "test", dag_id]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)


def _states(home: Path, dag_id: str) -> dict[str, str]:
    with sqlite3.connect(home / "airflow" / "airflow.db") as conn:
        rows = conn.execute("SELECT task_id, map_index, state FROM task_instance WHERE dag_id = ?", (dag_id,))
        return {f"{t}[{i}]" if i >= 0 else t: s for t, i, s in rows}


@pytest.mark.airflow
@pytest.mark.spark
@pytest.mark.slow
def test_workflows_and_catalog_crawlers_run_under_airflow_dags_test(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")} | {"SLUICE_HOME": str(home)}
    create = [str(Path(sys.executable).parent / "sluice"), "crawler", "create", "--name", "minutely"]
    create += ["--path", "raw/weather", "--database-name", "scheduled", "--schedule", "* * * * *"]
    subprocess.run(create, env=env, check=True, capture_output=True)
    due_at = (time.time() // 60 + 1) * 60 + 1  # the schedule fires at the next minute after creation

    weather = _dags_test(home, "nycflights13_weather")
    assert weather.returncode == 0, weather.stdout[-4000:] + weather.stderr[-4000:]
    assert _states(home, "nycflights13_weather") == {
        "land_weather": "success",
        "crawl_weather": "success",
        "curate_weather": "success",
        "check_origin[0]": "success",
        "check_origin[1]": "success",
        "check_origin[2]": "success",
        "load_weather": "success",
        "notify_failure": "skipped",
    }
    engine = __import__("sqlalchemy").create_engine(f"sqlite:///{home / 'warehouse.db'}")
    with engine.connect() as conn:
        origins = conn.exec_driver_sql("SELECT DISTINCT origin FROM weather_by_origin ORDER BY 1").scalars().all()
    engine.dispose()
    assert origins == ["EWR", "JFK", "LGA"]

    # map over an upstream result, choice, wait, and a caught failure: the handler runs, the run succeeds.
    dags = tmp_path / "dags"
    (dags / "workflows").mkdir(parents=True)
    shutil.copy(REPO / "dags" / "workflow_factory.py", dags)
    (dags / "workflows" / "semantics.yaml").write_text(textwrap.dedent(SEMANTICS))
    run = _dags_test(home, "sluice_test_semantics", dags)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert _states(home, "sluice_test_semantics") == {
        "list_items": "success",
        "each__items": "success",
        "each[0]": "success",
        "each[1]": "success",
        "pick": "success",
        "chosen": "success",
        "other": "skipped",
        "boom": "failed",
        "handler": "success",
    }

    # catalog_crawlers: the scheduled crawler is due, runs as a mapped task and catalogs the weather.
    time.sleep(max(0.0, due_at - time.time()))
    crawlers = _dags_test(home, "catalog_crawlers")
    assert crawlers.returncode == 0, crawlers.stdout[-4000:] + crawlers.stderr[-4000:]
    assert _states(home, "catalog_crawlers") == {"due": "success", "crawl[0]": "success"}
