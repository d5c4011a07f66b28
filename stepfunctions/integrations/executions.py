"""Nested executions for ``arn:aws:states:::states:startExecution`` (``.sync``, ``.sync:2``).

Request-response returns StartExecution's ``{ExecutionArn, StartDate}``; ``.sync`` and ``.sync:2`` return
DescribeExecution's members once the child has ended (``Input``/``Output`` as JSON text, or as JSON with
``.sync:2``), and a child that does not succeed fails the task with ``States.TaskFailed`` and those members as
the cause. Timestamps are epoch milliseconds, as Step Functions' optimized integrations give them.

Two ways to run the child:

* :func:`start_execution`, in process (``start-sync-execution``): the child runs to its end on the parent's task
  runner and clock before the task returns, whatever the pattern;
* :func:`start_stored`, :func:`poll_stored`, :func:`stop_stored` (durable executions): the child is a stored
  execution, started through the Step Functions service layer (StartExecution, so the context's launcher runs
  it: a DAG run of ``sluice_state_machine`` inside Airflow) and read back with DescribeExecution, so a ``.sync``
  parent waits for it deferred, holding no worker. Service errors are ``StepFunctions.<Code>Exception``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from stepfunctions.definition import InvalidDefinition, load
from stepfunctions.errors import TASK_FAILED, TaskError
from stepfunctions.interpreter import SUCCEEDED, Interpreter
from stepfunctions.payload import dumps
from stepfunctions.runtime import Clock, TaskRunner

if TYPE_CHECKING:
    from sluice.context import SluiceContext

STATE_MACHINE_ARN = re.compile(r"arn:[\w-]+:states:(?P<region>[\w-]+):(?P<account>\d{12}):stateMachine:(?P<name>[^:]+)")


def _service_error(code: str, message: str) -> TaskError:
    """A Step Functions error as the optimized integration reports it (the AWS SDK for Java's exception)."""
    name = code if code.endswith("Exception") else f"{code}Exception"
    suffix = (
        f"(Service: AWSStepFunctions; Status Code: 400; Error Code: {code}; Request ID: {uuid.uuid4()}; Proxy: null)"
    )
    return TaskError(f"StepFunctions.{name}", f"{message} {suffix}")


def _missing(arn: str) -> TaskError:
    return _service_error("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")


def _machine(parameters: Any) -> str:
    """The ``StateMachineArn`` of a startExecution Task's parameters."""
    if not isinstance(parameters, dict) or not isinstance(parameters.get("StateMachineArn"), str):
        raise TaskError(TASK_FAILED, "states:startExecution needs a StateMachineArn (a string) in its parameters")
    return str(parameters["StateMachineArn"])


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
    arn = _machine(parameters)
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
    assert ex.stop is not None
    return _ended(
        {
            "executionArn": ex.execution_arn,
            "stateMachineArn": ex.state_machine_arn,
            "name": ex.name,
            "status": ex.status,
            "startDate": _millis(ex.start),
            "stopDate": _millis(ex.stop),
            "input": dumps(ex.input),
            "output": dumps(ex.output) if ex.status == SUCCEEDED else None,
            "error": ex.error,
            "cause": ex.cause,
        },
        as_json=pattern == "sync:2",
    )


def _ended(described: dict[str, Any], *, as_json: bool) -> dict[str, Any]:
    """The ``.sync`` (text) or ``.sync:2`` (JSON) task's result for an ended child of DescribeExecution's members
    ``described`` (dates as epoch milliseconds); ``States.TaskFailed`` with them as the cause when it did not
    succeed."""
    text_in = described["input"]
    out: dict[str, Any] = {
        "ExecutionArn": described["executionArn"],
        "StateMachineArn": described["stateMachineArn"],
        "Name": described["name"],
        "Status": described["status"],
        "StartDate": described["startDate"],
        "StopDate": described["stopDate"],
        "Input": json.loads(text_in) if as_json else text_in,
        "InputDetails": {"Included": True},
    }
    if described["status"] == SUCCEEDED:
        out["Output"] = json.loads(described["output"]) if as_json else described["output"]
        out["OutputDetails"] = {"Included": True}
        return out
    out |= {k.capitalize(): described[k] for k in ("error", "cause") if described.get(k) is not None}
    raise TaskError(TASK_FAILED, json.dumps(out, separators=(",", ":")))


def _invoke(ctx: SluiceContext, operation: str, members: dict[str, Any]) -> dict[str, Any]:
    """One Step Functions operation of the service layer; its errors as the optimized integration names them."""
    from service import STATES, invoke
    from sluice.errors import SluiceError

    try:
        return invoke(ctx, operation, members, api=STATES)
    except SluiceError as exc:
        raise _service_error(type(exc).__name__, exc.message) from exc


def start_stored(ctx: SluiceContext, parameters: Any) -> dict[str, Any]:
    """Start the child ``parameters`` ask for as a stored execution, launched by ``ctx``'s launcher:
    StartExecution's ``{ExecutionArn, StartDate}``."""
    members: dict[str, Any] = {"stateMachineArn": _machine(parameters)}
    given = parameters.get("Input", {})
    members["input"] = given if isinstance(given, str) else json.dumps(given, separators=(",", ":"))
    if parameters.get("Name") is not None:
        members["name"] = parameters["Name"]
    started = _invoke(ctx, "StartExecution", members)
    return {"ExecutionArn": started["executionArn"], "StartDate": _millis(started["startDate"].timestamp())}


def poll_stored(ctx: SluiceContext, execution_arn: str, pattern: str) -> dict[str, Any] | None:
    """The ``.sync``/``.sync:2`` result of the stored child ``execution_arn`` once it has ended, else None."""
    described = _invoke(ctx, "DescribeExecution", {"executionArn": execution_arn})
    if described["status"] == "RUNNING":
        return None
    dates = {k: _millis(described[k].timestamp()) for k in ("startDate", "stopDate")}
    return _ended(described | dates, as_json=pattern == "sync:2")


def stop_stored(ctx: SluiceContext, execution_arn: str) -> None:
    """Stop the stored child of a ``.sync`` Task that timed out (StopExecution)."""
    _invoke(ctx, "StopExecution", {"executionArn": execution_arn})


def _millis(epoch_seconds: float) -> int:
    return int(epoch_seconds * 1000)
