"""Durable executions for the tests: one started through the service and run by its own ``service.runner``
process (to SIGKILL), and the history of a Task that was in flight."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from typing import Any

from service import STATES, invoke
from sluice.context import SluiceContext
from sparkio.session import spark_submit_env
from tests.awsapi.test_stepfunctions_api import ROLE, Deferred

IN_FLIGHT_TASK = [
    "TaskStateEntered",
    "TaskScheduled",
    "TaskStarted",
    "TaskSubmitted",
    "TaskSucceeded",
    "TaskStateExited",
]
"""The events of a Task that was submitted (a ``.sync`` job, a callback) and then succeeded."""


def start_in_runner(
    ctx: SluiceContext, name: str, definition: dict[str, Any], value: Any
) -> tuple[str, subprocess.Popen[bytes]]:
    """Create the state machine ``name``, start an execution on ``value``, and run it in a runner process of its
    own (as the local launcher would); the execution's ARN and the process."""
    deferred = Deferred()
    on = dataclasses.replace(ctx, launcher=deferred)
    request = {"name": name, "definition": json.dumps(definition), "roleArn": ROLE}
    machine = invoke(on, "CreateStateMachine", request, STATES)["stateMachineArn"]
    started = invoke(on, "StartExecution", {"stateMachineArn": machine, "input": json.dumps(value)}, STATES)
    runner = subprocess.Popen(
        [sys.executable, "-m", "service.runner", json.dumps(deferred.work[0].to_conf())],
        env=spark_submit_env(ctx),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return started["executionArn"], runner


def event_types(ctx: SluiceContext, arn: str) -> list[str]:
    return [e["type"] for e in invoke(ctx, "GetExecutionHistory", {"executionArn": arn}, STATES)["events"]]
