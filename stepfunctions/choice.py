"""Choice rules of JSONPath states: every comparison operator, its ``...Path`` form, the type tests,
``StringMatches`` and the ``And``/``Or``/``Not`` combinators."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any

from stepfunctions.errors import RUNTIME, StatesError
from stepfunctions.jsonpath import PathError

_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")

Resolve = Callable[[str], Any]


def parse_timestamp(value: Any) -> datetime | None:
    """An RFC 3339 timestamp as ASL accepts it (uppercase ``T``, ``Z`` or an offset), or None."""
    if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value):
        return None
    text = value.replace("Z", "+00:00")
    if "." in text:
        head, rest = text.split(".", 1)
        digits = re.match(r"\d+", rest)
        assert digits is not None
        text = head + "." + digits.group()[:6].ljust(6, "0") + rest[digits.end() :]
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


@lru_cache(maxsize=1024)
def _wildcard(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "*" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def _order(kind: str, a: Any, b: Any) -> tuple[Any, Any] | None:
    if kind == "String":
        # Java's String.compareTo order: by UTF-16 code unit, which big-endian UTF-16 bytes preserve.
        if isinstance(a, str) and isinstance(b, str):
            return a.encode("utf-16-be", "surrogatepass"), b.encode("utf-16-be", "surrogatepass")
        return None
    if kind == "Numeric":
        return (a, b) if _is_number(a) and _is_number(b) else None
    if kind == "Timestamp":
        ta, tb = parse_timestamp(a), parse_timestamp(b)
        return (ta, tb) if ta is not None and tb is not None else None
    if kind == "Boolean":
        return (a, b) if isinstance(a, bool) and isinstance(b, bool) else None
    return None


_RELATIONS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": lambda a, b: a == b,
    "LessThan": lambda a, b: a < b,
    "GreaterThan": lambda a, b: a > b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThanEquals": lambda a, b: a >= b,
}
COMPARISONS = {
    f"{kind}{rel}"
    for kind in ("String", "Numeric", "Timestamp")
    for rel in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
} | {"BooleanEquals", "StringMatches"}
TYPE_TESTS = {"IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"}
OPERATORS = COMPARISONS | {f"{c}Path" for c in COMPARISONS - {"StringMatches"}} | TYPE_TESTS
COMBINATORS = {"And", "Or", "Not"}


def operator_of(rule: dict[str, Any]) -> list[str]:
    """The comparison operators or combinators a rule names (a valid rule names exactly one)."""
    return [k for k in rule if k in OPERATORS or k in COMBINATORS]


def evaluate(rule: dict[str, Any], resolve: Resolve) -> bool:
    """Whether ``rule`` holds; ``resolve`` reads a path (raising PathError when it is absent)."""
    if "And" in rule:
        return all(evaluate(r, resolve) for r in rule["And"])
    if "Or" in rule:
        return any(evaluate(r, resolve) for r in rule["Or"])
    if "Not" in rule:
        return not evaluate(rule["Not"], resolve)
    ops = operator_of(rule)
    if len(ops) != 1:
        raise StatesError(RUNTIME, f"The choice rule {rule} must name exactly one comparison operator")
    op = ops[0]
    variable = rule.get("Variable")
    if not isinstance(variable, str):
        raise StatesError(RUNTIME, f"The choice rule with {op} needs a 'Variable' path")
    if op == "IsPresent":
        try:
            resolve(variable)
            present = True
        except PathError:
            present = False
        return present is rule[op]
    try:
        value = resolve(variable)
    except PathError:
        raise StatesError(
            RUNTIME, f"Invalid path '{variable}': The choice state's condition path references an invalid value."
        ) from None
    expected = rule[op]
    if op in TYPE_TESTS:
        actual = {
            "IsNull": value is None,
            "IsNumeric": _is_number(value),
            "IsString": isinstance(value, str),
            "IsBoolean": isinstance(value, bool),
            "IsTimestamp": parse_timestamp(value) is not None,
        }[op]
        return actual is expected
    if op.endswith("Path"):
        op = op[: -len("Path")]
        try:
            expected = resolve(rule[op + "Path"])
        except PathError:
            raise StatesError(
                RUNTIME,
                f"Invalid path '{rule[op + 'Path']}': The choice state's condition path references an invalid value.",
            ) from None
    if op == "StringMatches":
        return isinstance(value, str) and isinstance(expected, str) and bool(_wildcard(expected).fullmatch(value))
    kind = next(k for k in ("String", "Numeric", "Timestamp", "Boolean") if op.startswith(k))
    pair = _order(kind, value, expected)
    return pair is not None and _RELATIONS[op[len(kind) :]](*pair)
