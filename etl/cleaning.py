"""Generic cleaning for curated tables: trimmed strings, empty strings as null, no blank (or duplicate) rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def clean(df: DataFrame, *, drop_duplicates: bool = False) -> DataFrame:
    """Trim string columns, turn empty strings into nulls and drop all-null rows, in one projection.

    ``drop_duplicates`` also drops exact duplicates within this run's input (a shuffle of every column;
    rows curated by earlier runs are not compared).
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType

    columns = []
    for field in df.schema.fields:
        col = F.col(f"`{field.name}`")
        if isinstance(field.dataType, StringType):
            trimmed = F.trim(col)
            col = F.when(trimmed == "", F.lit(None)).otherwise(trimmed)
        columns.append(col.alias(field.name))
    out = df.select(*columns).dropna(how="all")
    return out.dropDuplicates() if drop_duplicates else out
