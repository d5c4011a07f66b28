"""``sluice dq``: validate with carets, check paths with exit codes and Glue JSON, results, recommendations."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from quality.cli import app

runner = CliRunner()


def test_validate_valid_and_caret_error(tmp_path) -> None:
    good = tmp_path / "good.dqdl"
    good.write_text('Rules = [ RowCount > 0, IsComplete "id" ]\n')
    ok = runner.invoke(app, ["validate", str(good)])
    assert ok.exit_code == 0 and "valid (2 rules, 0 analyzers)" in ok.output
    as_json = json.loads(runner.invoke(app, ["validate", str(good), "--json"]).output)
    assert as_json == {"Valid": True, "Rules": ["RowCount > 0", 'IsComplete "id"'], "Analyzers": []}
    bad = tmp_path / "bad.dqdl"
    bad.write_text('Rules = [\n    IsComplete "a" > 0.5\n]\n')
    failed = runner.invoke(app, ["validate", str(bad)])
    assert failed.exit_code == 2
    assert "bad.dqdl:2:" in failed.output and "IsComplete takes no condition" in failed.output
    assert '    IsComplete "a" > 0.5\n' in failed.output and "^" in failed.output
    detail = json.loads(runner.invoke(app, ["validate", str(bad), "--json"]).output)
    assert detail["Valid"] is False and detail["Line"] == 2


@pytest.mark.spark
def test_check_path_exit_codes_results_and_recommend(catalog_flights, tmp_path) -> None:
    ruleset = tmp_path / "flights.dqdl"
    ruleset.write_text('Rules = [ RowCount = 2000, IsComplete "dep_time" ]\n')
    args = ["check", "--path", "curated/flights", "--format", "parquet", "--ruleset", str(ruleset)]
    failed = runner.invoke(app, [*args, "--engine", "pandas"])
    assert failed.exit_code == 1 and "FAIL" in failed.output and "score 0.500" in failed.output
    reported = runner.invoke(app, [*args, "--no-fail", "--json"])
    assert reported.exit_code == 0
    result = json.loads(reported.output)
    assert [r["Result"] for r in result["RuleResults"]] == ["PASS", "FAIL"]
    listed = json.loads(runner.invoke(app, ["get-results", "--json"]).output)["Results"]
    assert listed[0]["ResultId"] == result["ResultId"] and len(listed) == 2
    one = json.loads(runner.invoke(app, ["get-result", "--result-id", result["ResultId"], "--json"]).output)
    assert one["RuleResults"] == result["RuleResults"]
    missing = runner.invoke(app, ["get-result", "--result-id", "dqresult-nope"])
    assert missing.exit_code == 2 and "EntityNotFoundException" in missing.output

    recommended = runner.invoke(app, ["recommend", "--database-name", "curated", "--table-name", "flights"])
    assert recommended.exit_code == 0, recommended.output
    text = recommended.output
    assert 'IsComplete "carrier"' in text and 'ColumnValues "origin" in ["EWR", "JFK", "LGA"]' in text
    ruleset.write_text(text)
    proof = runner.invoke(
        app, ["check", "--database-name", "curated", "--table-name", "flights", "--ruleset", str(ruleset)]
    )
    assert proof.exit_code == 0, proof.output  # the data passes the rules recommended from it
