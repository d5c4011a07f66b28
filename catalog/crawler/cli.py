"""``sluice crawler …`` and ``sluice crawl``: Glue's crawler verbs, with a progress bar on the files scanned.

``--json`` prints the response shape of the matching ``aws glue`` call: ``{"Crawler": …}`` (create-crawler,
get-crawler), ``{"Crawlers": …}``, ``{"Crawls": …}`` (list-crawls), ``{"CrawlerMetricsList": …}`` and ``{}``
(stop-crawler, delete-crawler). ``start`` and ``crawl`` wait for the crawl and print it as ``{"Crawl": …}``,
ListCrawls' CrawlerHistory with Sluice's counts, errors and schema changes.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sluice.console import friendly_errors, print_json, print_table, progress

if TYPE_CHECKING:
    from catalog.crawler.definitions import CrawlerOptions
    from sluice.context import SluiceContext

app = typer.Typer(help="Define, run and inspect crawlers (mirrors `aws glue` crawler verbs).", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print Glue's JSON response shape.")]
NameOpt = Annotated[str, typer.Option("--name", help="Crawler name.")]
Paths = Annotated[
    list[str],
    typer.Option(
        "--path", help="Include path: a folder (relative ones are below the lake root) or s3://bucket/prefix."
    ),
]
Db = Annotated[str, typer.Option("--database-name", help="Catalog database the tables go to.")]
Exclude = Annotated[list[str] | None, typer.Option("--exclude", help="Glue exclusion glob (repeatable).")]
Prefix = Annotated[str, typer.Option("--table-prefix", help="Prefix of the names of the tables created.")]
Recrawl = Annotated[str, typer.Option("--recrawl-policy", help="CRAWL_EVERYTHING | CRAWL_NEW_FOLDERS_ONLY")]
Update = Annotated[str, typer.Option("--update-behavior", help="UPDATE_IN_DATABASE | LOG")]
Delete = Annotated[str, typer.Option("--delete-behavior", help="DEPRECATE_IN_DATABASE | DELETE_FROM_DATABASE | LOG")]
Sample = Annotated[int | None, typer.Option("--sample-size", help="Files per leaf folder read for schema (1-249).")]
Schedule = Annotated[str | None, typer.Option("--schedule", help="Cron expression: '0 3 * * *' or cron(0 3 * * ? *).")]
Level = Annotated[
    int | None,
    typer.Option(
        "--table-level",
        help="Tables sit at this folder depth below the include path (1: its sub-folders). "
        "Glue's TableLevelConfiguration counts from the bucket instead.",
    ),
]
Threshold = Annotated[
    int | None, typer.Option("--table-threshold", help="Fail, writing nothing, when more tables would be made.")
]
Grouping = Annotated[str | None, typer.Option("--grouping-policy", help="CombineCompatibleSchemas")]
MergeNew = Annotated[bool, typer.Option("--add-new-columns-only", help="Glue MergeNewColumns.")]
Inherit = Annotated[bool, typer.Option("--partitions-inherit-from-table", help="Partitions take the table's schema.")]

_RENAMED = {"path": "paths", "exclude": "exclusions", "recrawl_policy": "recrawl_behavior"}


def crawler_options(flags: dict[str, Any]) -> CrawlerOptions:
    """Options from a command's flags (its ``locals()``), which carry CrawlerOptions' field names."""
    from catalog.crawler.definitions import CrawlerOptions

    fields = {f.name for f in dataclasses.fields(CrawlerOptions)}
    values = {_RENAMED.get(k, k): v for k, v in flags.items()}
    return CrawlerOptions(**{k: v for k, v in values.items() if k in fields and v is not None})


def crawler_request(options: CrawlerOptions) -> dict[str, Any]:
    """The CreateCrawler/UpdateCrawler members of validated options: Schedule is its cron expression, or ""
    for none (so an update drops a schedule the options lack)."""
    definition = options.to_definition()
    definition["Schedule"] = definition.get("Schedule", {}).get("ScheduleExpression", "")
    return definition


def _context() -> SluiceContext:
    """The command's context, from the environment (imported when a command runs, as the service layer is)."""
    from sluice.context import SluiceContext

    return SluiceContext.from_env()


