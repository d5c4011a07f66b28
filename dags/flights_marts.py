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

FACT = "fact_flights"
MART = "mart_daily_delays"
KEYS = ("year", "month", "day", "carrier")
MEASURES = ("dep_delay", "arr_delay")


def rebuild_daily_delays(url: str, source: str = FACT, target: str = MART) -> int:
    """Replace ``target`` with flights and mean departure/arrival delay per day and carrier; returns its rows.

    One transaction (create if missing, delete, insert from a GROUP BY), so readers see the old mart or the
    new one, never a half-built one; SQLAlchemy Core keeps it portable between SQLite and PostgreSQL.
    """
    import sqlalchemy as sa

    from sluice.db import make_engine
    from sluice.errors import InvalidInputException

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            if not sa.inspect(conn).has_table(source):
                raise InvalidInputException(
                    f"Warehouse table {source} does not exist.", hint="Run flights_daily first."
                )
            fact = sa.Table(source, sa.MetaData(), autoload_with=conn)
            missing = [c for c in (*KEYS, *MEASURES) if c not in fact.c]
            if missing:
                raise InvalidInputException(f"Warehouse table {source} lacks column(s) {', '.join(missing)}.")
            keys = [fact.c[k] for k in KEYS]
            mart = sa.Table(
                target,
                sa.MetaData(),
                *(sa.Column(c.name, c.type, primary_key=True) for c in keys),
                sa.Column("flights", sa.Integer, nullable=False),
                sa.Column("mean_dep_delay", sa.Float),
                sa.Column("mean_arr_delay", sa.Float),
            )
            mart.create(conn, checkfirst=True)
            conn.execute(mart.delete())
            query = sa.select(
                *keys,
                sa.func.count().label("flights"),
                sa.cast(sa.func.avg(fact.c.dep_delay), sa.Float).label("mean_dep_delay"),
                sa.cast(sa.func.avg(fact.c.arr_delay), sa.Float).label("mean_arr_delay"),
            ).group_by(*keys)
            conn.execute(mart.insert().from_select([c.name for c in mart.columns], query))
            return conn.execute(sa.select(sa.func.count()).select_from(mart)).scalar_one()
    finally:
        engine.dispose()


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
        SluiceHook().configure()
        from sluice.settings import get_settings

        return {"Target": MART, "Rows": rebuild_daily_delays(get_settings().warehouse_database_url)}

    mart_daily_delays()
