"""catalog_crawlers: run the catalog's scheduled crawlers (``sluice crawler create --schedule CRON``) when due.

Crawler definitions are read when the DAG runs, never while it is parsed, so this file stays import-light:
every five minutes ``due`` lists the crawlers whose schedule fired since their last crawl, and ``crawl``
runs each (a mapped task) and records an asset event for every table it created or changed.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

from airflow.sdk import DAG, get_current_context, task
from sluice_airflow.assets import TABLES, crawl_tables, emit_table_events
from sluice_airflow.hooks import SluiceHook

log = logging.getLogger(__name__)


def cron_expression(schedule: str) -> str:
    """A five-field cron from a crawler schedule: plain cron, or Glue's ``cron(M H DoM Mon DoW Y)``.

    Glue's form drops its year, reads ``?`` as ``*`` and numbers weekdays from 1 (Sunday), cron from 0.
    """
    text = schedule.strip()
    glue = text.startswith("cron(") and text.endswith(")")
    fields = (text[5:-1] if glue else text).split()
    if glue and len(fields) == 6:
        minute, hour, dom, month, dow, _year = fields
        dow = re.sub(r"(?<![#\d])\d(?!\d)", lambda m: str(int(m[0]) - 1), dow)
        fields = [minute, hour, dom, month, dow]
    return " ".join(f.replace("?", "*") for f in fields)


def due_crawlers(crawlers: list[dict[str, Any]], now: datetime) -> list[str]:
    """Names of READY, SCHEDULED crawlers whose schedule fired after their last crawl (or their creation)."""
    from croniter import croniter

    due = []
    for crawler in crawlers:
        schedule = crawler.get("Schedule") or {}
        if schedule.get("State") != "SCHEDULED" or crawler.get("State") != "READY":
            continue
        expression = cron_expression(schedule.get("ScheduleExpression", ""))
        if not croniter.is_valid(expression):
            log.warning("Crawler %s: schedule %r is not a cron expression", crawler["Name"], expression)
            continue
        last = (crawler.get("LastCrawl") or {}).get("StartTime") or crawler["CreationTime"]
        if croniter(expression, datetime.fromisoformat(last)).get_next(datetime) <= now:
            due.append(crawler["Name"])
    return due


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
        SluiceHook().configure()
        from catalog.crawler.definitions import get_crawlers

        names = due_crawlers(get_crawlers(), datetime.now(UTC))
        log.info("Due crawlers: %s", names or "none")
        return names

    @task(outlets=[TABLES], max_active_tis_per_dagrun=2)
    def crawl(name: str) -> dict[str, Any]:
        """Run one crawler (Glue StartCrawler); emit an event per table it created or changed."""
        SluiceHook().configure()
        from catalog.crawler.definitions import get_crawler
        from catalog.crawler.run import start_crawler

        run = start_crawler(name)
        tables = crawl_tables(run, get_crawler(name)["DatabaseName"])
        uris = emit_table_events(get_current_context(), tables, {"CrawlId": run["CrawlId"]})
        log.info("Crawl %s: %s; changed %s", run["CrawlId"], run["Status"], uris or "no tables")
        return {k: v for k, v in run.items() if k != "Log"}

    crawl.expand(name=due())
