"""The 18 intrinsic functions of JSONPath states (``States.Format('{}', $.x)`` ...), with AWS's argument rules.

An argument is a string literal in single quotes (``\\'``, ``\\{``, ``\\}`` and ``\\\\`` stand for the character,
and ``States.Format`` tells an escaped brace from a ``{}`` placeholder), a number, ``true``/``false``/``null``, a
path (``$.x``, ``$$.x``, ``$var``) or a nested intrinsic. Every failure raises ``States.IntrinsicFailure``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from stepfunctions.errors import INTRINSIC_FAILURE, StatesError
from stepfunctions.jsonpath import dumps, split_top
from stepfunctions.runtime import Random

MAX_NESTING = 10
MAX_STRING = 10_000
MAX_RANGE = 1000
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Literal:
    value: Any
    escaped: str | None = None


@dataclass(frozen=True)
class PathArg:
    path: str


Resolver = Callable[[str], Any]


def is_intrinsic(text: str) -> bool:
    return text.startswith("States.")


@lru_cache(maxsize=2048)
def parse(text: str) -> Call:
    """Parse ``States.Name(args)``; raises StatesError(States.IntrinsicFailure) naming the problem."""
    return _parse_call(text.strip(), text, 1)


def _fail(message: str) -> StatesError:
    return StatesError(INTRINSIC_FAILURE, message)


def _parse_call(text: str, whole: str, depth: int) -> Call:
    m = re.match(r"(States\.[A-Za-z0-9]+)\s*\(", text)
    if not m or not text.endswith(")"):
        raise _fail(f"The value {whole!r} is not a valid intrinsic function call")
    if depth > MAX_NESTING:
        raise _fail(f"The intrinsic function {whole!r} nests more than {MAX_NESTING} functions")
    name = m.group(1)
    if name not in FUNCTIONS:
        raise _fail(f"The intrinsic function {name!r} is not supported (in {whole!r})")
    inner = text[m.end() : -1]
    args: list[Any] = []
    if inner.strip():
        for raw in split_top(inner, ","):
            args.append(_parse_arg(raw.strip(), whole, depth))
    return Call(name, tuple(args))


def _parse_arg(raw: str, whole: str, depth: int) -> Any:
    if not raw:
        raise _fail(f"Empty argument in intrinsic function {whole!r}")
    if raw.startswith("'"):
        if len(raw) < 2 or not raw.endswith("'"):
            raise _fail(f"Unterminated string literal {raw} in {whole!r}")
        return _string_literal(raw[1:-1], whole)
    if raw.startswith("$"):
        return PathArg(raw)
    if raw.startswith("States."):
        return _parse_call(raw, whole, depth + 1)
    if raw in ("true", "false", "null"):
        return Literal({"true": True, "false": False, "null": None}[raw])
    try:
        return Literal(json.loads(raw))
    except ValueError:
        raise _fail(f"The argument {raw!r} of {whole!r} is not a literal, a path or a function") from None


class Escaped(str):
    """A string literal's text with its escapes kept, for States.Format to tell ``\\{`` from a placeholder."""


def _string_literal(body: str, whole: str) -> Literal:
    """A quoted literal: ``\\'``, ``\\{``, ``\\}`` and ``\\\\`` stand for the character; any other backslash fails."""
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            if i + 1 >= len(body) or body[i + 1] not in "'{}\\":
                raise _fail(f"Invalid escape sequence at {body[i : i + 2]!r} in {whole!r}")
            out.append(body[i + 1])
            i += 2
            continue
        out.append(c)
        i += 1
    return Literal("".join(out), Escaped(body))


def evaluate(text: str, resolve: Resolver, random: Random) -> Any:
    """Evaluate the intrinsic ``text``; ``resolve`` turns a path argument into its value."""
    return _eval(parse(text), resolve, random)


def _eval(node: Any, resolve: Resolver, random: Random) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, PathArg):
        return resolve(node.path)
    args = [_eval(a, resolve, random) for a in node.args]
    if node.name == "States.Format" and node.args and isinstance(node.args[0], Literal) and node.args[0].escaped:
        args[0] = Escaped(node.args[0].escaped)
    return FUNCTIONS[node.name](args, random)


# ---- argument checks --------------------------------------------------------------------------------------


