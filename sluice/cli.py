"""The ``sluice`` command: mounts each package's verbs (catalog, crawler, job, dq, warehouse, lifecycle, airflow)."""

from __future__ import annotations

import typer

from catalog.cli import app as catalog_app
from catalog.crawler.cli import app as crawler_app
from catalog.crawler.cli import crawl
from etl.cli import app as job_app
from etl.lifecycle.cli import app as lifecycle_app
from etl.warehouse.cli import app as warehouse_app
from quality.cli import app as dq_app
from sluice.airflow_cli import app as airflow_app
from sluice.console import friendly_errors
from sluice.demo import demo
from sluice.workflow_cli import app as workflow_app

app = typer.Typer(
    help="Sluice: a Glue-style catalog, crawler, job bookmarks, DQDL and lake lifecycle on Airflow and Spark.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(catalog_app, name="catalog")
app.add_typer(crawler_app, name="crawler")
app.command("crawl")(crawl)
app.add_typer(job_app, name="job")
app.add_typer(dq_app, name="dq")
app.add_typer(warehouse_app, name="warehouse")
app.add_typer(lifecycle_app, name="lifecycle")
app.add_typer(workflow_app, name="workflow")
app.add_typer(airflow_app, name="airflow")
app.command("demo")(friendly_errors(demo))

db_app = typer.Typer(help="The metadata database.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
@friendly_errors
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply metadata migrations (also done automatically on first use)."""
    from sluice.db import get_engine, upgrade
    from sluice.settings import get_settings

    upgrade(get_engine(migrate=False), revision)
    typer.echo(f"Metadata DB at {get_settings().metadata_database_url} is at {revision}.")


def main() -> None:
    """Console-script entry point."""
    app()
