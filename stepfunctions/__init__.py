"""Amazon States Language, interpreted in process: validation, JSONPath and JSONata processing, every state
type, Retry/Catch, and Step Functions' history, over injected tasks, clock and randomness (no I/O)."""

from stepfunctions.definition import InvalidDefinition, load, validate
from stepfunctions.errors import StatesError, TaskError
from stepfunctions.interpreter import Execution, Frame, Interpreter
from stepfunctions.runtime import FakeClock, FunctionTasks, SystemClock, SystemRandom, TaskRequest, TaskRunner
from stepfunctions.sync import run_sync

__all__ = [
    "Execution",
    "FakeClock",
    "Frame",
    "FunctionTasks",
    "Interpreter",
    "InvalidDefinition",
    "StatesError",
    "SystemClock",
    "SystemRandom",
    "TaskError",
    "TaskRequest",
    "TaskRunner",
    "load",
    "run_sync",
    "validate",
]
