"""File reads: catalog tables (pruned against the catalog's partitions before any listing) and paths, read by
Spark exactly as listed, with a corrupt-record column for malformed CSV and JSON."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from catalog import Catalog
from catalog.types import Array, HiveType, Map, Primitive, Struct, format_type, parse_type, resolve_void_type
from sluice.context import SluiceContext
from sluice.errors import InvalidInputException
from sluice.globs import compile_globs
from sluice.lake.fs import ObjectInfo, is_folder, list_visible
from sluice.lake.guard import before_read
from sluice.lake.paths import is_object_store, to_spark_uri
from sparkio.session import session_conf

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

CORRUPT = "_corrupt_record"
TEXT_FORMATS = {"csv", "json"}
FILE_FORMATS = {"parquet", "csv", "json", "orc", "avro"}
LIST_THREADS = 16
DISCOVERY_THRESHOLD = "spark.sql.sources.parallelPartitionDiscovery.threshold"
ATOMIC_TYPES = {
    "boolean": "BooleanType",
    "tinyint": "ByteType",
    "smallint": "ShortType",
    "int": "IntegerType",
    "bigint": "LongType",
    "float": "FloatType",
    "double": "DoubleType",
    "string": "StringType",
    "binary": "BinaryType",
    "date": "DateType",
    "timestamp": "TimestampType",
}
"""Hive type name -> the ``pyspark.sql.types`` class Spark's DDL parser gives it."""


@dataclass(frozen=True)
class Partition:
    """One catalog partition (``values`` empty for an unpartitioned source) and its listed files."""

    values: tuple[str, ...]
    location: str
    files: list[ObjectInfo]


@dataclass(frozen=True)
class SourceFiles:
    """The files behind one read, with what Spark needs to read them.

    ``columns`` and ``partition_keys`` are Glue columns (``{"Name", "Type"}``); no columns lets Spark infer.
    """

    format: str
    base_path: str
    columns: list[dict[str, str]]
    partition_keys: list[dict[str, str]]
    partitions: list[Partition]
    options: dict[str, str]

    @property
    def files(self) -> list[ObjectInfo]:
        return [f for p in self.partitions for f in p.files]

    def as_text(self) -> SourceFiles:
        """The same files with every data column read as its text (``string``); partition keys keep their types."""
        return replace(self, columns=[{**c, "Type": "string"} for c in self.columns])


def reader_options(table: dict[str, Any]) -> dict[str, str]:
    """Spark reader options from a catalog table's classification and SerDe parameters."""
    params = table.get("Parameters", {})
    classification = params.get("classification", "parquet")
    if classification == "csv":
        serde = table["StorageDescriptor"].get("SerdeInfo", {}).get("Parameters", {})
        return {
            "header": "true" if params.get("skip.header.line.count", "0") != "0" else "false",
            "sep": params.get("delimiter") or serde.get("separatorChar") or serde.get("field.delim") or ",",
            "quote": '"',
            "escape": '"',
            "mode": "PERMISSIVE",
            "columnNameOfCorruptRecord": CORRUPT,
            "timestampFormat": "yyyy-MM-dd[ HH:mm:ss][XXX][X]",
        }
    if classification == "json":
        return {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT}
    return {}


def catalog_files(
    database: str, table: str, push_down_predicate: str | None = None, *, ctx: SluiceContext | None = None
) -> SourceFiles:
    """Resolve a catalog table to files: partitions are pruned in the catalog, then only they are listed.

    Files matching the table parameter ``exclusions`` (a JSON list of Glue globs, relative to the table
    location) are left out.
    """
    catalog = Catalog(ctx)
    meta = catalog.get_table(database, table)
    location = meta["StorageDescriptor"]["Location"].rstrip("/")
    fmt = meta["Parameters"].get("classification", "parquet")
    if fmt not in FILE_FORMATS:
        raise InvalidInputException(
            f"{database}.{table} has classification {fmt!r}; Sluice reads {', '.join(sorted(FILE_FORMATS))}."
        )
    keys = meta["PartitionKeys"]
    if keys:
        found = catalog.get_partitions(database, table, push_down_predicate)
        places = [(tuple(p["Values"]), p["StorageDescriptor"]["Location"].rstrip("/")) for p in found]
    elif push_down_predicate:
        raise InvalidInputException(
            f"push_down_predicate given, but {database}.{table} has no partition keys to prune on."
        )
    else:
        places = [((), location)]
    excluded = _exclusions(meta, location)
    with ThreadPoolExecutor(LIST_THREADS, thread_name_prefix="sluice-list") as pool:
        listed = pool.map(lambda place: list_visible(place[1], ctx=catalog.ctx), places)
        partitions = [
            Partition(values, where, [f for f in files if not excluded(f.uri)])
            for (values, where), files in zip(places, listed, strict=True)
        ]
    return SourceFiles(fmt, location, meta["StorageDescriptor"]["Columns"], keys, partitions, reader_options(meta))


def _exclusions(meta: dict[str, Any], location: str) -> Any:
    """A matcher over file URIs for the table's ``exclusions`` parameter."""
    try:
        patterns = json.loads(meta["Parameters"].get("exclusions") or "[]")
    except json.JSONDecodeError as exc:
        raise InvalidInputException(
            f"Table {meta['DatabaseName']}.{meta['Name']} has an exclusions parameter that is not JSON: {exc}",
            hint='Set it to a JSON list of globs, e.g. ["**.tmp", "archive/**"].',
        ) from None
    matches = compile_globs(list(patterns))
    prefix = location + "/"
    return lambda uri: uri.startswith(prefix) and matches(uri[len(prefix) :])


