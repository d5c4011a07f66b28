"""Glue's GetDataQualityResult shape, built from judged outcomes (pure)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # results are built by the engines; importing them here would be circular
    from quality.dqdl import Analyzer, Ruleset
    from quality.engines.plan import Outcome

RESULT_STATES = ("PASS", "FAIL", "ERROR")


def new_result_id() -> str:
    """A Glue-style result id, ``dqresult-<hex>``."""
    return f"dqresult-{uuid.uuid4().hex}"


def rule_results(ruleset: Ruleset, outcomes: Sequence[Outcome]) -> list[dict[str, Any]]:
    """``RuleResults``: one entry per top-level rule, named ``Rule_1``... in document order."""
    out = []
    for index, (rule, outcome) in enumerate(zip(ruleset.rules, outcomes, strict=True), start=1):
        entry: dict[str, Any] = {"Name": f"Rule_{index}", "Description": rule.text}
        if outcome.message:
            entry["EvaluationMessage"] = outcome.message
        entry |= {
            "Result": outcome.result,
            "EvaluatedMetrics": dict(outcome.metrics),
            "EvaluatedRule": outcome.evaluated_rule,
            "Labels": dict(rule.labels),
        }
        out.append(entry)
    return out


def analyzer_results(measured: Sequence[tuple[Analyzer, dict[str, float], str | None]]) -> list[dict[str, Any]]:
    """``AnalyzerResults``: metrics of each entry of the ``Analyzers`` section."""
    out = []
    for index, (analyzer, metrics, error) in enumerate(measured, start=1):
        entry: dict[str, Any] = {"Name": f"Analyzer_{index}", "Description": str(analyzer)}
        if error:
            entry["EvaluationMessage"] = error
        entry["EvaluatedMetrics"] = dict(metrics)
        out.append(entry)
    return out


def score(results: Sequence[dict[str, Any]]) -> float:
    """The share of rules that passed (Glue's Score); 1.0 for a ruleset without rules."""
    return sum(r["Result"] == "PASS" for r in results) / len(results) if results else 1.0


def build_result(
    ruleset: Ruleset,
    outcomes: Sequence[Outcome],
    analyzers: Sequence[tuple[Analyzer, dict[str, float], str | None]],
    *,
    started: datetime,
    completed: datetime,
    ruleset_name: str | None = None,
    result_id: str | None = None,
    data_source: dict[str, Any] | None = None,
    evaluation_context: str | None = None,
) -> dict[str, Any]:
    """A GetDataQualityResult document."""
    rules = rule_results(ruleset, outcomes)
    result: dict[str, Any] = {"ResultId": result_id or new_result_id(), "Score": score(rules)}
    if data_source:
        result["DataSource"] = data_source
    result |= {"RulesetName": ruleset_name, "EvaluationContext": evaluation_context}
    result |= {"StartedOn": started, "CompletedOn": completed, "RuleResults": rules}
    result["AnalyzerResults"] = analyzer_results(analyzers)
    return {k: v for k, v in result.items() if v is not None}


def failed_rules(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Rule results that did not pass (FAIL or ERROR)."""
    return [r for r in result["RuleResults"] if r["Result"] != "PASS"]


def glue_table(database: str, table: str) -> dict[str, Any]:
    """A ``DataSource`` naming a catalog table."""
    return {"GlueTable": {"DatabaseName": database, "TableName": table}}


def metric_values(result: dict[str, Any]) -> dict[str, float]:
    """Every evaluated metric of a result (rules and analyzers), for the metric history."""
    out: dict[str, float] = {}
    for entry in [*result["RuleResults"], *result.get("AnalyzerResults", [])]:
        out.update(entry.get("EvaluatedMetrics", {}))
    return out
