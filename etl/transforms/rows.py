"""Row-level transforms: Filter, Join and Drop Duplicates."""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from operator import and_
from typing import Literal

from pyspark.errors import AnalysisException
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from etl.transforms._paths import case_sensitive, quote, resolve_columns
from sluice.errors import InvalidInputException

JOIN_TYPES = ("inner", "equijoin", "left", "right", "outer", "full", "leftsemi", "leftanti")
_ROW_NUMBER = "__sluice_row_number"


def filter_rows(df: DataFrame, predicate: Column | str) -> DataFrame:
    """Glue's Filter: keep the rows where ``predicate`` (a Column or SQL expression) is true."""
    if not isinstance(predicate, Column | str):
        raise InvalidInputException(
            f"A filter predicate must be a Column or a SQL string, not {type(predicate).__name__}.",
            hint='For example filter_rows(df, "age >= 18") or filter_rows(df, F.col("age") >= 18).',
        )
    try:
        return df.filter(predicate)
    except AnalysisException as exc:
        raise InvalidInputException(f"Invalid filter predicate: {exc.getMessage()}") from exc


filter = filter_rows  # Glue's name; exported from the package but kept out of its ``__all__``.


def join(
    left: DataFrame,
    right: DataFrame,
    keys_left: str | Sequence[str],
    keys_right: str | Sequence[str],
    how: str = "inner",
    *,
    right_prefix: str = "(right)",
) -> DataFrame:
    """Glue's Join: an equality join on ``keys_left[i] == keys_right[i]``; null keys never match.

    Output has every left column, then every right column, and keeps both key columns. A right
    column whose name is also a left column's (including same-named keys) gets ``right_prefix``,
    as Glue Studio's "resolve it" does (``id`` → ``(right)id``). ``how`` takes Glue's join types:
    inner (``equijoin``), left, right, outer (``full``), leftsemi and leftanti; the last two return
    only left columns.
    """
    keys_left = [keys_left] if isinstance(keys_left, str) else list(keys_left)
    keys_right = [keys_right] if isinstance(keys_right, str) else list(keys_right)
    if len(keys_left) != len(keys_right):
        raise InvalidInputException(
            f"join needs as many right keys as left keys, got {len(keys_left)} and {len(keys_right)}."
        )
    if how not in JOIN_TYPES:
        raise InvalidInputException(f"Unknown join type `{how}`. Join types: [{', '.join(JOIN_TYPES)}].")
    keys_left = resolve_columns(left, keys_left, "left key")
    keys_right = resolve_columns(right, keys_right, "right key")
    fold = (lambda n: n) if case_sensitive(left) else str.lower
    left_names = {fold(c) for c in left.columns}
    renamed = {c: right_prefix + c for c in right.columns if fold(c) in left_names}
    right = right.withColumnsRenamed(renamed)
    condition = reduce(
        and_,
        [
            F.col(f"__l.{quote(a)}") == F.col(f"__r.{quote(renamed.get(b, b))}")
            for a, b in zip(keys_left, keys_right, strict=True)
        ],
    )
    joined = left.alias("__l").join(right.alias("__r"), condition, "inner" if how == "equijoin" else how)
    columns = [F.col(f"__l.{quote(c)}") for c in left.columns]
    if how not in ("leftsemi", "leftanti"):
        columns += [F.col(f"__r.{quote(c)}") for c in right.columns]
    return joined.select(*columns)


def deduplicate(
    df: DataFrame,
    keys: Sequence[str] | None = None,
    order_by: Sequence[str] | None = None,
    keep: Literal["first", "last"] = "first",
) -> DataFrame:
    """Glue's Drop Duplicates: keep one row per distinct ``keys`` (whole rows when None).

    With ``order_by`` the row kept is the first (``keep="first"``, ascending, nulls first) or the
    last (descending, nulls last) in that order within each key, via ``row_number``; it is
    deterministic when ``keys`` plus ``order_by`` identify a row. Without it any one row is kept.
    Null keys count as equal.
    """
    if keep not in ("first", "last"):
        raise InvalidInputException(f"keep must be first or last, not `{keep}`.")
    if keys is None:
        return df.dropDuplicates()
    keys = resolve_columns(df, keys, "key")
    if not order_by:
        return df.dropDuplicates(keys)
    order = [
        F.col(quote(c)).asc_nulls_first() if keep == "first" else F.col(quote(c)).desc_nulls_last()
        for c in resolve_columns(df, order_by, "order_by")
    ]
    window = Window.partitionBy(*[F.col(quote(k)) for k in keys]).orderBy(*order)
    ranked = df.withColumn(_ROW_NUMBER, F.row_number().over(window))
    return ranked.filter(F.col(_ROW_NUMBER) == 1).drop(_ROW_NUMBER)
