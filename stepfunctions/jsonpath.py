"""JSONPath as Step Functions evaluates it: the Jayway subset ASL uses, and Reference Paths for ResultPath.

A path is ``$`` followed by steps: ``.name``, ``['name']``, ``[0]``, ``[-1]``, ``[*]``, ``.*``, ``..name``,
``['a','b']``, ``[0,2]``, ``[1:3]``, ``[?(@.price < 10 && @.tag == 'x')]`` (where ``$`` names the whole
document, as Jayway's filters allow) and a trailing ``.length()``.
A *definite* path (names and single indexes only) selects one value and fails when it is absent; any other
path selects a list of every match, possibly empty. Values are treated as immutable: ``put`` copies the
containers along the path and shares the rest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_NAME = re.compile(r"[^.\[\]()\s=!<>&|,]+")


class PathError(ValueError):
    """A path that does not parse, or a definite path with no value."""


@dataclass(frozen=True)
class Step:
    """One step: ``kind`` is name, index, wildcard, descend, union, slice, filter or length."""

    kind: str
    arg: Any = None


@dataclass(frozen=True)
class Path:
    """A parsed path: its text, its steps, and whether it selects a single value."""

    text: str
    steps: tuple[Step, ...]

    @property
    def definite(self) -> bool:
        return all(s.kind in ("name", "index", "length") for s in self.steps)

    @property
    def is_reference(self) -> bool:
        """A Reference Path: names and single indexes only (what ResultPath accepts)."""
        return all(s.kind in ("name", "index") for s in self.steps)


@lru_cache(maxsize=4096)
def parse(text: str) -> Path:
    """Parse ``$...`` (or ``@...`` inside filters); raises PathError naming the offending position."""
    if not text or text[0] not in "$@":
        raise PathError(f"path {text!r} must start with '$'")
    steps: list[Step] = []
    i, n = 1, len(text)
    while i < n:
        c = text[i]
        if text.startswith("..", i):
            i += 2
            if i < n and text[i] == "*":
                steps.append(Step("descend", None))
                i += 1
            elif i < n and text[i] == "[":
                steps.append(Step("descend", None))
            else:
                m = _NAME.match(text, i)
                if not m:
                    raise PathError(f"path {text!r}: expected a name after '..' at {i}")
                steps.append(Step("descend", m.group()))
                i = m.end()
        elif c == ".":
            i += 1
            if i < n and text[i] == "*":
                steps.append(Step("wildcard"))
                i += 1
                continue
            m = _NAME.match(text, i)
            if not m:
                raise PathError(f"path {text!r}: expected a name after '.' at {i}")
            if text.startswith("()", m.end()):
                if m.group() != "length":
                    raise PathError(f"path {text!r}: unsupported function {m.group()}()")
                steps.append(Step("length"))
                i = m.end() + 2
            else:
                steps.append(Step("name", m.group()))
                i = m.end()
        elif c == "[":
            end = _closing_bracket(text, i)
            steps.append(_bracket(text, text[i + 1 : end].strip()))
            i = end + 1
        else:
            raise PathError(f"path {text!r}: unexpected {c!r} at {i}")
    return Path(text, tuple(steps))


def _closing_bracket(text: str, start: int) -> int:
    depth, quote, i = 0, "", start
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise PathError(f"path {text!r}: unclosed '[' at {start}")


def _bracket(text: str, inner: str) -> Step:
    if inner == "*":
        return Step("wildcard")
    if inner.startswith("?"):
        body = inner[1:].strip()
        if not (body.startswith("(") and body.endswith(")")):
            raise PathError(f"path {text!r}: a filter is written [?(...)]")
        return Step("filter", _parse_filter(body[1:-1]))
    parts = split_top(inner, ",")
    if len(parts) == 1 and ":" in inner and not inner.startswith(("'", '"')):
        bounds = [p.strip() for p in inner.split(":")]
        if len(bounds) > 3:
            raise PathError(f"path {text!r}: bad slice [{inner}]")
        vals = [int(b) if b else None for b in bounds] + [None] * (3 - len(bounds))
        return Step("slice", tuple(vals))
    keys: list[str | int] = []
    for part in parts:
        part = part.strip()
        if part[:1] in "'\"" and part[-1:] == part[:1] and len(part) >= 2:
            keys.append(_unquote(part))
        else:
            try:
                keys.append(int(part))
            except ValueError:
                raise PathError(f"path {text!r}: bad subscript [{inner}]") from None
    if len(keys) == 1:
        key = keys[0]
        return Step("index", key) if isinstance(key, int) else Step("name", key)
    return Step("union", tuple(keys))


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def split_top(text: str, sep: str) -> list[str]:
    parts, depth, quote, start, i = [], 0, "", 0, 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return parts


# ---- evaluation -----------------------------------------------------------------------------------------


def select(path: str | Path, data: Any) -> Any:
    """The value a definite path selects (PathError when absent), or the list an indefinite path selects."""
    parsed = parse(path) if isinstance(path, str) else path
    nodes = _walk(parsed, data)
    if parsed.definite:
        if not nodes:
            raise PathError(_not_found(parsed, data))
        return nodes[0]
    return nodes


def _not_found(path: Path, data: Any) -> str:
    """Why a definite path selects nothing, as Jayway words it: a property missing before the last step is
    ``Missing property in path $['a']``; anything else ``No results for path: $['a']['b']``."""
    node = data
    for i, step in enumerate(path.steps):
        if step.kind == "name" and isinstance(node, dict) and step.arg not in node:
            if i < len(path.steps) - 1:
                return f"Missing property in path {_canonical(Path(path.text, path.steps[: i + 1]))}"
            break
        found = _STEPS[step.kind](step, [node])
        if not found:
            break
        node = found[0]
    return f"No results for path: {_canonical(path)}"


def exists(path: str | Path, data: Any) -> bool:
    parsed = parse(path) if isinstance(path, str) else path
    return bool(_walk(parsed, data))


def _walk(path: Path, data: Any, root: Any = None) -> list[Any]:
    """The nodes ``path`` selects from ``data``; ``root`` is what ``$`` names inside filters (``data`` itself
    unless the walk is a filter's own ``@`` path)."""
    nodes = [data]
    root = data if root is None else root
    for step in path.steps:
        nodes = _filter(step, nodes, root) if step.kind == "filter" else _STEPS[step.kind](step, nodes)
        if not nodes:
            return nodes
    return nodes


def _name(step: Step, nodes: list[Any]) -> list[Any]:
    return [n[step.arg] for n in nodes if isinstance(n, dict) and step.arg in n]


def _index(step: Step, nodes: list[Any]) -> list[Any]:
    out = []
    for n in nodes:
        if isinstance(n, list) and -len(n) <= step.arg < len(n):
            out.append(n[step.arg])
    return out


def _children(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return list(node.values())
    if isinstance(node, list):
        return list(node)
    return []


def _wildcard(step: Step, nodes: list[Any]) -> list[Any]:
    return [c for n in nodes for c in _children(n)]


def _descend(step: Step, nodes: list[Any]) -> list[Any]:
    found: list[Any] = []

    def visit(node: Any) -> None:
        if step.arg is None:
            found.extend(_children(node))
        elif isinstance(node, dict) and step.arg in node:
            found.append(node[step.arg])
        for child in _children(node):
            visit(child)

    if step.arg is None:
        # ``..*`` and ``..[...]``: every descendant (a following bracket step then applies to each).
        for n in nodes:
            stack = _children(n)
            found.extend(stack)
            for child in stack:
                _collect_all(child, found)
        return found
    for n in nodes:
        visit(n)
    return found


def _collect_all(node: Any, found: list[Any]) -> None:
    for child in _children(node):
        found.append(child)
        _collect_all(child, found)


def _union(step: Step, nodes: list[Any]) -> list[Any]:
    out = []
    for key in step.arg:
        sub = Step("index", key) if isinstance(key, int) else Step("name", key)
        out.extend(_STEPS[sub.kind](sub, nodes))
    return out


def _slice(step: Step, nodes: list[Any]) -> list[Any]:
    start, stop, stride = step.arg
    return [x for n in nodes if isinstance(n, list) for x in n[slice(start, stop, stride)]]


def _filter(step: Step, nodes: list[Any], root: Any) -> list[Any]:
    out: list[Any] = []
    for n in nodes:
        candidates = n if isinstance(n, list) else [n] if isinstance(n, dict) else []
        out.extend(c for c in candidates if step.arg(c, root))
    return out


def _length(step: Step, nodes: list[Any]) -> list[Any]:
    return [len(n) for n in nodes if isinstance(n, list | dict | str)]


_STEPS: dict[str, Callable[[Step, list[Any]], list[Any]]] = {
    "name": _name,
    "index": _index,
    "wildcard": _wildcard,
    "descend": _descend,
    "union": _union,
    "slice": _slice,
    "length": _length,
}


def _canonical(path: Path) -> str:
    out = "$"
    for s in path.steps:
        if s.kind == "name":
            out += f"['{s.arg}']"
        elif s.kind == "index":
            out += f"[{s.arg}]"
        elif s.kind == "length":
            out += ".length()"
    return out


# ---- ResultPath -------------------------------------------------------------------------------------------


def put(data: Any, path: str, value: Any) -> Any:
    """``data`` with ``value`` placed at the Reference Path ``path``, creating missing objects on the way.

    Raises PathError when an existing value on the way is not an object (or an index is out of range).
    """
    parsed = parse(path)
    if not parsed.is_reference:
        raise PathError(f"{path!r} is not a Reference Path")
    return _put(data, parsed.steps, value, path)


def _put(node: Any, steps: tuple[Step, ...], value: Any, path: str) -> Any:
    if not steps:
        return value
    step, rest = steps[0], steps[1:]
    if step.kind == "name":
        if not isinstance(node, dict):
            raise PathError(f'Unable to apply step "{step.arg}" to input {dumps(node)}')
        copy = dict(node)
        copy[step.arg] = _put(node.get(step.arg, {}) if rest else None, rest, value, path)
        return copy
    if not isinstance(node, list) or not -len(node) <= step.arg < len(node):
        raise PathError(f'Unable to apply step "[{step.arg}]" to input {dumps(node)}')
    items = list(node)
    items[step.arg] = _put(node[step.arg], rest, value, path)
    return items


_LOWER_HEX_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u00([01][0-9a-f])")


def dumps(value: Any) -> str:
    """JSON text as Step Functions (Jackson) writes it: compact, keys in order, non-ASCII kept, and control
    characters without a short escape as ``\\u001F`` (upper-case hex)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if "\\u00" in text:
        text = _LOWER_HEX_ESCAPE.sub(lambda m: f"{m.group(1)}\\u00{m.group(2).upper()}", text)
    return text


# ---- filter expressions -----------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<op>==|!=|<=|>=|=~|&&|\|\||<|>|!|\(|\)|\bnin\b|\bin\b)"
    r"|(?P<str>'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\")"
    r"|(?P<regex>/(?:\\.|[^/\\])*/[a-z]*)"
    r"|(?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
    r"|(?P<kw>true|false|null)\b"
    r"|(?P<list>\[[^\]]*\])"
    r"|(?P<path>[@$](?:\.\.?[^\s.\[\]()=!<>&|,]*|\[(?:'[^']*'|\"[^\"]*\"|[^\]])*\])*(?:\(\))?))"
)

_MISSING = object()


def _parse_filter(text: str) -> Callable[[Any, Any], bool]:
    """A filter's predicate over ``(item, root)``: ``@`` paths read the item, ``$`` paths the whole document."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise PathError(f"filter {text!r}: cannot read at {pos}")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind).strip()))
        pos = m.end()
    parser = _FilterParser(tokens, text)
    expr = parser.or_expr()
    if parser.i != len(tokens):
        raise PathError(f"filter {text!r}: unexpected {tokens[parser.i][1]!r}")
    return lambda item, root: bool(expr((item, root)))


class _FilterParser:
    def __init__(self, tokens: list[tuple[str, str]], text: str) -> None:
        self.tokens, self.text, self.i = tokens, text, 0

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) and self.tokens[self.i][0] == "op" else None

    def or_expr(self) -> Callable[[Any], Any]:
        left = self.and_expr()
        while self.peek() == "||":
            self.i += 1
            left = _either(left, self.and_expr())
        return left

    def and_expr(self) -> Callable[[Any], Any]:
        left = self.unary()
        while self.peek() == "&&":
            self.i += 1
            left = _both(left, self.unary())
        return left

    def unary(self) -> Callable[[Any], Any]:
        if self.peek() == "!":
            self.i += 1
            inner = self.unary()
            return lambda x: not inner(x)
        if self.peek() == "(":
            self.i += 1
            inner = self.or_expr()
            if self.peek() != ")":
                raise PathError(f"filter {self.text!r}: missing ')'")
            self.i += 1
            return inner
        left = self.operand()
        op = self.peek()
        if op in ("==", "!=", "<", "<=", ">", ">=", "=~", "in", "nin"):
            self.i += 1
            right = self.operand()
            return lambda x: _compare(op, left(x), right(x))
        return lambda x: (v := left(x)) is not _MISSING and v is not False and v is not None

    def operand(self) -> Callable[[Any], Any]:
        if self.i >= len(self.tokens):
            raise PathError(f"filter {self.text!r}: expression ends early")
        kind, tok = self.tokens[self.i]
        self.i += 1
        if kind == "str":
            s = _unquote(tok)
            return lambda x: s
        if kind == "num":
            num = float(tok) if any(c in tok for c in ".eE") else int(tok)
            return lambda x: num
        if kind == "kw":
            kw = {"true": True, "false": False, "null": None}[tok]
            return lambda x: kw
        if kind == "regex":
            body, flags = tok[1 : tok.rindex("/")], tok[tok.rindex("/") + 1 :]
            rx = re.compile(body, re.IGNORECASE if "i" in flags else 0)
            return lambda x: rx
        if kind == "list":
            items = json.loads(tok.replace("'", '"'))
            return lambda x: items
        if kind == "path":
            sub = parse(tok)
            if tok.startswith("@"):
                return lambda x: _first(sub, x[0], x[1])
            return lambda x: _first(sub, x[1], x[1])
        raise PathError(f"filter {self.text!r}: unexpected {tok!r}")


def _either(a: Callable[[Any], Any], b: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda x: a(x) or b(x)


def _both(a: Callable[[Any], Any], b: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda x: a(x) and b(x)


def _first(path: Path, item: Any, root: Any) -> Any:
    nodes = _walk(path, item, root)
    if not nodes:
        return _MISSING
    return nodes[0] if path.definite else nodes


def _num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _compare(op: str, a: Any, b: Any) -> bool:
    if a is _MISSING or b is _MISSING:
        return op == "!=" and not (a is _MISSING and b is _MISSING)
    if op == "=~":
        return isinstance(a, str) and isinstance(b, re.Pattern) and b.fullmatch(a) is not None
    if op in ("in", "nin"):
        inside = isinstance(b, list) and a in b
        return inside if op == "in" else not inside
    same = (_num(a) and _num(b)) or (type(a) is type(b))
    if op == "==":
        return same and a == b
    if op == "!=":
        return not (same and a == b)
    if not same or not (_num(a) or isinstance(a, str)):
        return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