def _arity(name: str, args: list[Any], *counts: int) -> None:
    if len(args) not in counts:
        want = " or ".join(str(c) for c in counts)
        raise _fail(f"The function {name} requires {want} argument(s), got {len(args)}")


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _integer(name: str, v: Any, what: str) -> int:
    if not _is_num(v):
        raise _fail(f"The {what} of {name} must be a number, got {dumps(v)}")
    if isinstance(v, float) and not math.isfinite(v):
        raise _fail(f"The {what} of {name} must be finite")
    return math.floor(v + 0.5) if isinstance(v, float) else v


def _string(name: str, v: Any, what: str) -> str:
    if not isinstance(v, str):
        raise _fail(f"The {what} of {name} must be a string, got {dumps(v)}")
    return v


def _array(name: str, v: Any, what: str = "first argument") -> list[Any]:
    if not isinstance(v, list):
        raise _fail(f"The {what} of {name} must be an array, got {dumps(v)}")
    return v


# ---- the functions ----------------------------------------------------------------------------------------


def _format(args: list[Any], random: Random) -> str:
    if not args:
        raise _fail("The function States.Format requires at least 1 argument")
    template = _string("States.Format", args[0], "first argument")
    values = args[1:]
    for v in values:
        if isinstance(v, dict | list):
            raise _fail(f"States.Format arguments must be strings, numbers, booleans or null, got {dumps(v)}")
    escapes = isinstance(template, Escaped)
    pieces, i, used = [], 0, 0
    while i < len(template):
        c = template[i]
        if escapes and c == "\\" and i + 1 < len(template):
            pieces.append(template[i + 1])
            i += 2
        elif template.startswith("{}", i):
            if used >= len(values):
                raise _fail("The number of arguments does not match the number of placeholders in States.Format")
            v = values[used]
            pieces.append(v if isinstance(v, str) else dumps(v))
            used += 1
            i += 2
        else:
            pieces.append(c)
            i += 1
    if used != len(values):
        raise _fail("The number of arguments does not match the number of placeholders in States.Format")
    return "".join(pieces)


def _string_to_json(args: list[Any], random: Random) -> Any:
    _arity("States.StringToJson", args, 1)
    text = _string("States.StringToJson", args[0], "argument")
    try:
        return json.loads(text)
    except ValueError as err:
        raise _fail(f"States.StringToJson could not parse {text!r}: {err}") from None


def _json_to_string(args: list[Any], random: Random) -> str:
    _arity("States.JsonToString", args, 1)
    return dumps(args[0])


def _array_fn(args: list[Any], random: Random) -> list[Any]:
    return list(args)


def _array_partition(args: list[Any], random: Random) -> list[Any]:
    _arity("States.ArrayPartition", args, 2)
    items = _array("States.ArrayPartition", args[0])
    size = _integer("States.ArrayPartition", args[1], "chunk size")
    if size <= 0:
        raise _fail("The chunk size of States.ArrayPartition must be a positive integer")
    return [items[i : i + size] for i in range(0, len(items), size)]


def _array_contains(args: list[Any], random: Random) -> bool:
    _arity("States.ArrayContains", args, 2)
    items = _array("States.ArrayContains", args[0])
    return any(_same(x, args[1]) for x in items)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _array_range(args: list[Any], random: Random) -> list[int]:
    _arity("States.ArrayRange", args, 3)
    start, end, step = (
        _integer("States.ArrayRange", a, w) for a, w in zip(args, ("start", "end", "step"), strict=True)
    )
    if step == 0:
        raise _fail("The step of States.ArrayRange must not be 0")
    out = list(range(start, end + (1 if step > 0 else -1), step))
    if len(out) > MAX_RANGE:
        raise _fail(f"States.ArrayRange can produce at most {MAX_RANGE} items, this call produces {len(out)}")
    return out


def _array_get_item(args: list[Any], random: Random) -> Any:
    _arity("States.ArrayGetItem", args, 2)
    items = _array("States.ArrayGetItem", args[0])
    index = _integer("States.ArrayGetItem", args[1], "index")
    if not 0 <= index < len(items):
        raise _fail(f"The index {index} is out of bounds for an array of {len(items)} items in States.ArrayGetItem")
    return items[index]


def _array_length(args: list[Any], random: Random) -> int:
    _arity("States.ArrayLength", args, 1)
    return len(_array("States.ArrayLength", args[0], "argument"))


