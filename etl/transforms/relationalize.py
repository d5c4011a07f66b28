"""Relationalize: flatten structs and pivot arrays into child tables."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, DataType, StructType

from etl.transforms._paths import quote
from sluice.errors import InvalidInputException

_KEY = "__sluice_relationalize_key"


def relationalize(
    df: DataFrame, root_name: str, *, separator: str = ".", staging_path: str | None = None
) -> dict[str, DataFrame]:
    """Glue's Relationalize: one flat root table plus one child table per array, keyed by name.

    Struct fields become ``a.b`` columns. Each array column becomes child table
    ``<root_name>_<column>`` with ``id`` (the join key), ``index`` (0-based position) and the
    element as ``<column>.val`` (scalars) or ``<column>.val.<field>`` (structs, flattened); the
    parent keeps the column, holding the ``id`` of its child rows (null where the array is null;
    an empty array has a key and no child rows). Arrays inside elements recurse, giving tables
    such as ``root_contact_details.val.tags``, as in Glue's legislators example. Maps stay as they are.

    Keys come from ``monotonically_increasing_id`` (unique, not consecutive) and are materialized
    once per table that has arrays, so parent and child agree: with ``staging_path`` (Glue's
    staging path) as Parquet under ``<staging_path>/<table>``, otherwise as a local checkpoint.
    """
    if not root_name:
        raise InvalidInputException("relationalize needs a non-empty root_name.")
    tables: dict[str, DataFrame] = {}
    _pivot(_flatten(df, separator), root_name, root_name, separator, staging_path, tables)
    return tables


def _flatten(df: DataFrame, separator: str) -> DataFrame:
    """Replace struct columns by one column per leaf field, named ``a<separator>b``."""
    columns: list[Column] = []
    names: list[str] = []

    def walk(col: Column, dtype: DataType, name: str) -> None:
        if isinstance(dtype, StructType):
            for field in dtype.fields:
                walk(col.getField(field.name), field.dataType, f"{name}{separator}{field.name}")
        else:
            columns.append(col.alias(name))
            names.append(name)

    for field in df.schema.fields:
        walk(F.col(quote(field.name)), field.dataType, field.name)
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise InvalidInputException(
            f"Flattening gives duplicate column names: [{', '.join(quote(n) for n in clashes)}].",
            hint="Rename those fields first (rename_field), or pass another separator.",
        )
    return df.select(*columns)


def _pivot(
    table: DataFrame, name: str, root_name: str, separator: str, staging_path: str | None, out: dict[str, DataFrame]
) -> None:
    """Add ``table`` to ``out`` as ``name``, with its arrays replaced by keys, and recurse into the arrays."""
    arrays = [f.name for f in table.schema.fields if isinstance(f.dataType, ArrayType)]
    if not arrays:
        out[name] = table
        return
    keyed = table.withColumn(_KEY, F.monotonically_increasing_id())
    if staging_path is None:
        keyed = keyed.localCheckpoint()
    else:
        path = f"{staging_path.rstrip('/')}/{name}"
        keyed.write.mode("overwrite").parquet(path)
        keyed = keyed.sparkSession.read.parquet(path)
    key = F.col(_KEY)
    out[name] = keyed.select(
        *[F.when(F.col(quote(c)).isNotNull(), key).alias(c) if c in arrays else F.col(quote(c)) for c in table.columns]
    )
    for array in arrays:
        child = keyed.select(
            key.alias("id"), F.posexplode(F.col(quote(array))).alias("index", f"{array}{separator}val")
        )
        _pivot(_flatten(child, separator), f"{root_name}_{array}", root_name, separator, staging_path, out)
