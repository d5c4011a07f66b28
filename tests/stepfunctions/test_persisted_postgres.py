"""Persisted transitions on PostgreSQL (one autocommitted statement each): the same history, row and result as on
SQLite (the session path), and a stopped execution takes no further transition."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from service import STATES, invoke
from sluice.context import SluiceContext
from sluice.settings import Settings
from stepfunctions import store
from stepfunctions.definition import load
from stepfunctions.durable import Persister, StoppableClock, Stopped, run_execution
from stepfunctions.interpreter import Execution, Interpreter
from tests.awsapi.test_stepfunctions_api import ROLE, Deferred

pytestmark = pytest.mark.postgres

DEFINITION = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Parameters": {"n.$": "$.n", "say": "héllo"}, "Next": "List"},
        "List": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:glue:getDatabases",
            "Parameters": {},
            "ResultSelector": {"count.$": "States.ArrayLength($.DatabaseList)"},
            "ResultPath": "$.databases",
            "Next": "Check",
        },
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Done"}],
            "Default": "TooSmall",
        },
        "Done": {"Type": "Pass", "End": True},
        "TooSmall": {"Type": "Fail", "Error": "TooSmall", "Cause": "n must be above 1"},
    },
}


def _ctx(home: Path, url: str | None) -> SluiceContext:
    return dataclasses.replace(SluiceContext(Settings(home=home, metadata_url=url)), launcher=Deferred())


def _start(ctx: SluiceContext, value: Any) -> str:
    request = {"name": "persisted", "definition": json.dumps(DEFINITION), "roleArn": ROLE}
    if not (found := invoke(ctx, "ListStateMachines", {}, STATES)["stateMachines"]):
        machine = invoke(ctx, "CreateStateMachine", request, STATES)["stateMachineArn"]
    else:
        machine = found[0]["stateMachineArn"]
    return invoke(ctx, "StartExecution", {"stateMachineArn": machine, "input": json.dumps(value)}, STATES)[
        "executionArn"
    ]


def _recorded(ctx: SluiceContext, arn: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """DescribeExecution less its dates and ARNs, and the history less its timestamps (in order, from the start
    to the stop)."""
    described = invoke(ctx, "DescribeExecution", {"executionArn": arn}, STATES)
    kept = {k: v for k, v in described.items() if k in ("status", "input", "output", "error", "cause")}
    events = invoke(ctx, "GetExecutionHistory", {"executionArn": arn}, STATES)["events"]
    times = [e["timestamp"] for e in events]
    assert times == sorted(times) and described["startDate"] <= times[0]
    assert abs((times[-1] - described["stopDate"]).total_seconds()) < 1
    return kept, [{k: v for k, v in e.items() if k != "timestamp"} for e in events]


@pytest.mark.parametrize("n", [2, 0], ids=["succeeds", "fails"])
def test_postgresql_records_what_sqlite_does(tmp_path: Path, pg_url: str, n: int) -> None:
    recorded = []
    for database, url in (("sqlite", None), ("postgresql", pg_url)):
        ctx = _ctx(tmp_path / database, url)
        arn = _start(ctx, {"n": n})
        run_execution(ctx, arn)
        described, events = _recorded(ctx, arn)
        recorded.append((described, [e | {"executionArn": None} for e in events]))
    assert recorded[0] == recorded[1]
    described, events = recorded[1]
    assert described["status"] == ("SUCCEEDED" if n else "FAILED")
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert "TaskSucceeded" in [e["type"] for e in events]


def test_a_stopped_execution_takes_no_further_transition(tmp_path: Path, pg_url: str) -> None:
    ctx = _ctx(tmp_path, pg_url)
    arn = _start(ctx, {"n": 2})
    with ctx.session() as s:
        row = store.get_execution(s, arn)
        assert row.state is not None
        state = dict(row.state) | {"events": store.events(s, arn), "definition": load(row.definition)}
    invoke(ctx, "StopExecution", {"executionArn": arn, "error": "Halt"}, STATES)
    before = _recorded(ctx, arn)

    ex = Execution.from_dict(state)
    persister = Persister(ctx, len(ex.events), StoppableClock(ctx, arn))
    with pytest.raises(Stopped):
        Interpreter(on_transition=persister).advance(ex)
    assert _recorded(ctx, arn) == before
    assert before[0]["status"] == "ABORTED" and before[1][-1]["type"] == "ExecutionAborted"
