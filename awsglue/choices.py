"""Choice types on DataFrames: a field whose records disagree on its type is a Spark ``variant`` column.

JSON is read as one variant per record (``singleVariantColumn``, no inference pass); one aggregate
(``schema_of_variant_agg``, the pass Spark's own JSON inference makes) then types each field: fields
whose records agree get their type, the others stay ``variant`` and are *choice* fields. Their member
types are looked up only when asked for (``printSchema``, ``make_cols``), in one more aggregate.

A cataloged CSV table is read as text and typed by the catalog (:func:`typed_text`): a column with values that
do not convert to its catalog type is a choice of that type and ``string``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from etl.transforms import resolve_choice
from etl.transforms._paths import column, quote, show
from etl.transforms.choice import CHOICE_TYPES, declared_types, glue_type_name
from sluice.errors import InvalidInputException
from sparkio.session import session_conf

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession
    from pyspark.sql.types import DataType

RECORD = "__sluice_record"
"""The variant column a JSON read yields, one JSON record per row (null: the record does not parse)."""


def read_options(multiline: bool) -> dict[str, str]:
    """Spark JSON reader options for a variant-per-record read."""
    return {"singleVariantColumn": RECORD, "multiLine": str(multiline).lower()}


def split_records(
    df: DataFrame, json_path: str | None = None, keep: Sequence[str] = ()
) -> tuple[DataFrame, DataFrame | None]:
    """Typed records and the records that did not parse (None when the read had no variant column).

    ``json_path`` (Glue's ``jsonPath``: ``$.a.b[*]``) picks the records inside each document; the columns
    ``keep`` of ``df`` follow each record, after its fields.
    """
    from pyspark.sql import functions as F

    if RECORD not in df.columns:
        return df, None
    errors = df.filter(F.col(RECORD).isNull()).select(
        F.lit("the record is not valid JSON").alias("error"), F.input_file_name().alias("file")
    )
    records = df.filter(F.col(RECORD).isNotNull())
    if json_path:
        records = records.select(F.explode(_json_path(json_path)).alias(RECORD), *keep)
    ddl = schema_of_records(records)
    if ddl is None:  # no records
        return records.select(*keep), errors
    dtype = spark_type(ddl)
    from pyspark.sql.types import StructType

    if not isinstance(dtype, StructType):
        raise InvalidInputException(
            f"JSON records must be objects, but they are {ddl}.",
            hint='Pick the objects inside each document with format_options={"jsonPath": "$.items[*]"}.',
        )
    typed = records.select(F.col(RECORD).cast(dtype).alias(RECORD), *keep).select(f"{RECORD}.*", *keep)
    return typed, errors


def typed_text(df: DataFrame, declared: dict[str, str]) -> DataFrame:
    """CSV columns read as text, typed as the catalog declares them, as Glue's CSV reader types a cataloged table.

    A column whose every value converts to its catalog type has that type. One where some values do not (a
    crawler that sampled the file's start saw only numbers) is a choice of that type and ``string``, its
    members declared in the field's metadata (:data:`~etl.transforms.choice.CHOICE_TYPES`). One aggregate finds
    which columns those are.
    """
    from pyspark.sql import functions as F

    casts = _casts(df, declared)
    if not casts:
        return df
    with one_job(df.sparkSession):
        failed = df.agg(
            *[F.count_if(F.col(quote(n)).isNotNull() & cast.isNull()).alias(n) for n, cast in casts.items()]
        ).first()
    kinds = dict(zip(casts, df.select(*casts.values()).schema.fields, strict=True))
    out = []
    for field in df.schema.fields:
        raw, cast = F.col(quote(field.name)), casts.get(field.name)
        if cast is None:
            out.append(raw)
        elif not failed[field.name]:
            out.append(cast.alias(field.name))
        else:
            members = sorted([glue_type_name(kinds[field.name].dataType), "string"])
            choice = F.when(cast.isNotNull(), cast.cast("variant")).otherwise(raw.cast("variant"))
            out.append(choice.alias(field.name, metadata={CHOICE_TYPES: members}))
    return df.select(*out)


def cast_text(df: DataFrame, declared: dict[str, str]) -> DataFrame:
    """CSV text columns cast to their catalog types without a look at the data: values that do not convert are
    null, as ``cast:<type>`` would make them (for transforms that name each column's type, like ApplyMapping)."""
    from pyspark.sql import functions as F

    casts = _casts(df, declared)
    return df.select(*[casts[f.name].alias(f.name) if f.name in casts else F.col(quote(f.name)) for f in df.schema])


def _casts(df: DataFrame, declared: dict[str, str]) -> dict[str, Column]:
    """``try_cast`` of each text column to the type the catalog declares for it, where that is not ``string``."""
    from pyspark.sql import functions as F

    return {
        f.name: F.col(quote(f.name)).try_cast(declared[f.name])
        for f in df.schema.fields
        if declared.get(f.name, "string") != "string"
    }


def split_malformed(df: DataFrame) -> tuple[DataFrame, DataFrame | None]:
    """Records, and the malformed ones of a CSV or JSON read with a corrupt-record column (None without one)."""
    from pyspark.sql import functions as F

    from sparkio.read import CORRUPT

    if CORRUPT not in df.columns:
        return df, None
    errors = df.filter(F.col(CORRUPT).isNotNull()).select(
        F.lit("the record is malformed").alias("error"), F.input_file_name().alias("file")
    )
    return df.filter(F.col(CORRUPT).isNull()).drop(CORRUPT), errors


def one_job(spark: SparkSession) -> AbstractContextManager[None]:
    """Run a global aggregate as one Spark job (adaptive execution would submit its shuffle stage as another)."""
    return session_conf(spark, {"spark.sql.adaptive.enabled": "false"})


def schema_of_records(df: DataFrame, name: str = RECORD) -> str | None:
    """The merged ``schema_of_variant`` of variant column ``name`` over all rows (None: no rows), one job."""
    from pyspark.sql import functions as F

    with one_job(df.sparkSession):
        return df.agg(F.schema_of_variant_agg(name)).collect()[0][0]


def _json_path(path: str) -> Column:
    """The array at ``$.a.b[*]`` (or ``$[*]``) of each record, as ``array<variant>``."""
    from pyspark.sql import functions as F

    match = re.fullmatch(r"\$((?:\.[^.\[\]]+|\['[^']+'\])*)\[\*\]", path.strip())
    if match is None:
        raise InvalidInputException(
            f"Unsupported jsonPath {path!r}.", hint="Use a path to an array of records: $[*] or $.a.b[*]."
        )
    inner = match.group(1)
    if not inner:
        return F.col(RECORD).cast("array<variant>")
    return F.variant_get(F.col(RECORD), "$" + inner, "array<variant>")


def spark_type(ddl: str) -> DataType:
    """A ``schema_of_variant`` type as a Spark type: objects as structs, decimals as double, VOID as string."""
    from pyspark.sql.types import DataType

    return _widen(DataType.fromDDL(re.sub(r"\bOBJECT<", "STRUCT<", ddl)))


def _widen(dtype: DataType) -> DataType:
    from pyspark.sql import types as T

    if isinstance(dtype, T.StructType):
        return T.StructType([T.StructField(f.name, _widen(f.dataType), True) for f in dtype.fields])
    if isinstance(dtype, T.ArrayType):
        return T.ArrayType(_widen(dtype.elementType), True)
    if isinstance(dtype, T.DecimalType | T.FloatType):
        return T.DoubleType()
    if isinstance(dtype, T.NullType):
        return T.StringType()
    return dtype


def choice_paths(schema: DataType, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Paths of the choice (variant) fields, in structs; choices inside arrays have ``[]`` in their path."""
    from pyspark.sql import types as T

    if isinstance(schema, T.StructType):
        for field in schema.fields:
            yield from choice_paths(field.dataType, (*prefix, field.name))
    elif isinstance(schema, T.ArrayType):
        yield from choice_paths(schema.elementType, (*prefix, "[]"))
    elif isinstance(schema, T.VariantType):
        yield prefix


def spec_path(path: tuple[str, ...]) -> str:
    """A choice path as a ResolveChoice spec path (dots, names with dots in backticks)."""
    return show(path)


def members(df: DataFrame, paths: list[tuple[str, ...]]) -> dict[tuple[str, ...], list[str]]:
    """The type names each choice field holds (sorted), for all ``paths`` in one aggregate pass.

    Choices inside arrays are listed without members (ResolveChoice does not reach into arrays here).
    """
    from pyspark.sql.types import StructType

    out: dict[tuple[str, ...], list[str]] = {p: [] for p in paths}
    for path in paths:
        out[path] = declared_types(df.schema, path) or []
    reachable = [p for p in paths if "[]" not in p and not out[p]]
    if not reachable:
        return out
    names = [f"c{i}" for i in range(len(reachable))]
    probe = df.select(*[column(p).alias(n) for p, n in zip(reachable, names, strict=True)])
    with one_job(df.sparkSession):
        structs = resolve_choice(probe, specs=[(n, "make_struct") for n in names])
    for path, name in zip(reachable, names, strict=True):
        dtype = structs.schema[name].dataType
        out[path] = [f.name for f in dtype.fields] if isinstance(dtype, StructType) else []
    return out


def as_text(df: DataFrame) -> DataFrame:
    """``df`` with every choice field as ``string`` (JSON text for objects and arrays), as ``toDF()`` gives it."""
    from pyspark.sql import functions as F

    if not any(True for _ in choice_paths(df.schema)):
        return df
    return df.select(
        *[
            F.col(quote(f.name)).cast(_text_type(f.dataType)).alias(f.name)
            if any(True for _ in choice_paths(f.dataType))
            else F.col(quote(f.name))
            for f in df.schema.fields
        ]
    )


def _text_type(dtype: DataType) -> DataType:
    from pyspark.sql import types as T

    if isinstance(dtype, T.StructType):
        return T.StructType([T.StructField(f.name, _text_type(f.dataType), True) for f in dtype.fields])
    if isinstance(dtype, T.ArrayType):
        return T.ArrayType(_text_type(dtype.elementType), True)
    if isinstance(dtype, T.MapType):
        return T.MapType(dtype.keyType, _text_type(dtype.valueType), True)
    return T.StringType() if isinstance(dtype, T.VariantType) else dtype
