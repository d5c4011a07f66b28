"""``sluice demo``: run the reference pipeline ``flights_daily`` for some months and print what it did."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from sluice.console import console, print_json, print_table
from sluice.context import SluiceContext

FACT_TABLE = "fact_flights"


def summary(months: list[str], ctx: SluiceContext) -> dict[str, Any]:
    """Tables cataloged, rows curated, DQ score, rows in the warehouse and lifecycle actions, from the records."""
    import pyarrow.compute as pc
    from sqlalchemy import func, select, text

    from catalog.models import DatabaseRow, TableRow
    from etl.models import JobRunRow
    from etl.samples.nycflights13 import flights
    from lifecycle.models import LifecycleActionRow
    from quality.models import DQResultRow
    from sluice.db import make_engine

    table = flights()
    expected = 0
    for month in months:
        year, mon = (int(p) for p in month.split("-"))
        expected += pc.sum(pc.and_(pc.equal(table["year"], year), pc.equal(table["month"], mon))).as_py() or 0
    with ctx.session() as s:
        tables = s.scalar(select(func.count()).select_from(TableRow).join(DatabaseRow)) or 0
        curated = [
            r.metrics.get("recordsWritten", 0)
            for r in s.scalars(
                select(JobRunRow).where(JobRunRow.job_name == "flights_raw_to_curated", JobRunRow.state == "SUCCEEDED")
            )
        ]
        dq = s.scalar(select(DQResultRow).order_by(DQResultRow.completed_on.desc()).limit(1))
        last_plan = s.scalar(select(LifecycleActionRow.plan_id).order_by(LifecycleActionRow.id.desc()).limit(1))
        actions = s.scalar(select(func.count()).where(LifecycleActionRow.plan_id == last_plan)) if last_plan else 0
    engine = make_engine(ctx.settings.warehouse_database_url)
    try:
        with engine.connect() as conn:
            warehouse = conn.execute(text(f"SELECT count(*) FROM {FACT_TABLE}")).scalar_one()
    except Exception:
        warehouse = 0
    finally:
        engine.dispose()
    return {
        "Months": months,
        "TablesCataloged": tables,
        "RowsCurated": sum(curated),
        "DQScore": round(dq.score, 4) if dq else None,
        "RowsInWarehouse": warehouse,
        "FlightsLanded": expected,
        "LifecycleActions": actions,
        "WarehouseMatchesSource": warehouse == expected,
        **sql_answer(months[0], ctx),
    }


def sql_answer(month: str, ctx: SluiceContext) -> dict[str, str]:
    """One ``sluice sql`` query on the curated table, pruned to one month's partition, and its answer."""
    from service.sql import start_query_execution

    year, mon = (int(p) for p in month.split("-"))
    query = (
        "select carrier, count(*) as flights from curated.flights "
        f"where year = '{year}' and month = '{mon}' group by carrier order by flights desc limit 1"
    )
    answer = start_query_execution(ctx, QueryString=query)
    (carrier, flights), stats = answer["ResultSet"]["Rows"][1]["Data"], answer["QueryExecution"]["Statistics"]
    took = f"{stats['FilesRead']} files read, {stats['TotalExecutionTimeInMillis']} ms"
    return {
        "SqlQuery": f'sluice sql "{query}"',
        "SqlAnswer": f"{carrier['VarCharValue']}: {flights['VarCharValue']} flights ({took})",
    }


def demo(
    months: Annotated[list[str] | None, typer.Option("--month", help="Months to run (repeatable).")] = None,
    json_: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Run flights_daily for 2013-01 and 2013-02 with `airflow dags test`, then print a summary."""
    from sluice.airflow_cli import dags_test

    months = months or ["2013-01", "2013-02"]
    ctx = SluiceContext.from_env()
    settings = ctx.settings
    console.print(f"SLUICE_HOME={settings.home}  lake={settings.lake}  warehouse={settings.warehouse_database_url}")
    started = time.monotonic()
    for month in months:
        console.rule(f"flights_daily {month}")
        code = dags_test("flights_daily", {"month": month})
        if code != 0:
            console.print(f"[bold red]flights_daily failed for {month} (exit {code}).[/] See the task logs above.")
            raise typer.Exit(code)
    result = summary(months, ctx)
    result["Seconds"] = round(time.monotonic() - started, 1)
    if json_:
        print_json(result)
    else:
        print_table("Sluice demo: flights_daily", ["", "Value"], [(k, v) for k, v in result.items()])
    if not result["WarehouseMatchesSource"]:
        console.print("[bold red]The warehouse row count does not match the landed flights.[/]")
        raise typer.Exit(1)
