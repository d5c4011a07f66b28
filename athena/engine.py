"""Run one Athena statement: queries and CTAS on DuckDB (or Spark SQL), the catalog's DDL through the catalog.

A query's catalog tables become DuckDB views (``athena.views``) over the partitions that survive the WHERE
clause's partition predicates, pruned in the catalog (GetPartitions ``Expression``) before any file is
listed. Results stream: at most ``max_rows`` rows are kept, and with ``output`` every row is written to one
Parquet file through the lake. ``engine="spark"`` runs the same query with Spark SQL over the catalog
(``sparkio.catalog.attach_catalog``); pyspark loads only then.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from athena import writes
from athena.results import text_table
from athena.statements import (
    CreateTableAs,
    Describe,
    RepairTable,
    Select,
    ShowPartitions,
    ShowTables,
    SqlSyntaxError,
    Statement,
    TableName,
    error_at_table,
    error_at_word,
    partition_predicates,
)
from athena.views import CatalogApi, Session, TableFiles, describe_rows, partition_folder, resolve
from sluice.errors import EntityNotFoundException, InvalidInputException
from sluice.lake.fs import writable
from sluice.lake.paths import join
from sluice.lake.paths import resolve as resolve_path
from sluice.lake.stage import delete

if TYPE_CHECKING:
    from sluice.context import SluiceContext

ENGINES = ("duckdb", "spark")
BATCH_ROWS = 100_000


@dataclass
class Outcome:
    """A statement's result: the rows kept (``max_rows`` at most), and what it read and wrote."""

    table: pa.Table
    truncated: bool = False
    update_count: int | None = None
    files_read: int | None = None
    partitions_read: int | None = None
    bytes_read: int | None = None
    output: str | None = None


def execute(
    statement: Statement,
    catalog: CatalogApi,
    *,
    ctx: SluiceContext,
    query_id: str,
    engine: str = "duckdb",
    max_rows: int = 1000,
    output: str | None = None,
) -> Outcome:
    """Run ``statement``; ``output`` (a query's) is a Parquet file to write every row to."""
    if engine not in ENGINES:
        raise InvalidInputException(f"Engine {engine!r} is not one of {', '.join(ENGINES)}.")
    match statement:
        case Select():
            return _query(statement, catalog, ctx=ctx, engine=engine, max_rows=max_rows, output=output)
        case CreateTableAs():
            return _create_table_as(statement, catalog, ctx=ctx, engine=engine, query_id=query_id)
        case RepairTable():
            lines = writes.repair_table(statement, catalog, ctx=ctx)
            return Outcome(text_table(["result"], [(line,) for line in lines]))
        case ShowTables():
            names = sorted(t["Name"] for t in catalog.get_tables(statement.database) if statement.matches(t["Name"]))
            return Outcome(text_table(["tab_name"], [(n,) for n in names]))
        case ShowPartitions():
            table = catalog.get_table(statement.table.database, statement.table.name)
            keys = [k["Name"] for k in table.get("PartitionKeys", [])]
            if not keys:
                raise InvalidInputException(f"Table {statement.table} is not partitioned.")
            found = catalog.get_partitions(statement.table.database, statement.table.name)
            folders = sorted(partition_folder(keys, p["Values"]) for p in found)
            return Outcome(text_table(["partition"], [(f,) for f in folders]))
        case Describe():
            table = catalog.get_table(statement.table.database, statement.table.name)
            return Outcome(text_table(["col_name", "data_type", "comment"], describe_rows(table)))
    raise InvalidInputException(f"Sluice cannot run {type(statement).__name__}.")


def sources(query: Select, catalog: CatalogApi, *, ctx: SluiceContext) -> list[TableFiles]:
    """Each catalog table the query reads, pruned to the partitions its predicates allow, with their files."""
    tables: dict[TableName, dict[str, Any]] = {}
    for name in query.tables:
        try:
            tables[name] = catalog.get_table(name.database, name.name)
        except EntityNotFoundException:
            raise error_at_table(
                query,
                name,
                f"TABLE_NOT_FOUND: Table '{name}' does not exist.",
                hint=f"See `sluice sql 'SHOW TABLES IN {name.database}'`.",
            ) from None
    keys = {name: [k["Name"] for k in t.get("PartitionKeys", [])] for name, t in tables.items()}
    predicates = partition_predicates(query, keys)
    return [resolve(catalog, name, tables[name], predicates.get(name), ctx=ctx) for name in tables]


def _session(
    query: Select, catalog: CatalogApi, *, ctx: SluiceContext, writes_to: str | None = None
) -> tuple[Session, list[TableFiles]]:
    """A locked DuckDB session with the query's tables; ``writes_to`` is a folder it may write (a CTAS's stage)."""
    found = sources(query, catalog, ctx=ctx)
    session = Session(ctx)
    for source in found:
        session.add(source)
    session.lock(writes_to)
    return session, found


def _run(session: Session, query: Select) -> pa.RecordBatchReader:
    """The query's rows on DuckDB, streamed."""
    return session.connection.sql(query.sql("duckdb")).to_arrow_reader(BATCH_ROWS)


@contextmanager
def _athena_errors(query: Select) -> Iterator[None]:
    """DuckDB's errors (planning, or while rows stream) as Athena's, with a caret in the statement."""
    try:
        yield
    except (duckdb.Error, pa.ArrowException, OSError) as error:  # pyarrow re-raises DuckDB's while it writes
        raise _error(query, error) from None


