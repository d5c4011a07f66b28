"""Sources: catalog tables (pruned against the catalog's partitions before any listing), paths, JDBC tables."""

from __future__ import annotations

import datetime as dt
import json
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from catalog import Catalog
from catalog.crawler.globs import compile_globs
from catalog.types import resolve_void, spark_ddl
from etl.spark import session_conf
from lifecycle.access import before_read
from sluice import storage
from sluice.errors import InvalidInputException, SluiceError
from sluice.lake import list_visible
from sluice.storage import ObjectInfo

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, DataFrameReader, SparkSession

CORRUPT = "_corrupt_record"
TEXT_FORMATS = {"csv", "json"}
FILE_FORMATS = {"parquet", "csv", "json", "orc", "avro"}
LIST_THREADS = 16
DISCOVERY_THRESHOLD = "spark.sql.sources.parallelPartitionDiscovery.threshold"
JDBC_DRIVERS = {"postgresql": "org.postgresql.Driver"}
"""JDBC subprotocol -> driver class, from the jars ``make jars`` fetches; others pass ``driver`` and ``--jars``."""


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


def catalog_files(database: str, table: str, push_down_predicate: str | None = None) -> SourceFiles:
    """Resolve a catalog table to files: partitions are pruned in the catalog, then only they are listed.

    Files matching the table parameter ``exclusions`` (a JSON list of Glue globs, relative to the table
    location) are left out.
    """
    catalog = Catalog()
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
        listed = pool.map(lambda place: list_visible(place[1]), places)
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


def path_files(fmt: str, paths: list[str], schema: str | None, options: dict[str, str]) -> SourceFiles:
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
    base = paths[0] if len(paths) == 1 and (storage.is_s3(paths[0]) or os.path.isdir(paths[0])) else ""
    partitions = [Partition((), p, list_visible(p)) for p in paths]
    return SourceFiles(fmt, base, columns, [], partitions, options)


def read_files(spark: SparkSession, source: SourceFiles, files: list[ObjectInfo]) -> DataFrame:
    """Read exactly ``files`` with the catalog's schema; partition columns hold the catalog's values.

    Partitions laid out as Hive folders under the table location are read in one scan whose partition
    columns Spark takes from the folder names; other layouts are read a partition at a time. Objects the
    lifecycle archived (GLACIER, DEEP_ARCHIVE) are refused until restored.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    before_read([f.uri for f in files])  # archived objects are unreadable until restored; reads keep access times
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
                reader = reader.option("basePath", storage.to_spark_uri(source.base_path))
            return reader.load([storage.to_spark_uri(f.uri) for _, selected in groups for f in selected])
        if schema is not None:
            reader = reader.schema(StructType(data))
        parts = [
            reader.load([storage.to_spark_uri(f.uri) for f in selected]).select(
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
    if any(storage.is_s3(uri) for uri in uris):
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
    from pyspark.sql.types import DataType

    try:
        return DataType.fromDDL(spark_ddl(resolve_void(hive)))
    except Exception as exc:
        raise InvalidInputException(f"Catalog type {hive!r} is not a type Spark understands: {exc}") from None


# JDBC ------------------------------------------------------------------------------------------------


def jdbc_reader(spark: SparkSession, url: str, properties: dict[str, str]) -> DataFrameReader:
    """A JDBC reader for ``url``; the driver jar of a known database is added to the session first."""
    options = {"url": url, "preferTimestampNTZ": "true", **properties}
    subprotocol = url.split(":", 2)[1] if url.startswith("jdbc:") else ""
    if subprotocol in JDBC_DRIVERS and "driver" not in properties:
        options["driver"] = _driver(spark, JDBC_DRIVERS[subprotocol])
    return spark.read.format("jdbc").options(**options)


def _driver(spark: SparkSession, name: str) -> str:
    """``name`` when the driver's JVM has that class, else an error that says how to get it."""
    try:
        spark.sparkContext._jvm.java.lang.Class.forName(name)
    except Exception:
        raise SluiceError(
            f"The JDBC driver class {name} is not on Spark's class path, so read_jdbc cannot connect.",
            hint="Run `make jars` (it fetches the drivers pinned in jars/pom.xml), or pass --jars yourself.",
        ) from None
    return name


def _query(spark: SparkSession, url: str, properties: dict[str, str], sql: str) -> DataFrame:
    return jdbc_reader(spark, url, properties).option("query", sql).load()


def jdbc_scalar(spark: SparkSession, url: str, properties: dict[str, str], sql: str) -> Any:
    """The one value ``sql`` selects; a timestamp with time zone comes back aware, in UTC."""
    from pyspark.sql.types import TimestampType

    df = _query(spark, url, properties, sql)
    value = df.first()[0]
    if value is not None and isinstance(df.schema.fields[0].dataType, TimestampType):
        value = value.astimezone(dt.UTC)  # PySpark hands instants over as naive local times
    return value


def primary_key(spark: SparkSession, url: str, properties: dict[str, str], table: str) -> list[str]:
    """The primary-key columns of ``table`` (in key order), from the SQL-standard information schema."""
    from etl.bookmarks.state import sql_literal

    schema, _, name = table.rpartition(".")
    rows = _query(
        spark,
        url,
        properties,
        "SELECT kcu.column_name FROM information_schema.table_constraints tc"
        " JOIN information_schema.key_column_usage kcu ON kcu.constraint_schema = tc.constraint_schema"
        " AND kcu.constraint_name = tc.constraint_name AND kcu.table_name = tc.table_name"
        f" WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_name = {sql_literal(name)}"
        f" AND tc.table_schema = {sql_literal(schema) if schema else 'current_schema()'}"
        " ORDER BY kcu.ordinal_position",
    ).collect()
    if not rows:
        raise InvalidInputException(
            f"JDBC table {table} has no primary key to use as the job bookmark key.",
            hint="Pass bookmark_keys=[...] naming strictly increasing (or decreasing) non-null columns.",
        )
    return [r[0] for r in rows]
