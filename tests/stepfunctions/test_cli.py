"""``sluice stepfunctions`` verbs, through Typer's runner on the test's SLUICE_HOME (SQLite), and once as
``python -m stepfunctions``."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from service import invoke
from sluice.context import SluiceContext
from stepfunctions.cli import app
from tests.stepfunctions.conftest import machine

runner = CliRunner()

WAITING = machine(
    {
        "Hello": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('hello {}', $.who)"}, "Next": "Nap"},
        "Nap": {"Type": "Wait", "Seconds": 3600, "Next": "Check"},
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.greeting", "StringEquals": "hello ada", "Next": "Done"}],
            "Default": "Wrong",
        },
        "Done": {"Type": "Succeed"},
        "Wrong": {"Type": "Fail", "Error": "Greeting.Wrong", "Cause": "not ada"},
    }
)


def cli(*args: str) -> tuple[int, Any]:
    result = runner.invoke(app, list(args))
    try:
        return result.exit_code, json.loads(result.stdout)
    except ValueError:
        return result.exit_code, result.stdout + result.stderr


def test_validate_prints_aws_response_shape_and_exits_by_result(tmp_path: Path) -> None:
    path = tmp_path / "ok.asl.json"
    path.write_text(json.dumps(WAITING))
    assert cli("validate-state-machine-definition", "--definition", str(path), "--json") == (
        0,
        {"result": "OK", "diagnostics": [], "truncated": False},
    )
    assert cli("validate-state-machine-definition", "--definition", f"file://{path}", "--json")[0] == 0
    bad = machine({"Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "Next": "Gone"}})
    code, report = cli("validate-state-machine-definition", "--definition", json.dumps(bad), "--json")
    assert code == 1 and report["result"] == "FAIL"
    assert {(d["code"], d.get("location")) for d in report["diagnostics"]} == {
        ("INVALID_RESOURCE", "/States/Send/Resource"),
        ("MISSING_TRANSITION_TARGET", "/States/Send/Next"),
        ("MISSING_END_STATE", None),
    }
    code, text = cli("validate-state-machine-definition", "--definition", json.dumps(bad))
    assert code == 1 and "Definition: FAIL" in text and "INVALID_" in text  # a table, wrapped to the terminal
    code, text = cli("validate-state-machine-definition", "--definition", str(tmp_path / "missing.json"))
    assert code == 2 and "--definition" in text and "missing.json" in text


def test_start_sync_execution_prints_the_start_sync_execution_shape(tmp_path: Path) -> None:
    path = tmp_path / "greeter.asl.json"
    path.write_text(json.dumps(WAITING))
    code, shown = cli(
        "start-sync-execution",
        "--definition",
        str(path),
        "--input",
        '{"who": "ada"}',
        "--name",
        "n1",
        "--no-wait",
        "--json",
    )
    assert code == 0, shown
    assert shown["status"] == "SUCCEEDED" and json.loads(shown["output"]) == {"greeting": "hello ada"}
    assert shown["stateMachineArn"] == "arn:aws:states:us-east-1:123456789012:stateMachine:greeter"
    assert shown["executionArn"].startswith("arn:aws:states:us-east-1:123456789012:express:greeter:n1:")
    assert (shown["name"], shown["input"], shown["inputDetails"]) == ("n1", '{"who":"ada"}', {"included": True})
    assert "error" not in shown and "cause" not in shown and "history" not in shown  # nulls left out
    start, stop = datetime.fromisoformat(shown["startDate"]), datetime.fromisoformat(shown["stopDate"])
    assert start.tzinfo is not None and (stop - start).total_seconds() == 3600  # the Wait, on the fake clock
    assert shown["billingDetails"] == {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": 3_600_000}

    input_file = tmp_path / "input.json"
    input_file.write_text('{"who": "bob"}')
    code, failed = cli(
        "start-sync-execution", "--definition", str(path), "--input", str(input_file), "--no-wait", "--json"
    )
    assert code == 1 and failed["status"] == "FAILED"
    assert (failed["error"], failed["cause"]) == ("Greeting.Wrong", "not ada") and "output" not in failed

    code, text = cli("start-sync-execution", "--definition", str(path), "--input", '{"who": "ada"}', "--no-wait")
    assert code == 0 and "SUCCEEDED" in text and "hello ada" in text


def test_start_sync_execution_runs_glue_lambda_and_nested_tasks(tmp_path: Path, sluice_home: Path) -> None:
    (tmp_path / "fns.py").write_text("def shout(event, context):\n    return event['name'].upper()\n")
    registry = tmp_path / "registry.yaml"
    registry.write_text("shout: fns.py:shout\n")
    child = tmp_path / "child.asl.json"
    child.write_text(
        json.dumps(
            machine(
                {
                    "Shout": {
                        "Type": "Task",
                        "Resource": "arn:aws:lambda:us-east-1:123456789012:function:shout",
                        "End": True,
                    }
                }
            )
        )
    )
    definition = machine(
        {
            "Name": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Parameters": {
                    "StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:child",
                    "Input": {"name.$": "$.db"},
                },
                "ResultSelector": {"Name.$": "$.Output"},
                "Next": "Create",
            },
            "Create": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:glue:createDatabase",
                "Parameters": {"DatabaseInput": {"Name.$": "$.Name"}},
                "End": True,
            },
        }
    )
    code, shown = cli(
        "start-sync-execution",
        "--definition",
        json.dumps(definition),
        "--input",
        '{"db": "sales"}',
        "--lambda-registry",
        str(registry),
        "--state-machine",
        f"child={child}",
        "--json",
    )
    assert code == 0, shown
    assert shown["stateMachineArn"].endswith(":stateMachine:StateMachine")
    names = [d["Name"] for d in invoke(SluiceContext.from_env(), "GetDatabases", {})["DatabaseList"]]
    assert names == ["SALES"]  # in the environment's home: the test's SLUICE_HOME

    code, failed = cli(
        "start-sync-execution", "--definition", json.dumps(definition), "--input", '{"db": "x"}', "--json"
    )
    assert code == 1 and failed["error"] == "StepFunctions.StateMachineDoesNotExistException"
    code, text = cli("start-sync-execution", "--definition", json.dumps(definition), "--state-machine", "child")
    assert code == 2 and "NAME=FILE" in text


def test_an_invalid_definition_or_input_never_starts(tmp_path: Path) -> None:
    bad = machine({"A": {"Type": "Pass", "Next": "Nowhere"}})
    code, text = cli("start-sync-execution", "--definition", json.dumps(bad), "--json")
    assert code == 2 and "MISSING_TRANSITION_TARGET" in text and "/States/A/Next" in text
    code, text = cli("start-sync-execution", "--definition", json.dumps(WAITING), "--input", "{oops")
    assert code == 2 and "--input" in text


def test_python_dash_m_runs_the_app(tmp_path: Path) -> None:
    definition = json.dumps(machine({"P": {"Type": "Pass", "Result": 42, "End": True}}))
    result = subprocess.run(
        [sys.executable, "-m", "stepfunctions", "start-sync-execution", "--definition", definition, "--json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).parents[2],
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["output"] == "42"
