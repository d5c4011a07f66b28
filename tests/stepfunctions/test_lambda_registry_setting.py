"""The Lambda registry setting: ``SLUICE_LAMBDA_REGISTRY``, else the ``lambdas.yaml`` of the state machines folder
(``SLUICE_STATE_MACHINES``, else ``state_machines`` in the DAGs folder); executions started with StartExecution
and run outside a state machine DAG call its functions."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from service import STATES, invoke
from sluice.context import SluiceContext
from sluice.settings import Settings
from stepfunctions.durable import run_execution
from tests.awsapi.test_stepfunctions_api import ROLE, Deferred

HANDLER = 'def triple(event, context):\n    return {"tripled": 3 * event["value"]}\n'


def _registry(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "handlers.py").write_text(HANDLER)
    registry = folder / "lambdas.yaml"
    registry.write_text("triple: handlers.py:triple\n")
    return registry


def test_the_registry_is_the_setting_else_the_state_machines_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SLUICE_STATE_MACHINES", "SLUICE_LAMBDA_REGISTRY"):
        monkeypatch.delenv(name, raising=False)
    dags = tmp_path / "dags"
    assert Settings().lambda_registry_file(dags) is None  # no lambdas.yaml there
    in_dags = _registry(dags / "state_machines")
    assert Settings().lambda_registry_file(dags) == in_dags
    assert Settings().lambda_registry_file() is None  # no DAGs folder, no state machines folder set

    elsewhere = _registry(tmp_path / "machines")
    monkeypatch.setenv("SLUICE_STATE_MACHINES", str(elsewhere.parent))
    assert Settings().lambda_registry_file(dags) == elsewhere == Settings().lambda_registry_file()

    named = tmp_path / "named.json"
    monkeypatch.setenv("SLUICE_LAMBDA_REGISTRY", str(named))
    assert Settings().lambda_registry_file(dags) == named  # named, it is used even before it exists


def test_a_started_execution_calls_the_functions_of_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLUICE_LAMBDA_REGISTRY", str(_registry(tmp_path / "functions")))
    ctx = dataclasses.replace(SluiceContext(Settings(home=tmp_path / "home")), launcher=Deferred())
    definition = {
        "StartAt": "Triple",
        "States": {
            "Triple": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "triple", "Payload": {"value.$": "$.n"}},
                "OutputPath": "$.Payload",
                "End": True,
            }
        },
    }
    request = {"name": "triple", "definition": json.dumps(definition), "roleArn": ROLE}
    machine = invoke(ctx, "CreateStateMachine", request, STATES)["stateMachineArn"]
    arn = invoke(ctx, "StartExecution", {"stateMachineArn": machine, "input": '{"n": 14}'}, STATES)["executionArn"]
    assert run_execution(ctx, arn) == "SUCCEEDED"
    described = invoke(ctx, "DescribeExecution", {"executionArn": arn}, STATES)
    assert json.loads(described["output"]) == {"tripled": 42}
