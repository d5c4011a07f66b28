"""Glue's crawler operations over ``catalog.crawler``: definitions, runs, run history and metrics.

A crawler's targets are S3 (or lake) paths only. ``Role`` is accepted and ignored: a crawl runs as the
process that crawls. StartCrawler returns at once, as Glue's does: the crawl runs where the context's
launcher puts it (an Airflow DAG run of ``sluice_glue_crawler``, or a process on this host).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from catalog.crawler import definitions
from catalog.crawler.run import Progress
from catalog.crawler.run import start_crawler as run_crawler
from service.launching import launch
from sluice.context import SluiceContext
from sluice.errors import InvalidInputException, SluiceError
from sluice.launch import Work

log = logging.getLogger(__name__)

__all__ = [
    "create_crawler",
    "delete_crawler",
    "get_crawler",
    "get_crawler_metrics",
    "get_crawlers",
    "list_crawls",
    "start_crawler",
    "stop_crawler",
    "update_crawler",
]

_DEFAULTS: dict[str, Any] = {
    "DatabaseName": "",
    "TablePrefix": "",
    "SchemaChangePolicy": {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "DEPRECATE_IN_DATABASE"},
    "RecrawlPolicy": {"RecrawlBehavior": "CRAWL_EVERYTHING"},
}
_NOT_DEFINITION = ("ctx", "Name", "Role")  # the parameters of CreateCrawler/UpdateCrawler that are not stored


def _options(definition: dict[str, Any], members: dict[str, Any]) -> definitions.CrawlerOptions:
    """The crawler options of a stored (or default) definition with a request's members laid over it."""
    targets = members.get("Targets")
    if targets is not None and (set(targets) - {"S3Targets"} or not targets.get("S3Targets")):
        raise InvalidInputException("Targets: Sluice crawls S3Targets (lake or s3:// paths) only.")
    try:
        json.loads(members.get("Configuration") or "{}")
    except ValueError as exc:
        raise InvalidInputException(f"Configuration is not JSON: {exc}") from None
    merged = dict(definition)
    for key, value in members.items():
        if value is None:
            continue
        if key == "Schedule":  # "" is no schedule
            merged.pop(key, None)
            if value:
                merged[key] = {"ScheduleExpression": value, "State": "SCHEDULED"}
        elif key in ("SchemaChangePolicy", "RecrawlPolicy"):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return definitions.CrawlerOptions.from_definition(merged)


def create_crawler(
    ctx: SluiceContext | None,
    *,
    Name: str,
    Targets: dict[str, Any],
    Role: str | None = None,
    DatabaseName: str | None = None,
    Schedule: str | None = None,
    TablePrefix: str | None = None,
    SchemaChangePolicy: dict[str, str] | None = None,
    RecrawlPolicy: dict[str, str] | None = None,
    Configuration: str | None = None,
) -> dict[str, Any]:
    """Glue CreateCrawler."""
    members = {k: v for k, v in locals().items() if k not in _NOT_DEFINITION}
    definitions.create_crawler(Name, _options(_DEFAULTS, members), ctx=ctx)
    return {}


def update_crawler(
    ctx: SluiceContext | None,
    *,
    Name: str,
    Targets: dict[str, Any] | None = None,
    Role: str | None = None,
    DatabaseName: str | None = None,
    Schedule: str | None = None,
    TablePrefix: str | None = None,
    SchemaChangePolicy: dict[str, str] | None = None,
    RecrawlPolicy: dict[str, str] | None = None,
    Configuration: str | None = None,
) -> dict[str, Any]:
    """Glue UpdateCrawler: the members given replace the stored ones; the others stay."""
    members = {k: v for k, v in locals().items() if k not in _NOT_DEFINITION}
    current = definitions.get_crawler(Name, ctx=ctx)
    definitions.create_crawler(Name, _options(current, members), exist_ok=True, ctx=ctx)
    return {}


def get_crawler(ctx: SluiceContext | None, *, Name: str) -> dict[str, Any]:
    """Glue GetCrawler: the definition, state and last crawl."""
    return {"Crawler": definitions.get_crawler(Name, ctx=ctx)}


def get_crawlers(ctx: SluiceContext | None, *, MaxResults: int | None = None) -> dict[str, Any]:
    """Glue GetCrawlers, by name (the first ``MaxResults``)."""
    return {"Crawlers": definitions.get_crawlers(ctx=ctx)[:MaxResults]}


def start_crawler(
    ctx: SluiceContext | None, *, Name: str, wait: bool = False, progress: Progress | None = None
) -> dict[str, Any]:
    """Glue StartCrawler: the crawler is claimed RUNNING (CrawlerRunningException when it runs already) and
    its crawl handed to the context's launcher; returns at once, and GetCrawler/ListCrawls follow it.

    ``wait`` (Sluice's, not a Glue member: ``sluice crawler start``) crawls in this process instead, to the
    end, with ``progress`` seeing the files scanned.
    """
    ctx = SluiceContext.resolve(ctx)
    if wait:
        run_crawler(Name, progress=progress, ctx=ctx)
        return {}
    claim = definitions.claim_crawler(Name, pending=True, ctx=ctx)

    def failed(message: str) -> None:
        with ctx.session() as s:
            definitions.finish_crawl(s, claim, "FAILED", metrics={}, error_message=message)

    launch(ctx, Work("crawler", claim.run_id, Name, ctx.caller), failed)
    return {}


def run_claimed_crawl(ctx: SluiceContext, name: str, crawl_id: str) -> str:
    """Carry out the crawl StartCrawler claimed (``service.runner``): its status, SUCCEEDED or why not."""
    try:
        run_crawler(name, crawl_id=crawl_id, ctx=ctx)
    except SluiceError as exc:
        log.error("Crawl %s of crawler %s: %s", crawl_id, name, exc.message)
        return "CANCELLED" if isinstance(exc, definitions.CrawlCancelled) else "FAILED"
    return "SUCCEEDED"


def stop_crawler(ctx: SluiceContext | None, *, Name: str) -> dict[str, Any]:
    """Glue StopCrawler: the running crawl ends CANCELLED and writes nothing."""
    definitions.stop_crawler(Name, ctx=ctx)
    return {}


def delete_crawler(ctx: SluiceContext | None, *, Name: str) -> dict[str, Any]:
    """Glue DeleteCrawler (its tables stay); refused while it runs."""
    definitions.delete_crawler(Name, ctx=ctx)
    return {}


def get_crawler_metrics(
    ctx: SluiceContext | None, *, CrawlerNameList: list[str] | None = None, MaxResults: int | None = None
) -> dict[str, Any]:
    """Glue GetCrawlerMetrics of the crawlers named (all by default)."""
    return {"CrawlerMetricsList": definitions.get_crawler_metrics(CrawlerNameList, ctx=ctx)[:MaxResults]}


def list_crawls(ctx: SluiceContext | None, *, CrawlerName: str, MaxResults: int | None = None) -> dict[str, Any]:
    """Glue ListCrawls, newest first, each crawl with Sluice's status, counts, errors and change log."""
    limit = {} if MaxResults is None else {"limit": MaxResults}
    return {"Crawls": definitions.list_crawls(CrawlerName, ctx=ctx, **limit)}
