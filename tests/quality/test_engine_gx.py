"""The Great Expectations engine: GX 1.x expectations on Spark give the same outcomes as the Spark engine,
write Data Docs under $SLUICE_HOME/dq/docs, and report rules GX cannot express as ERROR with the reason."""

from __future__ import annotations

import pytest

from quality.engines import evaluate

pytestmark = [pytest.mark.spark, pytest.mark.slow]

UNSUPPORTED = {
    'Entropy "origin" > 1': "Entropy",
    'ColumnCorrelation "distance" "air_time" > 0.9': "ColumnCorrelation",
    'CustomSql "select count(*) from primary" > 0': "CustomSql statement returning a value",
    'ReferentialIntegrity "carrier" "airlines.carrier" = 1.0': "reference dataset 'airlines'",
}


def test_gx_matches_spark_and_writes_data_docs(flights, airlines, shared_rules, dqdl, sluice_home) -> None:
    text = dqdl([*shared_rules, *UNSUPPORTED])
    gx = evaluate(text, flights, engine="gx", references={"airlines": airlines}, ruleset_name="flights")
    spark = evaluate(text, flights, references={"airlines": airlines})
    count = len(shared_rules)
    for gx_rule, spark_rule in zip(gx["RuleResults"][:count], spark["RuleResults"][:count], strict=True):
        assert gx_rule["Result"] == spark_rule["Result"], gx_rule
        assert set(gx_rule["EvaluatedMetrics"]) <= set(spark_rule["EvaluatedMetrics"])
        for name, value in gx_rule["EvaluatedMetrics"].items():
            assert value == pytest.approx(spark_rule["EvaluatedMetrics"][name]), name
    for rule, (text_, reason) in zip(gx["RuleResults"][count:], UNSUPPORTED.items(), strict=True):
        assert rule["Description"] == text_ and rule["Result"] == "ERROR"
        assert "Great Expectations cannot express" in rule["EvaluationMessage"] and reason in rule["EvaluationMessage"]
    assert [r["Result"] for r in spark["RuleResults"][count:]] == ["PASS"] * len(UNSUPPORTED)
    docs = sluice_home / "dq" / "docs"
    assert (docs / "index.html").is_file()
    [page] = list((docs / "validations" / "flights").rglob("*.html"))
    assert "carrier" in page.read_text()