def _array_unique(args: list[Any], random: Random) -> list[Any]:
    _arity("States.ArrayUnique", args, 1)
    out: list[Any] = []
    for x in _array("States.ArrayUnique", args[0], "argument"):
        if not any(_same(x, y) for y in out):
            out.append(x)
    return out


def _base64_encode(args: list[Any], random: Random) -> str:
    _arity("States.Base64Encode", args, 1)
    text = _string("States.Base64Encode", args[0], "argument")
    if len(text) > MAX_STRING:
        raise _fail(f"The input of States.Base64Encode must be at most {MAX_STRING} characters")
    return base64.b64encode(text.encode()).decode()


def _base64_decode(args: list[Any], random: Random) -> str:
    _arity("States.Base64Decode", args, 1)
    text = _string("States.Base64Decode", args[0], "argument")
    if len(text) > MAX_STRING:
        raise _fail(f"The input of States.Base64Decode must be at most {MAX_STRING} characters")
    try:
        return base64.b64decode(text, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as err:
        raise _fail(f"States.Base64Decode could not decode {text!r}: {err}") from None


def _hash(args: list[Any], random: Random) -> str:
    _arity("States.Hash", args, 2)
    data = args[0] if isinstance(args[0], str) else dumps(args[0])
    if args[0] is None:
        raise _fail("The data of States.Hash must not be null")
    if len(data) > MAX_STRING:
        raise _fail(f"The data of States.Hash must be at most {MAX_STRING} characters")
    algorithm = _string("States.Hash", args[1], "algorithm")
    if algorithm not in HASHES:
        raise _fail(f"States.Hash supports {', '.join(HASHES)}, not {algorithm!r}")
    return hashlib.new(HASHES[algorithm], data.encode()).hexdigest()


def _json_merge(args: list[Any], random: Random) -> dict[str, Any]:
    _arity("States.JsonMerge", args, 3)
    left, right, deep = args
    if not isinstance(left, dict) or not isinstance(right, dict):
        raise _fail("The first two arguments of States.JsonMerge must be JSON objects")
    if not isinstance(deep, bool):
        raise _fail("The third argument of States.JsonMerge must be a boolean")
    if deep:
        raise _fail("States.JsonMerge supports only a shallow merge: its third argument must be false")
    return {**left, **right}


def _math_random(args: list[Any], random: Random) -> int:
    _arity("States.MathRandom", args, 2, 3)
    start = _integer("States.MathRandom", args[0], "start")
    end = _integer("States.MathRandom", args[1], "end")
    if start >= end:
        raise _fail("The start of States.MathRandom must be less than its end")
    seed = _integer("States.MathRandom", args[2], "seed") if len(args) == 3 else None
    return random.randint(start, end, seed)


def _math_add(args: list[Any], random: Random) -> int:
    _arity("States.MathAdd", args, 2)
    a, b = (_integer("States.MathAdd", v, w) for v, w in zip(args, ("first argument", "second argument"), strict=True))
    for v in (a, b):
        if not INT_MIN <= v <= INT_MAX:
            raise _fail(f"The arguments of States.MathAdd must be between {INT_MIN} and {INT_MAX}")
    return a + b


def _string_split(args: list[Any], random: Random) -> list[str]:
    _arity("States.StringSplit", args, 2)
    text = _string("States.StringSplit", args[0], "first argument")
    delimiters = _string("States.StringSplit", args[1], "second argument")
    if not delimiters:
        return [text] if text else []
    return [t for t in re.split("[" + re.escape(delimiters) + "]", text) if t]


def _uuid(args: list[Any], random: Random) -> str:
    _arity("States.UUID", args, 0)
    return random.uuid()


FUNCTIONS: dict[str, Callable[[list[Any], Random], Any]] = {
    "States.Format": _format,
    "States.StringToJson": _string_to_json,
    "States.JsonToString": _json_to_string,
    "States.Array": _array_fn,
    "States.ArrayPartition": _array_partition,
    "States.ArrayContains": _array_contains,
    "States.ArrayRange": _array_range,
    "States.ArrayGetItem": _array_get_item,
    "States.ArrayLength": _array_length,
    "States.ArrayUnique": _array_unique,
    "States.Base64Encode": _base64_encode,
    "States.Base64Decode": _base64_decode,
    "States.Hash": _hash,
    "States.JsonMerge": _json_merge,
    "States.MathRandom": _math_random,
    "States.MathAdd": _math_add,
    "States.StringSplit": _string_split,
    "States.UUID": _uuid,
}
