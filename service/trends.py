"""Trends over time, read from the stored records: a dataset's DQ score and each rule's metric (with the
bounds its rule sets: static, dynamic or the anomaly band), and a job's run duration and record counts.

Series run oldest first and hold at most ``MaxResults`` points (the latest), selected in SQL.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from catalog.shapes import iso
from etl.models import JobRunRow
from etl.runs import TERMINAL
from quality.dqdl import parse_rule
from quality.dqdl.ast import Rule
from quality.engines.plan import ANOMALY_MIN_HISTORY, ANOMALY_SIGMAS
from quality.models import DQResultRow
from sluice.context import SluiceContext
from sluice.errors import EntityNotFoundException, InvalidInputException

__all__ = ["get_data_quality_trend", "get_job_run_trend"]

JOB_METRICS = ("recordsRead", "recordsWritten", "badRecords", "bytesRead", "filesRead")
FAILED = ("FAILED", "TIMEOUT", "ERROR", "STOPPED")


def _primary(metrics: dict[str, Any]) -> tuple[str, float] | None:
    """A rule's first numeric metric (the one its condition tests)."""
    return next(
        ((k, float(v)) for k, v in metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)), None
    )


def _rule(text: str) -> Rule | None:
    try:
        rule = parse_rule(text)
    except (InvalidInputException, ValueError):
        return None
    return rule if isinstance(rule, Rule) else None


def rule_bounds(rule: Rule | None, past: Sequence[float]) -> dict[str, Any]:
    """``{"Lower", "Upper", "Bound"}`` a rule sets on its metric given the metric's past values (oldest first):
    ``anomaly`` for DetectAnomalies (mean ± 3σ once it has history), ``dynamic`` for rules over ``last()``/
    ``avg()`` …, ``static`` for plain numbers; empty when the rule sets none (or no number)."""
    if rule is None:
        return {}
    if rule.rule_type == "DetectAnomalies":
        if len(past) < ANOMALY_MIN_HISTORY:
            return {}
        mean = statistics.fmean(past)
        band = ANOMALY_SIGMAS * statistics.pstdev(past) or abs(mean) * 1e-9
        return {"Lower": mean - band, "Upper": mean + band, "Bound": "anomaly"}
    condition = rule.condition
    if condition is None or condition.kind != "number" or condition.op not in ("=", ">", ">=", "<", "<=", "between"):
        return {}
    try:
        values = condition.operand_values(history=past)
    except (ArithmeticError, ValueError, IndexError, statistics.StatisticsError):
        return {}  # a dynamic rule without enough history yet
    if any(v is None for v in values):
        return {}
    kind = "dynamic" if condition.is_dynamic else "static"
    if condition.op == "between" or condition.op == "=":
        return {"Lower": values[0], "Upper": values[-1], "Bound": kind}
    return {("Lower" if condition.op.startswith(">") else "Upper"): values[0], "Bound": kind}


def get_data_quality_trend(ctx: SluiceContext, *, Dataset: str, MaxResults: int = 100) -> dict[str, Any]:
    """``{"Dataset", "Score": [{"ResultId", "CompletedOn", "Score"}], "Rules": [{"Rule", "Metric", "Points":
    [{"ResultId", "CompletedOn", "Value", "Result", "Lower"?, "Upper"?, "Bound"?}]}]}``, oldest first."""
    with ctx.session() as s:
        rows = list(
            s.execute(
                sa.select(DQResultRow.result_id, DQResultRow.completed_on, DQResultRow.score, DQResultRow.rule_results)
                .where(DQResultRow.dataset == Dataset)
                .order_by(DQResultRow.completed_on.desc(), DQResultRow.result_id.desc())
                .limit(MaxResults)
            )
        )
    if not rows:
        raise EntityNotFoundException(f"No data quality results of {Dataset}.")
    rows.reverse()
    score = [{"ResultId": r, "CompletedOn": iso(when), "Score": value} for r, when, value, _ in rows]
    rules: dict[str, dict[str, Any]] = {}
    parsed: dict[str, Rule | None] = {}
    for result_id, when, _score, outcomes in rows:
        for outcome in outcomes or []:
            text = str(outcome.get("Description") or outcome.get("Name"))
            metric = _primary(outcome.get("EvaluatedMetrics") or {})
            if metric is None:
                continue
            series = rules.setdefault(text, {"Rule": text, "Metric": metric[0], "Points": []})
            if text not in parsed:
                parsed[text] = _rule(text)
            past = [p["Value"] for p in series["Points"]]
            point = {
                "ResultId": result_id,
                "CompletedOn": iso(when),
                "Value": metric[1],
                "Result": outcome.get("Result"),
            }
            series["Points"].append(point | rule_bounds(parsed[text], past))
    return {"Dataset": Dataset, "Score": score, "Rules": list(rules.values())}


def get_job_run_trend(ctx: SluiceContext, *, JobName: str, MaxResults: int = 100) -> dict[str, Any]:
    """``{"JobName", "Runs": [{"Id", "StartedOn", "JobRunState", "Failed", "ExecutionTime", recordsRead …}]}``:
    the job's ended runs, oldest first, failures flagged (none yet: an empty list)."""
    with ctx.session() as s:
        rows = s.execute(
            sa.select(JobRunRow.id, JobRunRow.started_on, JobRunRow.completed_on, JobRunRow.state, JobRunRow.metrics)
            .where(JobRunRow.job_name == JobName, JobRunRow.state.in_(TERMINAL))
            .order_by(JobRunRow.started_on.desc())
            .limit(MaxResults)
        ).all()
    runs = []
    for run_id, started, completed, state, metrics in reversed(rows):
        seconds = (completed - started).total_seconds() if completed else None
        runs.append(
            {
                "Id": run_id,
                "StartedOn": iso(started),
                "JobRunState": state,
                "Failed": state if state in FAILED else None,
                "ExecutionTime": seconds,
                **{k: (metrics or {}).get(k, 0) for k in JOB_METRICS},
            }
        )
    return {"JobName": JobName, "Runs": runs}
