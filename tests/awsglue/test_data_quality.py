"""``awsgluedq.transforms.EvaluateDataQuality`` as Glue Studio's generated scripts call it: rule outcomes,
row-level outcomes, results stored with the job, its run and the evaluation context, and its errors."""

from __future__ import annotations

import sys

import pytest

from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.job import Job
from awsglue.transforms import SelectFromCollection
from awsglue.utils import getResolvedOptions
from awsgluedq.transforms import EvaluateDataQuality
from service import invoke
from sluice.errors import InvalidInputException

pytestmark = pytest.mark.spark

RULESET = """
    Rules = [
        ColumnCount > 0,
        IsComplete "name",
        ColumnValues "age" > 18
    ]
"""
PUBLISHING = {"dataQualityEvaluationContext": "EvaluateDataQuality_node1", "enableDataQualityResultsPublishing": True}
ADDITIONAL = {"dataQualityResultsPublishing.strategy": "BEST_EFFORT", "observations.scope": "ALL"}


@pytest.fixture
def people(spark, glue: GlueContext) -> DynamicFrame:
    rows = [(1, "ann", 34), (2, None, 17), (3, "cy", 51)]
    return DynamicFrame.fromDF(spark.createDataFrame(rows, "id long, name string, age int"), glue, "people")


def results_of(job_name: str) -> list[dict]:
    return invoke(None, "ListDataQualityResults", {"Filter": {"JobName": job_name}})["Results"]


def test_process_rows_in_a_job_gives_both_outcomes_and_stores_the_result_with_the_job(
    glue: GlueContext, people: DynamicFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["script.py", "--JOB_NAME", "dq_studio_job"])
    job = Job(glue)
    job.init("dq_studio_job", getResolvedOptions(sys.argv, ["JOB_NAME"]))
    dfc = EvaluateDataQuality().process_rows(
        frame=people, ruleset=RULESET, publishing_options=PUBLISHING, additional_options=ADDITIONAL
    )
    assert sorted(dfc.keys()) == ["rowLevelOutcomes", "ruleOutcomes"]

    outcomes = SelectFromCollection.apply(dfc=dfc, key="ruleOutcomes", transformation_ctx="ruleOutcomes")
    df = outcomes.toDF()
    assert df.schema.simpleString() == (
        "struct<Rule:string,Outcome:string,FailureReason:string,EvaluatedMetrics:map<string,double>>"
    )
    by_rule = {r.Rule: r for r in df.collect()}
    assert list(by_rule) == ["ColumnCount > 0", 'IsComplete "name"', 'ColumnValues "age" > 18']
    assert [r.Outcome for r in by_rule.values()] == ["Passed", "Failed", "Failed"]
    assert by_rule["ColumnCount > 0"].FailureReason is None
    assert by_rule["ColumnCount > 0"].EvaluatedMetrics == {"Dataset.*.ColumnCount": 3.0}
    assert by_rule['IsComplete "name"'].EvaluatedMetrics == {"Column.name.Completeness": pytest.approx(2 / 3)}
    assert by_rule['IsComplete "name"'].FailureReason
    # what Glue Studio's "fail the job" action generates
    assert outcomes.filter(lambda x: x["Outcome"] == "Failed").count() == 2

    rows = SelectFromCollection.apply(dfc=dfc, key="rowLevelOutcomes").toDF()
    assert rows.columns == [
        *("id", "name", "age", "DataQualityRulesPass", "DataQualityRulesFail", "DataQualityRulesSkip"),
        "DataQualityEvaluationResult",
    ]
    by_id = {r.id: r for r in rows.collect()}
    assert {i: r.DataQualityEvaluationResult for i, r in by_id.items()} == {1: "Passed", 2: "Failed", 3: "Passed"}
    assert by_id[2].DataQualityRulesFail == ['IsComplete "name"', 'ColumnValues "age" > 18']
    assert by_id[1].DataQualityRulesSkip == ["ColumnCount > 0"]
    job.commit()

    (listed,) = results_of("dq_studio_job")
    result = invoke(None, "GetDataQualityResult", {"ResultId": listed["ResultId"]})
    assert result["JobName"] == "dq_studio_job" and result["EvaluationContext"] == "EvaluateDataQuality_node1"
    run_id = invoke(None, "GetJobRuns", {"JobName": "dq_studio_job"})["JobRuns"][0]["Id"]
    assert result["JobRunId"] == run_id
    assert (
        invoke(None, "ListDataQualityResults", {"Filter": {"JobRunId": run_id}})["Results"][0]["ResultId"]
        == (listed["ResultId"])
    )
    assert [r["Result"] for r in result["RuleResults"]] == ["PASS", "FAIL", "FAIL"]
    assert result["Score"] == pytest.approx(1 / 3)
    started = result["StartedOn"].timestamp()
    window = {"JobName": "dq_studio_job", "StartedAfter": started - 60, "StartedBefore": started + 60}
    assert len(invoke(None, "ListDataQualityResults", {"Filter": window})["Results"]) == 1
    later = {"JobName": "dq_studio_job", "StartedAfter": started + 1}
    assert invoke(None, "ListDataQualityResults", {"Filter": later})["Results"] == []


def test_apply_reports_a_rule_that_cannot_run_as_failed_and_publishes_only_when_asked(
    spark, glue: GlueContext, people: DynamicFrame
) -> None:
    name = spark.sparkContext.appName
    before = len(results_of(name))
    ruleset = 'Rules = [ RowCount = 3, IsComplete "missing", ReferentialIntegrity "id" "reference.id" = 1.0 ]'
    reference = DynamicFrame.fromDF(spark.createDataFrame([(1,), (2,), (3,)], "id long"), glue, "reference")
    outcomes = EvaluateDataQuality.apply(
        frame=people,
        ruleset=ruleset,
        publishing_options={"enableDataQualityResultsPublishing": False},
        additional_data_sources={"reference": reference},
    )
    by_rule = {r.Rule: (r.Outcome, r.FailureReason) for r in outcomes.toDF().collect()}
    assert by_rule["RowCount = 3"] == ("Passed", None)
    assert by_rule['ReferentialIntegrity "id" "reference.id" = 1.0'] == ("Passed", None)
    outcome, reason = by_rule['IsComplete "missing"']
    assert outcome == "Failed" and "missing" in reason
    assert len(results_of(name)) == before  # not published

    EvaluateDataQuality.apply(frame=people, ruleset="Rules = [ RowCount > 0 ]")  # publishing is the default
    (newest, *_) = results_of(name)
    assert invoke(None, "GetDataQualityResult", {"ResultId": newest["ResultId"]})["EvaluationContext"] == (
        "default_context"
    )


def test_bad_rulesets_and_frames_are_named(glue: GlueContext, people: DynamicFrame) -> None:
    bad = 'Rules = [\n  RowCount > 0,\n  IsComplet "name"\n]'
    with pytest.raises(InvalidInputException, match=r"^ruleset of node7:3:3: rule 2 \(`IsComplet \"name\"`\)"):
        EvaluateDataQuality.apply(
            frame=people, ruleset=bad, publishing_options={"dataQualityEvaluationContext": "node7"}
        )
    with pytest.raises(InvalidInputException, match="not a DynamicFrame"):
        EvaluateDataQuality.apply(frame=people.toDF(), ruleset="Rules = [ RowCount > 0 ]")
