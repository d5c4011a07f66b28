"""DropFields, SelectFields, RenameField and DropNullFields."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import IntegralType, StringType, StructType

from etl.transforms._paths import column, find, map_leaf, quote, resolve, show, split_path
from sluice.errors import InvalidInputException


def drop_fields(df: DataFrame, paths: Sequence[str]) -> DataFrame:
    """Glue's DropFields: remove fields by dotted path; paths the frame lacks are ignored (as Glue)."""
    for path in paths:
        found = find(df, split_path(path))
        if found is not None:
            df = map_leaf(df, found[0], lambda _col: [])
    return df


def select_fields(df: DataFrame, paths: Sequence[str]) -> DataFrame:
    """Glue's SelectFields: keep only ``paths``, in the order given.

    ``a.b`` keeps struct ``a`` with only field ``b`` (null where ``a`` is null). Unlike Glue's
    DynamicFrame, a path the frame lacks raises, since a DataFrame schema is fixed.
    """
    if not paths:
        raise InvalidInputException("select_fields needs at least one path.")
    tree: dict[str, dict | None] = {}
    for path in paths:
        parts = resolve(df, path)[0]
        node: dict | None = tree
        for name in parts[:-1]:
            node = node.setdefault(name, {})
            if node is None:  # an ancestor is selected whole
                break
        else:
            node[parts[-1]] = None
    return df.select(*_prune(tree, []))


def _prune(tree: dict[str, dict | None], prefix: list[str]) -> list[Column]:
    out = []
    for name, sub in tree.items():
        col = column([*prefix, name])
        if sub is not None:
            col = F.when(col.isNull(), F.lit(None)).otherwise(F.struct(*_prune(sub, [*prefix, name])))
        out.append(col.alias(name))
    return out


def rename_field(df: DataFrame, old_path: str, new_path: str) -> DataFrame:
    """Glue's RenameField: rename the field at ``old_path`` to full path ``new_path``.

    Within the same struct the field keeps its position; a ``new_path`` under another parent moves
    it there (missing parent structs are created, and the field is appended). Raises when
    ``old_path`` does not exist or ``new_path`` already does.
    """
    old, _ = resolve(df, old_path)
    new = split_path(new_path)
    existing = find(df, new)
    if existing is not None and existing[0] != old:
        raise InvalidInputException(f"Cannot rename `{old_path}` to `{new_path}`: that field already exists.")
    inside = find(df, new[: len(old)])
    if len(new) > len(old) and inside is not None and inside[0] == old:
        raise InvalidInputException(f"Cannot move `{old_path}` into itself as `{new_path}`.")
    parent = find(df, new[:-1])
    if parent is not None and parent[0] == old[:-1]:
        return map_leaf(df, old, lambda col: [(new[-1], col)])
    return map_leaf(_add_field(df, new, column(old)), old, lambda _col: [])


def _add_field(df: DataFrame, parts: list[str], value: Column) -> DataFrame:
    """Add ``value`` at ``parts``, creating the structs that do not exist yet."""
    depth = len(parts) - 1
    while depth and find(df, parts[:depth]) is None:
        depth -= 1
    for name in reversed(parts[depth + 1 :]):
        value = F.struct(value.alias(name))
    if depth == 0:
        return df.withColumn(parts[0], value)
    prefix, dtype = find(df, parts[:depth])
    if not isinstance(dtype, StructType):
        raise InvalidInputException(f"Cannot add `{show(parts)}`: `{show(prefix)}` is not a struct.")
    return map_leaf(df, prefix, lambda col: [(prefix[-1], col.withField(quote(parts[depth]), value))])


def drop_null_fields(df: DataFrame, null_values: Sequence[str | int] = ()) -> DataFrame:
    """Glue's DropNullFields: drop top-level columns whose values are all null, in one aggregate pass.

    As in Glue, only real nulls count by default; ``null_values`` adds placeholders (Glue Studio's
    empty string, ``"null"``, ``-1``, custom values), matched by type: strings against string
    columns, integers against integer columns. An empty frame is returned unchanged.
    """
    checks = []
    for i, field in enumerate(df.schema.fields):
        col = F.col(quote(field.name))
        same_type = [
            v
            for v in null_values
            if (isinstance(v, str) and isinstance(field.dataType, StringType))
            or (isinstance(v, int) and not isinstance(v, bool) and isinstance(field.dataType, IntegralType))
        ]
        present = col.isNotNull() & ~col.isin(same_type) if same_type else col.isNotNull()
        checks.append(F.count_if(present).alias(f"c{i}"))
    row = df.agg(F.count(F.lit(1)).alias("rows"), *checks).first()
    if row["rows"] == 0:
        return df
    return df.select(*[F.col(quote(f.name)) for i, f in enumerate(df.schema.fields) if row[f"c{i}"]])