def path_files(
    fmt: str, paths: list[str], schema: str | None, options: dict[str, str], *, ctx: SluiceContext | None = None
) -> SourceFiles:
    """Files under ``paths``; ``schema`` (Spark DDL) types them, otherwise Spark infers it.

    Hive-style folders (``key=value``) below a single path become partition columns, as Spark discovers them.
    """
    if fmt not in FILE_FORMATS:
        raise InvalidInputException(f"read_path format must be one of {', '.join(sorted(FILE_FORMATS))}, got {fmt!r}")
    columns = []
    if schema:
        from pyspark.sql.types import StructType

        columns = [{"Name": f.name, "Type": f.dataType.simpleString()} for f in StructType.fromDDL(schema).fields]
    if fmt in TEXT_FORMATS:
        options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT, **options}
    base = paths[0] if len(paths) == 1 and is_folder(paths[0]) else ""
    partitions = [Partition((), p, list_visible(p, ctx=ctx)) for p in paths]
    return SourceFiles(fmt, base, columns, [], partitions, options)


def read_files(
    spark: SparkSession, source: SourceFiles, files: list[ObjectInfo], *, ctx: SluiceContext | None = None
) -> DataFrame:
    """Read exactly ``files`` with the catalog's schema; partition columns hold the catalog's values.

    Partitions laid out as Hive folders under the table location are read in one scan whose partition
    columns Spark takes from the folder names; other layouts are read a partition at a time. Objects the
    lifecycle archived (GLACIER, DEEP_ARCHIVE) are refused until restored.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    before_read(
        [f.uri for f in files], ctx=ctx
    )  # archived objects are unreadable until restored; reads keep access times
    chosen = {f.uri for f in files}
    groups = [(p, [f for f in p.files if f.uri in chosen]) for p in source.partitions]
    groups = [(p, selected) for p, selected in groups if selected]
    data = [StructField(c["Name"], _spark_type(c["Type"]), True) for c in source.columns]
    if data and source.format in TEXT_FORMATS and source.options.get("columnNameOfCorruptRecord") == CORRUPT:
        data.append(StructField(CORRUPT, StringType(), True))
    keys = [StructField(k["Name"], _spark_type(k["Type"]), True) for k in source.partition_keys]
    schema = StructType(data + keys) if data else None
    if not groups:
        return spark.createDataFrame([], schema or StructType(keys))
    reader = spark.read.format(source.format).options(**source.options)
    with _listing_on_driver(spark, [f.uri for f in files]):
        if not keys or _hive_layout(source.base_path, [p for p, _ in groups], [k.name for k in keys]):
            if schema is not None:
                reader = reader.schema(schema)
            if source.base_path:
                reader = reader.option("basePath", to_spark_uri(source.base_path))
            return reader.load([to_spark_uri(f.uri) for _, selected in groups for f in selected])
        if schema is not None:
            reader = reader.schema(StructType(data))
        parts = [
            reader.load([to_spark_uri(f.uri) for f in selected]).select(
                "*", *(F.lit(v).cast(k.dataType).alias(k.name) for k, v in zip(keys, p.values, strict=True))
            )
            for p, selected in groups
        ]
    out = parts[0]
    for part in parts[1:]:
        out = out.unionByName(part)
    return out


def _listing_on_driver(spark: SparkSession, uris: list[str]) -> AbstractContextManager[None]:
    """Let Spark stat local files on the driver, however many: its distributed listing job costs a second or more.

    Object stores keep Spark's default, which lists more than a few dozen paths in parallel.
    """
    if any(is_object_store(uri) for uri in uris):
        return nullcontext()
    return session_conf(spark, {DISCOVERY_THRESHOLD: str(2**31 - 1)})


def _hive_layout(base: str, partitions: list[Partition], keys: list[str]) -> bool:
    """Whether every partition sits at ``base/k1=v1/k2=v2`` with the catalog's values."""
    prefix = base.rstrip("/") + "/"
    for p in partitions:
        if not p.location.startswith(prefix):
            return False
        segments = [s.partition("=") for s in p.location[len(prefix) :].split("/")]
        if [k for k, _, _ in segments] != keys or [unquote(v) for _, _, v in segments] != list(p.values):
            return False
    return True


def _spark_type(hive: str) -> Any:
    """A catalog (Hive) type as a Spark type, built in Python: no JVM round trip (nor parser warm-up) per column."""
    try:
        return _spark_node(resolve_void_type(parse_type(hive)))
    except Exception as exc:
        raise InvalidInputException(f"Catalog type {hive!r} is not a type Spark understands: {exc}") from None


def _spark_node(node: HiveType) -> Any:
    """Atomic types, decimals and nested types directly; others (``char(n)``, ``varchar(n)`` …) by Spark's parser."""
    from pyspark.sql import types as T

    match node:
        case Primitive(name, ()) if name in ATOMIC_TYPES:
            return getattr(T, ATOMIC_TYPES[name])()
        case Primitive("decimal", params):
            return T.DecimalType(*params)
        case Array(element):
            return T.ArrayType(_spark_node(element), True)
        case Map(key, value):
            return T.MapType(_spark_node(key), _spark_node(value), True)
        case Struct(fields):
            return T.StructType([T.StructField(name, _spark_node(kind), True) for name, kind in fields])
    return T.DataType.fromDDL(format_type(node, quote_names=True))
