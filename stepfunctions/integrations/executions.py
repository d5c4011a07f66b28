"""Nested executions for ``arn:aws:states:::states:startExecution`` (``.sync``, ``.sync:2``), run in process.

The child runs to its end on the parent's task runner and clock before the task returns, whatever the
pattern: request-response returns StartExecution's ``{ExecutionArn, StartDate}``; ``.sync`` and ``.sync:2``
return DescribeExecution's members (``Input``/``Output`` as JSON text, or as JSON with ``.sync:2``), and a
child that does not succeed fails the task with ``States.TaskFailed`` and those members as the cause.
Timestamps are epoch milliseconds, as Step Functions' optimized integrations give them.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from stepfunctions.definition import InvalidDefinition, load
from stepfunctions.errors import TASK_FAILED, TaskError
from stepfunctions.interpreter import SUCCEEDED, Execution, Interpreter
from stepfunctions.payload import dumps
from stepfunctions.runtime import Clock, TaskRunner

STATE_MACHINE_ARN = re.compile(r"arn:[\w-]+:states:(?P<region>[\w-]+):(?P<account>\d{12}):stateMachine:(?P<name>[^:]+)")


def _missing(arn: str) -> TaskError:
    request_id = uuid.uuid4()
    return TaskError(
        "StepFunctions.StateMachineDoesNotExistException",
        f"State Machine Does Not Exist: '{arn}' (Service: AWSStepFunctions; Status Code: 400; Error Code: "
        f"StateMachineDoesNotExist; Request ID: {request_id}; Proxy: null)",
    )


def start_execution(
    parameters: Any,
    pattern: str | None,
    *,
    state_machines: Mapping[str, str | dict[str, Any]],
    tasks: TaskRunner,
    clock: Clock,
    check_resource: Any = None,
) -> dict[str, Any]:
    """Run the child execution ``parameters`` ask for (``StateMachineArn``, ``Input``, ``Name``) to its end."""
    if not isinstance(parameters, dict) or not isinstance(parameters.get("StateMachineArn"), str):
        raise TaskError(TASK_FAILED, "states:startExecution needs a StateMachineArn (a string) in its parameters")
    arn = parameters["StateMachineArn"]
    found = STATE_MACHINE_ARN.fullmatch(arn)
    definition = state_machines.get(found["name"]) if found else None
    if found is None or definition is None:
        raise _missing(arn)
    try:
        parsed = load(definition, check_resource=check_resource)
    except InvalidDefinition as exc:
        raise TaskError(TASK_FAILED, f"The state machine {arn} does not validate: {exc}") from exc
    given = parameters.get("Input", {})
    try:
        value = json.loads(given) if isinstance(given, str) else given
    except ValueError as exc:
        raise TaskError("StepFunctions.InvalidExecutionInputException", f"Input is not JSON: {exc}") from exc
    name = parameters.get("Name") or str(uuid.uuid4())
    prefix = f"arn:aws:states:{found['region']}:{found['account']}"
    interpreter = Interpreter(tasks=tasks, clock=clock)
    ex = interpreter.start(
        parsed,
        value,
        execution_arn=f"{prefix}:execution:{found['name']}:{name}",
        state_machine_arn=arn,
        name=name,
        role_arn=f"arn:aws:iam::{found['account']}:role/service-role/StepFunctions-{found['name']}-role",
    )
    interpreter.run(ex)
    if pattern is None:
        return {"ExecutionArn": ex.execution_arn, "StartDate": _millis(ex.start)}
    described = describe(ex, as_json=pattern == "sync:2")
    if ex.status != SUCCEEDED:
        raise TaskError(TASK_FAILED, json.dumps(described, separators=(",", ":")))
    return described


def describe(ex: Execution, *, as_json: bool) -> dict[str, Any]:
    """DescribeExecution's members for a finished child, as the ``.sync`` (text) or ``.sync:2`` (JSON) task
    returns them."""
    assert ex.stop is not None
    out: dict[str, Any] = {
        "ExecutionArn": ex.execution_arn,
        "StateMachineArn": ex.state_machine_arn,
        "Name": ex.name,
        "Status": ex.status,
        "StartDate": _millis(ex.start),
        "StopDate": _millis(ex.stop),
        "Input": ex.input if as_json else dumps(ex.input),
        "InputDetails": {"Included": True},
    }
    if ex.status == SUCCEEDED:
        out["Output"] = ex.output if as_json else dumps(ex.output)
        out["OutputDetails"] = {"Included": True}
    else:
        out |= {k: v for k, v in (("Error", ex.error), ("Cause", ex.cause)) if v is not None}
    return out


def _millis(epoch_seconds: float) -> int:
    return int(epoch_seconds * 1000)
