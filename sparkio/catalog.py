"""Spark SQL over Sluice's catalog, as Glue's "use the Data Catalog as the Hive metastore".

    attach_catalog(spark, ctx)
    spark.sql("select carrier, count(*) from raw.flights where dt = '2013-01-05' group by carrier")

:func:`attach_catalog` makes ``spark.sql`` and ``spark.table`` see every catalog table, partitions included. A
table enters Spark's session catalog on first reference (the statement's table names, found with sqlglot;
Spark's own "table not found" as the fallback), as an external table at the catalog's location with the
catalog's columns, format, SerDe options and partitions (each at its catalog location). Start-up costs nothing
however large the catalog; a referenced table is re-registered when its catalog version changes, and
:meth:`CatalogBridge.refresh` (called by ``job.commit()``) forgets every registration so that partitions a run
added are seen.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from catalog import Catalog
from catalog.types import format_type, parse_type, resolve_void_type
from sluice.context import SluiceContext
from sluice.errors import EntityNotFoundException
from sluice.lake.paths import to_spark_uri
from sparkio.read import FILE_FORMATS, reader_options

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

PARTITIONS_PER_STATEMENT = 500
MAX_LATE_REGISTRATIONS = 16
SPARK_ONLY_OPTIONS = {"mode", "columnNameOfCorruptRecord"}
SHOW = re.compile(
    r"^\s*show\s+(?:(tables|views)(?:\s+(?:in|from)\s+`?([\w-]+)`?)?|databases|schemas|namespaces)\b", re.I
)


def attach_catalog(spark: SparkSession, ctx: SluiceContext | None = None) -> CatalogBridge:
    """Route ``spark.sql`` and ``spark.table`` of this session through ``ctx``'s catalog; attaching again (a new
    GlueContext on the same session) rebinds to the new context and forgets earlier registrations."""
    ctx = SluiceContext.resolve(ctx)
    bridge: CatalogBridge | None = getattr(spark, "_sluice_catalog", None)
    if bridge is None:
        bridge = CatalogBridge(spark, ctx)
        spark._sluice_catalog = bridge  # type: ignore[attr-defined]
        spark.sql = bridge.sql  # type: ignore[method-assign]
        spark.table = bridge.table  # type: ignore[method-assign]
    elif bridge.catalog.ctx is not ctx:
        bridge.refresh()
        bridge.catalog = Catalog(ctx)
    return bridge


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def table_ddl(meta: dict[str, Any]) -> str:
    """``CREATE TABLE`` for a catalog table (Glue GetTable's ``Table``): external, at its location."""
    sd = meta["StorageDescriptor"]
    fmt = meta.get("Parameters", {}).get("classification", "parquet")
    if fmt not in FILE_FORMATS:
        raise EntityNotFoundException(
            f"{meta['DatabaseName']}.{meta['Name']} has classification {fmt!r}; Spark SQL reads "
            f"{', '.join(sorted(FILE_FORMATS))} tables."
        )
    keys = meta.get("PartitionKeys", [])
    columns = ", ".join(
        f"{_quote(c['Name'])} {format_type(resolve_void_type(parse_type(c['Type'])), quote_names=True)}"
        for c in [*sd["Columns"], *keys]
    )
    options = {k: v for k, v in reader_options(meta).items() if k not in SPARK_ONLY_OPTIONS}
    name = f"{_quote(meta['DatabaseName'])}.{_quote(meta['Name'])}"
    ddl = f"CREATE TABLE {name} ({columns}) USING {fmt}"
    if options:
        ddl += " OPTIONS (" + ", ".join(f"{_literal(k)} {_literal(v)}" for k, v in options.items()) + ")"
    if keys:
        ddl += " PARTITIONED BY (" + ", ".join(_quote(k["Name"]) for k in keys) + ")"
    return ddl + f" LOCATION {_literal(to_spark_uri(sd['Location']))}"


def add_partitions_sql(meta: dict[str, Any], partitions: list[dict[str, Any]]) -> Iterable[str]:
    """``ALTER TABLE … ADD PARTITION`` statements for catalog partitions, at their own locations, in batches."""
    keys = [k["Name"] for k in meta["PartitionKeys"]]
    name = f"{_quote(meta['DatabaseName'])}.{_quote(meta['Name'])}"
    specs = [
        "PARTITION ("
        + ", ".join(f"{_quote(k)} = {_literal(v)}" for k, v in zip(keys, p["Values"], strict=True))
        + f") LOCATION {_literal(to_spark_uri(p['StorageDescriptor']['Location']))}"
        for p in partitions
    ]
    for start in range(0, len(specs), PARTITIONS_PER_STATEMENT):
        yield f"ALTER TABLE {name} ADD IF NOT EXISTS " + " ".join(specs[start : start + PARTITIONS_PER_STATEMENT])


def referenced_tables(query: str) -> set[tuple[str | None, str]]:
    """The ``(database, table)`` names a Spark SQL statement reads (database None when unqualified), CTE names
    left out; empty if sqlglot cannot parse it (Spark's "table not found" then names what is missing)."""
    import sqlglot
    from sqlglot import exp

    quiet = logging.getLogger("sqlglot")
    level, quiet.level = quiet.level, logging.ERROR  # no "falling back to parsing as a Command" for SHOW …
    try:
        statements = sqlglot.parse(query, read="spark")
    except sqlglot.errors.SqlglotError:
        return set()
    finally:
        quiet.level = level
    found: set[tuple[str | None, str]] = set()
    for statement in statements:
        if statement is None:
            continue
        ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
        for table in statement.find_all(exp.Table):
            if not table.name or (not table.db and table.name.lower() in ctes) or table.catalog:
                continue
            found.add((table.db.lower() or None, table.name.lower()))
    return found


class CatalogBridge:
    """Registers catalog tables in one SparkSession's catalog as statements reference them."""

    def __init__(self, spark: SparkSession, ctx: SluiceContext) -> None:
        self.spark = spark
        self.catalog = Catalog(ctx)
        self._sql = spark.sql
        self._table = spark.table
        self._versions: dict[tuple[str, str], str] = {}
        self._databases: set[str] = set()

    def sql(self, sqlQuery: str, args: Any = None, **kwargs: Any) -> DataFrame:
        """``spark.sql``, after registering the catalog tables ``sqlQuery`` reads."""
        names = referenced_tables(sqlQuery)
        if show := SHOW.match(sqlQuery):
            self._show(show.group(1), show.group(2))
        if any(database is None for database, _ in names):
            current = self.spark.catalog.currentDatabase()
            names = {(database or current, name) for database, name in names}
        self.ensure(names)  # type: ignore[arg-type]
        return self._late(lambda: self._sql(sqlQuery, args, **kwargs))

    def table(self, tableName: str) -> DataFrame:
        """``spark.table``, after registering ``tableName`` (``db.table``, or a table of the current database)."""
        database, _, name = tableName.rpartition(".")
        self.ensure({((database or self.spark.catalog.currentDatabase()).strip("`").lower(), name.strip("`").lower())})
        return self._late(lambda: self._table(tableName))

    def ensure(self, names: Iterable[tuple[str, str]]) -> bool:
        """Register (or re-register, after a catalog change) each name the catalog holds; True if any was."""
        changed = False
        for database, name in names:
            try:
                meta = self.catalog.get_table(database, name)
            except EntityNotFoundException:
                continue  # a Spark temp view, a table created in this session, or a name Spark will report
            version = str(meta.get("VersionId") or meta.get("UpdateTime") or "")
            if self._versions.get((database, name)) == version:
                continue
            self._register(meta)
            self._versions[(database, name)] = version
            changed = True
        return changed

    def refresh(self) -> None:
        """Forget every registration (the files stay: the tables are external); the next reference re-reads."""
        for database, name in self._versions:
            self._sql(f"DROP TABLE IF EXISTS {_quote(database)}.{_quote(name)}")
        self._versions.clear()

    def _show(self, tables: str | None, database: str | None) -> None:
        """Before ``SHOW DATABASES`` every catalog database exists in Spark; before ``SHOW TABLES`` every table of
        the database shown is registered."""
        if not tables:
            for db in self.catalog.get_databases():
                self._database(db["Name"])
            return
        database = (database or self.spark.catalog.currentDatabase()).lower()
        try:
            self._database(database)
            self.ensure((database, t["Name"]) for t in self.catalog.get_tables(database))
        except EntityNotFoundException:
            return  # Spark reports the unknown database itself

    def _database(self, database: str) -> None:
        """Create the database in Spark's catalog, its folder under SLUICE_HOME (not ``./spark-warehouse``)."""
        if database not in self._databases:
            folder = self.catalog.ctx.settings.home / "spark-catalog" / f"{database}.db"
            self._sql(f"CREATE DATABASE IF NOT EXISTS {_quote(database)} LOCATION {_literal(folder.as_uri())}")
            self._databases.add(database)

    def _register(self, meta: dict[str, Any]) -> None:
        database, name = meta["DatabaseName"], meta["Name"]
        self._database(database)
        self._sql(f"DROP TABLE IF EXISTS {_quote(database)}.{_quote(name)}")
        self._sql(table_ddl(meta))
        if meta.get("PartitionKeys"):
            for statement in add_partitions_sql(meta, self.catalog.get_partitions(database, name)):
                self._sql(statement)

    def _late(self, run: Any) -> DataFrame:
        """Run ``run``; when Spark reports a table missing that the catalog holds, register it and run again."""
        from pyspark.errors import AnalysisException

        for _ in range(MAX_LATE_REGISTRATIONS):
            try:
                return run()
            except AnalysisException as exc:
                missing = (exc.getMessageParameters() or {}).get("relationName", "")
                parts = [p.strip("`").lower() for p in missing.split("`.`")]
                if exc.getCondition() != "TABLE_OR_VIEW_NOT_FOUND" or len(parts) != 2:
                    raise
                if not self.ensure([(parts[0], parts[1])]):
                    raise
        return run()
