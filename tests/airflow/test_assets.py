"""Catalog tables as Assets: which tables a crawl, a Spark job run and a warehouse load changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from airflow.sdk import Asset
from airflow.sdk.execution_time.context import OutletEventAccessors
from sluice_airflow.assets import TABLES, crawl_tables, emit_table_events, job_tables, load_tables, table_asset

from catalog.crawler.run import crawl
from etl.context import JobContext
from sluice.settings import get_settings


def _land(day: int, header: str = "id,value", row: str = "1,2") -> None:
    folder = Path(get_settings().lake) / "raw" / "things" / f"day={day}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "t.csv").write_text(f"{header}\n{row}\n")


def test_table_asset_uri() -> None:
    assert table_asset("curated", "flights") == Asset("sluice://curated/flights")


def test_crawl_tables_are_created_changed_or_grown_tables() -> None:
    _land(1)
    assert crawl_tables(crawl(["raw/things"], database_name="raw"), "raw") == [("raw", "things")]
    assert crawl_tables(crawl(["raw/things"], database_name="raw"), "raw") == []
    _land(2, "id,value,extra", "2,3,4")  # a new partition with a new column
    assert crawl_tables(crawl(["raw/things"], database_name="raw"), "raw") == [("raw", "things")]


@pytest.mark.spark
def test_job_tables_are_the_tables_a_succeeded_run_wrote(spark) -> None:
    _land(1)
    crawl(["raw/things"], database_name="raw")

    def run(bookmark: str) -> dict:
        argv = ["job.py", "--JOB_NAME", "assets_job", "--job-bookmark-option", bookmark]
        with JobContext.from_argv(argv, spark=spark) as job:
            df = job.read_catalog("raw", "things", transformation_ctx="things")
            job.write_lake(df, "curated/things", database="curated", table="things")
            return job.commit()

    assert job_tables(run("job-bookmark-enable")) == [("curated", "things")]
    assert job_tables(run("job-bookmark-enable")) == []  # bookmarked: nothing new read, nothing written
    assert job_tables({"JobRunState": "FAILED", "Id": "jr_x", "Metrics": {"recordsWritten": 5}}) == []


def test_load_tables_use_the_target_as_written() -> None:
    assert load_tables({"Target": "main.fact", "RowsLoaded": 3, "TableCreated": False}, "fact") == [
        ("warehouse", "fact")
    ]
    assert load_tables({"Target": "main.fact", "RowsLoaded": 0, "TableCreated": True}, "fact") == [
        ("warehouse", "fact")
    ]
    assert load_tables({"Target": "main.fact", "RowsLoaded": 0, "TableCreated": False}, "fact") == []


def test_emit_records_one_event_per_table_through_the_alias() -> None:
    context = {"outlet_events": OutletEventAccessors()}
    uris = emit_table_events(context, [("raw", "a"), ("raw", "a"), ("warehouse", "b")], {"RunId": "r1"})
    assert uris == ["sluice://raw/a", "sluice://warehouse/b"]
    events = context["outlet_events"][TABLES].asset_alias_events
    assert [(e.source_alias_name, e.dest_asset_key.uri, e.extra) for e in events] == [
        ("sluice-tables", "sluice://raw/a", {"RunId": "r1"}),
        ("sluice-tables", "sluice://warehouse/b", {"RunId": "r1"}),
    ]


def _catalog_crawlers():
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "dags" / "catalog_crawlers.py"
    spec = importlib.util.spec_from_file_location("catalog_crawlers_dag", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_catalog_crawlers_crawl_task_emits_the_tables_asset() -> None:
    """The schedule logic lives in catalog.crawler.schedule (tests/catalog/test_schedule.py); the DAG wires it."""
    dag = _catalog_crawlers()
    assert [t.outlets for t in dag.dag.tasks if t.task_id == "crawl"] == [[TABLES]]
