"""Results in the metadata DB: each evaluation (``dq_results``) and its metrics (``dq_metrics``, the history
that dynamic rules and DetectAnomalies read)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from quality.models import DQMetricRow, DQResultRow
from quality.results import glue_table, metric_values
from sluice.context import SluiceContext
from sluice.errors import EntityNotFoundException

_TABLE = re.compile(r"^(?P<db>[^./:]+)\.(?P<table>[^/:]+)$")


def save_result(
    result: dict[str, Any],
    *,
    dataset: str,
    engine: str,
    ruleset: str = "",
    job_run_id: str | None = None,
    job_name: str | None = None,
    ctx: SluiceContext | None = None,
) -> None:
    """Store a result (with the ``EvaluationContext`` it names) and append its metrics to ``dataset``'s history,
    in one transaction."""
    metrics = [
        {"dataset": dataset, "metric": metric, "value": value, "result_id": result["ResultId"]}
        for metric, value in metric_values(result).items()
    ]
    with SluiceContext.resolve(ctx).session() as s:
        s.add(
            DQResultRow(
                result_id=result["ResultId"],
                ruleset_name=result.get("RulesetName"),
                dataset=dataset,
                engine=engine,
                score=result["Score"],
                started_on=result["StartedOn"],
                completed_on=result["CompletedOn"],
                job_run_id=job_run_id,
                job_name=job_name,
                evaluation_context=result.get("EvaluationContext"),
                rule_results=result["RuleResults"],
                analyzer_results=result.get("AnalyzerResults", []),
                ruleset=ruleset,
            )
        )
        if metrics:  # one executemany: no ORM objects, no primary keys read back
            s.execute(insert(DQMetricRow), metrics)


def link_result(result_id: str, *, ruleset_name: str, evaluation_run_id: str, ctx: SluiceContext | None = None) -> None:
    """Name a stored result's ruleset and the ruleset evaluation run that made it."""
    with SluiceContext.resolve(ctx).session() as s:
        s.execute(
            update(DQResultRow)
            .where(DQResultRow.result_id == result_id)
            .values(ruleset_name=ruleset_name, evaluation_run_id=evaluation_run_id)
        )


def history(dataset: str, *, ctx: SluiceContext | None = None) -> Callable[[str], Sequence[float]]:
    """``lookup(metric)`` → the metric's stored values for ``dataset``, oldest first."""
    ctx = SluiceContext.resolve(ctx)
    cache: dict[str, list[float]] = {}

    def lookup(metric: str) -> Sequence[float]:
        if metric not in cache:
            with ctx.session() as s:
                query = (
                    select(DQMetricRow.value)
                    .where(DQMetricRow.dataset == dataset, DQMetricRow.metric == metric)
                    .order_by(DQMetricRow.id)
                )
                cache[metric] = list(s.scalars(query))
        return cache[metric]

    return lookup


def _shape(row: DQResultRow) -> dict[str, Any]:
    result: dict[str, Any] = {"ResultId": row.result_id, "Score": row.score}
    match = _TABLE.match(row.dataset)
    if match:
        result["DataSource"] = glue_table(match["db"], match["table"])
    else:
        result["Dataset"] = row.dataset
    if row.ruleset_name:
        result["RulesetName"] = row.ruleset_name
    if row.evaluation_context:
        result["EvaluationContext"] = row.evaluation_context
    if row.job_name:
        result["JobName"] = row.job_name
    if row.job_run_id:
        result["JobRunId"] = row.job_run_id
    if row.evaluation_run_id:
        result["RulesetEvaluationRunId"] = row.evaluation_run_id
    result |= {"StartedOn": row.started_on, "CompletedOn": row.completed_on}
    result |= {"RuleResults": row.rule_results, "AnalyzerResults": row.analyzer_results}
    return result


def get_result(result_id: str, *, ctx: SluiceContext | None = None) -> dict[str, Any]:
    """Glue GetDataQualityResult."""
    with SluiceContext.resolve(ctx).session() as s:
        row = s.get(DQResultRow, result_id)
        if row is None:
            raise EntityNotFoundException(
                f"Data quality result {result_id} not found.", hint="List results with `sluice dq get-results`."
            )
        return _shape(row)


def list_results(
    dataset: str | None = None,
    limit: int = 50,
    *,
    job_name: str | None = None,
    job_run_id: str | None = None,
    started_after: datetime | None = None,
    started_before: datetime | None = None,
    ctx: SluiceContext | None = None,
) -> list[dict[str, Any]]:
    """Stored results, newest first (Glue ListDataQualityResults, with Score and rule counts added): of
    ``dataset``, of a job's runs or one run, started strictly inside the bounds given."""
    with SluiceContext.resolve(ctx).session() as s:
        query = select(DQResultRow).order_by(DQResultRow.completed_on.desc()).limit(limit)
        wanted = {DQResultRow.dataset: dataset, DQResultRow.job_name: job_name, DQResultRow.job_run_id: job_run_id}
        query = query.where(*(column == value for column, value in wanted.items() if value))
        if started_after is not None:
            query = query.where(DQResultRow.started_on > started_after)
        if started_before is not None:
            query = query.where(DQResultRow.started_on < started_before)
        out = []
        for row in s.scalars(query):
            shaped = _shape(row)
            rules = shaped.pop("RuleResults")
            shaped.pop("AnalyzerResults")
            shaped["RulesPassed"] = sum(r["Result"] == "PASS" for r in rules)
            shaped["RulesTotal"] = len(rules)
            out.append(shaped)
        return out
