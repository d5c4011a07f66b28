"""Glue's partition predicate language (the ``Expression`` of GetPartitions).

The grammar is the SQL ``WHERE`` subset Glue documents::

    expr     := or
    or       := and ("OR" and)*
    and      := not ("AND" not)*
    not      := "NOT" not | test
    test     := operand ( cmp operand
                        | ["NOT"] "BETWEEN" operand "AND" operand
                        | ["NOT"] "IN" "(" operand ("," operand)* ")"
                        | ["NOT"] "LIKE" operand ["ESCAPE" operand]
                        | "IS" ["NOT"] "NULL" )
              | "(" expr ")"
    cmp      := "=" | "!=" | "<>" | "<" | "<=" | ">" | ">="
    operand  := column | 'string' | "string" | number | NULL

Keywords and column names are case-insensitive (the catalog stores keys in lower case); a column
may be back-quoted. Values are compared in the key's type: ``string``/``char``/``varchar`` as
strings, ``tinyint``/``smallint``/``int``/``bigint``/``long`` as integers, ``decimal`` as decimals,
``date`` and ``timestamp`` as dates and times (a timestamp with a UTC offset is compared as its UTC
time, one without as given). A partition value of ``__HIVE_DEFAULT_PARTITION__``
(or one that does not convert to its key's type) is NULL; SQL three-valued logic applies and
an unknown result does not match.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sluice.errors import InvalidInputException

HIVE_DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"

_KEYWORDS = {"AND", "OR", "NOT", "IN", "BETWEEN", "LIKE", "ESCAPE", "IS", "NULL"}
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
    | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
    | (?P<quoted>`(?:[^`]|``)+`)
    | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
    | (?P<op><>|!=|<=|>=|=|<|>|\(|\)|,|-)
    )""",
    re.VERBOSE,
)


class PredicateSyntaxError(InvalidInputException):
    """The expression is not valid partition-predicate syntax."""


@dataclass(frozen=True)
class Column:
    name: str  # lower case


@dataclass(frozen=True)
class Literal:
    value: str | Decimal | None  # str for quoted strings, Decimal for numbers, None for NULL


@dataclass(frozen=True)
class Compare:
    op: str  # one of = <> < <= > >=
    left: Operand
    right: Operand


@dataclass(frozen=True)
class Between:
    operand: Operand
    low: Operand
    high: Operand
    negated: bool = False


@dataclass(frozen=True)
class In:
    operand: Operand
    items: tuple[Operand, ...]
    negated: bool = False


@dataclass(frozen=True)
class Like:
    operand: Operand
    pattern: Operand
    negated: bool = False
    escape: str | None = None


@dataclass(frozen=True)
class IsNull:
    operand: Operand
    negated: bool = False


@dataclass(frozen=True)
class And:
    left: Node
    right: Node


@dataclass(frozen=True)
class Or:
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    operand: Node


Operand = Column | Literal
Node = Compare | Between | In | Like | IsNull | And | Or | Not


