"""flights_marts: rebuild the warehouse's flight marts when the flights change.

Scheduled on Assets, Glue's conditional trigger with logical AND: ``sluice://curated/flights`` (marked by the
curate job) and ``sluice://warehouse/fact_flights`` (marked by the warehouse load), so a month's flights are
both curated and loaded before ``mart_daily_delays`` is rebuilt from ``fact_flights``.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, task
from sluice_airflow.assets import WAREHOUSE, table_asset
from sluice_airflow.hooks import SluiceHook

FACT = "fact_flights"  # warehouse.marts.FACT and MART: literal here, so parsing imports no Sluice module
MART = "mart_daily_delays"

with DAG(
    dag_id="flights_marts",
    description="Rebuild mart_daily_delays when curated flights and fact_flights have both changed.",
    schedule=table_asset("curated", "flights") & table_asset(WAREHOUSE, FACT),
    start_date=datetime(2013, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["sluice", "reference", "marts"],
) as dag:

    @task(outlets=[table_asset(WAREHOUSE, MART)])
    def mart_daily_delays() -> dict:
        """Per day and carrier: flights, mean departure delay, mean arrival delay."""
        from warehouse.marts import rebuild_daily_delays

        ctx = SluiceHook().get_conn()
        rows = rebuild_daily_delays(ctx.settings.warehouse_database_url, source=FACT, target=MART)
        return {"Target": MART, "Rows": rows}

    mart_daily_delays()