@app.command("create")
@friendly_errors
def create(
    name: NameOpt,
    path: Paths,
    database_name: Db,
    exclude: Exclude = None,
    table_prefix: Prefix = "",
    recrawl_policy: Recrawl = "CRAWL_EVERYTHING",
    update_behavior: Update = "UPDATE_IN_DATABASE",
    delete_behavior: Delete = "DEPRECATE_IN_DATABASE",
    sample_size: Sample = None,
    schedule: Schedule = None,
    table_level: Level = None,
    table_threshold: Threshold = None,
    grouping_policy: Grouping = None,
    add_new_columns_only: MergeNew = False,
    partitions_inherit_from_table: Inherit = False,
    json_: JsonOpt = False,
) -> None:
    """Define a crawler (Glue CreateCrawler)."""
    from service import crawlers as glue

    ctx, request = _context(), crawler_request(crawler_options(locals()))
    glue.create_crawler(ctx, Name=name, **request)
    if json_:
        print_json(glue.get_crawler(ctx, Name=name))
    else:
        typer.echo(f"Created crawler {name}. Run it with `sluice crawler start --name {name}`.")


def _crawl_with_progress(ctx: SluiceContext, name: str) -> dict[str, Any]:
    """StartCrawler with a progress bar on the files scanned; returns the crawl (the newest of ListCrawls)."""
    from service import crawlers as glue

    with progress() as bar:
        task = bar.add_task("Scanning files", total=None)

        def report(total: int | None, advance: int) -> None:
            if total is not None:
                bar.update(task, total=total)
            bar.advance(task, advance)

        glue.start_crawler(ctx, Name=name, wait=True, progress=report)
    crawl: dict[str, Any] = glue.list_crawls(ctx, CrawlerName=name, MaxResults=1)["Crawls"][0]
    return crawl


def _detail(event: dict[str, Any]) -> str:
    for key in ("Reason", "Action", "Values", "Location"):
        if event.get(key):
            value = event[key]
            return str(value if key != "Values" or len(value) <= 5 else [*value[:5], f"… {len(value)} in all"])
    return ""


def _print_crawl(run: dict[str, Any], json_: bool) -> None:
    if json_:
        print_json({"Crawl": run})
        return
    m = run["Metrics"]
    print_table(
        f"Crawl {run['CrawlId']} of {run['CrawlerName']}: {run['Status']}",
        ["Tables created", "Tables updated", "Tables deleted", "Partitions added", "Files", "Errors", "Seconds"],
        [(m["TablesCreated"], m["TablesUpdated"], m["TablesDeleted"], m["PartitionsAdded"], m["FilesScanned"],
          len(run["Errors"]), m["DurationSeconds"])],
    )  # fmt: skip
    if run["Errors"]:
        print_table("Files not read", ["Path", "Reason"], [(e["Path"], e["Reason"]) for e in run["Errors"]])
    changes = [e for e in run["Log"] if e["Event"] != "TABLE_CREATED"]
    if changes:
        print_table("Changes", ["Event", "Table", "Detail"], [(e["Event"], e["Table"], _detail(e)) for e in changes])


@app.command("start")
@friendly_errors
def start(name: NameOpt, json_: JsonOpt = False) -> None:
    """Run a crawler now (Glue StartCrawler) and wait for it."""
    _print_crawl(_crawl_with_progress(_context(), name), json_)


@app.command("stop")
@friendly_errors
def stop(name: NameOpt, json_: JsonOpt = False) -> None:
    """Ask a running crawl to stop (Glue StopCrawler); it ends CANCELLED and writes nothing."""
    from service import crawlers as glue

    glue.stop_crawler(_context(), Name=name)
    if json_:
        print_json({})
    else:
        typer.echo(f"Stopping crawler {name}.")


@app.command("get-crawler")
@friendly_errors
def get_crawler(name: NameOpt, json_: JsonOpt = False) -> None:
    """Show a crawler's definition and state."""
    from service import crawlers as glue

    response = glue.get_crawler(_context(), Name=name)
    if json_:
        print_json(response)
        return
    crawler = response["Crawler"]
    last = crawler.get("LastCrawl", {})
    print_table(f"Crawler {name}", ["Field", "Value"], [
        ("State", crawler["State"]),
        ("DatabaseName", crawler["DatabaseName"]),
        ("Targets", ", ".join(t["Path"] for t in crawler["Targets"]["S3Targets"])),
        ("SchemaChangePolicy", crawler["SchemaChangePolicy"]),
        ("RecrawlPolicy", crawler["RecrawlPolicy"]["RecrawlBehavior"]),
        ("Schedule", crawler.get("Schedule", {}).get("ScheduleExpression", "-")),
        ("LastCrawl", f"{last.get('Status', '-')} {last.get('StartTime', '')} {last.get('ErrorMessage', '')}"),
    ])  # fmt: skip