_COLUMN = re.compile(r'Referenced column "([^"]+)" not found')
_FUNCTION = re.compile(r"(?:Scalar|Table|Aggregate) Function with name (\w+) does not exist")


def _error(query: Select, error: Exception) -> InvalidInputException:
    message = str(error).split("\n")[0]
    if column := _COLUMN.search(message):
        return error_at_word(
            query, column.group(1), f"COLUMN_NOT_FOUND: Column '{column.group(1)}' cannot be resolved."
        )
    if function := _FUNCTION.search(message):
        return error_at_word(
            query, function.group(1), f"FUNCTION_NOT_FOUND: Function '{function.group(1)}' not registered."
        )
    if isinstance(error, duckdb.PermissionException):
        return SqlSyntaxError("The query may read catalog tables only.", text=query.text)
    return InvalidInputException(f"The query failed: {message}")


def _query(
    query: Select, catalog: CatalogApi, *, ctx: SluiceContext, engine: str, max_rows: int, output: str | None
) -> Outcome:
    if engine == "spark":
        batches = _spark_batches(query, ctx=ctx, limit=None if output else max_rows + 1)
        kept, truncated, target = _collect(batches, max_rows, output, ctx=ctx)
        return Outcome(kept, truncated, output=target)
    with _athena_errors(query):
        session, found = _session(query, catalog, ctx=ctx)
        kept, truncated, target = _collect(_run(session, query), max_rows, output, ctx=ctx)
    return Outcome(kept, truncated, None, *_read_stats(found), output=target)


def _read_stats(found: Iterable[TableFiles]) -> tuple[int, int, int]:
    """Files, partitions and bytes the query's tables resolved to."""
    found = list(found)
    files = [f for source in found for f in source.files]
    partitions = sum(len(source.partitions) for source in found if source.keys)
    return len(files), partitions, sum(f.size for f in files)


def _collect(
    batches: pa.RecordBatchReader, max_rows: int, output: str | None, *, ctx: SluiceContext
) -> tuple[pa.Table, bool, str | None]:
    """Keep the first ``max_rows`` rows (and whether there were more); with ``output``, write every row there."""
    kept: list[pa.RecordBatch] = []
    count = 0
    writer, target, stream = None, None, None
    try:
        if output:
            import pyarrow.parquet as pq

            target = resolve_path(output, ctx=ctx)
            fs, path = writable(target, ctx=ctx)
            stream = fs.open_output_stream(path)
            writer = pq.ParquetWriter(stream, batches.schema)
        for batch in batches:
            if writer is not None:
                writer.write_batch(batch)
            if count <= max_rows:
                kept.append(batch.slice(0, max_rows + 1 - count))
            count += batch.num_rows
            if writer is None and count > max_rows:
                break
    except BaseException:
        if writer is not None:
            with suppress(Exception):
                writer.close()
        if stream is not None:
            stream.close()
            delete([target], ctx=ctx)  # no half-written result
        raise
    if writer is not None:
        writer.close()
    if stream is not None:
        stream.close()
    table = pa.Table.from_batches(kept, batches.schema)
    return table.slice(0, max_rows), count > max_rows, target


def _spark_batches(query: Select, *, ctx: SluiceContext, limit: int | None) -> pa.RecordBatchReader:
    """The query's rows from Spark SQL over the catalog (``limit`` rows at most)."""
    from sparkio.catalog import attach_catalog
    from sparkio.session import get_spark

    spark = get_spark("sluice-sql", ctx=ctx)
    attach_catalog(spark, ctx)
    frame = spark.sql(query.sql("spark"))
    table = (frame.limit(limit) if limit is not None else frame).toArrow()
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches())


def _create_table_as(
    statement: CreateTableAs, catalog: CatalogApi, *, ctx: SluiceContext, engine: str, query_id: str
) -> Outcome:
    location = writes.table_location(statement, catalog, ctx=ctx)
    writes.check_target(statement, catalog, location, ctx=ctx)
    query = statement.query
    if engine == "spark":
        batches = _spark_batches(query, ctx=ctx, limit=None)
        write = writes.arrow_writer(statement, batches, query_id, ctx=ctx)
        written = writes.create_table_as(statement, batches.schema, write, catalog, location, query_id, ctx=ctx)
        return Outcome(text_table(["rows"], [(str(written.rows),)]), update_count=written.rows)
    stage = join(location, writes.STAGING, query_id)
    with _athena_errors(query):
        session, found = _session(query, catalog, ctx=ctx, writes_to=stage)
        relation = session.connection.sql(query.sql("duckdb"))
        schema = relation.limit(0).to_arrow_table().schema
        copy = writes.copy_sql(statement, query.sql("duckdb"), schema.names, stage, query_id)
        if copy is None:
            write = writes.arrow_writer(statement, _run(session, query), query_id, ctx=ctx)
        else:
            write = lambda _stage: int(session.connection.execute(copy).fetchall()[0][0])  # noqa: E731
        written = writes.create_table_as(statement, schema, write, catalog, location, query_id, ctx=ctx)
    table = text_table(["rows"], [(str(written.rows),)])
    return Outcome(table, False, written.rows, *_read_stats(found))
