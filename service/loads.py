"""The warehouse load ledger read back: which lake files (or job DataFrames) each target holds, when they
were loaded and by which load or job run. Counted and paged in SQL, per target, in the warehouse itself.

A job's load is ledgered as ``dataframe:<job run id>/<n>`` (``etl.context.JobContext.write_warehouse``),
so its entry names the run; a ``sluice load`` entry names its load id.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from catalog.shapes import iso
from sluice.context import SluiceContext
from sluice.errors import EntityNotFoundException
from warehouse import sqlite
from warehouse.identifiers import parse_target
from warehouse.ledger import LEDGER, ledger_table
from warehouse.loader import BACKENDS, dialect_of, resolve_url

__all__ = ["get_load_ledger", "list_load_targets"]

DATAFRAME = "dataframe:"


@contextmanager
def warehouse(ctx: SluiceContext) -> Iterator[tuple[sa.Connection, list[str]] | None]:
    """A read connection to the context's warehouse and the schemas holding a load ledger (None: no warehouse
    has been written yet)."""
    url = resolve_url(None, ctx=ctx)
    sqlite_db = dialect_of(url) == "sqlite"
    database = sa.engine.make_url(url).database
    if sqlite_db and not (database and Path(database).exists()):  # reading must not create the file
        yield None
        return
    engine = sqlite.engine(url, write=False) if sqlite_db else sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if sqlite_db:
                schemas = [sqlite.MAIN, *sqlite.existing_schemas(url)]
            else:
                query = sa.text("SELECT table_schema FROM information_schema.tables WHERE table_name = :t")
                schemas = list(conn.execute(query, {"t": LEDGER}).scalars())
            inspector = sa.inspect(conn)
            yield conn, [s for s in schemas if inspector.has_table(LEDGER, schema=s)]
    finally:
        engine.dispose()


def run_of(path: str) -> str | None:
    """The job run a ledger path names (``dataframe:<run id>/<n>``), else None."""
    return path[len(DATAFRAME) :].rsplit("/", 1)[0] if path.startswith(DATAFRAME) else None


def list_load_targets(ctx: SluiceContext) -> dict[str, Any]:
    """``{"Targets": [...]}``: every warehouse table in a ledger, with its files, rows, loads and last load."""
    out: list[dict[str, Any]] = []
    with warehouse(ctx) as found:
        if found is None:
            return {"Targets": []}
        conn, schemas = found
        for schema in schemas:
            t = ledger_table(schema)
            query = (
                sa.select(
                    t.c.target,
                    sa.func.count(),
                    sa.func.sum(t.c.rows),
                    sa.func.count(sa.distinct(t.c.load_id)),
                    sa.func.max(t.c.loaded_at),
                )
                .group_by(t.c.target)
                .order_by(t.c.target)
            )
            for target, files, rows, loads, last in conn.execute(query):
                out.append(
                    {
                        "Target": f"{schema}.{target}",
                        "Files": files,
                        "Rows": int(rows or 0),
                        "Loads": loads,
                        "LastLoadedAt": iso(last) if not isinstance(last, str) else last,
                    }
                )
    return {"Targets": out}


def get_load_ledger(
    ctx: SluiceContext, *, Target: str, MaxResults: int = 100, NextToken: str | None = None
) -> dict[str, Any]:
    """One target's ledger, newest load first, a page at a time: ``{"Target", "Files": [...], "Loads": [...],
    "NextToken"?}``. ``Loads`` totals files and rows per load (when, and the job run it came from)."""
    ref = parse_target(Target)
    offset = int(NextToken or 0)
    with warehouse(ctx) as found:
        missing = EntityNotFoundException(f"No load ledger holds warehouse table {Target}.")
        if found is None:
            raise missing
        conn, schemas = found
        schema = ref.schema or BACKENDS[conn.dialect.name].default_schema(conn)
        if schema not in schemas:
            raise missing
        t = ledger_table(schema)
        mine = t.c.target == ref.name
        if not conn.execute(sa.select(sa.func.count()).where(mine)).scalar_one():
            raise EntityNotFoundException(f"Warehouse table {Target} has no load ledger entries.")
        files = conn.execute(
            sa.select(t.c.path, t.c.size, t.c.mtime, t.c.rows, t.c.load_id, t.c.loaded_at)
            .where(mine)
            .order_by(t.c.loaded_at.desc(), t.c.path)
            .offset(offset)
            .limit(MaxResults + 1)
        ).all()
        loads = conn.execute(
            sa.select(
                t.c.load_id, sa.func.count(), sa.func.sum(t.c.rows), sa.func.max(t.c.loaded_at), sa.func.min(t.c.path)
            )
            .where(mine)
            .group_by(t.c.load_id)
            .order_by(sa.func.max(t.c.loaded_at).desc())
            .limit(MaxResults)
        ).all()
    out: dict[str, Any] = {
        "Target": f"{schema}.{ref.name}",
        "Files": [
            {
                "Path": path,
                "Size": size,
                "Rows": rows,
                "LoadId": load_id,
                "LoadedAt": _when(when),
                **({"JobRunId": run} if (run := run_of(path)) else {}),
            }
            for path, size, _mtime, rows, load_id, when in files[:MaxResults]
        ],
        "Loads": [
            {
                "LoadId": load_id,
                "Files": n,
                "Rows": int(rows or 0),
                "LoadedAt": _when(when),
                **({"JobRunId": run} if (run := run_of(first)) else {}),
            }
            for load_id, n, rows, when, first in loads
        ],
    }
    return out | ({"NextToken": str(offset + MaxResults)} if len(files) > MaxResults else {})


def _when(value: Any) -> str | None:
    return value if isinstance(value, str) or value is None else iso(value)
