"""``sluice lifecycle`` through Typer's CliRunner: validate, plan, apply, report, restore, get-plan."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lifecycle.cli import app
from tests.lifecycle.conftest import RULES, later

runner = CliRunner()


def _config(tmp_path: Path, document: dict) -> str:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(document))
    return str(path)


def test_validate(tmp_path: Path) -> None:
    good = _config(tmp_path, RULES)
    assert runner.invoke(app, ["validate", "--config", good]).exit_code == 0
    bad = {
        "Rules": [{"ID": "ia", "Filter": {"Prefix": "a/"}, "Transitions": [{"Days": 5, "StorageClass": "STANDARD_IA"}]}]
    }
    result = runner.invoke(app, ["validate", "--config", _config(tmp_path, bad), "--json"])
    assert result.exit_code == 2
    errors = json.loads(result.stdout)["Errors"]
    assert {(e["RuleId"], e["Field"]) for e in errors} == {
        ("ia", "Rules[0].Status"),
        ("ia", "Rules[0].Transitions[0].Days"),
    }
    table = runner.invoke(app, ["validate", "--config", _config(tmp_path, bad)])
    assert table.exit_code == 2 and "Rules[0].Status" in table.stdout
    broken = tmp_path / "broken.json"
    broken.write_text('{"Rules": [\n  {"ID": }]}')
    failed = runner.invoke(app, ["validate", "--config", str(broken)])
    assert failed.exit_code == 2 and "broken.json:2:" in failed.output


def test_plan_apply_report_restore_and_get_plan(tmp_path: Path, raw: Path) -> None:
    config = _config(tmp_path, RULES)
    now = later().isoformat()
    planned = runner.invoke(app, ["plan", "--config", config, "raw", "--now", now, "--json"])
    assert planned.exit_code == 0, planned.output
    body = json.loads(planned.stdout)
    assert set(body) == {"Actions", "Summary"} and len(body["Actions"]) == 3
    assert set(body["Actions"][0]) >= {"Key", "Action", "StorageClass", "RuleId", "Size", "AgeDays"}
    shown = runner.invoke(app, ["plan", "--config", config, "raw", "--now", now])
    assert shown.exit_code == 0 and "tmp/x.csv" in shown.stdout and "TRANSITION" in shown.stdout
    bad_now = runner.invoke(app, ["plan", "--config", config, "raw", "--now", "yesterday"])
    assert bad_now.exit_code == 2 and "--now 'yesterday'" in bad_now.output

    applied = runner.invoke(app, ["apply", "--config", config, "raw", "--now", now, "--json"])
    assert applied.exit_code == 0, applied.output
    outcome = json.loads(applied.stdout)
    assert {a["Status"] for a in outcome["Actions"]} == {"APPLIED"}
    plan_id = outcome["Summary"]["PlanId"]
    journal = json.loads(runner.invoke(app, ["get-plan", plan_id, "--json"]).stdout)
    assert journal["Status"] == "APPLIED" and all(a["Before"] and a["After"] for a in journal["Actions"])
    assert runner.invoke(app, ["get-plan", "lp_missing"]).exit_code == 2
    plans = json.loads(runner.invoke(app, ["list-plans", "--uri", "raw", "--json"]).stdout)["Plans"]
    assert [(p["Mode"], p["Status"]) for p in plans][:2] == [("APPLY", "APPLIED"), ("PLAN", "PLANNED")]

    report = json.loads(runner.invoke(app, ["report", "raw", "--json"]).stdout)
    assert {row["StorageClass"] for row in report["StorageClasses"]} == {"GLACIER", "STANDARD"}
    assert "GLACIER" in runner.invoke(app, ["report", "raw"]).stdout

    restored = runner.invoke(app, ["restore", "raw/logs/d=2026-01-01/a.csv", "--days", "3", "--tier", "Bulk", "--json"])
    assert restored.exit_code == 0, restored.output
    assert json.loads(restored.stdout)["Tier"] == "Bulk"
    refused = runner.invoke(app, ["restore", "raw/keep/c.csv", "--days", "3"])
    assert refused.exit_code == 2 and "only GLACIER and DEEP_ARCHIVE" in refused.output
