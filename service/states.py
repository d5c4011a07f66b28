"""The Step Functions API's operations: state machines, executions and their history.

Each function is ``function(ctx, **members)`` with botocore's ``stepfunctions`` member names, returns the
operation's output shape (timestamps as aware datetimes) and raises the errors of ``stepfunctions.store``,
named as the API's error shapes. StartExecution records the execution RUNNING (with its ExecutionStarted
event) and hands it to the context's launcher, whose run is ``stepfunctions.durable.run_execution``;
StartSyncExecution runs an EXPRESS machine to its end in this process. SendTaskSuccess, SendTaskFailure and
SendTaskHeartbeat give a ``.waitForTaskToken`` Task its outcome through its token's row, which the
execution's runner reads.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from service.launching import launch
from sluice.clock import utcnow
from sluice.context import SluiceContext
from sluice.launch import Work
from stepfunctions import definition as asl
from stepfunctions import store
from stepfunctions.durable import integrations
from stepfunctions.history import MAX_PAYLOAD
from stepfunctions.interpreter import FAILED, RUNNING, SUCCEEDED, Interpreter
from stepfunctions.models import ExecutionRow, StateMachineRow
from stepfunctions.runtime import SystemClock
from stepfunctions.store import (
    InvalidArn,
    InvalidDefinition,
    InvalidExecutionInput,
    InvalidName,
    MissingRequiredParameter,
    StateMachineAlreadyExists,
    StateMachineTypeNotSupported,
    ValidationException,
)
from stepfunctions.sync import ACCOUNT, REGION, run_sync

__all__ = [
    "create_state_machine",
    "delete_state_machine",
    "describe_execution",
    "describe_state_machine",
    "get_execution_history",
    "list_executions",
    "list_state_machines",
    "send_task_failure",
    "send_task_heartbeat",
    "send_task_success",
    "start_execution",
    "start_sync_execution",
    "stop_execution",
    "update_state_machine",
    "validate_state_machine_definition",
]

TYPES = ("STANDARD", "EXPRESS")
STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")
DEFAULT_PAGE, MAX_PAGE = 100, 1000
_NAME = re.compile(r"[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]{1,80}")
_PARTITION = r"arn:aws[\w-]*:states:[\w-]+:\d{12}"
_MACHINE_ARN = re.compile(_PARTITION + r":stateMachine:(?P<name>[^:]{1,80})")
_EXECUTION_ARN = re.compile(_PARTITION + r":(?:execution|express):(?P<machine>[^:]{1,80}):(?P<name>[^:]{1,80})(:.+)?")
_ROLE_ARN = re.compile(r"arn:aws[\w-]*:iam::\d{12}:role/.+")
DEFAULT_LOGGING = {"level": "OFF", "includeExecutionData": False}
DEFAULT_TRACING = {"enabled": False}


# ---- checks -----------------------------------------------------------------------------------------------


def _name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise InvalidName(f"Invalid Name: '{name}'")
    return name


def _machine_arn(arn: str) -> str:
    if not _MACHINE_ARN.fullmatch(arn):
        raise InvalidArn(f"Invalid Arn: 'Resource type not valid in this context: {arn}'")
    return arn


def _execution_arn(arn: str) -> str:
    if not _EXECUTION_ARN.fullmatch(arn):
        raise InvalidArn(f"Invalid Arn: 'Resource type not valid in this context: {arn}'")
    return arn


def _role_arn(arn: str) -> str:
    if not _ROLE_ARN.fullmatch(arn):
        raise InvalidArn(f"Invalid Role Arn: '{arn}'")
    return arn


def _definition(ctx: SluiceContext, text: str) -> str:
    """``text`` when it validates (its Task resources served here); InvalidDefinition with the diagnostics."""
    try:
        asl.load(text, check_resource=integrations(ctx, SystemClock()).check_resource)
    except asl.InvalidDefinition as exc:
        raise InvalidDefinition(str(exc)) from None
    return text


def _input(text: str | None) -> Any:
    value = "{}" if text is None else text
    if len(value.encode()) > MAX_PAYLOAD:
        raise InvalidExecutionInput("Invalid State Machine Execution Input: 'the input exceeds 262144 bytes'")
    try:
        return json.loads(value)
    except ValueError as exc:
        raise InvalidExecutionInput(f"Invalid State Machine Execution Input: '{exc}'") from None


def _page(max_results: int | None) -> int:
    if max_results is not None and not 0 <= max_results <= MAX_PAGE:
        raise ValidationException(
            f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to satisfy constraint: "
            f"Member must have value less than or equal to {MAX_PAGE}"
        )
    return max_results or DEFAULT_PAGE


def _region(ctx: SluiceContext | None) -> str:
    return (ctx.aws.region if ctx is not None else None) or REGION


# ---- state machines ---------------------------------------------------------------------------------------


def create_state_machine(
    ctx: SluiceContext,
    name: str,
    definition: str,
    roleArn: str,
    type: str = "STANDARD",
    loggingConfiguration: dict[str, Any] | None = None,
    tags: list[dict[str, str]] | None = None,
    tracingConfiguration: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """CreateStateMachine: idempotent for the same name and configuration, StateMachineAlreadyExists else."""
    if type not in TYPES:
        raise ValidationException(
            f"1 validation error detected: Value '{type}' at 'type' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(TYPES)}]"
        )
    _name(name)
    _role_arn(roleArn)
    _definition(ctx, definition)
    arn = f"arn:aws:states:{_region(ctx)}:{ACCOUNT}:stateMachine:{name}"
    with ctx.session() as s:
        found = store.state_machine_named(s, name)
        if found is not None:
            if (found.definition, found.role_arn, found.type) != (definition, roleArn, type):
                raise StateMachineAlreadyExists(f"State Machine Already Exists: '{found.arn}'")
            return {"stateMachineArn": found.arn, "creationDate": found.creation_date}
        now = utcnow()
        s.add(
            StateMachineRow(
                arn=arn,
                name=name,
                definition=definition,
                role_arn=roleArn,
                type=type,
                status="ACTIVE",
                logging_configuration=loggingConfiguration,
                tracing_configuration=tracingConfiguration,
                tags=tags or [],
                revision_id=str(uuid.uuid4()),
                creation_date=now,
            )
        )
    return {"stateMachineArn": arn, "creationDate": now}


def describe_state_machine(ctx: SluiceContext, stateMachineArn: str) -> dict[str, Any]:
    """DescribeStateMachine."""
    with ctx.session() as s:
        row = store.get_state_machine(s, _machine_arn(stateMachineArn))
        return {
            "stateMachineArn": row.arn,
            "name": row.name,
            "status": row.status,
            "definition": row.definition,
            "roleArn": row.role_arn,
            "type": row.type,
            "creationDate": row.creation_date,
            "loggingConfiguration": row.logging_configuration or DEFAULT_LOGGING,
            "tracingConfiguration": row.tracing_configuration or DEFAULT_TRACING,
            "revisionId": row.revision_id,
        }


def update_state_machine(
    ctx: SluiceContext,
    stateMachineArn: str,
    definition: str | None = None,
    roleArn: str | None = None,
    loggingConfiguration: dict[str, Any] | None = None,
    tracingConfiguration: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """UpdateStateMachine: running executions keep the definition they started with."""
    _machine_arn(stateMachineArn)
    if definition is None and roleArn is None and loggingConfiguration is None and tracingConfiguration is None:
        raise MissingRequiredParameter(
            "Either the definition, the roleArn, the loggingConfiguration or the tracingConfiguration must be specified"
        )
    if definition is not None:
        _definition(ctx, definition)
    if roleArn is not None:
        _role_arn(roleArn)
    with ctx.session() as s:
        row = store.get_state_machine(s, stateMachineArn)
        row.definition = definition if definition is not None else row.definition
        row.role_arn = roleArn or row.role_arn
        row.logging_configuration = loggingConfiguration or row.logging_configuration
        row.tracing_configuration = tracingConfiguration or row.tracing_configuration
        row.revision_id, row.update_date = str(uuid.uuid4()), utcnow()
        return {"updateDate": row.update_date, "revisionId": row.revision_id}


def delete_state_machine(ctx: SluiceContext, stateMachineArn: str) -> dict[str, Any]:
    """DeleteStateMachine: the machine goes at once (its executions stay, and running ones run on); deleting
    one that does not exist succeeds, as on AWS."""
    with ctx.session() as s:
        row = s.get(StateMachineRow, _machine_arn(stateMachineArn))
        if row is not None:
            s.delete(row)
    return {}


def list_state_machines(
    ctx: SluiceContext, maxResults: int | None = None, nextToken: str | None = None
) -> dict[str, Any]:
    """ListStateMachines, in name order, paged."""
    limit, offset = _page(maxResults), store.token_offset(nextToken)
    with ctx.session() as s:
        rows = store.list_state_machines(s, offset, limit)
        machines = [
            {"stateMachineArn": r.arn, "name": r.name, "type": r.type, "creationDate": r.creation_date}
            for r in rows[:limit]
        ]
    return {"stateMachines": machines} | _more(rows, limit, offset)


def _more(rows: list[Any], limit: int, offset: int) -> dict[str, str]:
    return {"nextToken": store.next_token(offset + limit)} if len(rows) > limit else {}


def validate_state_machine_definition(
    ctx: SluiceContext,
    definition: str,
    type: str = "STANDARD",
    severity: str = "ERROR",
    maxResults: int | None = None,
) -> dict[str, Any]:
    """ValidateStateMachineDefinition: ERROR diagnostics (and WARNING ones with ``severity`` WARNING)."""
    if severity not in ("ERROR", "WARNING"):
        raise ValidationException(f"Invalid severity {severity!r}: it must be ERROR or WARNING")
    result = asl.validate(definition, check_resource=integrations(ctx, SystemClock()).check_resource)
    shown = [d for d in result["diagnostics"] if severity == "WARNING" or d["severity"] == "ERROR"]
    limit = maxResults or DEFAULT_PAGE
    return {"result": result["result"], "diagnostics": shown[:limit], "truncated": len(shown) > limit}


# ---- executions -------------------------------------------------------------------------------------------


def start_execution(
    ctx: SluiceContext, stateMachineArn: str, name: str | None = None, input: str | None = None
) -> dict[str, Any]:
    """StartExecution: the same name and input as a RUNNING execution is that execution again; any other
    reuse of a name is ExecutionAlreadyExists."""
    name = _name(name) if name is not None else str(uuid.uuid4())
    value = _input(input)
    machine_arn = _machine_arn(stateMachineArn)
    arn = f"{machine_arn.replace(':stateMachine:', ':execution:')}:{name}"
    try:
        with ctx.session() as s:
            machine = store.get_state_machine(s, machine_arn)
            found = s.get(ExecutionRow, arn)
            if found is not None:
                return _same_execution(found, value)
            ex = Interpreter().start(
                asl.load(machine.definition),
                value,
                execution_arn=arn,
                state_machine_arn=machine.arn,
                name=name,
                role_arn=machine.role_arn,
            )
            started = store.record_execution(s, ex, machine.definition).start_date
    except IntegrityError:  # a concurrent StartExecution of the same name recorded it first
        with ctx.session() as s:
            return _same_execution(store.get_execution(s, arn), value)

    def failed(message: str) -> None:
        persisted = len(ex.events)
        ex.status, ex.error, ex.cause, ex.stop = FAILED, "States.Runtime", message, time.time()
        details = {"error": ex.error, "cause": message}
        event = {"timestamp": utcnow(), "type": "ExecutionFailed", "id": persisted + 1, "previousEventId": persisted}
        ex.events.append(event | {"executionFailedEventDetails": details})
        with ctx.session() as s:
            store.save_progress(s, ex, persisted)

    launch(ctx, Work("execution", arn, name, ctx.caller), failed)
    return {"executionArn": arn, "startDate": started}


def _same_execution(found: ExecutionRow, value: Any) -> dict[str, Any]:
    """StartExecution's response for an execution of the name that exists: the same one while it runs on the
    same input, else ExecutionAlreadyExists."""
    if found.status == RUNNING and json.loads(found.input) == value:
        return {"executionArn": found.arn, "startDate": found.start_date}
    raise store.ExecutionAlreadyExists(f"Execution Already Exists: '{found.arn}'")


def start_sync_execution(
    ctx: SluiceContext,
    stateMachineArn: str,
    name: str | None = None,
    input: str | None = None,
    includedData: str = "ALL_DATA",
) -> dict[str, Any]:
    """StartSyncExecution: an EXPRESS machine's execution, run to its end in this process (not recorded)."""
    value = _input(input)
    name = _name(name) if name is not None else str(uuid.uuid4())
    with ctx.session() as s:
        machine = store.get_state_machine(s, _machine_arn(stateMachineArn))
        definition, role, machine_name, kind = machine.definition, machine.role_arn, machine.name, machine.type
    if kind != "EXPRESS":
        raise StateMachineTypeNotSupported("This operation is not supported by this type of state machine")
    result = run_sync(
        definition,
        value,
        name=name,
        tasks=integrations(ctx, SystemClock()),
        state_machine_name=machine_name,
        region=_region(ctx),
        account=ACCOUNT,
        role_arn=role,
    )
    result.pop("history")
    if includedData == "METADATA_ONLY":
        result = {k: v for k, v in result.items() if k not in ("input", "output")}
        result |= {"inputDetails": {"included": False}, "outputDetails": {"included": False}}
    return {k: v for k, v in result.items() if v is not None}


