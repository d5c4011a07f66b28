"""SQL generation for a load, with no I/O: create/evolve the target, stage, swap and merge.

:func:`plan_steps` turns (dialect, mode, target, columns, existing columns) into the statements a load
runs inside its one transaction, and names the table the bulk rows go into:

* append — rows go straight into the target;
* overwrite — with ``swap``, rows load into a copy of the target's definition, which then replaces
  the target (drop and rename; readers wait for the brief swap, never see an empty table); otherwise
  (SQLite, or a PostgreSQL table that views, foreign keys, triggers or grants depend on) the target is
  emptied and reloaded inside the transaction, and readers keep the old rows until commit;
* merge — rows go to a temporary stage with their file and row number; the newest row per key then
  updates or inserts (PostgreSQL 15 ``MERGE``; SQLite ``UPDATE … FROM`` and ``INSERT … WHERE NOT EXISTS``).

Every identifier is quoted by :class:`~warehouse.identifiers.Quoter`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sluice.errors import InvalidInputException
from warehouse.batches import FILE_COLUMN, ROW_COLUMN
from warehouse.identifiers import Quoter, TableRef
from warehouse.typemap import sql_type

MODES = ("append", "overwrite", "merge")
SCHEMA_CHANGES = ("add_columns", "fail")


@dataclass(frozen=True)
class Column:
    """A source column: name and Glue type."""

    name: str
    hive_type: str


@dataclass
class Steps:
    """A load's statements: ``before`` the bulk rows go ``into`` a table, then ``after``."""

    before: list[str] = field(default_factory=list)
    into: TableRef | None = None
    positions: bool = False  # the bulk rows carry _sluice_file and _sluice_row
    after: list[str] = field(default_factory=list)
    null_keys: str | None = None  # a query finding a staged row with a NULL merge key
    added: list[str] = field(default_factory=list)
    created: bool = False


def check_mode(mode: str, merge_keys: list[str], on_schema_change: str) -> None:
    """Validate the load options together."""
    if mode not in MODES:
        raise InvalidInputException(f"Unknown mode {mode!r}: use one of {', '.join(MODES)}.")
    if on_schema_change not in SCHEMA_CHANGES:
        raise InvalidInputException(f"Unknown on_schema_change {on_schema_change!r}: use add_columns or fail.")
    if mode == "merge" and not merge_keys:
        raise InvalidInputException("Mode merge needs merge keys.", hint="Pass --merge-keys id[,other].")
    if mode != "merge" and merge_keys:
        raise InvalidInputException(f"Merge keys are only used by mode merge, not {mode}.")


def new_columns(columns: list[Column], existing: list[str], dialect: str) -> list[Column]:
    """Source columns the existing target lacks (SQLite compares names case-blind, as it resolves them)."""
    fold = str.lower if dialect == "sqlite" else str
    have = {fold(n) for n in existing}
    return [c for c in columns if fold(c.name) not in have]


def create_table(
    q: Quoter, dialect: str, ref: TableRef, columns: list[Column], keys: list[str], *, kind: str = "TABLE"
) -> str:
    """``CREATE TABLE`` (or ``kind``, e.g. ``UNLOGGED TABLE``) from Glue columns; keys become the primary key."""
    parts = [f"{q.ident(c.name)} {sql_type(c.hive_type, dialect)}" for c in columns]
    if keys:
        parts.append(f"PRIMARY KEY ({q.columns(keys)})")
    return f"CREATE {kind} {q.table(ref)} ({', '.join(parts)})"


def add_column(q: Quoter, dialect: str, ref: TableRef, column: Column) -> str:
    """``ALTER TABLE … ADD COLUMN``."""
    return f"ALTER TABLE {q.table(ref)} ADD COLUMN {q.ident(column.name)} {sql_type(column.hive_type, dialect)}"


def insert_select(q: Quoter, target: TableRef, source: TableRef, names: list[str]) -> str:
    """Copy the named columns from one table into another."""
    cols = q.columns(names)
    return f"INSERT INTO {q.table(target)} ({cols}) SELECT {cols} FROM {q.table(source)}"


def swap_in(q: Quoter, target: TableRef, replacement: TableRef) -> list[str]:
    """Drop the target and rename its replacement (same schema) in its place."""
    return [f"DROP TABLE {q.table(target)}", f"ALTER TABLE {q.table(replacement)} RENAME TO {q.ident(target.name)}"]


def _newest(q: Quoter, stage: TableRef, names: list[str], keys: list[str]) -> str:
    rank = q.ident("_sluice_rank")
    order = f"{q.ident(FILE_COLUMN)} DESC, {q.ident(ROW_COLUMN)} DESC"
    ranked = (
        f"SELECT {q.columns(names)}, ROW_NUMBER() OVER (PARTITION BY {q.columns(keys)} ORDER BY {order}) AS {rank} "
        f"FROM {q.table(stage)}"
    )
    return f"SELECT {q.columns(names)} FROM ({ranked}) AS ranked WHERE {rank} = 1"


