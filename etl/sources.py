"""JDBC sources: a reader with the driver of a known database, scalar queries, and a table's primary key."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sluice.errors import InvalidInputException, SluiceError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, DataFrameReader, SparkSession

JDBC_DRIVERS = {"postgresql": "org.postgresql.Driver"}
"""JDBC subprotocol -> driver class, from the jars ``make jars`` fetches; others pass ``driver`` and ``--jars``."""


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
