"""Gates: results stored (SQLite and PostgreSQL), history behind dynamic rules and DetectAnomalies,
fail/warn/quarantine actions, and catalog-table and path sources."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from quality.gate import DataQualityFailed, check_dataframe, run_gate
from quality.store import get_result, history, list_results
from sluice.errors import EntityNotFoundException, InvalidInputException
from sluice.settings import get_settings

pytestmark = pytest.mark.spark


def test_fail_action_names_the_rule_and_still_stores(flights, dqdl) -> None:
    text = dqdl(["RowCount > 0", 'IsComplete "dep_time"'])
    with pytest.raises(DataQualityFailed, match=r'Rule_2 IsComplete "dep_time" → FAIL') as caught:
        check_dataframe(flights, text, dataset="curated.flights", action="fail")
    assert "sluice dq get-result --result-id dqresult-" in caught.value.hint
    [listed] = list_results("curated.flights")
    stored = get_result(listed["ResultId"])
    assert listed["RulesPassed"] == 1 and listed["RulesTotal"] == 2
    assert stored["DataSource"] == {"GlueTable": {"DatabaseName": "curated", "TableName": "flights"}}
    assert [r["Result"] for r in stored["RuleResults"]] == ["PASS", "FAIL"]
    with pytest.raises(EntityNotFoundException):
        get_result("dqresult-missing")


def test_warn_and_min_score(flights, dqdl) -> None:
    text = dqdl(["RowCount > 0", 'IsComplete "dep_time"'])
    result, passing = check_dataframe(flights, text, dataset="d.t", action="warn")
    assert result["Score"] == 0.5 and passing is flights
    with pytest.raises(DataQualityFailed, match=r"below min_score 0\.9"):
        check_dataframe(flights, text, dataset="d.t", action="warn", min_score=0.9)
    with pytest.raises(InvalidInputException, match="action must be one of"):
        check_dataframe(flights, text, dataset="d.t", action="explode")


def test_quarantine_splits_rows(spark, flights, dqdl) -> None:
    text = dqdl(['IsComplete "dep_time"', 'ColumnValues "air_time" <= 600', "RowCount > 0"])
    result, passing = check_dataframe(flights, text, dataset="curated.flights", action="quarantine")
    quarantine = result["Quarantine"]
    assert quarantine["Path"].startswith(get_settings().lake) and result["ResultId"] in quarantine["Path"]
    bad = spark.read.parquet(quarantine["Path"])
    assert bad.count() == quarantine["Rows"] > 0
    assert passing.count() + quarantine["Rows"] == 2000
    assert passing.where(F.col("dep_time").isNull() | (F.col("air_time") > 600)).count() == 0
    assert bad.where("DataQualityEvaluationResult = 'Failed'").count() == quarantine["Rows"]
    assert "DataQualityRulesFail" not in passing.columns


def test_dynamic_rules_and_anomalies_read_stored_history(spark, flights, dqdl) -> None:
    text = dqdl(["RowCount >= avg(last(3)) * 0.9", 'DetectAnomalies "RowCount"'])
    for _ in range(3):
        result, _ = check_dataframe(flights, text, dataset="d.t", action="fail")
    assert history("d.t")("Dataset.*.RowCount") == [2000.0] * 3
    assert result["RuleResults"][0]["EvaluatedRule"] == "RowCount >= 1800"
    small = flights.limit(100)
    result, _ = check_dataframe(small, text, dataset="d.t", action="warn")
    assert [r["Result"] for r in result["RuleResults"]] == ["FAIL", "FAIL"]
    assert "anomaly" in result["RuleResults"][1]["EvaluationMessage"]


def test_catalog_table_gate_and_path_gate(catalog_flights, dqdl, sluice_home) -> None:
    ruleset = sluice_home / "flights.dqdl"
    ruleset.write_text(dqdl(["RowCount = 2000", 'IsComplete "carrier"']))
    result = run_gate(database="curated", table="flights", ruleset=str(ruleset))
    assert result["Score"] == 1.0 and result["RulesetName"] == "flights"
    by_path = run_gate(path="curated/flights", format="parquet", ruleset=str(ruleset), engine="pandas")
    assert by_path["Score"] == 1.0
    assert {r["ResultId"] for r in list_results()} == {result["ResultId"], by_path["ResultId"]}
    with pytest.raises(InvalidInputException, match="either a catalog table"):
        run_gate(database="curated", path="x", ruleset=str(ruleset))


@pytest.mark.postgres
def test_results_on_postgresql(flights, dqdl, pg_url, monkeypatch) -> None:
    from sluice.db import reset_engines

    monkeypatch.setenv("SLUICE_METADATA_URL", pg_url)
    get_settings.cache_clear()
    reset_engines()
    result, _ = check_dataframe(flights, dqdl(["RowCount > 0"]), dataset="pg.flights", action="fail")
    assert get_result(result["ResultId"])["RuleResults"][0]["Result"] == "PASS"
    assert history("pg.flights")("Dataset.*.RowCount") == [2000.0]
