"""``run_sync``: one in-process execution with StartSyncExecution's response shape."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from stepfunctions.definition import InvalidDefinition, load
from stepfunctions.interpreter import Execution, Interpreter, ItemReader, ResultWriter
from stepfunctions.payload import dumps
from stepfunctions.runtime import Clock, FunctionTasks, Random, SystemRandom, TaskRunner

REGION = "us-east-1"
ACCOUNT = "123456789012"


def run_sync(
    definition: str | dict[str, Any],
    input: Any = None,
    *,
    name: str | None = None,
    tasks: TaskRunner | Mapping[str, Callable[[Any], Any]] | None = None,
    clock: Clock | None = None,
    random: Random | None = None,
    state_machine_name: str = "StateMachine",
    region: str = REGION,
    account: str = ACCOUNT,
    role_arn: str | None = None,
    item_reader: ItemReader | None = None,
    result_writer: ResultWriter | None = None,
) -> dict[str, Any]:
    """Validate and run ``definition`` to its end, as an Express StartSyncExecution would.

    ``input`` is the execution input as JSON text (as the API takes it) or as a Python value; ``tasks`` is a
    TaskRunner or a mapping of resource ARN to ``callable(parameters) -> result``. Raises InvalidDefinition
    (with its diagnostics) for a definition that does not validate. The result also carries the
    execution's ``history`` events under that key.
    """
    parsed = load(definition)
    value = json.loads(input) if isinstance(input, str) else ({} if input is None else input)
    runner = FunctionTasks(tasks) if isinstance(tasks, Mapping) else tasks
    rng = random or SystemRandom()
    interpreter = Interpreter(
        tasks=runner, clock=clock, random=rng, item_reader=item_reader, result_writer=result_writer
    )
    exec_name = name or rng.uuid()
    sm_arn = f"arn:aws:states:{region}:{account}:stateMachine:{state_machine_name}"
    exec_arn = f"arn:aws:states:{region}:{account}:express:{state_machine_name}:{exec_name}:{rng.uuid()}"
    role = role_arn or f"arn:aws:iam::{account}:role/service-role/StepFunctions-{state_machine_name}-role"
    ex = interpreter.start(
        parsed, value, execution_arn=exec_arn, state_machine_arn=sm_arn, name=exec_name, role_arn=role
    )
    interpreter.run(ex)
    return response(ex)


def response(ex: Execution) -> dict[str, Any]:
    """StartSyncExecution's members for a finished execution (``output`` only when it succeeded)."""
    assert ex.stop is not None
    return {
        "executionArn": ex.execution_arn,
        "stateMachineArn": ex.state_machine_arn,
        "name": ex.name,
        "startDate": datetime.fromtimestamp(ex.start, UTC),
        "stopDate": datetime.fromtimestamp(ex.stop, UTC),
        "status": ex.status,
        "input": dumps(ex.input),
        "inputDetails": {"included": True},
        "output": dumps(ex.output) if ex.status == "SUCCEEDED" else None,
        "outputDetails": {"included": True},
        "error": ex.error,
        "cause": ex.cause,
        "history": ex.events,
    }


__all__ = ["InvalidDefinition", "run_sync"]
