"""The error names of the Amazon States Language and the exceptions that carry them through the interpreter."""

from __future__ import annotations

ALL = "States.ALL"
TASK_FAILED = "States.TaskFailed"
TIMEOUT = "States.Timeout"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
RUNTIME = "States.Runtime"
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
PARAMETER_PATH_FAILURE = "States.ParameterPathFailure"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
BRANCH_FAILED = "States.BranchFailed"
NO_CHOICE_MATCHED = "States.NoChoiceMatched"
ITEM_READER_FAILED = "States.ItemReaderFailed"
RESULT_WRITER_FAILED = "States.ResultWriterFailed"
EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"
QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"

# Errors that ``States.ALL`` does not match: the terminal ones (AWS: "can't catch the States.DataLimitExceeded
# terminal error type and runtime error types").
UNCATCHABLE_BY_ALL = frozenset({RUNTIME, DATA_LIMIT_EXCEEDED})


class StatesError(Exception):
    """A named ASL error with its cause; ``located`` is False until the state's name has been put in the cause;
    ``location`` names the field of a JSONata expression that failed (its EvaluationFailed event's)."""

    def __init__(
        self, error: str, cause: str | None = None, *, located: bool = False, location: str | None = None
    ) -> None:
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error = error
        self.cause = cause
        self.located = located
        self.location = location


class TaskError(StatesError):
    """What a ``TaskRunner`` raises when the task fails: ``TaskError("Lambda.Unknown", "cause")``."""

    def __init__(self, error: str, cause: str | None = None) -> None:
        super().__init__(error, cause, located=True)


def matches(error_equals: list[str], error: str) -> bool:
    """Whether a Retrier's or Catcher's ``ErrorEquals`` matches ``error``.

    ``States.ALL`` matches all but the terminal errors; ``States.TaskFailed`` all but those and the timeouts;
    ``States.Timeout`` also matches a heartbeat timeout, which AWS counts as a Task timeout.
    """
    for name in error_equals:
        if name == error:
            return True
        if name == ALL and error not in UNCATCHABLE_BY_ALL:
            return True
        if name == TASK_FAILED and error not in UNCATCHABLE_BY_ALL and error not in (TIMEOUT, HEARTBEAT_TIMEOUT):
            return True
        if name == TIMEOUT and error == HEARTBEAT_TIMEOUT:
            return True
    return False
