"""Lambda functions as Python callables: the registry that names them, and invocation as Lambda reports it.

The registry is a YAML or JSON object of function name → ``"module:callable"`` (an importable module) or
``"path/to/file.py:callable"`` (relative to the registry file)::

    greet: handlers.greetings:greet
    enrich: lambdas/enrich.py:handler

Each callable is a Lambda handler, called as ``handler(event, context)``. A handler's exception is the task's
error named by its class (Lambda's ``errorType``), with Lambda's error JSON (``errorMessage``, ``errorType``,
``requestId``, ``stackTrace``) as the cause; ``SystemExit``
is ``Lambda.Unknown``, as a function that dies without reporting an error is; a result that is not JSON is
``Runtime.MarshalError``.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import RootModel, ValidationError, field_validator

from sluice.errors import InvalidInputException
from stepfunctions.errors import TaskError

Handler = Callable[[Any, Any], Any]

FUNCTION_ARN = re.compile(r"arn:[\w-]+:lambda:[\w-]+:\d{12}:function:(?P<name>[\w-]+)(:[\w$-]+)?")
_PARTIAL_ARN = re.compile(r"(\d{12}:)?function:(?P<name>[\w-]+)(:[\w$-]+)?")
_NAME = re.compile(r"(?P<name>[\w-]+)(:[\w$-]+)?")
UNKNOWN_CAUSE = "The cause could not be determined because Lambda did not return an error type."


class Registry(RootModel[dict[str, str]]):
    """The registry file's schema: function name → ``module:callable`` or ``file.py:callable``."""

    @field_validator("root")
    @classmethod
    def _targets(cls, functions: dict[str, str]) -> dict[str, str]:
        for name, target in functions.items():
            if not _NAME.fullmatch(name) or ":" in name:
                raise ValueError(f"{name!r} is not a Lambda function name (letters, digits, - and _)")
            module, _, attribute = target.rpartition(":")
            if not module or not attribute.isidentifier():
                raise ValueError(f"{name}: {target!r} is not 'python.module:callable' or 'file.py:callable'")
        return functions


def load_registry(path: Path) -> dict[str, Handler]:
    """The handlers a registry file names, each imported now; InvalidInputException naming the file and the
    function whose entry is wrong."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text())  # JSON is YAML
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInputException(f"Lambda registry {path}: {exc}") from None
    try:
        functions = Registry.model_validate(data or {}).root
    except ValidationError as exc:
        problems = "; ".join(error["msg"].removeprefix("Value error, ") for error in exc.errors())
        raise InvalidInputException(f"Lambda registry {path}: {problems}") from None
    return {name: _resolve(path, name, target) for name, target in functions.items()}


def _resolve(registry: Path, name: str, target: str) -> Handler:
    module_name, _, attribute = target.rpartition(":")
    try:
        if module_name.endswith(".py"):
            file = (registry.parent / module_name).resolve()
            spec = importlib.util.spec_from_file_location(f"sluice_lambda_{name.replace('-', '_')}", file)
            if spec is None or spec.loader is None:
                raise ImportError(f"no Python module at {file}")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
        handler = getattr(module, attribute)
    except Exception as exc:  # an import of user code can fail in any way: name the entry
        raise InvalidInputException(f"Lambda registry {registry}: {name}: {target!r}: {exc}") from None
    if not callable(handler):
        raise InvalidInputException(f"Lambda registry {registry}: {name}: {target!r} is not callable")
    return handler


def function_name(reference: str) -> str | None:
    """The function a ``FunctionName`` (name, ARN or partial ARN, with or without a qualifier) names."""
    for pattern in (FUNCTION_ARN, _PARTIAL_ARN, _NAME):
        found = pattern.fullmatch(reference)
        if found:
            return found["name"]
    return None


@dataclass(frozen=True)
class LambdaContext:
    """The members of Lambda's Python context object a handler commonly reads."""

    function_name: str
    invoked_function_arn: str
    aws_request_id: str
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 128
    remaining_millis: int = 900_000

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


def invoke(
    functions: Mapping[str, Handler], reference: str, event: Any, *, region: str, account: str, timeout: int | None
) -> tuple[Any, str]:
    """Run the function ``reference`` names on ``event``: its result (through JSON, as Lambda returns it) and
    the request id. Raises TaskError as Step Functions reports the function's failure."""
    name = function_name(reference) if isinstance(reference, str) else None
    arn = f"arn:aws:lambda:{region}:{account}:function:{name or reference}"
    request_id = str(uuid.uuid4())
    handler = functions.get(name or "")
    if handler is None:
        raise TaskError(
            "Lambda.ResourceNotFoundException",
            f"Function not found: {arn} (Service: AWSLambda; Status Code: 404; Error Code: "
            f"ResourceNotFoundException; Request ID: {request_id}; Proxy: null)",
        )
    context = LambdaContext(name or "", arn, request_id, remaining_millis=(timeout or 900) * 1000)
    try:
        result = handler(event, context)
    except Exception as exc:  # the handler's own failure: its errorType is the exception's class
        raise _error(type(exc).__name__, str(exc), request_id, _stack(exc)) from exc
    except SystemExit as exc:  # the function's process ended without reporting an error type
        raise TaskError("Lambda.Unknown", UNKNOWN_CAUSE) from exc
    try:
        return json.loads(json.dumps(result)), request_id
    except (TypeError, ValueError) as exc:  # Lambda's runtime cannot serialize the result either
        raise _error("Runtime.MarshalError", f"Unable to marshal response: {exc}", request_id, []) from exc


def _stack(exc: BaseException) -> list[str]:
    """The handler's frames as Lambda's ``stackTrace`` lists them (this module's own call left out)."""
    return traceback.format_list(traceback.extract_tb(exc.__traceback__)[1:])


def _error(error_type: str, message: str, request_id: str, stack: list[str]) -> TaskError:
    cause = {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": stack}
    return TaskError(error_type, json.dumps(cause, separators=(",", ":")))
