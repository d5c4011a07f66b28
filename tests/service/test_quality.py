"""Data-quality result operations through ``invoke``, on results stored under the explicit context."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from quality.results import glue_table
from quality.store import save_result
from sluice.context import SluiceContext
from sluice.errors import EntityNotFoundException, InvalidInputException


def stored(ctx: SluiceContext, result_id: str, dataset: str, passed: bool = True) -> dict[str, Any]:
    now = datetime.now(UTC)
    rule = {"Name": "Rule_1", "Description": "RowCount > 0", "Result": "PASS" if passed else "FAIL",
            "EvaluatedMetrics": {"Dataset.*.RowCount": 3.0}}  # fmt: skip
    result = {"ResultId": result_id, "Score": 1.0 if passed else 0.0, "RulesetName": "checks", "StartedOn": now,
              "CompletedOn": now, "RuleResults": [rule], "AnalyzerResults": []}  # fmt: skip
    if "." in dataset and "/" not in dataset:
        result["DataSource"] = glue_table(*dataset.split("."))
    save_result(result, dataset=dataset, engine="pandas", ctx=ctx)
    return result


def test_get_batch_get_and_list(glue, ctx: SluiceContext) -> None:
    stored(ctx, "dqresult-1", "curated.trips")
    stored(ctx, "dqresult-2", "/lake/landing/events", passed=False)
    one = glue("GetDataQualityResult", {"ResultId": "dqresult-1"})
    assert one["DataSource"] == {"GlueTable": {"DatabaseName": "curated", "TableName": "trips"}}
    assert [r["Result"] for r in one["RuleResults"]] == ["PASS"]
    files = glue("GetDataQualityResult", {"ResultId": "dqresult-2"})
    assert files["Dataset"] == "/lake/landing/events" and files["Score"] == 0.0

    batch = glue("BatchGetDataQualityResult", {"ResultIds": ["dqresult-1", "dqresult-9"]})
    assert [r["ResultId"] for r in batch["Results"]] == ["dqresult-1"] and batch["ResultsNotFound"] == ["dqresult-9"]

    every = glue("ListDataQualityResults", {})["Results"]
    assert {r["ResultId"] for r in every} == {"dqresult-1", "dqresult-2"}
    table = {"DataSource": {"GlueTable": {"DatabaseName": "curated", "TableName": "trips"}}}
    listed = glue("ListDataQualityResults", {"Filter": table, "MaxResults": 5})["Results"]
    assert [(r["ResultId"], r["RulesPassed"], r["RulesTotal"]) for r in listed] == [("dqresult-1", 1, 1)]


def test_missing_result_and_unsupported_filter(glue) -> None:
    with pytest.raises(EntityNotFoundException, match="Data quality result nope not found"):
        glue("GetDataQualityResult", {"ResultId": "nope"})
    assert glue("ListDataQualityResults", {"Filter": {"JobName": "no_such_job"}})["Results"] == []
    other = {"DataQualityGlueTable": {"DatabaseName": "curated", "TableName": "trips"}}
    with pytest.raises(InvalidInputException, match=r"Filter\.DataSource: Sluice filters results by a GlueTable only"):
        glue("ListDataQualityResults", {"Filter": {"DataSource": other}})
