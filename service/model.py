"""Glue's (and Step Functions') request model from botocore: the shapes of each operation, and request
validation in AWS's words.

botocore loads here only, on the first call (``sluice --help`` and the CLI's imports stay light).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from sluice.errors import InvalidInputException, SluiceError

if TYPE_CHECKING:
    from botocore.model import OperationModel, ServiceModel

_TYPES = {"str": "string", "int": "integer", "float": "double", "bool": "boolean", "dict": "map", "tuple": "list"}
"""Python type names in botocore's type errors, as the model's types."""


API_NAMES = {"glue": "Glue", "stepfunctions": "Step Functions"}
"""The APIs of :mod:`service` by botocore's service name, as AWS names them."""


@cache
def service_model(api: str = "glue") -> ServiceModel:
    """botocore's service model of ``api`` (the one the installed botocore ships)."""
    import botocore.session

    return botocore.session.get_session().get_service_model(api)


def glue_model() -> ServiceModel:
    """botocore's service model of Glue."""
    return service_model("glue")


def invalid_input(api: str = "glue") -> type[SluiceError]:
    """The error of a malformed request: Glue's InvalidInputException, Step Functions' ValidationException."""
    if api == "glue":
        return InvalidInputException
    from stepfunctions.store import ValidationException

    return ValidationException


@cache
def _error_shapes() -> frozenset[str]:
    return frozenset(shape.name for shape in glue_model().error_shapes)


def error_code(exc: SluiceError) -> str:
    """Glue's name for a Sluice error: the nearest class in its MRO that Glue's model has as an error shape
    (``PredicateSyntaxError`` → ``InvalidInputException``), else the class's own name."""
    return next((c.__name__ for c in type(exc).__mro__ if c.__name__ in _error_shapes()), type(exc).__name__)


def operation_model(operation: str, api: str = "glue") -> OperationModel:
    """The model of one operation of ``api``; InvalidInputException (ValidationException) for a name it lacks."""
    model = service_model(api)
    if operation not in model.operation_names:
        raise invalid_input(api)(f"Unknown operation {operation!r}: {API_NAMES[api]} has no such operation.")
    return model.operation_model(operation)


def _member_path(name: str) -> str:
    """botocore's parameter path (``DatabaseInput.Name``, ``PartitionInputList[0].Values``) as AWS prints it:
    each member in lower camel case (``databaseInput.name``)."""
    return ".".join(part[:1].lower() + part[1:] for part in name.split(".") if part)


def _sentence(error: tuple[str, str, dict[str, Any]]) -> str:
    """One validation error as AWS's services phrase it: the value, the member, the constraint."""
    kind, name, extra = error
    if kind == "missing required field":
        path = _member_path(f"{name}.{extra['required_name']}")
        return f"Value null at '{path}' failed to satisfy constraint: Member must not be null"
    if kind == "invalid type":
        names = (re.sub(r"<class '(?:\w+\.)*(\w+)'>", r"\1", str(t)) for t in extra["valid_types"])
        types = " or ".join(dict.fromkeys(_TYPES.get(n, n) for n in names))
        return (
            f"Value {extra['param']!r} at '{_member_path(name)}' failed to satisfy constraint: "
            f"Member must be of type {types}"
        )
    if kind == "invalid range":
        return (
            f"Value {extra['param']!r} at '{_member_path(name)}' failed to satisfy constraint: "
            f"Member must have value greater than or equal to {extra['min_allowed']}"
        )
    if kind == "invalid length":
        return (
            f"Value {extra['param']!r} at '{_member_path(name)}' failed to satisfy constraint: "
            f"Member must have length greater than or equal to {extra['min_allowed']}"
        )
    if kind == "unknown field":
        where = f" of '{_member_path(name)}'" if name else ""
        return f"Unknown member '{extra['unknown_param']}'{where}: it must be one of {', '.join(extra['valid_names'])}"
    from botocore.validate import ValidationErrors

    return str(ValidationErrors()._format_error(error))


def validate_request(operation: str, request: dict[str, Any], api: str = "glue") -> None:
    """Check ``request`` against the operation's input shape; InvalidInputException (Step Functions:
    ValidationException) names each bad member."""
    from botocore.validate import ParamValidator

    shape = operation_model(operation, api).input_shape
    sentences = []
    if not _compiled_check(operation, api)(request):  # botocore's report names each error
        report = ParamValidator().validate(request, shape)
        sentences = [_sentence(e) for e in report._errors] if report.has_errors() else []  # no public accessor
    sentences += _above_maximum(request, shape)
    if sentences:
        count = f"{len(sentences)} validation error{'s' if len(sentences) > 1 else ''} detected"
        raise invalid_input(api)(f"{count}: " + "; ".join(sentences))


@cache
def _compiled_check(operation: str, api: str) -> Callable[[Any], bool]:
    """Whether a request of ``operation`` passes botocore's validator, compiled once (``service.validator``)."""
    from service.validator import compile_check

    return compile_check(operation_model(operation, api).input_shape)


def _above_maximum(request: dict[str, Any], shape: Any) -> list[str]:
    """The top-level numbers above their shape's maximum (page sizes such as GetTables' ``MaxResults`` ≤ 100),
    which AWS refuses and botocore's client-side validator does not check."""
    out = []
    for name, value in request.items():
        member = shape.members.get(name)
        top = member.metadata.get("max") if member is not None and member.type_name in ("integer", "long") else None
        if top is not None and isinstance(value, int) and not isinstance(value, bool) and value > top:
            out.append(
                f"Value '{value}' at '{_member_path(name)}' failed to satisfy constraint: "
                f"Member must have value less than or equal to {top}"
            )
    return out
