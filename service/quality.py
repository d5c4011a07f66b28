"""Glue's data-quality result operations over ``quality.store``.

Rulesets are DQDL files (``sluice dq check --ruleset``), not catalog objects, so the ruleset operations
are not here. A listed result carries Sluice's ``Score``, ``RulesetName``, ``CompletedOn`` and rule counts
besides Glue's members; a result of lake files (not a table) names them in ``Dataset``.
"""

from __future__ import annotations

from typing import Any

from quality import store
from sluice.context import SluiceContext
from sluice.errors import EntityNotFoundException, InvalidInputException

__all__ = ["batch_get_data_quality_result", "get_data_quality_result", "list_data_quality_results"]


def get_data_quality_result(ctx: SluiceContext | None, *, ResultId: str) -> dict[str, Any]:
    """Glue GetDataQualityResult: the score and every rule's outcome."""
    return store.get_result(ResultId, ctx=ctx)


def batch_get_data_quality_result(ctx: SluiceContext | None, *, ResultIds: list[str]) -> dict[str, Any]:
    """Glue BatchGetDataQualityResult: the results found, and the ids of those that are not."""
    found, missing = [], []
    for result_id in ResultIds:
        try:
            found.append(store.get_result(result_id, ctx=ctx))
        except EntityNotFoundException:
            missing.append(result_id)
    return {"Results": found, "ResultsNotFound": missing}


def list_data_quality_results(
    ctx: SluiceContext | None,
    *,
    Filter: dict[str, Any] | None = None,
    MaxResults: int = 50,
    dataset: str | None = None,
) -> dict[str, Any]:
    """Glue ListDataQualityResults, newest first; ``Filter`` may name a ``DataSource.GlueTable``.

    ``dataset`` (Sluice's, not a Glue member) selects the results of a ``database.table`` or of lake files
    by the name the results carry, which a Filter cannot express for files.
    """
    if Filter:
        table = (Filter.get("DataSource") or {}).get("GlueTable")
        if set(Filter) != {"DataSource"} or not table or dataset:
            raise InvalidInputException("Filter: Sluice filters results by DataSource.GlueTable only.")
        dataset = f"{table['DatabaseName']}.{table['TableName']}"
    return {"Results": store.list_results(dataset, MaxResults, ctx=ctx)}