def _summary(row: ExecutionRow) -> dict[str, Any]:
    out: dict[str, Any] = {
        "executionArn": row.arn,
        "stateMachineArn": row.state_machine_arn,
        "name": row.name,
        "status": row.status,
        "startDate": row.start_date,
    }
    return out | ({"stopDate": row.stop_date} if row.stop_date is not None else {})


def describe_execution(ctx: SluiceContext, executionArn: str) -> dict[str, Any]:
    """DescribeExecution (``output`` once it has succeeded)."""
    with ctx.session() as s:
        row = store.get_execution(s, _execution_arn(executionArn))
        out = _summary(row) | {"input": row.input, "inputDetails": {"included": True}, "redriveCount": 0}
        if row.status == SUCCEEDED:
            out |= {"output": row.output, "outputDetails": {"included": True}}
        return out | {k: v for k, v in (("error", row.error), ("cause", row.cause)) if v is not None}


def list_executions(
    ctx: SluiceContext,
    stateMachineArn: str | None = None,
    statusFilter: str | None = None,
    maxResults: int | None = None,
    nextToken: str | None = None,
) -> dict[str, Any]:
    """ListExecutions of one state machine, newest first, paged, optionally of one status."""
    if stateMachineArn is None:
        raise ValidationException("Must provide a StateMachine ARN or MapRun ARN")
    if statusFilter is not None and statusFilter not in STATUSES:
        raise ValidationException(
            f"1 validation error detected: Value '{statusFilter}' at 'statusFilter' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(STATUSES)}]"
        )
    limit, offset = _page(maxResults), store.token_offset(nextToken)
    with ctx.session() as s:
        store.get_state_machine(s, _machine_arn(stateMachineArn))
        rows = store.list_executions(s, stateMachineArn, statusFilter, offset, limit)
        return {"executions": [_summary(r) for r in rows[:limit]]} | _more(rows, limit, offset)