def merge(q: Quoter, dialect: str, target: TableRef, stage: TableRef, names: list[str], keys: list[str]) -> list[str]:
    """Upsert the newest staged row per key into the target."""
    newest = _newest(q, stage, names, keys)
    match = " AND ".join(f"t.{q.ident(k)} = s.{q.ident(k)}" for k in keys)
    values = [n for n in names if n not in keys]
    sets = ", ".join(f"{q.ident(n)} = s.{q.ident(n)}" for n in values)
    cols = q.columns(names)
    if dialect == "postgresql":
        matched = f"UPDATE SET {sets}" if values else "DO NOTHING"
        inserted = ", ".join(f"s.{q.ident(n)}" for n in names)
        return [
            f"MERGE INTO {q.table(target)} AS t USING ({newest}) AS s ON {match} "
            f"WHEN MATCHED THEN {matched} WHEN NOT MATCHED THEN INSERT ({cols}) VALUES ({inserted})"
        ]
    statements = [f"UPDATE {q.table(target)} AS t SET {sets} FROM ({newest}) AS s WHERE {match}"] if values else []
    statements.append(
        f"INSERT INTO {q.table(target)} ({cols}) SELECT {cols} FROM ({newest}) AS s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {q.table(target)} AS t WHERE {match})"
    )
    return statements


def null_keys(q: Quoter, stage: TableRef, keys: list[str]) -> str:
    """A query for one staged row with a NULL merge key: file index, row, then one flag per key."""
    flags = ", ".join(f"CASE WHEN {q.ident(k)} IS NULL THEN 1 ELSE 0 END" for k in keys)
    where = " OR ".join(f"{q.ident(k)} IS NULL" for k in keys)
    return (
        f"SELECT {q.ident(FILE_COLUMN)}, {q.ident(ROW_COLUMN)}, {flags} FROM {q.table(stage)} "
        f"WHERE {where} ORDER BY {q.ident(FILE_COLUMN)}, {q.ident(ROW_COLUMN)} LIMIT 1"
    )


def plan_steps(
    q: Quoter,
    dialect: str,
    *,
    mode: str,
    target: TableRef,
    columns: list[Column],
    existing: list[str] | None,
    merge_keys: list[str],
    on_schema_change: str,
    stage_name: str,
    staged: TableRef | None = None,
    swap: bool = False,
) -> Steps:
    """The statements of one load.

    ``existing`` lists the target's columns (None: it does not exist). ``stage_name`` names the table
    this plan may create. ``staged`` is a table already holding the rows with their positions (a Spark
    load); without it, the plan says which table the bulk rows go ``into``. ``swap`` lets an overwrite
    replace the existing target by a new table instead of emptying it.
    """
    names = [c.name for c in columns]
    missing_keys = [k for k in merge_keys if k not in names]
    if missing_keys:
        raise InvalidInputException(f"Merge keys {missing_keys} are not source columns; columns: {names}.")
    steps = Steps()
    if existing is None:
        steps.created = True
        steps.before.append(create_table(q, dialect, target, columns, merge_keys))
        added: list[Column] = []
    else:
        absent = [k for k in merge_keys if k not in existing]
        if absent:
            raise InvalidInputException(f"Merge keys {absent} are not columns of {target}.")
        added = new_columns(columns, existing, dialect)
        if added and on_schema_change == "fail":
            raise InvalidInputException(
                f"The source has columns {[c.name for c in added]} that {target} lacks.",
                hint="Load with --on-schema-change add_columns to add them.",
            )
        steps.added = [c.name for c in added]
    stage = TableRef(target.schema, stage_name)
    if mode == "overwrite" and existing is not None and swap:
        # Build the replacement beside the target; the target itself is untouched until the swap.
        steps.before.append(f"CREATE TABLE {q.table(stage)} (LIKE {q.table(target)} INCLUDING ALL)")
        steps.before += [add_column(q, dialect, stage, c) for c in added]
        if staged is None:
            steps.into = stage
        else:
            steps.before.append(insert_select(q, stage, staged, names))
        steps.after += swap_in(q, target, stage)
        return steps
    steps.before += [add_column(q, dialect, target, c) for c in added]
    if mode == "overwrite" and existing is not None:
        steps.before.append(f"DELETE FROM {q.table(target)}")
    if mode != "merge":
        if staged is None:
            steps.into = target
        else:
            steps.after.append(insert_select(q, target, staged, names))
        return steps
    if staged is None:
        stage = TableRef("temp" if dialect == "sqlite" else None, stage_name)
        steps.before.append(
            f"CREATE TEMPORARY TABLE {q.table(stage)} AS SELECT {q.columns(names)} FROM {q.table(target)} WHERE 1 = 0"
        )
        steps.before += [
            f"ALTER TABLE {q.table(stage)} ADD COLUMN {q.ident(FILE_COLUMN)} integer",
            f"ALTER TABLE {q.table(stage)} ADD COLUMN {q.ident(ROW_COLUMN)} bigint",
        ]
        steps.into, steps.positions = stage, True
    else:
        stage = staged
    steps.null_keys = null_keys(q, stage, merge_keys)
    steps.after += merge(q, dialect, target, stage, names, merge_keys)
    if staged is None:
        steps.after.append(f"DROP TABLE {q.table(stage)}")
    return steps