@app.command("get-crawlers")
@friendly_errors
def get_crawlers(json_: JsonOpt = False) -> None:
    """List crawlers."""
    from service import crawlers as glue

    response = glue.get_crawlers(_context())
    if json_:
        print_json(response)
        return
    crawlers = response["Crawlers"]
    print_table("Crawlers", ["Name", "State", "Database", "Last crawl"], [
        (c["Name"], c["State"], c["DatabaseName"], c.get("LastCrawl", {}).get("Status", "-")) for c in crawlers
    ])  # fmt: skip


@app.command("get-crawler-metrics")
@friendly_errors
def get_crawler_metrics(
    crawler_name_list: Annotated[list[str] | None, typer.Option("--crawler-name-list")] = None, json_: JsonOpt = False
) -> None:
    """Glue GetCrawlerMetrics."""
    from service import crawlers as glue

    response = glue.get_crawler_metrics(_context(), CrawlerNameList=crawler_name_list)
    if json_:
        print_json(response)
        return
    metrics = response["CrawlerMetricsList"]
    columns = [
        "CrawlerName",
        "LastRuntimeSeconds",
        "MedianRuntimeSeconds",
        "TablesCreated",
        "TablesUpdated",
        "TablesDeleted",
    ]
    print_table("Crawler metrics", columns, [[m[c] for c in columns] for m in metrics])


@app.command("list-crawls")
@friendly_errors
def list_crawls(
    crawler_name: Annotated[str, typer.Option("--crawler-name")],
    max_results: Annotated[int, typer.Option("--max-results", min=1, max=1000)] = 20,
    json_: JsonOpt = False,
) -> None:
    """Run history: tables created/updated/deleted, partitions added, files scanned, errors, duration."""
    from service import crawlers as glue

    response = glue.list_crawls(_context(), CrawlerName=crawler_name, MaxResults=max_results)
    if json_:
        print_json(response)
        return
    crawls = response["Crawls"]
    print_table(f"Crawls of {crawler_name}", [
        "CrawlId", "Status", "StartTime", "Created", "Updated", "Deleted", "Partitions+", "Files", "Errors", "Seconds",
    ], [
        (c["CrawlId"], c["Status"], c["StartTime"], c["Metrics"].get("TablesCreated", ""),
         c["Metrics"].get("TablesUpdated", ""), c["Metrics"].get("TablesDeleted", ""),
         c["Metrics"].get("PartitionsAdded", ""), c["Metrics"].get("FilesScanned", ""),
         len(c["Errors"]) or c.get("ErrorMessage", ""), c["Metrics"].get("DurationSeconds", ""))
        for c in crawls
    ])  # fmt: skip


@app.command("delete")
@friendly_errors
def delete(name: NameOpt, json_: JsonOpt = False) -> None:
    """Delete a crawler (its tables stay)."""
    from service import crawlers as glue

    glue.delete_crawler(_context(), Name=name)
    if json_:
        print_json({})
    else:
        typer.echo(f"Deleted crawler {name}.")


def crawl_command(
    path: Annotated[list[str], typer.Argument(help="Include paths: folders or s3://bucket/prefix.")],
    database_name: Db,
    name: Annotated[str | None, typer.Option("--name", help="Crawler name (default: from database and paths).")] = None,
    exclude: Exclude = None,
    table_prefix: Prefix = "",
    recrawl_policy: Recrawl = "CRAWL_EVERYTHING",
    update_behavior: Update = "UPDATE_IN_DATABASE",
    delete_behavior: Delete = "DEPRECATE_IN_DATABASE",
    sample_size: Sample = None,
    schedule: Schedule = None,
    table_level: Level = None,
    table_threshold: Threshold = None,
    grouping_policy: Grouping = None,
    add_new_columns_only: MergeNew = False,
    partitions_inherit_from_table: Inherit = False,
    json_: JsonOpt = False,
) -> None:
    """Define and start a crawler in one call; without --name, repeated crawls of the same paths share state."""
    from catalog.crawler.definitions import default_name
    from service import crawlers as glue
    from sluice.errors import AlreadyExistsException

    ctx, opts = _context(), crawler_options(locals())
    crawler, request = name or default_name(database_name, opts.paths), crawler_request(opts)
    try:
        glue.create_crawler(ctx, Name=crawler, **request)
    except AlreadyExistsException:
        glue.update_crawler(ctx, Name=crawler, **request)
    _print_crawl(_crawl_with_progress(ctx, crawler), json_)


crawl = friendly_errors(crawl_command)
