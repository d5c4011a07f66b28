"""Glue for Task states, through Sluice's service layer: ``aws-sdk:glue:<operation>`` and the optimized
``glue:startJobRun`` (request-response and ``.sync``).

Errors come back as Step Functions names them: ``Glue.<ErrorCode>`` (the nearest Glue error shape of the
Sluice error), the SDK's message as the cause. A ``.sync`` run is polled with GetJobRun on the runner's clock
until it ends: SUCCEEDED is the task's result (the JobRun), any other end ``States.TaskFailed`` with the JobRun
as JSON for its cause.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from difflib import get_close_matches
from typing import TYPE_CHECKING, Any

from stepfunctions.errors import TASK_FAILED, TIMEOUT, TaskError

if TYPE_CHECKING:
    from botocore.model import Shape

    from sluice.context import SluiceContext
    from stepfunctions.runtime import Clock, TaskRequest

ENDED = ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED")
"""The JobRunStates a run does not leave (Glue's JobRunState enum, less the running ones)."""


def operation_name(action: str) -> str:
    """The Glue operation of an SDK action as Step Functions writes it: ``getCrawler`` → ``GetCrawler``."""
    return action[:1].upper() + action[1:]


def unsupported_operation(action: str) -> str | None:
    """Why ``aws-sdk:glue:<action>`` cannot run here, or None when Sluice's service layer implements it."""
    from service import operations

    operation = operation_name(action)
    if action[:1].islower() and operation in operations():
        return None
    actions = [name[:1].lower() + name[1:] for name in operations()]
    close = get_close_matches(action, actions, n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return f"Sluice's Glue API does not implement {operation} (aws-sdk:glue:{action}).{hint}"


def _call(ctx: SluiceContext, operation: str, parameters: Any, *, optimized: bool) -> dict[str, Any]:
    """One Glue call; a Sluice error becomes ``Glue.<code>`` with the cause the AWS SDK's exception prints
    (the SDK for Java 2 format for ``aws-sdk:`` tasks, version 1's for the optimized integration)."""
    from service import invoke
    from service.model import error_code
    from sluice.errors import SluiceError

    if parameters is not None and not isinstance(parameters, dict):
        raise TaskError(TASK_FAILED, f"The parameters of Glue's {operation} must be a JSON object, got {parameters!r}")
    try:
        return invoke(ctx, operation, dict(parameters or {}))
    except SluiceError as exc:
        code, request_id = error_code(exc), uuid.uuid4()
        if optimized:
            suffix = f"(Service: AWSGlue; Status Code: 400; Error Code: {code}; Request ID: {request_id}; Proxy: null)"
        else:
            suffix = f"(Service: Glue, Status Code: 400, Request ID: {request_id})"
        raise TaskError(f"Glue.{code}", f"{exc.message} {suffix}") from exc


def sdk_call(ctx: SluiceContext, action: str, parameters: Any) -> dict[str, Any]:
    """``arn:aws:states:::aws-sdk:glue:<action>``: the operation's response, timestamps as ISO 8601 (``…Z``)."""
    from service.model import operation_model

    operation = operation_name(action)
    problem = unsupported_operation(action)
    if problem is not None:
        raise TaskError(TASK_FAILED, problem)
    response = _call(ctx, operation, parameters, optimized=False)
    return timestamps(response, operation_model(operation).output_shape, _iso)


def start_job_run(ctx: SluiceContext, parameters: Any) -> dict[str, Any]:
    """``arn:aws:states:::glue:startJobRun``: StartJobRun's response with the request's JobName added."""
    response = _call(ctx, "StartJobRun", parameters, optimized=True)
    return {"JobName": parameters["JobName"], **response}


def start_sync(ctx: SluiceContext, parameters: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """Start the run of ``glue:startJobRun.sync``: its handle (``{"JobName", "RunId"}``) and StartJobRun's
    response (the TaskSubmitted event's output)."""
    submitted = start_job_run(ctx, parameters)
    return {"JobName": submitted["JobName"], "RunId": submitted["JobRunId"]}, submitted


def poll_sync(ctx: SluiceContext, handle: dict[str, str]) -> dict[str, Any] | None:
    """The ended run of ``handle`` (the task's result, timestamps as epoch milliseconds), None while it runs;
    a run that ended other than SUCCEEDED is ``States.TaskFailed`` with the JobRun as JSON for its cause."""
    from service.model import operation_model

    run = _call(ctx, "GetJobRun", handle, optimized=True)["JobRun"]
    if run["JobRunState"] not in ENDED:
        return None
    result = timestamps(run, operation_model("GetJobRun").output_shape.members["JobRun"], _epoch_millis)
    if run["JobRunState"] != "SUCCEEDED":
        raise TaskError(TASK_FAILED, json.dumps(result, separators=(",", ":")))
    return result


def stop_sync(ctx: SluiceContext, handle: dict[str, str]) -> None:
    """Stop the run of ``handle`` (BatchStopJobRun), as a ``.sync`` Task's timeout does."""
    _call(ctx, "BatchStopJobRun", {"JobName": handle["JobName"], "JobRunIds": [handle["RunId"]]}, optimized=True)


def start_job_run_sync(ctx: SluiceContext, request: TaskRequest, clock: Clock, poll_seconds: float) -> dict[str, Any]:
    """``arn:aws:states:::glue:startJobRun.sync`` in one call: start the run and poll it every ``poll_seconds``
    of ``clock`` until it ends. The Task's TimeoutSeconds stops the run and fails the task with
    ``States.Timeout``."""
    handle, _ = start_sync(ctx, request.parameters)
    started = clock.now()
    deadline = started + timedelta(seconds=request.timeout_seconds) if request.timeout_seconds else None
    while (result := poll_sync(ctx, handle)) is None:
        if deadline is not None and clock.now() >= deadline:
            stop_sync(ctx, handle)
            raise TaskError(TIMEOUT, None)
        wake = clock.now() + timedelta(seconds=poll_seconds)
        clock.sleep_until(min(wake, deadline) if deadline is not None else wake)
    return result


# ---- timestamps -----------------------------------------------------------------------------------------


def _moment(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    """As the AWS SDK for Java 2 prints an ``Instant``: UTC, ``Z``, the fraction only when there is one."""
    moment = moment.astimezone(UTC)
    micros = moment.microsecond
    fraction = "" if not micros else f".{micros // 1000:03d}" if micros % 1000 == 0 else f".{micros:06d}"
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def _epoch_millis(moment: datetime) -> int:
    """As Step Functions' optimized integrations give timestamps: epoch milliseconds."""
    return int(moment.timestamp() * 1000)


def timestamps(value: Any, shape: Shape | None, fmt: Any) -> Any:
    """``value`` (a response member of ``shape``) with each timestamp member, and any datetime, as ``fmt`` makes
    it; the service gives timestamps as ISO 8601 strings (naive ones are UTC) or datetimes."""
    if isinstance(value, datetime):
        return fmt(_moment(value))
    kind = shape.type_name if shape is not None else None
    if kind == "timestamp" and isinstance(value, str):
        return fmt(_moment(value))
    if isinstance(value, dict):
        if kind == "structure":
            members = shape.members  # type: ignore[union-attr]
            return {k: timestamps(v, members.get(k), fmt) for k, v in value.items()}
        inner = shape.value if kind == "map" else None  # type: ignore[union-attr]
        return {k: timestamps(v, inner, fmt) for k, v in value.items()}
    if isinstance(value, list):
        inner = shape.member if kind == "list" else None  # type: ignore[union-attr]
        return [timestamps(v, inner, fmt) for v in value]
    return value