def stop_execution(
    ctx: SluiceContext, executionArn: str, error: str | None = None, cause: str | None = None
) -> dict[str, Any]:
    """StopExecution: a RUNNING execution ends ABORTED with an ExecutionAborted event (its runner stops at its
    next transition or within a fraction of a second of a Wait); an ended one keeps its end."""
    now = datetime.now(UTC)
    with ctx.session() as s:
        store.get_execution(s, _execution_arn(executionArn))
        if store.abort(s, executionArn, error, cause, now):
            return {"stopDate": now}
        row = store.get_execution(s, executionArn)
        return {"stopDate": row.stop_date or now}


def get_execution_history(
    ctx: SluiceContext,
    executionArn: str,
    maxResults: int | None = None,
    reverseOrder: bool = False,
    nextToken: str | None = None,
    includeExecutionData: bool = True,
) -> dict[str, Any]:
    """GetExecutionHistory, paged; without execution data, events carry no input or output."""
    limit, offset = _page(maxResults), store.token_offset(nextToken)
    with ctx.session() as s:
        store.get_execution(s, _execution_arn(executionArn))
        events = store.events(s, executionArn, offset=offset, limit=limit + 1, reverse=reverseOrder)
    shown = events[:limit] if includeExecutionData else [_without_data(e) for e in events[:limit]]
    return {"events": shown} | _more(events, limit, offset)


