"""What the Sluice pages show: the service layer's Glue operations, in their response shapes.

Every read goes through :func:`context`, the ``sluice_default`` connection's context.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from service import catalog, jobs, quality
from sluice.context import SluiceContext


@cache
def context() -> SluiceContext:
    """The UI's context: the ``sluice_default`` connection's (the environment's when there is none), read once."""
    from sluice_airflow.hooks import SluiceHook

    return SluiceHook().get_conn()


def get_tables(database: str | None = None) -> dict[str, Any]:
    """Glue GetTables over one database, or over every database when ``database`` is None."""
    ctx = context()
    names = [database] if database else [db["Name"] for db in catalog.get_databases(ctx)["DatabaseList"]]
    return {"TableList": [table for name in names for table in catalog.get_tables(ctx, DatabaseName=name)["TableList"]]}


def get_table(
    database: str,
    table: str,
    expression: str | None = None,
    limit: int | None = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    """One table with its partitions (filtered by a Glue partition ``expression``; a page of ``limit`` when
    given, ``NextToken`` naming the next) and its schema versions."""
    ctx = context()
    page = catalog.get_partitions(
        ctx, DatabaseName=database, TableName=table, Expression=expression, MaxResults=limit, NextToken=next_token
    )
    return {
        **catalog.get_table(ctx, DatabaseName=database, Name=table),
        "Partitions": page["Partitions"],
        **({"NextToken": page["NextToken"]} if page.get("NextToken") else {}),
        **catalog.get_table_versions(ctx, DatabaseName=database, TableName=table),
    }


def get_job_runs(job_name: str | None = None, limit: int = 100) -> dict[str, Any]:
    """Glue GetJobRuns, newest first, of one job or of all jobs."""
    return jobs.get_job_runs(context(), JobName=job_name, MaxResults=limit)


def get_job_bookmarks() -> dict[str, Any]:
    """Every job's bookmark entry (Glue GetJobBookmark for each job that has one)."""
    from sqlalchemy import select

    from etl.models import BookmarkRow

    ctx = context()
    with ctx.session() as s:
        names = list(s.scalars(select(BookmarkRow.job_name).order_by(BookmarkRow.job_name)))
    return {"JobBookmarkEntries": [jobs.get_job_bookmark(ctx, JobName=name)["JobBookmarkEntry"] for name in names]}


def get_job_bookmark(job_name: str) -> dict[str, Any]:
    """Glue GetJobBookmark."""
    return jobs.get_job_bookmark(context(), JobName=job_name)


def reset_job_bookmark(job_name: str, run_id: str | None = None) -> dict[str, Any]:
    """Glue ResetJobBookmark; with ``run_id``, rewind to the state that run committed."""
    return jobs.reset_job_bookmark(context(), JobName=job_name, RunId=run_id or None)


def list_dq_results(dataset: str | None = None, limit: int = 50) -> dict[str, Any]:
    """Stored data-quality results of a dataset (all when None), newest first, with their rule counts."""
    return quality.list_data_quality_results(context(), MaxResults=limit, dataset=dataset)


def get_dq_result(result_id: str) -> dict[str, Any]:
    """Glue GetDataQualityResult: the score and every rule's outcome."""
    return quality.get_data_quality_result(context(), ResultId=result_id)


def data_docs_root() -> Path:
    """Where the ``gx`` engine's checkpoints write Great Expectations Data Docs."""
    from quality.engines.gx import docs_dir

    return docs_dir()


def data_docs_file(path: str) -> Path | None:
    """A file of the Data Docs site (``index.html`` for an empty path); None when absent or outside the site."""
    root = data_docs_root().resolve()
    target = (root / (path or "index.html")).resolve()
    return target if target.is_file() and target.is_relative_to(root) else None


# pictures and the pages without a Glue operation --------------------------------------------------------


def get_lineage(node: str | None = None, depth: int = 2, database: str | None = None) -> dict[str, Any]:
    """The lake's lineage graph, a node's neighbourhood, or one database's part of it, with the Airflow DAGs
    that emit or are scheduled on the ``sluice://`` assets of its tables (:func:`asset_edges`). The whole lake
    also gets the tables only Airflow knows of yet (a DAG scheduled on a table no run has written)."""
    from service.lineage import get_lineage as lineage

    graph = lineage(context(), Node=node, Depth=depth, DatabaseName=database)
    whole = node is None and database is None
    drawn = {n["Id"] for n in graph["Nodes"]}
    known = {(e["From"], e["To"]) for e in graph["Edges"]}
    for source, target, via in asset_edges():
        table = target if source.startswith("dag:") else source
        if (whole or table in drawn) and (source, target) not in known:
            known.add((source, target))
            graph["Edges"].append({"From": source, "To": target, "Via": via})
            for end in (source, target):
                if end not in drawn:
                    drawn.add(end)
                    kind, name = end.split(":", 1)
                    graph["Nodes"].append({"Id": end, "Kind": kind, "Name": name})
    return graph


def asset_node(uri: str) -> str | None:
    """The lineage node of a Sluice asset URI (``sluice://raw/flights``, ``sluice://warehouse/fact``)."""
    from service.lineage import warehouse_name
    from sluice_airflow.assets import SCHEME, WAREHOUSE

    prefix = f"{SCHEME}://"
    if not uri.startswith(prefix) or "/" not in uri[len(prefix) :]:
        return None
    database, table = uri[len(prefix) :].split("/", 1)
    if database == WAREHOUSE:
        default = "public" if "postgresql" in context().settings.warehouse_database_url else "main"
        return f"warehouse:{warehouse_name(table, default)}"
    return f"table:{database}.{table}"


def asset_edges() -> list[tuple[str, str, str]]:
    """Edges from Airflow's records of the ``sluice://`` assets: DAG → table for the DAGs whose tasks emitted an
    event on it (through the ``sluice-tables`` alias) or declare it an outlet, table → DAG for the DAGs
    scheduled on it (one distinct query each)."""
    from airflow.models.asset import AssetEvent, AssetModel, DagScheduleAssetReference, TaskOutletAssetReference
    from airflow.utils.session import create_session
    from sqlalchemy import select

    sluice = AssetModel.uri.like("sluice://%")
    queries = {
        "asset event": select(AssetModel.uri, AssetEvent.source_dag_id)
        .join(AssetEvent, AssetEvent.asset_id == AssetModel.id)
        .where(sluice, AssetEvent.source_dag_id.is_not(None)),
        "outlet": select(AssetModel.uri, TaskOutletAssetReference.dag_id)
        .join(TaskOutletAssetReference, TaskOutletAssetReference.asset_id == AssetModel.id)
        .where(sluice),
        "schedules": select(AssetModel.uri, DagScheduleAssetReference.dag_id)
        .join(DagScheduleAssetReference, DagScheduleAssetReference.asset_id == AssetModel.id)
        .where(sluice),
    }
    edges = []
    with create_session() as s:
        for via, query in queries.items():
            for uri, dag in s.execute(query.distinct()):
                node = asset_node(uri)
                if node is not None:
                    edges.append((node, f"dag:{dag}", via) if via == "schedules" else (f"dag:{dag}", node, via))
    return edges


def get_dq_trend(dataset: str, limit: int = 100) -> dict[str, Any]:
    """A dataset's DQ score and rule metrics over time, with their rules' bounds."""
    from service.trends import get_data_quality_trend

    return get_data_quality_trend(context(), Dataset=dataset, MaxResults=limit)


def get_job_trend(job_name: str, limit: int = 100) -> dict[str, Any]:
    """A job's ended runs over time: duration, record counts, failures."""
    from service.trends import get_job_run_trend

    return get_job_run_trend(context(), JobName=job_name, MaxResults=limit)


def get_storage_cost(uri: str | None = None) -> dict[str, Any]:
    """The lifecycle report per table or prefix, with the latest plan's projection."""
    from service.costs import get_storage_cost as cost

    return cost(context(), Uri=uri)


def list_lifecycle_plans(uri: str | None = None, next_token: str | None = None) -> dict[str, Any]:
    """Lifecycle plans, applies and restores, newest first."""
    from service.costs import list_lifecycle_plans as plans

    return plans(context(), Uri=uri, NextToken=next_token)


def get_lifecycle_plan(plan_id: str, next_token: str | None = None) -> dict[str, Any]:
    """One lifecycle plan with a page of its actions."""
    from service.costs import get_lifecycle_plan as plan

    return plan(context(), PlanId=plan_id, NextToken=next_token)


def list_crawler_runs(crawler: str | None = None, next_token: str | None = None) -> dict[str, Any]:
    """Crawls of every crawler (or one), newest first, with their changes per table and unreadable files."""
    from service.crawls import list_crawler_runs as crawls

    return crawls(context(), CrawlerName=crawler, NextToken=next_token)


def list_load_targets() -> dict[str, Any]:
    """Every warehouse table in a load ledger, with its totals."""
    from service.loads import list_load_targets as targets

    return targets(context())


def get_load_ledger(target: str, next_token: str | None = None) -> dict[str, Any]:
    """One warehouse table's load ledger, a page of files and its loads."""
    from service.loads import get_load_ledger as ledger

    return ledger(context(), Target=target, NextToken=next_token)


def list_state_machines() -> dict[str, Any]:
    """ListStateMachines, every page."""
    from service import states

    machines: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = states.list_state_machines(context(), maxResults=1000, nextToken=token)
        machines += page["stateMachines"]
        token = page.get("nextToken")
        if not token:
            return {"stateMachines": machines}


def machine_arn(name: str) -> str:
    """The ARN of the state machine called ``name``."""
    from service import states

    found = next((m for m in list_state_machines()["stateMachines"] if m["name"] == name), None)
    if found is None:
        states.describe_state_machine(context(), stateMachineArn=name)  # raises Step Functions' own error
    return str(found["stateMachineArn"]) if found else name


def get_state_machine(name: str, limit: int = 50) -> dict[str, Any]:
    """DescribeStateMachine, the definition's graph and the latest executions."""
    from service import states
    from sluice_airflow.ui.machine import machine_graph

    arn = machine_arn(name)
    machine = states.describe_state_machine(context(), stateMachineArn=arn)
    executions = states.list_executions(context(), stateMachineArn=arn, maxResults=limit)["executions"]
    return {"StateMachine": machine, "Graph": machine_graph(machine["definition"]).to_dict(), "Executions": executions}


def get_execution(name: str, execution: str) -> dict[str, Any]:
    """DescribeExecution, the graph with each state's status, and every step's input and output."""
    from service import states
    from sluice_airflow.ui.machine import execution_steps, machine_graph, path_statuses, state_statuses

    arn = machine_arn(name).replace(":stateMachine:", ":execution:", 1) + f":{execution}"
    described = states.describe_execution(context(), executionArn=arn)
    events: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = states.get_execution_history(context(), executionArn=arn, maxResults=1000, nextToken=token)
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            break
    machine = states.describe_state_machine(context(), stateMachineArn=described["stateMachineArn"])
    graph = machine_graph(machine["definition"])
    steps = execution_steps(events, described["status"])
    statuses = path_statuses(graph, state_statuses(steps), described["status"])
    return {
        "Execution": described,
        "Graph": graph.to_dict(),
        "Statuses": statuses,
        "Steps": [s.to_dict() for s in steps],
    }