@dataclass(frozen=True)
class _Token:
    kind: str  # string, number, word, keyword, op, end
    text: str
    pos: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos, end = 0, len(text.rstrip())
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None or match.lastgroup is None:
            start = pos + len(text[pos:end]) - len(text[pos:end].lstrip())
            raise PredicateSyntaxError(
                f"Unexpected character {text[start]!r} at position {start} in expression {text!r}"
            )
        kind = match.lastgroup
        value = match.group(kind)
        start = match.start(kind)
        if kind == "word" and value.upper() in _KEYWORDS:
            kind, value = "keyword", value.upper()
        elif kind == "quoted":
            kind, value = "word", value[1:-1].replace("``", "`")
        tokens.append(_Token(kind, value, start))
        pos = match.end()
    tokens.append(_Token("end", "end of expression", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def fail(self, expected: str) -> PredicateSyntaxError:
        tok = self.token
        found = tok.text if tok.kind == "end" else repr(tok.text)
        return PredicateSyntaxError(
            f"Expected {expected} but found {found} at position {tok.pos} in expression {self.text!r}",
            hint="Partition predicates use SQL WHERE syntax, e.g. year='2013' AND month IN ('01','02')",
        )

    def accept(self, kind: str, text: str | None = None) -> _Token | None:
        tok = self.token
        if tok.kind == kind and (text is None or tok.text == text):
            self.index += 1
            return tok
        return None

    def expect(self, kind: str, text: str, expected: str | None = None) -> None:
        if self.accept(kind, text) is None:
            raise self.fail(expected or repr(text))

    def parse(self) -> Node:
        node = self.or_()
        if self.token.kind != "end":
            raise self.fail("AND, OR or the end of the expression")
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.accept("keyword", "OR"):
            node = Or(node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.accept("keyword", "AND"):
            node = And(node, self.not_())
        return node

    def not_(self) -> Node:
        if self.accept("keyword", "NOT"):
            return Not(self.not_())
        return self.test()

    def test(self) -> Node:
        if self.token.kind == "op" and self.token.text == "(":
            # A parenthesis here opens a boolean group: operands are never parenthesised.
            self.index += 1
            node = self.or_()
            self.expect("op", ")")
            return node
        left = self.operand()
        tok = self.token
        if tok.kind == "op" and tok.text in ("=", "!=", "<>", "<", "<=", ">", ">="):
            self.index += 1
            return Compare("<>" if tok.text == "!=" else tok.text, left, self.operand())
        if self.accept("keyword", "IS"):
            negated = self.accept("keyword", "NOT") is not None
            self.expect("keyword", "NULL", "NULL")
            return IsNull(left, negated)
        negated = self.accept("keyword", "NOT") is not None
        if self.accept("keyword", "BETWEEN"):
            low = self.operand()
            self.expect("keyword", "AND", "AND")
            return Between(left, low, self.operand(), negated)
        if self.accept("keyword", "IN"):
            self.expect("op", "(")
            items = [self.operand()]
            while self.accept("op", ","):
                items.append(self.operand())
            self.expect("op", ")", "',' or ')'")
            return In(left, tuple(items), negated)
        if self.accept("keyword", "LIKE"):
            pattern = self.operand()
            escape = None
            if self.accept("keyword", "ESCAPE"):
                esc = self.operand()
                if not isinstance(esc, Literal) or not isinstance(esc.value, str) or len(esc.value) != 1:
                    raise PredicateSyntaxError(f"ESCAPE takes a one-character string in expression {self.text!r}")
                escape = esc.value
            return Like(left, pattern, negated, escape)
        raise self.fail("a comparison operator, BETWEEN, IN, LIKE or IS" if not negated else "BETWEEN, IN or LIKE")

    def operand(self) -> Operand:
        tok = self.token
        if tok.kind == "word":
            self.index += 1
            return Column(tok.text.lower())
        if tok.kind == "string":
            self.index += 1
            quote = tok.text[0]
            return Literal(tok.text[1:-1].replace(quote * 2, quote))
        if tok.kind == "keyword" and tok.text == "NULL":
            self.index += 1
            return Literal(None)
        sign = -1 if self.accept("op", "-") else 1
        if self.token.kind == "number":
            number = Decimal(self.token.text) * sign
            self.index += 1
            return Literal(number)
        raise self.fail("a column name, a quoted string or a number")


def parse_predicate(text: str) -> Node:
    """Parse a partition predicate into its AST; raises :class:`PredicateSyntaxError`."""
    return _Parser(text).parse()


def referenced_keys(node: Node) -> set[str]:
    """The (lower-case) column names an AST refers to."""
    return {operand.name for operand in _operands(node) if isinstance(operand, Column)}


def _operands(node: Node) -> Iterator[Operand]:
    match node:
        case And(left, right) | Or(left, right):
            yield from _operands(left)
            yield from _operands(right)
        case Not(operand):
            yield from _operands(operand)
        case Compare(_, left, right):
            yield from (left, right)
        case Between(operand, low, high):
            yield from (operand, low, high)
        case In(operand, items):
            yield operand
            yield from items
        case Like(operand, pattern):
            yield from (operand, pattern)
        case IsNull(operand):
            yield operand


# --- evaluation -------------------------------------------------------------------------------

Values = list[str]
_Eval = Callable[[Values], Any]  # returns True, False or None (unknown)


def _to_int(text: str) -> int:
    return int(text.strip())


def _to_decimal(text: str) -> Decimal:
    value = Decimal(text.strip())
    if not value.is_finite():
        raise ValueError(text)
    return value


def _to_timestamp(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.strip())
    if value.tzinfo is not None:  # an offset: compare the UTC instant (naive and aware never mix)
        try:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:
            raise ValueError(text) from None
    return value


def _to_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text.strip())


_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "string": str,
    "char": str,
    "varchar": str,
    "tinyint": _to_int,
    "smallint": _to_int,
    "int": _to_int,
    "integer": _to_int,
    "bigint": _to_int,
    "long": _to_int,
    "decimal": _to_decimal,
    "date": _to_date,
    "timestamp": _to_timestamp,
}


def _family(key_type: str) -> str:
    return key_type.strip().lower().split("(", 1)[0].strip()


class _Compiler:
    def __init__(self, keys: list[tuple[str, str]], text: str) -> None:
        self.text = text
        self.index = {name.lower(): i for i, (name, _) in enumerate(keys)}
        self.types = {name.lower(): _family(type_) for name, type_ in keys}
        self.names = [name for name, _ in keys]

    def check_column(self, name: str) -> None:
        if name not in self.index:
            known = ", ".join(self.names) or "none"
            raise InvalidInputException(
                f"Unknown partition key {name!r} in expression {self.text!r}; the partition keys are: {known}"
            )
        if self.types[name] not in _CONVERTERS:
            raise InvalidInputException(
                f"Partition key {name!r} has type {self.types[name]!r}, which partition predicates do not support",
                hint="Supported key types: string, char, varchar, tinyint, smallint, int, bigint, decimal, date, "
                "timestamp",
            )

    def type_of(self, operands: tuple[Operand, ...]) -> str:
        """The type operands compare in: the first column's type, else string (literals only)."""
        for operand in operands:
            if isinstance(operand, Column):
                self.check_column(operand.name)
                return self.types[operand.name]
        return "string"

    def getter(self, operand: Operand, type_: str) -> Callable[[Values], Any]:
        if isinstance(operand, Column):
            self.check_column(operand.name)
            i = self.index[operand.name]
            convert = _CONVERTERS[type_]

            def get(values: Values) -> Any:
                raw = values[i]
                if raw is None or raw == HIVE_DEFAULT_PARTITION:
                    return None
                try:
                    return convert(raw)
                except (ValueError, InvalidOperation):
                    return None

            return get
        constant = self.literal(operand, type_)
        return lambda _values: constant

    def literal(self, literal: Literal, type_: str) -> Any:
        if literal.value is None:
            return None
        value = literal.value
        if isinstance(value, Decimal) and _CONVERTERS[type_] is _to_int and value == value.to_integral_value():
            value = value.to_integral_value()
        text = value if isinstance(value, str) else format(value, "f")
        try:
            return _CONVERTERS[type_](text)
        except (ValueError, InvalidOperation):
            raise InvalidInputException(
                f"Literal {text!r} in expression {self.text!r} is not a valid {type_} value"
            ) from None

    def compile(self, node: Node) -> _Eval:
        match node:
            case And(left, right):
                return _and(self.compile(left), self.compile(right))
            case Or(left, right):
                return _or(self.compile(left), self.compile(right))
            case Not(operand):
                inner = self.compile(operand)
                return lambda v: None if (r := inner(v)) is None else not r
            case Compare(op, left, right):
                return self.compare(op, left, right)
            case Between(operand, low, high, negated):
                type_ = self.type_of((operand, low, high))
                get, lo, hi = (self.getter(o, type_) for o in (operand, low, high))

                def between(v: Values) -> Any:
                    x, a, b = get(v), lo(v), hi(v)
                    if x is None or a is None or b is None:
                        return None
                    return (a <= x <= b) != negated

                return between
            case In(operand, items, negated):
                return self.in_(operand, items, negated)
            case Like(operand, pattern, negated, escape):
                return self.like(operand, pattern, negated, escape)
            case IsNull(operand, negated):
                get = self.getter(operand, self.type_of((operand,)))
                return lambda v: (get(v) is None) != negated
        raise TypeError(f"not a predicate node: {node!r}")

    def compare(self, op: str, left: Operand, right: Operand) -> _Eval:
        type_ = self.type_of((left, right))
        lget, rget = self.getter(left, type_), self.getter(right, type_)
        test = _COMPARISONS[op]
        if isinstance(right, Literal):
            constant = rget([])
            if constant is None:
                return lambda _v: None

            def against_constant(v: Values) -> Any:
                x = lget(v)
                return None if x is None else test(x, constant)

            return against_constant

        def compare(v: Values) -> Any:
            x, y = lget(v), rget(v)
            return None if x is None or y is None else test(x, y)

        return compare

    def in_(self, operand: Operand, items: tuple[Operand, ...], negated: bool) -> _Eval:
        type_ = self.type_of((operand, *items))
        get = self.getter(operand, type_)
        if all(isinstance(item, Literal) for item in items):
            constants = [self.literal(item, type_) for item in items]  # type: ignore[arg-type]
            has_null = any(c is None for c in constants)
            members = frozenset(c for c in constants if c is not None)

            def in_constants(v: Values) -> Any:
                x = get(v)
                if x is None:
                    return None
                if x in members:
                    return not negated
                return None if has_null else negated

            return in_constants
        getters = [self.getter(item, type_) for item in items]

        def in_values(v: Values) -> Any:
            x = get(v)
            if x is None:
                return None
            found = [g(v) for g in getters]
            if x in found:
                return not negated
            return None if None in found else negated

        return in_values

    def like(self, operand: Operand, pattern: Operand, negated: bool, escape: str | None) -> _Eval:
        get = self.getter(operand, "string")
        if isinstance(pattern, Literal):
            if pattern.value is None:
                return lambda _v: None
            regex = _like_regex(self.literal(pattern, "string"), escape)

            def like_constant(v: Values) -> Any:
                x = get(v)
                return None if x is None else (regex.fullmatch(x) is not None) != negated

            return like_constant
        pget = self.getter(pattern, "string")

        def like_column(v: Values) -> Any:
            x, p = get(v), pget(v)
            if x is None or p is None:
                return None
            return (_like_regex(p, escape).fullmatch(x) is not None) != negated

        return like_column


def _and(left: _Eval, right: _Eval) -> _Eval:
    def both(v: Values) -> Any:
        a = left(v)
        if a is False:
            return False
        b = right(v)
        if b is False:
            return False
        return None if a is None or b is None else True

    return both


def _or(left: _Eval, right: _Eval) -> _Eval:
    def either(v: Values) -> Any:
        a = left(v)
        if a is True:
            return True
        b = right(v)
        if b is True:
            return True
        return None if a is None or b is None else False

    return either


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda x, y: x == y,
    "<>": lambda x, y: x != y,
    "<": lambda x, y: x < y,
    "<=": lambda x, y: x <= y,
    ">": lambda x, y: x > y,
    ">=": lambda x, y: x >= y,
}


