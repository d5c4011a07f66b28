"""Load cataloged lake tables into the warehouse (Redshift ``COPY``/``MERGE`` on PostgreSQL or SQLite).

One load is one transaction: lock the target, read the ledger, create or evolve the target, stream the
new files in, move staged rows into place, record the files in the ledger, commit. Any failure — a bad
value, a lost connection, a killed process — leaves the target and the ledger as they were.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from types import ModuleType
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from sluice.context import SluiceContext
from sluice.lake.guard import before_read
from warehouse import ledger as ledger_mod
from warehouse import postgres, sqlite
from warehouse.batches import FILE_COLUMN, ROW_COLUMN, row_at_line, with_position
from warehouse.errors import BulkError, LoadError
from warehouse.identifiers import Quoter, TableRef, check_columns, parse_target
from warehouse.ledger import SourceFile
from warehouse.source import lake_source, read_batches
from warehouse.sql import Column, check_mode, plan_steps
from warehouse.typemap import check_dialect

DEFAULT_BATCH_SIZE = 8192
BACKENDS: dict[str, ModuleType] = {"postgresql": postgres, "sqlite": sqlite}


@dataclass(frozen=True)
class LoadedFile:
    """A file (or DataFrame) a load wrote, with its row count."""

    path: str
    size: int
    mtime: float
    rows: int


@dataclass
class LoadResult:
    """What one load did."""

    target: str
    mode: str
    load_id: str
    rows: int = 0
    files: list[LoadedFile] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    columns_added: list[str] = field(default_factory=list)
    created: bool = False
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data, keys in the AWS CLI's style."""
        return {
            "Target": self.target,
            "Mode": self.mode,
            "LoadId": self.load_id,
            "RowsLoaded": self.rows,
            "FilesLoaded": [
                {
                    "Path": f.path,
                    "Size": f.size,
                    "LastModified": datetime.fromtimestamp(f.mtime, UTC).isoformat(),
                    "Rows": f.rows,
                }
                for f in self.files
            ],
            "FilesSkipped": self.skipped,
            "ColumnsAdded": self.columns_added,
            "TableCreated": self.created,
            "Seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class Unit:
    """One ledger entry's worth of rows: a file, or a DataFrame; ``batches`` can be called again."""

    file: SourceFile
    batches: Callable[[], Iterable[pa.RecordBatch]]


def resolve_url(url: str | None, *, ctx: SluiceContext | None = None) -> str:
    """The given URL, else ``SLUICE_WAREHOUSE_URL``, else the embedded SQLite warehouse."""
    return url or SluiceContext.resolve(ctx).settings.warehouse_database_url


def dialect_of(url: str) -> str:
    """``postgresql`` or ``sqlite`` for a SQLAlchemy URL."""
    return check_dialect(make_url(url).get_backend_name())


def open_engine(url: str, ref: TableRef) -> sa.Engine:
    """An engine for loading into ``ref`` (SQLite attaches its schema)."""
    if dialect_of(url) == "postgresql":
        return postgres.engine(url)
    return sqlite.engine(url, [ref.schema] if ref.schema else [])


def is_loaded(engine: sa.Engine, target: TableRef, file: SourceFile) -> bool:
    """Whether ``file`` is in ``target``'s load ledger already (entries are never removed, so this holds)."""
    with engine.connect() as conn:
        schema = target.schema or BACKENDS[engine.dialect.name].default_schema(conn)
        if not sa.inspect(conn).has_table(ledger_mod.LEDGER, schema=schema):
            return False
        return file.key in ledger_mod.loaded_keys(conn, ledger_mod.ledger_table(schema), target.name)


def _located(exc: BulkError, unit: Unit) -> str:
    row = exc.row
    if row is None and exc.line is not None:
        row = row_at_line(unit.batches(), exc.line)
    where = [f"file {unit.file.path}"]
    if row is not None:
        where.append(f"row {row}")
    if exc.column:
        where.append(f"column {exc.column}")
    return f"{exc.message} ({', '.join(where)})"


def _existing_columns(conn: sa.Connection, ref: TableRef) -> list[str] | None:
    inspector = sa.inspect(conn)
    if not inspector.has_table(ref.name, schema=ref.schema):
        return None
    return [c["name"] for c in inspector.get_columns(ref.name, schema=ref.schema)]


def run_load(
    engine: sa.Engine,
    target: TableRef,
    columns: list[Column],
    units: list[Unit],
    *,
    mode: str,
    merge_keys: list[str],
    on_schema_change: str,
    force: bool = False,
    record: bool = True,
    staged: TableRef | None = None,
    staged_rows: int = 0,
    ctx: SluiceContext | None = None,
) -> LoadResult:
    """Run one load in one transaction; see the module docstring.

    ``units`` are the candidate files; those in the ledger are skipped unless ``force``. ``staged``
    names a table already holding ``staged_rows`` rows (with positions), in which case ``units`` only
    feed the ledger. ``record`` False leaves the ledger alone (an unnamed DataFrame).
    """
    started = time.perf_counter()
    dialect = engine.dialect.name
    backend = BACKENDS[dialect]
    q = Quoter(engine.dialect)
    result = LoadResult(target=str(target), mode=mode, load_id=uuid.uuid4().hex)
    conn = engine.connect()
    transaction = conn.begin()
    try:
        backend.start(conn)
        target = TableRef(target.schema or backend.default_schema(conn), target.name)
        result.target = str(target)
        backend.lock(conn, str(target))
        if dialect == "postgresql" and not sa.inspect(conn).has_schema(target.schema):
            conn.exec_driver_sql(f"CREATE SCHEMA {q.ident(target.schema)}")
        ledger = ledger_mod.ensure_ledger(conn, target.schema, partial(backend.lock, conn))
        loaded = ledger_mod.loaded_keys(conn, ledger, target.name) if record else set()
        plan = ledger_mod.plan_files([u.file for u in units], loaded, force=force)
        before_read(
            [f.path for f in plan.load], ctx=ctx
        )  # files it will read must not be archived (files it skips may be)
        result.skipped = [f.path for f in plan.skipped]
        if not plan.load:
            transaction.commit()
            result.seconds = time.perf_counter() - started
            return result
        existing = _existing_columns(conn, target)
        steps = plan_steps(
            q,
            dialect,
            mode=mode,
            target=target,
            columns=columns,
            existing=existing,
            merge_keys=merge_keys,
            on_schema_change=on_schema_change,
            stage_name=f"sluice_stage_{result.load_id[:12]}",
            staged=staged,
            swap=mode == "overwrite" and existing is not None and backend.swappable(conn, target),
        )
        result.created, result.columns_added = steps.created, steps.added
        for statement in steps.before:
            conn.exec_driver_sql(statement)
        by_key = {u.file.key: u for u in units}
        rows: dict[SourceFile, int] = {}
        names = [c.name for c in columns] + ([FILE_COLUMN, ROW_COLUMN] if steps.positions else [])
        for index, file in enumerate(plan.load):
            unit = by_key[file.key]
            if steps.into is None:
                rows[file] = staged_rows
                continue
            batches = unit.batches()
            if steps.positions:
                batches = with_position(batches, index)
            try:
                rows[file] = backend.bulk(conn, q, steps.into, names, batches)
            except BulkError as exc:
                raise LoadError(f"Load into {target} failed; nothing was changed: {_located(exc, unit)}") from exc
            except (pa.ArrowException, OSError) as exc:
                raise LoadError(f"Load into {target} failed reading {file.path}; nothing was changed: {exc}") from exc
        if steps.null_keys:
            files = plan.load
            _check_null_keys(
                conn,
                steps.null_keys,
                merge_keys,
                target,
                (lambda i, r: f"partition {i}, row {r}") if staged else (lambda i, r: f"file {files[i].path}, row {r}"),
            )
        for statement in steps.after:
            conn.exec_driver_sql(statement)
        if record:
            ledger_mod.record(conn, ledger, target.name, rows, result.load_id)
        transaction.commit()
    except sa.exc.DBAPIError as exc:
        _abandon(conn, transaction)
        raise LoadError(f"Load into {target} failed; nothing was changed: {exc.orig}".strip()) from exc
    except BaseException:
        _abandon(conn, transaction)
        raise
    finally:
        conn.close()
    result.files = [LoadedFile(f.path, f.size, f.mtime, rows[f]) for f in plan.load]
    result.rows = sum(rows.values())
    result.seconds = time.perf_counter() - started
    return result


def _abandon(conn: sa.Connection, transaction: sa.RootTransaction) -> None:
    """Roll back; a connection that died mid-load is discarded (the server rolled back already)."""
    try:
        transaction.rollback()
    except sa.exc.SQLAlchemyError:
        conn.invalidate()


def _check_null_keys(
    conn: sa.Connection, query: str, keys: list[str], target: TableRef, where: Callable[[int, int], str]
) -> None:
    found = conn.exec_driver_sql(query).first()
    if found is None:
        return
    position, row, *flags = found
    column = next(k for k, flag in zip(keys, flags, strict=True) if flag)
    raise LoadError(
        f"Load into {target} failed; nothing was changed: merge key {column} is NULL "
        f"({where(position, row)}, column {column})."
    )


def load_table(
    database_name: str,
    table_name: str,
    target: str,
    *,
    mode: str = "append",
    merge_keys: Sequence[str] = (),
    partition_expression: str | None = None,
    warehouse_url: str | None = None,
    force: bool = False,
    on_schema_change: str = "add_columns",
    batch_size: int = DEFAULT_BATCH_SIZE,
    ctx: SluiceContext | None = None,
) -> LoadResult:
    """Load the cataloged Parquet table ``database_name.table_name`` into ``target`` (``SCHEMA.TABLE``).

    Only files not yet in the target's load ledger are read (all of them with ``force``); partition
    key values come from the catalog's partitions, restricted by ``partition_expression``.
    """
    keys = list(merge_keys)
    check_mode(mode, keys, on_schema_change)
    ref = parse_target(target)
    ctx = SluiceContext.resolve(ctx)
    source = lake_source(database_name, table_name, partition_expression, ctx=ctx)
    columns = source.all_columns
    check_columns([c.name for c in columns])
    units = [Unit(f, partial(read_batches, f, source, batch_size, ctx=ctx)) for f in source.files]
    engine = open_engine(resolve_url(warehouse_url, ctx=ctx), ref)
    try:
        return run_load(
            engine,
            ref,
            columns,
            units,
            mode=mode,
            merge_keys=keys,
            on_schema_change=on_schema_change,
            force=force,
            ctx=ctx,
        )
    finally:
        engine.dispose()
