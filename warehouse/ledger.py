"""The load ledger (Redshift's STL_LOAD_COMMITS): which lake files were loaded into which table.

The ledger is a table in the warehouse itself, ``sluice_load_ledger`` in the target's schema, written
in the same transaction as the rows it describes: a load and its ledger entries commit together or
not at all. A file is identified by (path, size, mtime), so a file rewritten in place loads again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

LEDGER = "sluice_load_ledger"

FileKey = tuple[str, int, float]


@dataclass(frozen=True)
class SourceFile:
    """One file to load; ``partition`` holds its catalog partition values (None for the default partition)."""

    path: str
    size: int
    mtime: float
    partition: tuple[str | None, ...] = ()

    @property
    def key(self) -> FileKey:
        return (self.path, self.size, self.mtime)


@dataclass(frozen=True)
class FilePlan:
    """Files to load, oldest first (so later files win merges), and files skipped as already loaded."""

    load: list[SourceFile]
    skipped: list[SourceFile]


def plan_files(candidates: Iterable[SourceFile], loaded: set[FileKey], *, force: bool = False) -> FilePlan:
    """Split ``candidates`` into new files (by modification time, then path) and already-loaded ones."""
    unique = {f.key: f for f in candidates}
    ordered = sorted(unique.values(), key=lambda f: (f.mtime, f.path))
    if force:
        return FilePlan(ordered, [])
    return FilePlan([f for f in ordered if f.key not in loaded], [f for f in ordered if f.key in loaded])


def ledger_table(schema: str | None) -> sa.Table:
    """The ledger's definition in ``schema``."""
    return sa.Table(
        LEDGER,
        sa.MetaData(),
        sa.Column("target", sa.String(255), primary_key=True),
        sa.Column("path", sa.Text, primary_key=True),
        sa.Column("size", sa.BigInteger, primary_key=True),
        sa.Column("mtime", sa.Float(53), primary_key=True),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("load_id", sa.String(32), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        schema=schema,
    )


def ensure_ledger(conn: sa.Connection, schema: str | None, lock: Callable[[str], None]) -> sa.Table:
    """Create the ledger on first use, inside the caller's transaction; ``lock`` serializes creators."""
    table = ledger_table(schema)
    if not sa.inspect(conn).has_table(LEDGER, schema=schema):
        lock(f"{schema}.{LEDGER}")
        table.create(conn, checkfirst=True)
    return table


def loaded_keys(conn: sa.Connection, table: sa.Table, target: str) -> set[FileKey]:
    """Keys of every file already loaded into ``target``."""
    query = sa.select(table.c.path, table.c.size, table.c.mtime).where(table.c.target == target)
    return {(path, size, mtime) for path, size, mtime in conn.execute(query)}


def record(
    conn: sa.Connection, table: sa.Table, target: str, rows_by_file: dict[SourceFile, int], load_id: str
) -> None:
    """Record loaded files (a forced reload replaces the earlier entry)."""
    if not rows_by_file:
        return
    now = datetime.now(UTC)
    values = [
        {
            "target": target,
            "path": f.path,
            "size": f.size,
            "mtime": f.mtime,
            "rows": n,
            "load_id": load_id,
            "loaded_at": now,
        }
        for f, n in rows_by_file.items()
    ]
    insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)
    statement = insert.on_conflict_do_update(
        index_elements=["target", "path", "size", "mtime"],
        set_={"rows": insert.excluded.rows, "load_id": insert.excluded.load_id, "loaded_at": insert.excluded.loaded_at},
    )
    conn.execute(statement, values)