LikePart = tuple[str, str]  # ("text", characters), ("any", "") for %, ("one", "") for _


def like_parts(pattern: str, escape: str | None) -> tuple[LikePart, ...]:
    """A LIKE pattern as runs of literal text and wildcards (an escape makes the next character literal)."""
    parts: list[LikePart] = []
    text: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if escape is not None and char == escape:
            text.append(next(chars, escape))
        elif char in "%_":
            if text:
                parts.append(("text", "".join(text)))
                text = []
            parts.append(("any" if char == "%" else "one", ""))
        else:
            text.append(char)
    if text:
        parts.append(("text", "".join(text)))
    return tuple(parts)


def _like_regex(pattern: str, escape: str | None) -> re.Pattern[str]:
    wildcards = {"any": ".*", "one": "."}
    regex = "".join(wildcards.get(kind) or re.escape(text) for kind, text in like_parts(pattern, escape))
    return re.compile(regex, re.DOTALL)


def compile_predicate(expression: str, partition_keys: list[tuple[str, str]]) -> Callable[[list[str]], bool]:
    """Compile ``expression`` against ``partition_keys`` ((name, type) in key order).

    The result takes a partition's ``Values`` (strings in key order) and tells whether it matches.
    A blank expression matches every partition. Raises :class:`PredicateSyntaxError` on bad syntax
    and :class:`InvalidInputException` on an unknown key, an unsupported key type or a literal
    that does not convert to its key's type.
    """
    if not expression.strip():
        return lambda _values: True
    evaluate = _Compiler(partition_keys, expression).compile(parse_predicate(expression))
    return lambda values: evaluate(values) is True


