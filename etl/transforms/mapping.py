"""ApplyMapping: rename, retype and restructure fields declaratively."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from etl.transforms._paths import column, find, nest, parse_type, resolve, show, split_path
from sluice.errors import InvalidInputException

Mapping = tuple[str, str, str, str]
OnMissing = Literal["skip", "null", "error"]


def apply_mapping(df: DataFrame, mappings: Sequence[Mapping], *, on_missing: OnMissing = "skip") -> DataFrame:
    """Glue's ApplyMapping: ``(source path, source type, target path, target type)`` tuples.

    Only mapped fields are returned, in mapping order. Dotted source paths read nested struct
    fields and dotted target paths build structs; backticks quote names that contain dots.
    The value is cast from the column's actual type to the target type (the source type is
    informational) and a value that does not convert becomes null. Name matching follows
    ``spark.sql.caseSensitive`` (off by default, like Glue).

    A source field the frame does not have is skipped, as in Glue, where the target field then
    does not appear; ``on_missing="null"`` emits a null column of the target type instead and
    ``"error"`` raises.
    """
    if on_missing not in ("skip", "null", "error"):
        raise InvalidInputException(f"on_missing must be skip, null or error, not `{on_missing}`.")
    if not mappings:
        raise InvalidInputException("apply_mapping needs at least one mapping.")
    tree: dict[str, Column | dict] = {}
    for source, _source_type, target, target_type in mappings:
        dtype = parse_type(target_type)
        found = resolve(df, source) if on_missing == "error" else find(df, split_path(source))
        if found is not None:
            _insert(tree, split_path(target), column(found[0]).try_cast(dtype))
        elif on_missing == "null":
            _insert(tree, split_path(target), F.lit(None).cast(dtype))
    return df.select(*nest(tree))


def _insert(tree: dict[str, Column | dict], parts: list[str], value: Column) -> None:
    node = tree
    for i, name in enumerate(parts[:-1]):
        node = node.setdefault(name, {})
        if isinstance(node, Column):
            raise InvalidInputException(
                f"Target `{show(parts)}` nests under `{show(parts[: i + 1])}`, which is mapped to a value."
            )
    if parts[-1] in node:
        raise InvalidInputException(f"Target `{show(parts)}` is mapped more than once.")
    node[parts[-1]] = value
