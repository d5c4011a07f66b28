"""Crawler runs across every crawler, newest first, each with what it changed table by table (from its change
log, and the partitions it added counted in SQL) and the files it could not read, with the reasons."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from catalog.crawler.definitions import crawl_shape
from catalog.models import CrawlerRow, CrawlRunRow, DatabaseRow, PartitionRow, TableRow
from sluice.context import SluiceContext

__all__ = ["list_crawler_runs"]

#: Change-log events that name a table, and what the page calls them.
CHANGES = {
    "TABLE_CREATED": "created",
    "SCHEMA_CHANGE": "schema changed",
    "TABLE_MISSING": "missing",
    "PARTITION_SCHEMA_MISMATCH": "partition schema mismatch",
    "PARTITIONS_MISSING": "partitions missing",
    "TABLE_NAME_CONFLICT": "name conflict",
}


def list_crawler_runs(
    ctx: SluiceContext, *, CrawlerName: str | None = None, MaxResults: int = 25, NextToken: str | None = None
) -> dict[str, Any]:
    """``{"Crawls": [ListCrawls' crawl + "DatabaseName", "Tables": [{"Table", "Changes", "PartitionsAdded"}]],
    "NextToken"?}``: one page of crawls of every crawler (or of one)."""
    offset = int(NextToken or 0)
    query = sa.select(CrawlRunRow, CrawlerRow.name, CrawlerRow.definition).join(
        CrawlerRow, CrawlRunRow.crawler_id == CrawlerRow.id
    )
    if CrawlerName:
        query = query.where(CrawlerRow.name == CrawlerName)
    out = []
    with ctx.session() as s:
        rows = s.execute(query.order_by(CrawlRunRow.started_on.desc()).offset(offset).limit(MaxResults + 1)).all()
        for run, name, definition in rows[:MaxResults]:
            database = (definition or {}).get("DatabaseName", "")
            crawl = crawl_shape(run, name) | {"DatabaseName": database}
            crawl["Tables"] = _tables(s, run, database)
            out.append(crawl)
    return {"Crawls": out} | ({"NextToken": str(offset + MaxResults)} if len(rows) > MaxResults else {})


def _tables(s: Any, run: CrawlRunRow, database: str) -> list[dict[str, Any]]:
    """Per table: the crawl's change-log events and the partitions created while it ran."""
    tables: dict[str, dict[str, Any]] = {}
    for entry in run.log or []:
        change = CHANGES.get(str(entry.get("Event")))
        if change and entry.get("Table"):
            row = tables.setdefault(entry["Table"], {"Table": entry["Table"], "Changes": [], "PartitionsAdded": 0})
            if change not in row["Changes"]:
                row["Changes"].append(change)
    if (run.metrics or {}).get("PartitionsAdded") and database:
        window = [PartitionRow.creation_time >= run.started_on]
        if run.completed_on is not None:
            window.append(PartitionRow.creation_time <= run.completed_on)
        counts = s.execute(
            sa.select(TableRow.name, sa.func.count())
            .join(DatabaseRow, TableRow.database_id == DatabaseRow.id)
            .join(PartitionRow, PartitionRow.table_id == TableRow.id)
            .where(DatabaseRow.name == database, *window)
            .group_by(TableRow.name)
        )
        for table, n in counts:
            tables.setdefault(table, {"Table": table, "Changes": [], "PartitionsAdded": 0})["PartitionsAdded"] = n
    return sorted(tables.values(), key=lambda t: t["Table"])