# --- SQL pushdown -----------------------------------------------------------------------------
#
# The catalog stores each partition value normalised by its key's type (``normalize_value``): NULL
# exactly where the evaluator sees NULL, otherwise text whose binary order is the type's order. A
# test on one key then becomes a comparison of that text with a normalised constant, so SQL gives
# the evaluator's answer. ``pushdown`` translates an expression into such tests. What it cannot
# translate (column-to-column tests, decimal keys, LIKE on a non-string key, integers beyond the
# normalised range) it treats as "may match", so the SQL condition is a superset of the matches.

_STRING_FAMILIES = frozenset({"string", "char", "varchar"})
_INT_FAMILIES = frozenset({"tinyint", "smallint", "int", "integer", "bigint", "long"})
_PUSHABLE = _STRING_FAMILIES | _INT_FAMILIES | {"date", "timestamp"}
INT_LIMIT = 10**19 - 1
"""Normalised integers are clamped to ±INT_LIMIT; a literal at or beyond it is not pushed down."""


def _encode(value: Any, family: str) -> str:
    if family in _INT_FAMILIES:
        number = max(-INT_LIMIT, min(INT_LIMIT, value))
        return f"P{number:019d}" if number >= 0 else f"N{number + INT_LIMIT + 1:019d}"
    if family == "date":
        return str(value.isoformat())
    if family == "timestamp":
        return str(value.isoformat(timespec="microseconds"))
    return str(value)


