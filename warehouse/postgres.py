"""PostgreSQL: ``COPY … FROM STDIN (FORMAT csv)`` with psycopg 3, advisory locks, error positions.

CSV, not binary: Arrow's C++ CSV writer encodes a whole batch in native code, where psycopg's binary
COPY encodes row by row from Python objects; ``benchmarks/warehouse.py`` measures both on the same
rows (CSV about 3x faster). COPY's error CONTEXT (``line N, column c``) maps back to a file row.
:func:`copy_partition` is the Spark executor side of ``load_dataframe``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from sluice.db import make_engine
from warehouse.batches import csv_buffer, with_position
from warehouse.errors import BulkError
from warehouse.identifiers import Quoter, TableRef

APPLICATION_NAME = "sluice-warehouse"
_CONTEXT = re.compile(r"line (\d+)(?:, column ([^:]+))?")


def engine(url: str) -> sa.Engine:
    """An engine whose sessions announce themselves as ``sluice-warehouse`` (pg_stat_activity)."""
    parsed = make_url(url)
    if "application_name" not in parsed.query:
        parsed = parsed.update_query_dict({"application_name": APPLICATION_NAME})
    return make_engine(parsed.render_as_string(hide_password=False))


def start(conn: sa.Connection) -> None:
    """Open the load transaction: naive timestamps in the data are UTC."""
    conn.exec_driver_sql("SET LOCAL TimeZone = 'UTC'")


def default_schema(conn: sa.Connection) -> str:
    """The schema unqualified names resolve to."""
    return conn.execute(sa.select(sa.func.current_schema())).scalar_one()


def lock(conn: sa.Connection, key: str) -> None:
    """Hold a transaction-scoped advisory lock on ``key`` (concurrent loads of one target serialize)."""
    _advisory(conn, "pg_advisory_xact_lock", f"sluice:{key}")


def claim_stage(conn: sa.Connection, name: str) -> None:
    """Hold a session advisory lock on a staging table's name for as long as ``conn`` lives.

    A killed loader's session ends and releases it, which is how :func:`drop_orphan_stages` tells a
    staging table in use from one left behind.
    """
    _stage_lock(conn, "pg_advisory_lock", name)


def release_stage(conn: sa.Connection, name: str) -> None:
    """Release :func:`claim_stage`'s lock."""
    _stage_lock(conn, "pg_advisory_unlock", name)


def drop_orphan_stages(conn: sa.Connection, q: Quoter, schema: str, prefix: str) -> list[str]:
    """Drop the tables ``<prefix>*`` in ``schema`` that no live session has claimed; their names.

    ``conn`` must be in autocommit, so each drop commits on its own while its claim is held.
    """
    pg_tables = sa.table("pg_tables", sa.column("schemaname"), sa.column("tablename"))
    names = conn.execute(
        sa.select(pg_tables.c.tablename).where(
            pg_tables.c.schemaname == schema, pg_tables.c.tablename.startswith(prefix, autoescape=True)
        )
    ).scalars()
    dropped = []
    for name in list(names):
        if _stage_lock(conn, "pg_try_advisory_lock", name):
            try:
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {q.table(TableRef(schema, name))}")
                dropped.append(name)
            finally:
                release_stage(conn, name)
    return dropped


def _stage_lock(conn: sa.Connection, function: str, name: str) -> bool:
    """Call the advisory-lock ``function`` on a staging table's lock key; what it returns, as a bool."""
    return _advisory(conn, function, f"sluice-stage:{name}")


def _advisory(conn: sa.Connection, function: str, key: str) -> bool:
    """``SELECT function(hashtextextended(key, 0))``: an advisory-lock call on a text key, as a bool."""
    return bool(conn.execute(sa.select(getattr(sa.func, function)(sa.func.hashtextextended(key, 0)))).scalar())


def swappable(conn: sa.Connection, ref: TableRef) -> bool:
    """Whether a new table can replace ``ref`` unnoticed: no views, foreign keys, triggers or grants on it."""
    # text() with bound parameters: a query over the system catalogs (regclass casts) reads best as SQL.
    query = """
        SELECT c.relacl IS NULL
           AND NOT EXISTS (SELECT 1 FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
                           WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = c.oid AND r.ev_class <> c.oid)
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.contype = 'f' AND c.oid IN (k.conrelid, k.confrelid))
           AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = :schema AND c.relname = :name
    """
    return bool(conn.execute(sa.text(query), {"schema": ref.schema, "name": ref.name}).scalar())


def copy_csv(driver_conn: object, table_sql: str, columns_sql: str, batches: Iterable[pa.RecordBatch]) -> int:
    """COPY ``batches`` into a table on a psycopg connection; returns the row count.

    Raises :class:`BulkError` with PostgreSQL's line and column when the server rejects a value.
    """
    import psycopg

    rows = 0
    # Text: Core has no COPY. The quoted names carry SQLAlchemy's pyformat escaping ("%" doubled);
    # COPY takes no parameters.
    statement = f"COPY {table_sql} ({columns_sql}) FROM STDIN (FORMAT csv)".replace("%%", "%")
    try:
        with driver_conn.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
            for batch in batches:
                copy.write(memoryview(csv_buffer(batch)))
                rows += batch.num_rows
    except psycopg.Error as exc:
        context = exc.diag.context or ""
        found = _CONTEXT.search(context)
        message = exc.diag.message_primary or " ".join(str(exc).split())
        column = (found[2] if found else None) or exc.diag.column_name
        raise BulkError(message, line=int(found[1]) if found else None, column=column) from exc
    return rows


def bulk(conn: sa.Connection, q: Quoter, table: TableRef, names: list[str], batches: Iterable[pa.RecordBatch]) -> int:
    """COPY ``batches`` into a table inside the connection's transaction."""
    return copy_csv(conn.connection.driver_connection, q.table(table), q.columns(names), batches)


def copy_partition(
    url: str, table_sql: str, columns_sql: str, file_column: str, batches: Iterator[pa.RecordBatch]
) -> Iterator[pa.RecordBatch]:
    """Executor side: replace this partition's staged rows with a COPY of its batches, in one transaction."""
    from pyspark import TaskContext

    partition = TaskContext.get().partitionId()
    eng = engine(url)
    try:
        raw = eng.raw_connection()
        try:
            with raw.cursor() as cursor:
                cursor.execute("SET LOCAL TimeZone = 'UTC'")
                cursor.execute(f"DELETE FROM {table_sql} WHERE {file_column} = %s", (partition,))
            try:
                rows = copy_csv(raw.driver_connection, table_sql, columns_sql, with_position(batches, partition))
            except BulkError as exc:
                where = f"partition {partition}" + (f", line {exc.line}" if exc.line else "")
                where += f", column {exc.column}" if exc.column else ""
                raise BulkError(f"{exc.message} ({where})") from exc
            raw.commit()
        finally:
            raw.close()
    finally:
        eng.dispose()
    yield pa.RecordBatch.from_pydict({"partition": [partition], "rows": [rows]})
