"""ResolveChoice for DataFrames.

Glue's DynamicFrame has a ChoiceType: a field whose records hold values of several types. A
DataFrame column has one type, so here a *choice column* is one whose values carry different
types at run time:

* a ``string`` column, each value typed by its text (what ``spark.read.json`` and CSV produce
  for mixed data): ``int`` (fits 32 bits), ``long``, ``double`` (other numerals), ``boolean``
  (``true``/``false``, any case) or ``string``;
* a ``variant`` column (Spark 4's ``parse_json``), each value typed by its variant type:
  ``int``, ``long``, ``double`` (also decimals and floats), ``string``, ``boolean``, ``date``,
  ``timestamp``, ``struct`` (objects), ``array``…

Any other column holds its Spark type only (``int``, ``long``, ``struct``…). Nulls have no type.

A choice column whose member types are known without looking at the data (a CSV column typed by its catalog)
declares them in its field metadata under :data:`CHOICE_TYPES`; integral values then count as its ``long``
member when it has no ``int`` one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DataType, StringType, StructType, VariantType

from etl.transforms._paths import LeafFn, column, map_leaf, parse_type, resolve
from sluice.errors import InvalidInputException

CHOICE_TYPES = "sluice.choiceTypes"
"""Field metadata key: the sorted member type names of a choice column, when they are known."""
ACTIONS = "cast:<type>, project:<type>, make_cols or make_struct"
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_INTEGRAL_VARIANTS = ("TINYINT", "SMALLINT", "INT", "BIGINT")
_VARIANT_NAMES = {"DECIMAL": "double", "FLOAT": "double", "OBJECT": "struct"}
_KEEP_AS_IS = ("struct", "array")
_WIDENS_FROM = {"long": ("int",), "double": ("int", "long")}
TYPE_NAMES = frozenset(
    {"int", "long", "short", "byte", "float", "double", "decimal", "string", "boolean", "binary", "date"}
    | {"timestamp", "timestamp_ntz", "map", *_KEEP_AS_IS}
)


def resolve_choice(
    df: DataFrame,
    specs: Sequence[tuple[str, str]] | None = None,
    choice: str | None = None,
    *,
    types: Sequence[str] | None = None,
) -> DataFrame:
    """Glue's ResolveChoice: resolve choice columns (see the module docstring) by an action.

    Pass either ``specs``, ``(path, action)`` pairs for named fields (dotted paths into structs),
    or ``choice``, one action for every string or variant field, top-level or in structs, whose
    values hold two or more types. Actions, as in Glue:

    * ``cast:<type>`` casts every value; values that do not convert become null.
    * ``project:<type>`` keeps values of that type (ints also count as long and double) and
      nulls the rest.
    * ``make_cols`` splits the field into ``<name>_<type>`` fields, one per type (``price`` → ``price_int``,
      ``price_string``): the first in its place, the others last in the field's struct, as Glue prints them.
    * ``make_struct`` turns the field into a struct with one field per type (``price.int``…).

    The types for ``make_cols``/``make_struct`` are those seen in the data (one aggregate pass,
    sorted by name; a field with only nulls has none, so ``make_cols`` removes it) unless
    ``types`` fixes them, which also keeps the output schema stable.
    """
    if (specs is None) == (choice is None):
        raise InvalidInputException(
            "resolve_choice needs exactly one of `specs` or `choice`.",
            hint=f'Use specs=[("price", "cast:double")] or choice="make_cols"; actions: {ACTIONS}.',
        )
    for name in types or ():
        _check_type_name(name)
    if specs is None:
        _parse_action(choice)
        candidates = [(parts, dt) for parts, dt in _leaves(df.schema, []) if isinstance(dt, StringType | VariantType)]
        observed = _observed_types(df, candidates)
        todo = [(parts, dt, choice) for parts, dt in candidates if len(observed[tuple(parts)]) > 1]
    else:
        todo = [(*resolve(df, path), action) for path, action in specs]
        splits = [(parts, dt) for parts, dt, action in todo if _parse_action(action)[0].startswith("make_")]
        unknown = [(parts, dt) for parts, dt in splits if not declared_types(df.schema, tuple(parts))]
        observed = _observed_types(df, unknown if types is None else [])
    for parts, dtype, action in todo:
        declared = declared_types(df.schema, tuple(parts)) or observed.get(tuple(parts), [])
        member_types = list(types) if types is not None else declared
        df = map_leaf(df, parts, _resolver(action, dtype, parts[-1], member_types))
        if action == "make_cols":
            df = _others_last(df, parts[:-1], [f"{parts[-1]}_{t}" for t in member_types[1:]])
    return df


def declared_types(schema: StructType, path: tuple[str, ...]) -> list[str] | None:
    """The member types the choice field at ``path`` declares in its metadata (:data:`CHOICE_TYPES`), if any."""
    struct: DataType = schema
    field = None
    for name in path:
        if not isinstance(struct, StructType) or name not in struct.names:
            return None
        field = struct[name]
        struct = field.dataType
    return list(field.metadata[CHOICE_TYPES]) if field is not None and CHOICE_TYPES in field.metadata else None


def _others_last(df: DataFrame, parent: list[str], names: list[str]) -> DataFrame:
    """``make_cols`` keeps the first member's column in the field's place and puts the others last in its struct,
    as Glue prints it (``provider id_long`` in place, ``provider id_string`` at the end)."""
    struct = df.schema
    for name in parent:
        struct = struct[name].dataType  # type: ignore[assignment]
    order = [f.name for f in struct.fields if f.name not in names] + [n for n in names if n in struct.names]
    if not parent:
        return df.select(*[F.col(f"`{c}`") for c in order])

    def reorder(col: Column) -> list[tuple[str, Column]]:
        inner = F.struct(*[col.getField(c).alias(c) for c in order])
        return [(parent[-1], F.when(col.isNull(), F.lit(None)).otherwise(inner))]

    return map_leaf(df, parent, reorder)


def _parse_action(action: str) -> tuple[str, str]:
    kind, _, type_name = action.partition(":")
    if kind in ("cast", "project") and type_name:
        if kind == "cast":
            parse_type(type_name)
        else:
            _check_type_name(type_name.lower())
        return kind, type_name.lower()
    if action in ("make_cols", "make_struct"):
        return action, ""
    raise InvalidInputException(f"Unknown ResolveChoice action `{action}`.", hint=f"Actions: {ACTIONS}.")


def _check_type_name(name: str) -> None:
    if name not in TYPE_NAMES:
        raise InvalidInputException(f"Unknown choice type `{name}`. Known types: [{', '.join(sorted(TYPE_NAMES))}].")


def _resolver(action: str, dtype: DataType, name: str, member_types: list[str]) -> LeafFn:
    """The map_leaf function that applies ``action`` to a field named ``name`` of type ``dtype``."""
    kind, type_name = _parse_action(action)
    if kind == "cast":
        target = parse_type(type_name)
        return lambda col: [(name, col.try_cast(target))]
    if kind == "project":
        accepted = (type_name, *_WIDENS_FROM.get(type_name, ()))
        return lambda col: [(name, F.when(_value_type(col, dtype).isin(*accepted), _convert(col, dtype, type_name)))]
    if kind == "make_cols":
        return lambda col: [(f"{name}_{t}", _member(col, dtype, t, member_types)) for t in member_types]
    return lambda col: [
        (
            name,
            F.when(col.isNotNull(), F.struct(*[_member(col, dtype, t, member_types).alias(t) for t in member_types])),
        )
    ]


def _member(col: Column, dtype: DataType, type_name: str, member_types: list[str]) -> Column:
    """The values of ``col`` whose type is ``type_name`` (or narrower, when no member is), as that type; null
    elsewhere."""
    accepted = [type_name, *[t for t in _WIDENS_FROM.get(type_name, ()) if t not in member_types]]
    return F.when(_value_type(col, dtype).isin(*accepted), _convert(col, dtype, type_name))


def _convert(col: Column, dtype: DataType, type_name: str) -> Column:
    if type_name in _KEEP_AS_IS or type_name == glue_type_name(dtype):
        return col
    return col.try_cast(parse_type(type_name))


def glue_type_name(dtype: DataType) -> str:
    """Glue's name of a Spark type (``int``, ``long``, ``double``…)."""
    name = dtype.typeName()
    return "int" if name == "integer" else name


