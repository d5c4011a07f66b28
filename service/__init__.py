"""The service layer: one function per Glue operation Sluice supports, Glue's request members in, Glue's
response out, Glue's error codes raised (``sluice.errors``).

Each operation is ``function(ctx, **request) -> response``, named as the operation in snake case
(``GetTable`` → :func:`service.catalog.get_table`). The front doors (the CLI, the Airflow UI and
operators, an AWS endpoint) translate their input and call them. :data:`OPERATIONS` maps every
operation name to its function; :func:`invoke` validates a request against botocore's model of Glue
first. Nothing heavy loads on ``import service``: the modules of :data:`OPERATIONS` load on first use.

The Step Functions API has its own registry: ``operations(STATES)`` and ``invoke(..., api=STATES)`` (its
functions take botocore's ``stepfunctions`` member names, lower camel case, and are in :data:`STATES_MODULES`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sluice.context import SluiceContext

GLUE, STATES = "glue", "stepfunctions"
"""The APIs the service layer serves, by botocore's service name."""
MODULES = ("service.catalog", "service.connections", "service.crawlers", "service.jobs", "service.quality")
STATES_MODULES = ("service.states",)

Operation = Callable[..., dict[str, Any]]


def operation_name(function_name: str) -> str:
    """``get_table_versions`` → ``GetTableVersions``."""
    return "".join(word.capitalize() for word in function_name.split("_"))


@cache
def operations(api: str = GLUE) -> dict[str, Operation]:
    """Every operation of ``api`` by its name, from the ``__all__`` of each module in :data:`MODULES` (Glue)
    or :data:`STATES_MODULES` (Step Functions)."""
    out: dict[str, Operation] = {}
    for name in MODULES if api == GLUE else STATES_MODULES:
        module = import_module(name)
        out |= {operation_name(fn): getattr(module, fn) for fn in module.__all__}
    return dict(sorted(out.items()))


def __getattr__(name: str) -> Any:
    if name == "OPERATIONS":  # loaded on first use (PEP 562), so `import service` stays light
        return operations()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def _parameters(function: Operation, api: str) -> tuple[frozenset[str], dict[str, bool]]:
    """Every parameter name of ``function``, and its request members (→ whether each is required): Glue's
    are capitalized (others, such as ``wait``, are for Python callers), Step Functions' are every one after
    ``ctx``. Read once per function: ``inspect.signature`` costs tens of microseconds a call."""
    params = list(inspect.signature(function).parameters.items())
    members = [(k, p) for k, p in params if k[:1].isupper()] if api == GLUE else params[1:]
    return frozenset(k for k, _ in params), {k: p.default is inspect.Parameter.empty for k, p in members}


def _check_supported(operation: str, function: Operation, request: dict[str, Any], api: str = GLUE) -> None:
    """Members the model allows that Sluice does not implement, and members Sluice needs that it lacks."""
    from service.model import invalid_input

    names, members = _parameters(function, api)
    unsupported = sorted(set(request) - names)
    if unsupported:
        raise invalid_input(api)(
            f"{operation}: Sluice does not support {', '.join(unsupported)}; it takes {', '.join(members)}."
        )
    for name, required in members.items():
        if required and name not in request:
            path = name[:1].lower() + name[1:]
            raise invalid_input(api)(
                f"1 validation error detected: Value null at '{path}' failed to satisfy constraint: "
                "Member must not be null"
            )


def invoke(ctx: SluiceContext | None, operation: str, request: dict[str, Any], api: str = GLUE) -> dict[str, Any]:
    """Run ``operation`` of ``api`` on ``request`` (its request members): validated by botocore's model of the
    operation, every malformed member named in one InvalidInputException (Step Functions: ValidationException),
    then the operation's function."""
    from service.model import API_NAMES, invalid_input, validate_request

    validate_request(operation, request, api)
    function = operations(api).get(operation)
    if function is None:
        raise invalid_input(api)(f"Sluice does not implement {API_NAMES[api]}'s {operation}.")
    _check_supported(operation, function, request, api)
    return function(ctx, **request)