def _without_data(event: dict[str, Any]) -> dict[str, Any]:
    return {
        k: {n: v for n, v in value.items() if n not in ("input", "output")} if isinstance(value, dict) else value
        for k, value in event.items()
    }


# ---- callbacks --------------------------------------------------------------------------------------------


def send_task_success(ctx: SluiceContext, taskToken: str, output: str) -> dict[str, Any]:
    """SendTaskSuccess: the Task waiting with ``taskToken`` succeeds with ``output`` (JSON text) as its result."""
    try:
        json.loads(output)
    except ValueError as exc:
        raise store.InvalidOutput(f"Invalid Output: '{exc}'") from None
    with ctx.session() as s:
        store.send_outcome(s, taskToken, SUCCEEDED, output=output)
    return {}


def send_task_failure(
    ctx: SluiceContext, taskToken: str, error: str | None = None, cause: str | None = None
) -> dict[str, Any]:
    """SendTaskFailure: the Task waiting with ``taskToken`` fails with ``error`` and ``cause`` (its Retry and
    Catch see that error)."""
    with ctx.session() as s:
        store.send_outcome(s, taskToken, FAILED, error=error, cause=cause)
    return {}


def send_task_heartbeat(ctx: SluiceContext, taskToken: str) -> dict[str, Any]:
    """SendTaskHeartbeat: the HeartbeatSeconds of the Task waiting with ``taskToken`` start again now."""
    with ctx.session() as s:
        store.send_heartbeat(s, taskToken, utcnow())
    return {}
