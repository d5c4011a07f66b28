"""Glue's request model from botocore: the shapes of each operation, and request validation in AWS's words.

botocore loads here only, on the first call (``sluice --help`` and the CLI's imports stay light).
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

from sluice.errors import InvalidInputException, SluiceError

if TYPE_CHECKING:
    from botocore.model import OperationModel, ServiceModel

_TYPES = {"str": "string", "int": "integer", "float": "double", "bool": "boolean", "dict": "map", "tuple": "list"}
"""Python type names in botocore's type errors, as the model's types."""


@cache
def glue_model() -> ServiceModel:
    """botocore's service model of Glue (the one the installed botocore ships)."""
    import botocore.session

    return botocore.session.get_session().get_service_model("glue")


@cache
def _error_shapes() -> frozenset[str]:
    return frozenset(shape.name for shape in glue_model().error_shapes)


def error_code(exc: SluiceError) -> str:
    """Glue's name for a Sluice error: the nearest class in its MRO that Glue's model has as an error shape
    (``PredicateSyntaxError`` → ``InvalidInputException``), else the class's own name."""
    return next((c.__name__ for c in type(exc).__mro__ if c.__name__ in _error_shapes()), type(exc).__name__)


def operation_model(operation: str) -> OperationModel:
    """The model of one Glue operation; InvalidInputException for a name Glue does not have."""
    model = glue_model()
    if operation not in model.operation_names:
        raise InvalidInputException(f"Unknown operation {operation!r}: Glue has no such operation.")
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


def validate_request(operation: str, request: dict[str, Any]) -> None:
    """Check ``request`` against the operation's input shape; InvalidInputException names each bad member."""
    from botocore.validate import ParamValidator

    shape = operation_model(operation).input_shape
    report = ParamValidator().validate(request, shape)
    if report.has_errors():
        errors = report._errors  # (kind, member path, details) tuples: botocore has no public accessor
        count = f"{len(errors)} validation error{'s' if len(errors) > 1 else ''} detected"
        raise InvalidInputException(f"{count}: " + "; ".join(_sentence(e) for e in errors))
