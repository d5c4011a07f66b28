"""Catalog tables as Airflow Assets, ``sluice://<database>/<table>``, and the events tasks emit for them.

A task that changes tables lists ``TABLES`` (an AssetAlias) in its outlets and calls ``emit_table_events``
with the tables it changed; Airflow then records an event on each table's Asset, and DAGs scheduled on
those Assets run (Glue's conditional triggers). Warehouse tables are ``sluice://warehouse/<target>``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow.sdk import Asset, AssetAlias

if TYPE_CHECKING:
    from sluice.context import SluiceContext

SCHEME = "sluice"
WAREHOUSE = "warehouse"
TABLES = AssetAlias("sluice-tables")

Table = tuple[str, str]


def table_uri(database: str, table: str) -> str:
    """``sluice://<database>/<table>``."""
    return f"{SCHEME}://{database}/{table}"


def table_asset(database: str, table: str) -> Asset:
    """The Asset of a catalog (or warehouse) table; its name is its URI."""
    return Asset(table_uri(database, table))


def crawl_tables(run: dict[str, Any], database: str, ctx: SluiceContext | None = None) -> list[Table]:
    """Tables a crawl created, changed the schema of, deprecated or deleted, or added partitions to."""
    from sqlalchemy import select

    from catalog.models import DatabaseRow, PartitionRow, TableRow
    from sluice.context import SluiceContext

    names = [
        entry["Table"]
        for entry in run.get("Log", [])
        if entry.get("Event") == "TABLE_CREATED"
        or (entry.get("Event") == "SCHEMA_CHANGE" and entry.get("Applied"))
        or (entry.get("Event") == "TABLE_MISSING" and entry.get("Action") != "LOG")
    ]
    if run.get("StartTime") and run.get("Metrics", {}).get("PartitionsAdded"):
        started = datetime.fromisoformat(run["StartTime"])
        with SluiceContext.resolve(ctx).session() as s:
            names += s.scalars(
                select(TableRow.name)
                .join(DatabaseRow, TableRow.database_id == DatabaseRow.id)
                .join(PartitionRow, PartitionRow.table_id == TableRow.id)
                .where(DatabaseRow.name == database, PartitionRow.creation_time >= started)
                .distinct()
            )
    return [(database, name) for name in dict.fromkeys(names)]


def job_tables(run: dict[str, Any], ctx: SluiceContext | None = None) -> list[Table]:
    """Catalog tables a succeeded job run wrote (from its commit journal); none when it wrote no records."""
    from etl.journal import CatalogUpdate, load_entries
    from etl.models import JobCommitRow
    from sluice.context import SluiceContext

    if run.get("JobRunState") != "SUCCEEDED" or not run.get("Metrics", {}).get("recordsWritten"):
        return []
    with SluiceContext.resolve(ctx).session() as s:
        journal = s.get(JobCommitRow, run["Id"])
        entries = load_entries(journal.catalog_updates) if journal else []
    # Warehouse loads name no catalog table; their loads emit their own events.
    return list(dict.fromkeys((e.database, e.table) for e in entries if isinstance(e, CatalogUpdate)))


def load_tables(result: dict[str, Any], target: str) -> list[Table]:
    """The warehouse table a load changed, unless it loaded nothing.

    ``target`` is named as the load was asked for (``fact_flights``, not the resolved ``main.fact_flights``),
    so DAGs schedule on the name their authors write.
    """
    if not result.get("RowsLoaded") and not result.get("TableCreated"):
        return []
    return [(WAREHOUSE, target)]


def emit_table_events(context: Any, tables: Iterable[Table], extra: dict[str, Any] | None = None) -> list[str]:
    """Record an asset event per table through ``TABLES`` (the task must list it in ``outlets``); returns URIs."""
    events = context["outlet_events"][TABLES]
    uris = []
    for database, table in dict.fromkeys(tables):
        events.add(table_asset(database, table), extra=extra or {})
        uris.append(table_uri(database, table))
    return uris
