"""catalog_crawlers: run the catalog's scheduled crawlers (``sluice crawler create --schedule CRON``) when due.

Crawler definitions are read when the DAG runs, never while it is parsed, so this file stays import-light:
every five minutes ``due`` lists the crawlers whose schedule fired since their last crawl
(``catalog.crawler.schedule.due``), and ``crawl`` runs each (a mapped task) and records an asset event for
every table it created or changed.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from airflow.sdk import DAG, get_current_context, task
from sluice_airflow.assets import TABLES, crawl_tables, emit_table_events
from sluice_airflow.hooks import SluiceHook

log = logging.getLogger(__name__)


with DAG(
    dag_id="catalog_crawlers",
    description="Run the catalog's scheduled crawlers when their cron schedule is due.",
    schedule="*/5 * * * *",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["sluice", "catalog"],
) as dag:

    @task
    def due() -> list[str]:
        """Crawlers due now."""
        from catalog.crawler import schedule
        from catalog.crawler.definitions import get_crawlers

        names = schedule.due(get_crawlers(ctx=SluiceHook().get_conn()), datetime.now(UTC))
        log.info("Due crawlers: %s", names or "none")
        return names

    @task(outlets=[TABLES], max_active_tis_per_dagrun=2)
    def crawl(name: str) -> dict[str, Any]:
        """Run one crawler (Glue StartCrawler); emit an event per table it created or changed."""
        from catalog.crawler.definitions import get_crawler
        from catalog.crawler.run import start_crawler

        ctx = SluiceHook().get_conn()
        run = start_crawler(name, ctx=ctx)
        tables = crawl_tables(run, get_crawler(name, ctx=ctx)["DatabaseName"], ctx)
        uris = emit_table_events(get_current_context(), tables, {"CrawlId": run["CrawlId"]})
        log.info("Crawl %s: %s; changed %s", run["CrawlId"], run["Status"], uris or "no tables")
        return {k: v for k, v in run.items() if k != "Log"}

    crawl.expand(name=due())