def _value_type(col: Column, dtype: DataType) -> Column:
    """The type name of each value of ``col`` (see the module docstring); null for nulls."""
    if isinstance(dtype, StringType):
        text = F.trim(col)
        integral = text.rlike(r"^[+-]?\d+$")
        return (
            F.when(integral & text.try_cast("int").isNotNull(), "int")
            .when(integral & text.try_cast("long").isNotNull(), "long")
            .when(text.rlike(_NUMBER), "double")
            .when(F.lower(text).isin("true", "false"), "boolean")
            .when(col.isNotNull(), "string")
        )
    if isinstance(dtype, VariantType):
        kind = F.regexp_extract(F.schema_of_variant(col), r"^[A-Z_]+", 0)
        renamed = F.create_map(*[F.lit(s) for pair in _VARIANT_NAMES.items() for s in pair])
        return (
            F.when(col.isNull() | (kind == "VOID"), None)
            .when(kind.isin(*_INTEGRAL_VARIANTS) & col.try_cast("int").isNotNull(), "int")
            .when(kind.isin(*_INTEGRAL_VARIANTS), "long")
            .otherwise(F.coalesce(renamed[kind], F.lower(kind)))
        )
    return F.when(col.isNotNull(), F.lit(glue_type_name(dtype)))


def _leaves(struct: StructType, prefix: list[str]) -> Iterator[tuple[list[str], DataType]]:
    for field in struct.fields:
        if isinstance(field.dataType, StructType):
            yield from _leaves(field.dataType, [*prefix, field.name])
        else:
            yield [*prefix, field.name], field.dataType


def _observed_types(df: DataFrame, fields: list[tuple[list[str], DataType]]) -> dict[tuple[str, ...], list[str]]:
    """The sorted type names each field holds, for all ``fields`` in one aggregate pass."""
    if not fields:
        return {}
    row = df.agg(
        *[F.array_sort(F.collect_set(_value_type(column(p), dt))).alias(f"t{i}") for i, (p, dt) in enumerate(fields)]
    ).first()
    return {tuple(parts): row[f"t{i}"] for i, (parts, _) in enumerate(fields)}
