"""SQLite, the embedded warehouse: batched ``executemany`` inside one ``BEGIN IMMEDIATE`` transaction.

A schema other than ``main`` is a sibling database file attached under the schema's name
(``warehouse.db`` → ``warehouse.analytics.db``). Each load writes one database file — the target and
its ledger share the schema — so its commit is atomic even though the main file runs in WAL mode.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url

from sluice.db import make_engine
from sluice.errors import InvalidInputException
from warehouse.batches import sqlite_rows
from warehouse.errors import BulkError
from warehouse.identifiers import Quoter, TableRef, table_clause

MAIN = "main"
_SCHEMA = re.compile(r"[A-Za-z0-9_]+")
_COLUMN = re.compile(r"constraint failed: [^.\s]+\.(\S+)")


def _database(url: str) -> Path | None:
    database = make_url(url).database
    return Path(database) if database and database != ":memory:" else None


def schema_file(url: str, schema: str) -> str:
    """The database file holding ``schema`` (``:memory:`` for an in-memory warehouse)."""
    if not _SCHEMA.fullmatch(schema) or schema.lower() in (MAIN, "temp"):
        raise InvalidInputException(
            f"SQLite schema {schema!r} is not allowed: use letters, digits and _ (and not main or temp)."
        )
    database = _database(url)
    if database is None:
        return ":memory:"
    return str(database.with_name(f"{database.stem}.{schema}{database.suffix or '.db'}"))


def existing_schemas(url: str) -> list[str]:
    """Schemas that have a database file beside the main one."""
    database = _database(url)
    if database is None:
        return []
    prefix, suffix = f"{database.stem}.", database.suffix or ".db"
    found = (p.name[len(prefix) : -len(suffix)] for p in database.parent.glob(f"{prefix}*{suffix}"))
    return sorted(s for s in found if _SCHEMA.fullmatch(s))


def engine(url: str, schemas: list[str] | None = None, *, write: bool = True) -> sa.Engine:
    """An engine attaching ``schemas`` (default: every existing one); ``write`` begins IMMEDIATE."""
    eng = make_engine(url)
    q = Quoter(eng.dialect)
    wanted = existing_schemas(url) if schemas is None else [s for s in schemas if s != MAIN]
    files = [(q.ident(s), schema_file(url, s)) for s in wanted]

    def on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, before any statement
        for alias, path in files:
            dbapi_connection.execute(f"ATTACH DATABASE ? AS {alias}", (path,))

    def on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    event.listen(eng, "connect", on_connect)
    event.listen(eng, "begin", on_begin)
    return eng


def start(conn: sa.Connection) -> None:
    """Nothing to set: SQLite stores timestamps as the UTC text we give it."""


def default_schema(conn: sa.Connection) -> str:
    """Unqualified names live in ``main``."""
    return MAIN


def lock(conn: sa.Connection, key: str) -> None:
    """``BEGIN IMMEDIATE`` already holds the write lock; nothing more to take."""


def swappable(conn: sa.Connection, ref: TableRef) -> bool:
    """SQLite overwrites in place: a DELETE inside the write transaction is as invisible as a swap."""
    return False


def _failing_row(cursor: sqlite3.Cursor, sql: str, rows: list[tuple[object, ...]]) -> int | None:
    for number, row in enumerate(rows, 1):
        try:
            cursor.execute(sql, row)
        except sqlite3.Error:
            return number
    return None


def bulk(conn: sa.Connection, q: Quoter, table: TableRef, names: list[str], batches: Iterable[pa.RecordBatch]) -> int:
    """Insert ``batches`` with one ``executemany`` each; a failure names its row and, if SQLite says, column.

    The INSERT is Core, compiled once; it runs on the DBAPI cursor, whose ``executemany`` takes the row
    tuples as they are (SQLAlchemy's would first turn each row into a parameter dict).
    """
    sql = str(sa.insert(table_clause(table, names)).compile(dialect=conn.dialect))
    cursor = conn.connection.driver_connection.cursor()
    done = 0
    for batch in batches:
        rows = sqlite_rows(batch)
        cursor.execute("SAVEPOINT sluice_batch")  # on the DBAPI cursor, around its executemany
        try:
            cursor.executemany(sql, rows)
        except sqlite3.Error as exc:
            cursor.execute("ROLLBACK TO sluice_batch")
            row = _failing_row(cursor, sql, rows)
            column = _COLUMN.search(str(exc))
            raise BulkError(
                str(exc), row=None if row is None else done + row, column=column[1] if column else None
            ) from exc
        cursor.execute("RELEASE sluice_batch")
        done += len(rows)
    return done
