"""Hive/Glue column type names: parse, print and widen (Arrow types map to them in ``catalog.arrow``).

Type strings are the ones a Glue ``Column.Type`` holds: ``bigint``, ``int``, ``smallint``,
``tinyint``, ``double``, ``float``, ``boolean``, ``string``, ``char(n)``, ``varchar(n)``,
``timestamp``, ``date``, ``binary``, ``decimal(p,s)``, ``array<T>``, ``map<K,V>`` and
``struct<name:T,...>``. ``void`` stands for "only nulls seen"; :func:`resolve_void` turns it
into ``string`` before a type reaches the catalog.

Widening (:func:`widen`) decides the type of a column seen with two types, in one file or across
files. Glue does not document its rules; ours are:

* equal types stay; ``void`` (only nulls seen) yields the other type;
* integers widen to the wider integer: ``tinyint`` < ``smallint`` < ``int`` < ``bigint``;
* an integer with ``float``/``double`` gives ``double``; ``float`` with ``float`` stays ``float``;
* ``decimal(p1,s1)`` with ``decimal(p2,s2)`` keeps the larger scale and the larger integer part,
  precision capped at 38; an integer with a decimal widens the decimal to hold the integer's
  digits (3, 5, 10, 19); ``float``/``double`` with a decimal gives ``double``;
* ``date`` with ``timestamp`` gives ``timestamp``;
* ``char``/``varchar`` with each other give the longer ``varchar``; with ``string``, ``string``;
* ``array<A>`` with ``array<B>`` gives ``array<widen(A, B)>``; ``map`` widens key and value;
* ``struct`` with ``struct`` merges field-wise: the union of the fields (first struct's order, then
  new fields), common fields widened, names compared case-insensitively;
* anything else (``boolean`` with a number, a number with ``date``, a struct with a scalar, ...)
  gives ``string``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from sluice.errors import InvalidInputException

INTEGRAL = ("tinyint", "smallint", "int", "bigint")
_INT_DIGITS = {"tinyint": 3, "smallint": 5, "int": 10, "bigint": 19}
_ALIASES = {"integer": "int", "long": "bigint", "short": "smallint", "byte": "tinyint", "real": "float"}
_SCALARS = {*INTEGRAL, "double", "float", "boolean", "string", "timestamp", "date", "binary", "void"}
MAX_PRECISION = 38


class TypeSyntaxError(InvalidInputException):
    """A type string is not a valid Hive/Glue type."""


@dataclass(frozen=True)
class Primitive:
    """A scalar type; ``params`` holds decimal (precision, scale) or char/varchar (length)."""

    name: str
    params: tuple[int, ...] = ()


@dataclass(frozen=True)
class Array:
    element: HiveType


@dataclass(frozen=True)
class Map:
    key: HiveType
    value: HiveType


@dataclass(frozen=True)
class Struct:
    fields: tuple[tuple[str, HiveType], ...]


HiveType = Primitive | Array | Map | Struct


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, expected: str) -> TypeSyntaxError:
        found = self.text[self.pos] if self.pos < len(self.text) else "end of text"
        return TypeSyntaxError(
            f"Invalid type {self.text!r}: expected {expected} at position {self.pos}, found {found!r}"
        )

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def expect(self, char: str) -> None:
        self.skip_ws()
        if not self.text.startswith(char, self.pos):
            raise self.fail(repr(char))
        self.pos += 1

    def peek(self, char: str) -> bool:
        self.skip_ws()
        return self.text.startswith(char, self.pos)

    def word(self) -> str:
        self.skip_ws()
        if self.peek("`"):
            parts = []
            self.pos += 1
            while True:
                end = self.text.find("`", self.pos)
                if end < 0:
                    raise self.fail("a closing backtick")
                parts.append(self.text[self.pos : end])
                self.pos = end + 1
                if not self.text.startswith("`", self.pos):
                    return "`".join(parts)
                self.pos += 1
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum() or self.text[self.pos] in "_$"):
            self.pos += 1
        if start == self.pos:
            raise self.fail("a name")
        return self.text[start : self.pos]

    def field_name(self) -> str:
        """A struct field name: back-quoted, or any text up to the next ``:``."""
        self.skip_ws()
        if self.peek("`"):
            return self.word()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in ":<>,`":
            self.pos += 1
        name = self.text[start : self.pos].strip()
        if not name:
            raise self.fail("a field name")
        return name

    def number(self) -> int:
        self.skip_ws()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos].isdigit():
            self.pos += 1
        if start == self.pos:
            raise self.fail("a number")
        return int(self.text[start : self.pos])

    def type_(self) -> HiveType:
        name = self.word().lower()
        name = _ALIASES.get(name, name)
        if name == "array":
            self.expect("<")
            element = self.type_()
            self.expect(">")
            return Array(element)
        if name == "map":
            self.expect("<")
            key = self.type_()
            self.expect(",")
            value = self.type_()
            self.expect(">")
            return Map(key, value)
        if name == "struct":
            self.expect("<")
            fields: list[tuple[str, HiveType]] = []
            while not self.peek(">"):
                if fields:
                    self.expect(",")
                field = self.field_name()
                self.expect(":")
                fields.append((field, self.type_()))
            self.expect(">")
            return Struct(tuple(fields))
        if name == "decimal":
            if not self.peek("("):
                return Primitive("decimal", (10, 0))
            self.expect("(")
            precision = self.number()
            scale = 0
            if self.peek(","):
                self.expect(",")
                scale = self.number()
            self.expect(")")
            if not 1 <= precision <= MAX_PRECISION or scale > precision:
                raise TypeSyntaxError(f"Invalid type {self.text!r}: decimal({precision},{scale}) is out of range")
            return Primitive("decimal", (precision, scale))
        if name in ("char", "varchar"):
            self.expect("(")
            length = self.number()
            self.expect(")")
            return Primitive(name, (length,))
        if name in _SCALARS:
            return Primitive(name)
        raise TypeSyntaxError(f"Invalid type {self.text!r}: unknown type name {name!r}")


def parse_type(text: str) -> HiveType:
    """Parse a Hive/Glue type string into a :data:`HiveType`; raises :class:`TypeSyntaxError`."""
    parser = _Parser(text)
    result = parser.type_()
    parser.skip_ws()
    if parser.pos != len(text):
        raise parser.fail("end of type")
    return result


def format_type(node: HiveType, *, quote_names: bool = False) -> str:
    """Print a type AST in Glue's canonical form (lower case, no spaces)."""
    match node:
        case Primitive(name, params):
            return f"{name}({','.join(map(str, params))})" if params else name
        case Array(element):
            return f"array<{format_type(element, quote_names=quote_names)}>"
        case Map(key, value):
            return f"map<{format_type(key, quote_names=quote_names)},{format_type(value, quote_names=quote_names)}>"
        case Struct(fields):
            parts = []
            for name, child in fields:
                plain = name == name.strip() and not any(c in name for c in ":<>,`")
                label = name if plain and not quote_names else "`" + name.replace("`", "``") + "`"
                parts.append(f"{label}:{format_type(child, quote_names=quote_names)}")
            return f"struct<{','.join(parts)}>"
    raise TypeError(f"not a Hive type: {node!r}")


