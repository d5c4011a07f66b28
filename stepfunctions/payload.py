"""Data processing in JSONPath states: paths over input, context (``$$``) and variables (``$name``), payload
templates (Parameters, ResultSelector, ItemSelector, Assign) and InputPath/ResultPath/OutputPath."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from stepfunctions import intrinsics, jsonpath
from stepfunctions.errors import INTRINSIC_FAILURE, RESULT_PATH_MATCH_FAILURE, RUNTIME, StatesError
from stepfunctions.jsonpath import dumps
from stepfunctions.runtime import Random

_VARIABLE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class Scope:
    """What a path can read besides the data: the context object (built on first use) and the variables."""

    def __init__(
        self, context: Callable[[], Mapping[str, Any]], variable: Callable[[str], Any], random: Random
    ) -> None:
        self._context_fn = context
        self._context: Mapping[str, Any] | None = None
        self.variable = variable  # raises KeyError for an unknown name
        self.random = random

    @property
    def context(self) -> Mapping[str, Any]:
        if self._context is None:
            self._context = self._context_fn()
        return self._context


def resolve(path: str, data: Any, scope: Scope) -> Any:
    """The value of ``path``: ``$...`` over ``data``, ``$$...`` over the context, ``$name...`` over a variable."""
    if path.startswith("$$"):
        return jsonpath.select("$" + path[2:], scope.context)
    m = _VARIABLE.match(path)
    if m:
        try:
            root = scope.variable(m.group(1))
        except KeyError:
            raise jsonpath.PathError(f"The variable '{m.group(1)}' is not defined") from None
        return jsonpath.select("$" + path[m.end() :], root)
    return jsonpath.select(path, data)


NULL_INPUT = "Unable to apply Path transformation to null or empty input."


def _over_input(path: str, data: Any) -> None:
    """Step Functions applies no path to a null input: a path over the data (not ``$$``, not a variable) is
    ``States.Runtime`` then, ``$`` included."""
    if data is None and not path.startswith("$$") and not _VARIABLE.match(path):
        raise StatesError(RUNTIME, NULL_INPUT)


def select_path(path: str | None, data: Any, scope: Scope) -> Any:
    """InputPath/OutputPath/ItemsPath/...Path: ``None`` gives ``{}``, ``$`` the data as it is; a missing path
    (or any other path over a null input) is ``States.Runtime``."""
    if path is None:
        return {}
    if path == "$":
        return data
    _over_input(path, data)
    try:
        return resolve(path, data, scope)
    except jsonpath.PathError as err:
        raise StatesError(RUNTIME, f"Invalid path '{path}' : {err}") from None


def render(template: Any, data: Any, scope: Scope) -> Any:
    """A payload template: keys ending in ``.$`` take the value of a path or an intrinsic function."""
    if isinstance(template, dict):
        out: dict[str, Any] = {}
        for key, value in template.items():
            if key.endswith(".$") and isinstance(value, str):
                out[key[:-2]] = dynamic(key, value, data, scope)
            else:
                out[key] = render(value, data, scope)
        return out
    if isinstance(template, list):
        return [render(v, data, scope) for v in template]
    return template


def dynamic(key: str, value: str, data: Any, scope: Scope) -> Any:
    """The value of the dynamic field ``key``: the path or intrinsic function ``value`` over ``data``."""
    if intrinsics.is_intrinsic(value):

        def arg(path: str) -> Any:
            _over_input(path, data)
            try:
                return resolve(path, data, scope)
            except jsonpath.PathError as err:
                raise StatesError(
                    INTRINSIC_FAILURE, f"The path '{path}' in the function '{value}' could not be resolved: {err}"
                ) from None

        return intrinsics.evaluate(value, arg, scope.random)
    _over_input(value, data)
    try:
        return resolve(value, data, scope)
    except jsonpath.PathError:
        raise StatesError(
            RUNTIME,
            f"The JSONPath '{value}' specified for the field '{key}' could not be found in the input '{dumps(data)}'",
        ) from None


def apply_result_path(path: str | None, state_input: Any, result: Any) -> Any:
    """ResultPath: ``$`` replaces, ``None`` (JSON null) keeps the input, ``$.a.b`` merges into the input."""
    if path is None:
        return state_input
    if path == "$":
        return result
    try:
        return jsonpath.put(state_input, path, result)
    except jsonpath.PathError:  # the cause as Step Functions words it
        raise StatesError(
            RESULT_PATH_MATCH_FAILURE, f"Unable to apply ReferencePath {path} to input {dumps(state_input)}"
        ) from None