def value_normalizer(key_type: str) -> Callable[[str], str | None]:
    """The function normalising raw partition values of a key of type ``key_type`` (see module notes).

    Strings stay as they are; integers become ``P``/``N`` plus 19 digits; dates ``YYYY-MM-DD``;
    timestamps ``YYYY-MM-DDTHH:MM:SS.ffffff`` (UTC where an offset was given). NULL for
    ``__HIVE_DEFAULT_PARTITION__``, a value that does not convert, and keys of other types.
    """
    family = _family(key_type)
    if family in _STRING_FAMILIES:
        return lambda raw: None if raw == HIVE_DEFAULT_PARTITION else raw
    if family not in _PUSHABLE:
        return lambda _raw: None
    convert = _CONVERTERS[family]

    def normalize(raw: str) -> str | None:
        if raw == HIVE_DEFAULT_PARTITION:
            return None
        try:
            return _encode(convert(raw), family)
        except (ValueError, InvalidOperation):
            return None

    return normalize


def normalize_value(raw: str, key_type: str) -> str | None:
    """``raw`` normalised for a key of type ``key_type``."""
    return value_normalizer(key_type)(raw)


@dataclass(frozen=True)
class KeyTest:
    """A test on the normalised value of the key at ``position``; never true where the value is NULL.

    ``op`` is one of ``= <> < <= > >=`` (against ``args[0]``), ``in``/``notin`` (``args``),
    ``like``/``notlike`` (``pattern``), ``null``/``notnull``.
    """

    position: int
    op: str
    args: tuple[str, ...] = ()
    pattern: tuple[LikePart, ...] = ()


