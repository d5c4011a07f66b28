"""Warehouse marts: aggregates rebuilt from warehouse tables (the ``flights_marts`` DAG runs them)."""

from __future__ import annotations

import sqlalchemy as sa

from sluice.db import make_engine
from sluice.errors import InvalidInputException

FACT = "fact_flights"
MART = "mart_daily_delays"
KEYS = ("year", "month", "day", "carrier")
MEASURES = ("dep_delay", "arr_delay")


def rebuild_daily_delays(url: str, source: str = FACT, target: str = MART) -> int:
    """Replace ``target`` with flights and mean departure/arrival delay per day and carrier; returns its rows.

    One transaction (create if missing, delete, insert from a GROUP BY), so readers see the old mart or the
    new one, never a half-built one; SQLAlchemy Core keeps it portable between SQLite and PostgreSQL.
    """
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
