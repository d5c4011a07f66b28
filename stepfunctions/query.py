"""JSONata in Step Functions: ``{% ... %}`` templates evaluated with ``$states`` and the workflow variables,
plus the functions Step Functions adds ($partition, $range, $hash, $random, $uuid, $parse)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

import jsonata
from jsonata import functions as jfunctions
from jsonata import jexception, utils

from stepfunctions import intrinsics
from stepfunctions.errors import QUERY_EVALUATION_ERROR, StatesError
from stepfunctions.runtime import Random

_CODE = re.compile(r"[A-Z]\d{4}")


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")


def body(value: str) -> str:
    return value[2:-2].strip()


@lru_cache(maxsize=4096)
def compile_expression(text: str) -> jsonata.Jsonata:
    """The parsed expression; raises ``jexception.JException`` when it does not parse."""
    expr = jsonata.Jsonata(text)
    expr.set_output_convert_nulls(False)
    return expr


def syntax_error(value: str) -> str | None:
    """Why ``{% ... %}`` does not parse, or None when it does."""
    try:
        compile_expression(body(value))
    except jexception.JException as err:
        return str(err)
    return None


def top_level_reference(value: str) -> str | None:
    """The name a ``{% %}`` expression reads from the (absent) top-level context, which AWS rejects
    (``Reference to 'phone' at the top level is not supported.``), or None."""
    try:
        ast = compile_expression(body(value)).ast
    except jexception.JException:
        return None
    return _top_name(ast)


def _top_name(node: Any) -> str | None:
    """Walk only the positions evaluated against the top-level context: a path's first step, operands,
    arguments, array and object members, conditions and blocks; predicates, later path steps and lambda
    bodies have a context of their own."""
    kind = getattr(node, "type", None)
    if kind == "name":
        return str(node.value)
    if kind == "variable":
        return {"": "$", "$": "$$"}.get(node.value)
    children: list[Any] = []
    if kind == "path":
        children = node.steps[:1]
    elif kind in ("binary", "apply"):
        children = [node.lhs, node.rhs]
    elif kind == "bind":
        children = [node.rhs]
    elif kind == "condition":
        children = [node.condition, node.then, node._else]
    elif kind == "block" or (kind == "unary" and node.value == "["):
        children = list(node.expressions or [])
    elif kind == "unary" and node.value == "{":
        children = [part for pair in node.lhs_object or [] for part in pair]
    elif kind == "unary":
        children = [node.expression]
    elif kind in ("function", "partial"):
        children = list(node.arguments or [])
    for child in children:
        found = _top_name(child)
        if found is not None:
            return found
    return None


def functions(random: Random, millis: Callable[[], int]) -> dict[str, Any]:
    """The Step Functions additions, bound to the interpreter's randomness, and ``$now``/``$millis`` read from
    its clock (``millis`` gives the epoch milliseconds)."""

    def call(name: str, *args: Any) -> Any:
        try:
            return intrinsics.FUNCTIONS[name](list(args), random)
        except StatesError as err:
            raise jexception.JException(err.cause or name, 0) from None

    def parse(text: Any) -> Any:
        try:
            return json.loads(text)
        except (TypeError, ValueError) as err:
            raise jexception.JException(f"$parse could not parse its argument as JSON: {err}", 0) from None

    def no_eval(*args: Any) -> Any:
        raise jexception.JException("T1006", 0)  # Step Functions offers $parse instead of $eval

    def random_fn(seed: Any = None) -> float:
        return random.random(None if seed is None else int(seed))

    return {
        "partition": jsonata.Jsonata.JLambda(lambda a, n: call("States.ArrayPartition", a, n)),
        "range": jsonata.Jsonata.JLambda(lambda a, b, s: call("States.ArrayRange", a, b, s)),
        "hash": jsonata.Jsonata.JLambda(lambda d, alg: call("States.Hash", d, alg)),
        "random": jsonata.Jsonata.JLambda(random_fn),
        "uuid": jsonata.Jsonata.JLambda(lambda: random.uuid()),
        "parse": jsonata.Jsonata.JLambda(parse),
        "now": jsonata.Jsonata.JLambda(
            lambda picture=None, timezone=None: jfunctions.Functions.datetime_from_millis(millis(), picture, timezone)
        ),
        "millis": jsonata.Jsonata.JLambda(millis),
        "eval": jsonata.Jsonata.JLambda(no_eval),
    }


def evaluate(value: Any, bindings: dict[str, Any], field: str) -> Any:
    """``value`` with every ``{% %}`` string (at any depth) replaced by its JSONata value."""
    if is_expression(value):
        return _expression(value, bindings, field)
    if isinstance(value, dict):
        return {k: evaluate(v, bindings, f"{field}/{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [evaluate(v, bindings, f"{field}[{i}]") for i, v in enumerate(value)]
    return value


def _expression(value: str, bindings: dict[str, Any], field: str) -> Any:
    text = body(value)
    failed = f"The JSONata expression '{text}' specified for the field '{field}' threw an error during evaluation"
    try:
        result = compile_expression(text).evaluate(None, {k: _bindable(v) for k, v in bindings.items()})
    except jexception.JException as err:
        code = str(err.error)
        if _CODE.fullmatch(code):
            raise StatesError(QUERY_EVALUATION_ERROR, f"{failed}. {code}: {_message(err)}", location=field) from None
        raise StatesError(QUERY_EVALUATION_ERROR, f"{failed}: {code}", location=field) from None
    except (RecursionError, TypeError, ValueError, ZeroDivisionError) as err:
        cast = _NOT_A_NUMBER.fullmatch(str(err))  # the library's $number("x"): JSONata's D3030
        if cast is not None:
            tail = f"D3030: Unable to cast value to a number: {json.dumps(cast.group(1))}"
            raise StatesError(QUERY_EVALUATION_ERROR, f"{failed}. {tail}", location=field) from None
        raise StatesError(QUERY_EVALUATION_ERROR, f"{failed}: {err}", location=field) from None
    if result is None:
        raise StatesError(
            QUERY_EVALUATION_ERROR,
            f"The JSONata expression '{text}' specified for the field '{field}' returned nothing (undefined).",
            location=field,
        )
    return to_json(result, text, field)


_PLACEHOLDER = re.compile(r"\{\{\{(\w+)\}\}\}|\{\{(\w+)\}\}")
_ARRAY_OF = {"a": "arrays", "b": "booleans", "f": "functions", "n": "numbers", "o": "objects", "s": "strings"}
_NOT_A_NUMBER = re.compile(r"could not convert string to float: '(.*)'")


def _message(err: jexception.JException) -> str:
    """A JSONata error's message as jsonata-js (and so AWS) words it: the library's template with "function"
    where its Java ancestry wrote "Object", ``{{x}}`` filled with the value as JSON and ``{{{x}}}`` as text."""
    template = jexception.JException.error_codes.get(err.error)
    if template is None:
        return str(err)
    values = iter((err.current, err.expected, err.extra))

    def fill(m: re.Match[str]) -> str:
        value = next(values, None)
        if m.group(2) == "type" and isinstance(value, str):
            value = _ARRAY_OF.get(value, value)
        if m.group(1):
            return str(value)
        try:
            return json.dumps(to_json(value), ensure_ascii=False)
        except StatesError:
            return str(value)

    return _PLACEHOLDER.sub(fill, template.replace("Object", "function"))


def _bindable(value: Any) -> Any:
    return utils.Utils.NULL_VALUE if value is None else value


def to_json(value: Any, text: str = "", field: str = "") -> Any:
    """A JSONata value as plain JSON: JSONata's null marker as None, whole floats below 1e21 as the integers
    JavaScript's JSON.stringify writes for them (JSONata numbers are doubles; AWS runs JSONata 2.0.6)."""
    if value is utils.Utils.NULL_VALUE or value is None:
        return None
    if isinstance(value, bool | str):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise StatesError(
                QUERY_EVALUATION_ERROR, f"The JSONata expression '{text}' returned a non-finite number", location=field
            )
        if value.is_integer() and abs(value) < 1e21:  # JavaScript writes these without a fraction or exponent
            return int(Decimal(repr(value)))  # its shortest digits: 1.2345678901234567e19 -> 12345678901234567000
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, dict):
        return {k: to_json(v, text, field) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v, text, field) for v in value]
    raise StatesError(
        QUERY_EVALUATION_ERROR,
        f"The JSONata expression '{text}' specified for the field '{field}' returned a value that is not JSON",
        location=field,
    )