def normalize(text: str) -> str:
    """The canonical spelling of a type string (``BIGINT`` → ``bigint``, ``integer`` → ``int``)."""
    return format_type(parse_type(text))


def spark_ddl(hive_type: str) -> str:
    """The Spark SQL DDL spelling of a Hive type: identical, with struct field names back-quoted."""
    return format_type(parse_type(hive_type), quote_names=True)


@lru_cache(maxsize=4096)
def widen(a: str, b: str) -> str:
    """The narrowest type holding values of both types (rules in the module docstring)."""
    if a == b:
        return a
    return format_type(widen_type(parse_type(a), parse_type(b)))


def merge_columns(schemas: Iterable[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    """The union of column lists: first-seen order, a name seen again widened with :func:`widen`."""
    merged: dict[str, str] = {}
    for columns in schemas:
        for name, type_ in columns:
            merged[name] = widen(merged[name], type_) if name in merged else type_
    return list(merged.items())


@lru_cache(maxsize=4096)
def resolve_void(hive_type: str) -> str:
    """Replace ``void`` (only nulls seen), at any depth, with ``string``."""
    return format_type(resolve_void_type(parse_type(hive_type)))


def resolve_void_type(node: HiveType) -> HiveType:
    """:func:`resolve_void` on a parsed type."""
    match node:
        case Primitive("void"):
            return Primitive("string")
        case Array(element):
            return Array(resolve_void_type(element))
        case Map(key, value):
            return Map(resolve_void_type(key), resolve_void_type(value))
        case Struct(fields):
            return Struct(tuple((name, resolve_void_type(child)) for name, child in fields))
    return node


_STRING = Primitive("string")


def widen_type(a: HiveType, b: HiveType) -> HiveType:
    """:func:`widen` on parsed types."""
    if a == b:
        return a
    if a == Primitive("void"):
        return b
    if b == Primitive("void"):
        return a
    match a, b:
        case Array(x), Array(y):
            return Array(widen_type(x, y))
        case Map(k1, v1), Map(k2, v2):
            return Map(widen_type(k1, k2), widen_type(v1, v2))
        case Struct(f1), Struct(f2):
            return _merge_structs(f1, f2)
        case Primitive(), Primitive():
            return _widen_primitive(a, b)
    return _STRING


def _merge_structs(first: tuple[tuple[str, HiveType], ...], second: tuple[tuple[str, HiveType], ...]) -> Struct:
    merged = dict((name.lower(), (name, child)) for name, child in first)
    for name, child in second:
        key = name.lower()
        merged[key] = (merged[key][0], widen_type(merged[key][1], child)) if key in merged else (name, child)
    return Struct(tuple(merged.values()))


def _widen_primitive(a: Primitive, b: Primitive) -> Primitive:
    names = {a.name, b.name}
    if a.name in INTEGRAL and b.name in INTEGRAL:
        return max(a, b, key=lambda t: INTEGRAL.index(t.name))
    numeric = {*INTEGRAL, "float", "double"}
    if names <= numeric:
        return Primitive("float") if names == {"float"} else Primitive("double")
    if "decimal" in names and names <= {*numeric, "decimal"}:
        return _widen_decimal(a, b)
    if names == {"date", "timestamp"}:
        return Primitive("timestamp")
    if names <= {"char", "varchar"}:
        return Primitive("varchar", (max(a.params[0], b.params[0]),))
    return _STRING


def _widen_decimal(a: Primitive, b: Primitive) -> Primitive:
    if {a.name, b.name} & {"float", "double"}:
        return Primitive("double")
    digits = []
    scales = []
    for t in (a, b):
        precision, scale = t.params if t.name == "decimal" else (_INT_DIGITS[t.name], 0)
        digits.append(precision - scale)
        scales.append(scale)
    scale = max(scales)
    precision = min(MAX_PRECISION, max(digits) + scale)
    return Primitive("decimal", (precision, min(scale, precision)))
