"""Step Functions history events: their type names per state and resource, and their ``...EventDetails``
members as botocore's ``stepfunctions`` model names them."""

from __future__ import annotations

from typing import Any

from stepfunctions.payload import dumps

MAX_PAYLOAD = 256 * 1024

STATE_EVENTS = {
    "Pass": ("PassStateEntered", "PassStateExited"),
    "Task": ("TaskStateEntered", "TaskStateExited"),
    "Choice": ("ChoiceStateEntered", "ChoiceStateExited"),
    "Wait": ("WaitStateEntered", "WaitStateExited"),
    "Succeed": ("SucceedStateEntered", "SucceedStateExited"),
    "Fail": ("FailStateEntered", None),
    "Parallel": ("ParallelStateEntered", "ParallelStateExited"),
    "Map": ("MapStateEntered", "MapStateExited"),
}


def resource_kind(resource: str) -> tuple[str, str, str]:
    """``(family, resourceType, resource)``: family is ``task``, ``lambda`` (a function ARN) or ``activity``."""
    parts = resource.split(":")
    if len(parts) >= 7 and parts[2] == "lambda" and parts[5] == "function":
        return "lambda", "lambda", resource
    if len(parts) >= 7 and parts[2] == "states" and parts[5] == "activity":
        return "activity", "activity", resource
    rest = ":".join(parts[5:]) if len(parts) > 5 else resource
    if ":" in rest:
        kind, name = rest.rsplit(":", 1)
        return "task", kind, name
    return "task", rest, rest


def data_details(key: str, payload: Any) -> dict[str, Any]:
    """``{key: json, key+'Details': {truncated: False}}`` for a state's input or output."""
    return {key: dumps(payload), f"{key}Details": {"truncated": False}}


def task_events(family: str) -> dict[str, str]:
    """The event types one Task invocation records, by stage."""
    if family == "lambda":
        return {
            "scheduled": "LambdaFunctionScheduled",
            "started": "LambdaFunctionStarted",
            "succeeded": "LambdaFunctionSucceeded",
            "failed": "LambdaFunctionFailed",
            "timed_out": "LambdaFunctionTimedOut",
        }
    if family == "activity":
        return {
            "scheduled": "ActivityScheduled",
            "started": "ActivityStarted",
            "succeeded": "ActivitySucceeded",
            "failed": "ActivityFailed",
            "timed_out": "ActivityTimedOut",
        }
    return {
        "scheduled": "TaskScheduled",
        "started": "TaskStarted",
        "succeeded": "TaskSucceeded",
        "failed": "TaskFailed",
        "timed_out": "TaskTimedOut",
    }


def details_key(event_type: str) -> str | None:
    """The HistoryEvent member holding ``event_type``'s details (``TaskScheduled`` -> taskScheduledEventDetails)."""
    if event_type.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if event_type.endswith("StateExited"):
        return "stateExitedEventDetails"
    if event_type.startswith("MapIteration"):
        return event_type[0].lower() + event_type[1:] + "EventDetails"
    if event_type in _NO_DETAILS:
        return None
    return event_type[0].lower() + event_type[1:] + "EventDetails"


_NO_DETAILS = frozenset(
    {
        "ParallelStateStarted",
        "ParallelStateSucceeded",
        "ParallelStateFailed",
        "ParallelStateAborted",
        "MapStateSucceeded",
        "MapStateFailed",
        "MapStateAborted",
        "LambdaFunctionStarted",
        "MapRunSucceeded",
        "MapRunAborted",
        "TaskStateAborted",
        "WaitStateAborted",
    }
)
