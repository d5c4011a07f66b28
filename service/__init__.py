"""The service layer: one function per Glue operation Sluice supports, Glue's request members in, Glue's
response out, Glue's error codes raised (``sluice.errors``).

Each operation is ``function(ctx, **request) -> response``, named as the operation in snake case
(``GetTable`` → :func:`service.catalog.get_table`). The front doors (the CLI, the Airflow UI and
operators, an AWS endpoint) translate their input and call them. :data:`OPERATIONS` maps every
operation name to its function; :func:`invoke` validates a request against botocore's model of Glue
first. Nothing heavy loads on ``import service``: the modules of :data:`OPERATIONS` load on first use.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING, Any

from sluice.errors import InvalidInputException

if TYPE_CHECKING:
    from sluice.context import SluiceContext

MODULES = ("service.catalog", "service.crawlers", "service.jobs", "service.quality")

Operation = Callable[..., dict[str, Any]]


def operation_name(function_name: str) -> str:
    """``get_table_versions`` → ``GetTableVersions``."""
    return "".join(word.capitalize() for word in function_name.split("_"))


@cache
def operations() -> dict[str, Operation]:
    """Every operation by its Glue name, from the ``__all__`` of each module in :data:`MODULES`."""
    out: dict[str, Operation] = {}
    for name in MODULES:
        module = import_module(name)
        out |= {operation_name(fn): getattr(module, fn) for fn in module.__all__}
    return dict(sorted(out.items()))


def __getattr__(name: str) -> Any:
    if name == "OPERATIONS":  # loaded on first use (PEP 562), so `import service` stays light
        return operations()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _check_supported(operation: str, function: Operation, request: dict[str, Any]) -> None:
    """Members the model allows that Sluice does not implement, and members Sluice needs that it lacks."""
    params = inspect.signature(function).parameters
    unsupported = sorted(set(request) - set(params))
    if unsupported:
        raise InvalidInputException(
            f"{operation}: Sluice does not support {', '.join(unsupported)}; "
            f"it takes {', '.join(p for p in params if p[:1].isupper())}."
        )
    for name, param in params.items():
        if name[:1].isupper() and param.default is inspect.Parameter.empty and name not in request:
            path = name[:1].lower() + name[1:]
            raise InvalidInputException(
                f"1 validation error detected: Value null at '{path}' failed to satisfy constraint: "
                "Member must not be null"
            )


def invoke(ctx: SluiceContext | None, operation: str, request: dict[str, Any]) -> dict[str, Any]:
    """Run ``operation`` on ``request`` (Glue's request members): validated by botocore's model of the
    operation, every malformed member named in one InvalidInputException, then the operation's function."""
    from service.model import validate_request

    validate_request(operation, request)
    function = operations().get(operation)
    if function is None:
        raise InvalidInputException(f"Sluice does not implement Glue's {operation}.")
    _check_supported(operation, function, request)
    return function(ctx, **request)