@dataclass(frozen=True)
class AllOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


Condition = KeyTest | AllOf | AnyOf | bool


@dataclass(frozen=True)
class Pushdown:
    """``condition`` holds for every partition the expression matches; with ``exact``, for no other."""

    condition: Condition
    exact: bool


def _all(*items: Condition) -> Condition:
    flat: list[Condition] = []
    for item in items:
        if item is False:
            return False
        if item is not True:
            flat.extend(item.items if isinstance(item, AllOf) else (item,))
    return True if not flat else flat[0] if len(flat) == 1 else AllOf(tuple(flat))


def _any(*items: Condition) -> Condition:
    flat: list[Condition] = []
    for item in items:
        if item is True:
            return True
        if item is not False:
            flat.extend(item.items if isinstance(item, AnyOf) else (item,))
    return False if not flat else flat[0] if len(flat) == 1 else AnyOf(tuple(flat))


_FLIP = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_NEGATE = {"=": "<>", "<>": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_Sides = tuple[Condition, Condition]  # (may be TRUE, may be FALSE)


class _Translator:
    def __init__(self, compiler: _Compiler) -> None:
        self.compiler = compiler
        self.exact = True

    def unknown(self) -> _Sides:
        self.exact = False
        return True, True

    def key(self, operand: Operand) -> tuple[int, str] | None:
        """(position, type family) of a column whose values are normalised, else None."""
        if not isinstance(operand, Column) or self.compiler.types[operand.name] not in _PUSHABLE:
            return None
        return self.compiler.index[operand.name], self.compiler.types[operand.name]

    def constant(self, literal: Literal, family: str) -> str | None:
        """A non-NULL literal normalised like the key's values, or None where it cannot be."""
        value = self.compiler.literal(literal, family)
        if family in _INT_FAMILIES and abs(value) >= INT_LIMIT:
            return None
        return _encode(value, family)

    def translate(self, node: Node) -> _Sides:
        """Conditions true wherever ``node`` may be TRUE, and wherever it may be FALSE."""
        if not referenced_keys(node):  # literals only: fold to a constant, as the evaluator does
            result = self.compiler.compile(node)([])
            return result is True, result is False
        match node:
            case And(left, right):
                (lt, lf), (rt, rf) = self.translate(left), self.translate(right)
                return _all(lt, rt), _any(lf, rf)
            case Or(left, right):
                (lt, lf), (rt, rf) = self.translate(left), self.translate(right)
                return _any(lt, rt), _all(lf, rf)
            case Not(operand):
                true, false = self.translate(operand)
                return false, true
            case Compare(op, left, right):
                if isinstance(left, Literal):
                    left, right, op = right, left, _FLIP[op]
                return self.compare(op, left, right)
            case Between(operand, low, high, negated):
                return _swap(self.between(operand, low, high), negated)
            case In(operand, items, negated):
                return _swap(self.in_(operand, items), negated)
            case Like(operand, pattern, negated, escape):
                return _swap(self.like(operand, pattern, escape), negated)
            case IsNull(operand, negated):
                key = self.key(operand)
                if key is None:
                    return self.unknown()
                return _swap((KeyTest(key[0], "null"), KeyTest(key[0], "notnull")), negated)
        return self.unknown()

    def compare(self, op: str, left: Operand, right: Operand) -> _Sides:
        key = self.key(left)
        if key is None or not isinstance(right, Literal):
            return self.unknown()
        if right.value is None:
            return False, False
        value = self.constant(right, key[1])
        if value is None:
            return self.unknown()
        return KeyTest(key[0], op, (value,)), KeyTest(key[0], _NEGATE[op], (value,))

    def between(self, operand: Operand, low: Operand, high: Operand) -> _Sides:
        key = self.key(operand)
        if key is None or not isinstance(low, Literal) or not isinstance(high, Literal):
            return self.unknown()
        if low.value is None or high.value is None:
            return False, False
        lo, hi = self.constant(low, key[1]), self.constant(high, key[1])
        if lo is None or hi is None:
            return self.unknown()
        position = key[0]
        inside = _all(KeyTest(position, ">=", (lo,)), KeyTest(position, "<=", (hi,)))
        return inside, _any(KeyTest(position, "<", (lo,)), KeyTest(position, ">", (hi,)))

    def in_(self, operand: Operand, items: tuple[Operand, ...]) -> _Sides:
        key = self.key(operand)
        if key is None:
            return self.unknown()
        members: list[str] = []
        has_null = False
        for item in items:
            if not isinstance(item, Literal):
                return self.unknown()
            if item.value is None:
                has_null = True
                continue
            value = self.constant(item, key[1])
            if value is None:
                return self.unknown()
            members.append(value)
        unique = tuple(dict.fromkeys(members))
        true: Condition = KeyTest(key[0], "in", unique) if unique else False
        false: Condition = False if has_null else KeyTest(key[0], "notin", unique)
        return true, false

    def like(self, operand: Operand, pattern: Operand, escape: str | None) -> _Sides:
        key = self.key(operand)
        if key is None or key[1] not in _STRING_FAMILIES or not isinstance(pattern, Literal):
            return self.unknown()  # LIKE reads the raw text, which only string keys keep
        if pattern.value is None:
            return False, False
        parts = like_parts(self.compiler.literal(pattern, "string"), escape)
        return KeyTest(key[0], "like", pattern=parts), KeyTest(key[0], "notlike", pattern=parts)


def _swap(sides: _Sides, negated: bool) -> _Sides:
    return (sides[1], sides[0]) if negated else sides


def pushdown(expression: str | None, partition_keys: list[tuple[str, str]]) -> Pushdown:
    """Translate ``expression`` into tests on normalised key values (see ``value_normalizer``).

    Raises what :func:`compile_predicate` raises for the same arguments.
    """
    if not expression or not expression.strip():
        return Pushdown(True, True)
    compiler = _Compiler(partition_keys, expression)
    node = parse_predicate(expression)
    compiler.compile(node)  # the evaluator's checks: unknown keys, unsupported types, bad literals
    translator = _Translator(compiler)
    condition, _ = translator.translate(node)
    return Pushdown(condition, translator.exact)


def sql_like_pattern(parts: tuple[LikePart, ...], escape: str = "\\") -> str:
    """``parts`` as a SQL LIKE pattern with ``escape`` as its ESCAPE character."""
    out: list[str] = []
    for kind, text in parts:
        if kind == "any":
            out.append("%")
        elif kind == "one":
            out.append("_")
        else:
            out.extend(escape + char if char in ("%", "_", escape) else char for char in text)
    return "".join(out)


def glob_pattern(parts: tuple[LikePart, ...]) -> str:
    """``parts`` as a SQLite GLOB pattern (case-sensitive, unlike SQLite's LIKE)."""
    out: list[str] = []
    for kind, text in parts:
        if kind == "any":
            out.append("*")
        elif kind == "one":
            out.append("?")
        else:
            out.extend(f"[{char}]" if char in "*?[" else char for char in text)
    return "".join(out)
