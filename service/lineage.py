"""Lineage from what Sluice records: which crawler, job or load made each table, what each job read, and which
state machines run which jobs and crawlers.

Nodes are catalog tables (``table:db.name``), warehouse tables (``warehouse:schema.name``), jobs, crawlers and
state machines. Edges come from

* crawls: a table's ``UPDATED_BY_CRAWLER`` parameter (crawler → table);
* job commits: each journal's catalog updates (job → table), warehouse loads (job → warehouse table) and the
  sources the run read (table → job; lake paths matched to table locations);
* job bookmarks: the files a job's committed bookmark states hold, matched to table locations (table → job),
  for commits recorded before runs journaled their sources;
* the load ledger: the lake files each warehouse table was loaded from, matched likewise (table → warehouse);
* state machine definitions: ``glue:startJobRun``, ``aws-sdk:glue:startCrawler`` and ``states:startExecution``
  tasks (machine → job, crawler or machine).

Only recent records are read (the latest commits and bookmark states of each job, one ledger path per load),
so the graph costs little on a large lake.
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import sqlalchemy as sa

from catalog.models import CrawlerRow, DatabaseRow, TableRow
from etl.journal import CatalogUpdate, SourceRead, WarehouseLoad, load_entries
from etl.models import BookmarkHistoryRow, JobCommitRow, JobDefinitionRow, JobRunRow
from service.loads import warehouse
from sluice.context import SluiceContext
from sluice.errors import EntityNotFoundException, InvalidInputException
from stepfunctions.models import StateMachineRow
from warehouse.identifiers import parse_target
from warehouse.ledger import ledger_table

__all__ = ["get_lineage"]

RECENT = 20
"""Commits and bookmark states read per job."""


class _Graph:
    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, str]] = {}
        self.edges: dict[tuple[str, str], str] = {}

    def node(self, kind: str, name: str) -> str:
        key = f"{kind}:{name}"
        self.nodes.setdefault(key, {"Id": key, "Kind": kind, "Name": name})
        return key

    def edge(self, source: str, target: str, via: str) -> None:
        if source != target:
            self.edges.setdefault((source, target), via)


def _locations(s: Any, graph: _Graph) -> list[tuple[str, str]]:
    """Add every catalog table (and its crawler's edge); returns (location, node) pairs, longest first."""
    rows = s.execute(
        sa.select(DatabaseRow.name, TableRow.name, TableRow.parameters, TableRow.descriptor).join(
            DatabaseRow, TableRow.database_id == DatabaseRow.id
        )
    )
    found = []
    for database, name, parameters, descriptor in rows:
        node = graph.node("table", f"{database}.{name}")
        crawler = (parameters or {}).get("UPDATED_BY_CRAWLER")
        if crawler:
            graph.edge(graph.node("crawler", crawler), node, "crawl")
        location = (descriptor or {}).get("Location")
        if location:
            found.append((location.rstrip("/") + "/", node))
    for (crawler,) in s.execute(sa.select(CrawlerRow.name)):
        graph.node("crawler", crawler)
    return sorted(found, key=lambda pair: -len(pair[0]))


def table_of(path: str, locations: list[tuple[str, str]]) -> str | None:
    """The node of the table whose location holds ``path`` (the deepest one), else None."""
    return next((node for location, node in locations if path.startswith(location)), None)


def _latest_per_job(model: Any, columns: Iterable[Any], order: Any) -> sa.Select[Any]:
    """The ``RECENT`` latest rows of each job (a window function, so one query for every job)."""
    rank = sa.func.row_number().over(partition_by=model.job_name, order_by=order.desc()).label("rank")
    inner = sa.select(*columns, rank).subquery()
    return sa.select(*(inner.c[c.key] for c in columns)).where(inner.c.rank <= RECENT)


def warehouse_name(target: str, default_schema: str) -> str:
    """``schema.table`` of a load target as written (``fact``, ``main.fact``)."""
    ref = parse_target(target)
    return f"{ref.schema or default_schema}.{ref.name}"


def _jobs(s: Any, graph: _Graph, locations: list[tuple[str, str]], default_schema: str) -> None:
    for (name,) in s.execute(sa.select(JobDefinitionRow.name)):
        graph.node("job", name)
    for (name,) in s.execute(sa.select(JobRunRow.job_name).distinct()):
        graph.node("job", name)
    commits = _latest_per_job(
        JobCommitRow, (JobCommitRow.job_name, JobCommitRow.catalog_updates), JobCommitRow.committed_on
    )
    for job, updates in s.execute(commits):
        node = graph.node("job", job)
        for entry in load_entries(updates or []):
            if isinstance(entry, CatalogUpdate):
                graph.edge(node, graph.node("table", f"{entry.database}.{entry.table}"), "job")
            elif isinstance(entry, WarehouseLoad):
                graph.edge(node, graph.node("warehouse", warehouse_name(entry.target, default_schema)), "load")
            elif isinstance(entry, SourceRead) and entry.database and entry.table:
                graph.edge(graph.node("table", f"{entry.database}.{entry.table}"), node, "read")
            elif isinstance(entry, SourceRead):
                folders = (path.rstrip("/") + "/" for path in entry.paths)  # a read of the table's own folder
                for source in filter(None, (table_of(path, locations) for path in folders)):
                    graph.edge(source, node, "read")
    states = _latest_per_job(
        BookmarkHistoryRow, (BookmarkHistoryRow.job_name, BookmarkHistoryRow.state), BookmarkHistoryRow.id
    )
    for job, state in s.execute(states):
        node = graph.node("job", job)
        for path in _bookmarked_paths(state or {}):
            source = table_of(path, locations)
            if source is not None:
                graph.edge(source, node, "read")


def _bookmarked_paths(state: Mapping[str, Any]) -> Iterator[str]:
    """The file paths a bookmark state holds: each source's band (``mtime``) or file list (``manifest``)."""
    for source in state.values():
        if isinstance(source, dict):
            for key in ("band", "files"):
                if isinstance(source.get(key), dict):
                    yield from source[key]


def _loads(ctx: SluiceContext, graph: _Graph, locations: list[tuple[str, str]]) -> None:
    """Table → warehouse edges from one ledger path per load (job loads are in their commits already)."""
    with warehouse(ctx) as found:
        if found is None:
            return
        conn, schemas = found
        for schema in schemas:
            t = ledger_table(schema)
            for target, path in conn.execute(
                sa.select(t.c.target, sa.func.min(t.c.path)).group_by(t.c.target, t.c.load_id)
            ):
                node = graph.node("warehouse", f"{schema}.{target}")
                source = table_of(path, locations)
                if source is not None:
                    graph.edge(source, node, "load")


def _machines(s: Any, graph: _Graph) -> None:
    for name, definition in s.execute(sa.select(StateMachineRow.name, StateMachineRow.definition)):
        node = graph.node("state_machine", name)
        try:
            doc = json.loads(definition)
        except ValueError:
            continue
        for kind, target in machine_targets(doc):
            graph.edge(node, graph.node(kind, target), "runs")


def machine_targets(doc: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """The jobs, crawlers and state machines a definition's Task states start (named statically)."""
    for state in (doc.get("States") or {}).values():
        if not isinstance(state, dict):
            continue
        for branch in state.get("Branches") or []:
            if isinstance(branch, dict):
                yield from machine_targets(branch)
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                yield from machine_targets(state[key])
        resource = str(state.get("Resource", ""))
        args = state.get("Parameters") or state.get("Arguments") or {}
        if not isinstance(args, dict):
            continue
        if resource.startswith("arn:aws:states:::glue:startJobRun") and isinstance(args.get("JobName"), str):
            yield "job", args["JobName"]
        elif resource.startswith("arn:aws:states:::aws-sdk:glue:startCrawler") and isinstance(args.get("Name"), str):
            yield "crawler", args["Name"]
        elif resource.startswith("arn:aws:states:::states:startExecution"):
            arn = args.get("StateMachineArn")
            if isinstance(arn, str) and ":stateMachine:" in arn:
                yield "state_machine", arn.rsplit(":stateMachine:", 1)[1].split(":")[0]


def neighbourhood(edges: Iterable[tuple[str, str]], start: str, depth: int) -> set[str]:
    """``start`` and the nodes up to ``depth`` edges upstream of it, and up to ``depth`` downstream."""
    forward: dict[str, list[str]] = defaultdict(list)
    backward: dict[str, list[str]] = defaultdict(list)
    for a, b in edges:
        forward[a].append(b)
        backward[b].append(a)
    keep = {start}
    for links in (forward, backward):
        seen, queue = {start}, deque([(start, 0)])
        while queue:
            node, far = queue.popleft()
            if far == depth:
                continue
            for nxt in links[node]:
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append((nxt, far + 1))
        keep |= seen
    return keep


def get_lineage(
    ctx: SluiceContext,
    *,
    Node: str | None = None,
    Depth: int = 2,
    DatabaseName: str | None = None,
) -> dict[str, Any]:
    """``{"Nodes": [{"Id", "Kind", "Name"}], "Edges": [{"From", "To", "Via"}]}``: the whole lake's lineage, or
    ``Node``'s neighbourhood (``table:raw.flights``, ``job:daily`` …) up to ``Depth`` edges either way, or the
    part touching one database's tables."""
    if Depth < 1:
        raise InvalidInputException(f"Depth must be at least 1, not {Depth}.")
    graph = _Graph()
    with ctx.session() as s:
        locations = _locations(s, graph)
        default = "public" if "postgresql" in ctx.settings.warehouse_database_url else "main"
        _jobs(s, graph, locations, default)
        _machines(s, graph)
    _loads(ctx, graph, locations)
    keep: set[str] | None = None
    if Node is not None:
        if Node not in graph.nodes:
            raise EntityNotFoundException(
                f"No lineage node {Node}.", hint="Name it as kind:name, e.g. table:raw.flights."
            )
        keep = neighbourhood(graph.edges, Node, Depth)
    elif DatabaseName is not None:
        mine = {n for n, v in graph.nodes.items() if v["Kind"] == "table" and v["Name"].startswith(f"{DatabaseName}.")}
        keep = mine | {x for a, b in graph.edges for x in (a, b) if a in mine or b in mine}
    nodes = [v for k, v in sorted(graph.nodes.items()) if keep is None or k in keep]
    edges = [
        {"From": a, "To": b, "Via": via}
        for (a, b), via in sorted(graph.edges.items())
        if keep is None or (a in keep and b in keep)
    ]
    return {"Nodes": nodes, "Edges": edges}
