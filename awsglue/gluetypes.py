"""Glue's schema types (``DynamicFrame.schema()``), with the ``choice`` type a DataFrame lacks.

A Spark schema converts with :func:`from_spark`; ``ChoiceType`` stands for a field whose records hold
values of several types (``choices`` maps each type name to its type).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any


class DataType:
    """Base of every Glue type; ``typeName()`` is the name ``printSchema`` shows."""

    def __init__(self, properties: Mapping[str, Any] | None = None) -> None:
        self.properties = dict(properties or {})

    @classmethod
    def typeName(cls) -> str:
        return cls.__name__[: -len("Type")].lower()

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash(self.typeName())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.properties or ''})"

    def jsonValue(self) -> dict[str, Any]:
        return {"dataType": self.typeName(), "properties": self.properties}


class AtomicType(DataType):
    """A type without parts."""


class BinaryType(AtomicType): ...


class BooleanType(AtomicType): ...


class ByteType(AtomicType): ...


class DateType(AtomicType): ...


class DoubleType(AtomicType): ...


class FloatType(AtomicType): ...


class IntegerType(AtomicType):
    @classmethod
    def typeName(cls) -> str:
        return "int"


class LongType(AtomicType): ...


class NullType(AtomicType): ...


class ShortType(AtomicType): ...


class StringType(AtomicType): ...


class TimestampType(AtomicType): ...


class UnknownType(AtomicType): ...


class DecimalType(AtomicType):
    def __init__(self, precision: int = 10, scale: int = 2, properties: Mapping[str, Any] | None = None) -> None:
        super().__init__(properties)
        self.precision = precision
        self.scale = scale


class ArrayType(DataType):
    def __init__(self, elementType: DataType | None = None, properties: Mapping[str, Any] | None = None) -> None:
        super().__init__(properties)
        self.elementType = elementType or UnknownType()


class MapType(DataType):
    def __init__(self, valueType: DataType | None = None, properties: Mapping[str, Any] | None = None) -> None:
        super().__init__(properties)
        self.valueType = valueType or UnknownType()


class Field:
    """A named field of a struct."""

    def __init__(self, name: str, dataType: DataType, properties: Mapping[str, Any] | None = None) -> None:
        self.name = name
        self.dataType = dataType
        self.properties = dict(properties or {})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Field) and (self.name, self.dataType) == (other.name, other.dataType)

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"Field({self.name}, {self.dataType!r})"


class StructType(DataType):
    """The fields of a record: iterable and sized like Glue's (``for field in schema``), with ``field_map``
    (name to Field), ``getField``, ``hasField`` and ``add``."""

    def __init__(self, fields: Sequence[Field] = (), properties: Mapping[str, Any] | None = None) -> None:
        super().__init__(properties)
        self.fields: list[Field] = []
        for field in fields:
            self.add(field)

    def __iter__(self) -> Iterator[Field]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    @property
    def field_map(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    def add(self, field: Field) -> None:
        """Append ``field`` (one of the same name is replaced in place)."""
        names = self.names()
        if field.name in names:
            self.fields[names.index(field.name)] = field
        else:
            self.fields.append(field)

    def hasField(self, field: str | Field) -> bool:
        return (field.name if isinstance(field, Field) else field) in self.field_map

    def getField(self, name: str) -> Field:
        return self.field_map[name]

    def names(self) -> list[str]:
        return [f.name for f in self.fields]


class ChoiceType(DataType):
    """A field holding values of several types; ``choices`` by type name."""

    def __init__(self, choices: Sequence[DataType] = (), properties: Mapping[str, Any] | None = None) -> None:
        super().__init__(properties)
        self.choices = {c.typeName(): c for c in choices}


class EntityType(DataType): ...


_ATOMIC = {
    "binary": BinaryType,
    "boolean": BooleanType,
    "byte": ByteType,
    "date": DateType,
    "double": DoubleType,
    "float": FloatType,
    "integer": IntegerType,
    "long": LongType,
    "void": NullType,
    "short": ShortType,
    "string": StringType,
    "timestamp": TimestampType,
    "timestamp_ntz": TimestampType,
}


def from_spark(dtype: Any, choices: Mapping[tuple[str, ...], Sequence[str]] | None = None) -> DataType:
    """A Spark type as a Glue type; Spark ``variant`` fields become ``ChoiceType`` of ``choices[path]``."""
    return _convert(dtype, (), dict(choices or {}))


def _convert(dtype: Any, path: tuple[str, ...], choices: dict[tuple[str, ...], Sequence[str]]) -> DataType:
    from pyspark.sql import types as T

    if isinstance(dtype, T.StructType):
        return StructType([Field(f.name, _convert(f.dataType, (*path, f.name), choices)) for f in dtype.fields])
    if isinstance(dtype, T.ArrayType):
        return ArrayType(_convert(dtype.elementType, (*path, "[]"), choices))
    if isinstance(dtype, T.MapType):
        return MapType(_convert(dtype.valueType, (*path, "{}"), choices))
    if isinstance(dtype, T.VariantType):
        return ChoiceType([_by_name(name) for name in choices.get(path, ())])
    if isinstance(dtype, T.DecimalType):
        return DecimalType(dtype.precision, dtype.scale)
    return _ATOMIC.get(dtype.typeName(), UnknownType)()


def _by_name(name: str) -> DataType:
    """A choice member by the type name ResolveChoice gives it (``int``, ``struct``, ``array`` …)."""
    named = {"int": IntegerType, "struct": StructType, "array": ArrayType, "map": MapType, "decimal": DecimalType}
    return named.get(name, _ATOMIC.get(name, UnknownType))()


def render(schema: StructType) -> str:
    """``printSchema``'s text: ``root`` then ``|-- name: type`` lines, nested parts indented by ``|    ``."""
    lines = ["root"]
    for field in schema.fields:
        _lines(field.name, field.dataType, 0, lines)
    return "\n".join(lines) + "\n"


def _lines(name: str | None, dtype: DataType, depth: int, out: list[str]) -> None:
    prefix = "|    " * depth + "|-- "
    out.append(f"{prefix}{name}: {dtype.typeName()}" if name is not None else f"{prefix}{dtype.typeName()}")
    if isinstance(dtype, StructType):
        for field in dtype.fields:
            _lines(field.name, field.dataType, depth + 1, out)
    elif isinstance(dtype, ArrayType):
        _lines("element", dtype.elementType, depth + 1, out)
    elif isinstance(dtype, MapType):
        _lines("keyType", StringType(), depth + 1, out)
        _lines("valueType", dtype.valueType, depth + 1, out)
    elif isinstance(dtype, ChoiceType):
        for member in dtype.choices.values():
            _lines(None, member, depth + 1, out)
