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

from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.schema import CreateTable, DropTable, SchemaItem
from sqlalchemy.sql.expression import Subquery

from sluice.errors import InvalidInputException
from warehouse.batches import FILE_COLUMN, ROW_COLUMN
from warehouse.identifiers import Quoter, TableRef, table_clause
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


def render(q: Quoter, statement: sa.ClauseElement) -> str:
    """A Core statement as the SQL text the loader runs (its few literals inlined: it takes no parameters)."""
    return str(statement.compile(dialect=q.dialect, compile_kwargs={"literal_binds": True})).strip()


def _defined(
    ref: TableRef, dialect: str, columns: Sequence[Column] = (), keys: Sequence[str] = (), prefixes: Sequence[str] = ()
) -> sa.Table:
    """``ref`` as a Core ``Table`` with Glue columns in ``dialect``'s types and ``keys`` as primary key."""
    table_clause(ref, [c.name for c in columns])  # validates every name
    parts: list[SchemaItem] = [sa.Column(c.name, sql_type(c.hive_type, dialect), autoincrement=False) for c in columns]
    if keys:
        parts.append(sa.PrimaryKeyConstraint(*keys))
    return sa.Table(ref.name, sa.MetaData(), *parts, schema=ref.schema, prefixes=list(prefixes))


def create_table(
    q: Quoter, dialect: str, ref: TableRef, columns: list[Column], keys: list[str], *, kind: str = "TABLE"
) -> str:
    """``CREATE TABLE`` (or ``kind``, e.g. ``UNLOGGED TABLE``) from Glue columns; keys become the primary key."""
    return render(q, CreateTable(_defined(ref, dialect, columns, keys, prefixes=kind.split()[:-1])))


def add_column(q: Quoter, dialect: str, ref: TableRef, column: Column) -> str:
    """``ALTER TABLE … ADD COLUMN`` (text: Core has no ALTER TABLE)."""
    kind = sql_type(column.hive_type, dialect).compile(dialect=q.dialect)
    return f"ALTER TABLE {q.table(ref)} ADD COLUMN {q.ident(column.name)} {kind}"


def insert_select(q: Quoter, target: TableRef, source: TableRef, names: list[str]) -> str:
    """Copy the named columns from one table into another."""
    rows = sa.select(*table_clause(source, names).c)
    return render(q, sa.insert(table_clause(target, names)).from_select(names, rows))


def drop_table(q: Quoter, ref: TableRef) -> str:
    """``DROP TABLE``."""
    return render(q, DropTable(_defined(ref, q.dialect.name)))


def swap_in(q: Quoter, target: TableRef, replacement: TableRef) -> list[str]:
    """Drop the target and rename its replacement (same schema) in its place (rename is text: Core has none)."""
    return [drop_table(q, target), f"ALTER TABLE {q.table(replacement)} RENAME TO {q.ident(target.name)}"]


def _newest(stage: TableRef, names: list[str], keys: list[str]) -> Subquery:
    """The newest staged row per key (latest file, then latest row) as subquery ``s``."""
    staged = table_clause(stage, [*names, FILE_COLUMN, ROW_COLUMN])
    rank = sa.func.row_number().over(
        partition_by=[staged.c[k] for k in keys], order_by=[staged.c[FILE_COLUMN].desc(), staged.c[ROW_COLUMN].desc()]
    )
    ranked = sa.select(*(staged.c[n] for n in names), rank.label("_sluice_rank")).subquery("ranked")
    return sa.select(*(ranked.c[n] for n in names)).where(ranked.c._sluice_rank == 1).subquery("s")


def merge(q: Quoter, dialect: str, target: TableRef, stage: TableRef, names: list[str], keys: list[str]) -> list[str]:
    """Upsert the newest staged row per key into the target."""
    newest = _newest(stage, names, keys)
    into = table_clause(target, names)
    current = into.alias("t")
    match = sa.and_(*(current.c[k] == newest.c[k] for k in keys))
    values = [n for n in names if n not in keys]
    if dialect == "postgresql":
        # MERGE is text: Core has no MERGE construct; its USING subquery and ON clause are Core.
        sets = ", ".join(f"{q.ident(n)} = {render(q, newest.c[n])}" for n in values)
        matched = f"UPDATE SET {sets}" if values else "DO NOTHING"
        inserted = ", ".join(render(q, newest.c[n]) for n in names)
        using = render(q, newest.element)
        return [
            f"MERGE INTO {q.table(target)} AS t USING ({using}) AS s ON {render(q, match)} "
            f"WHEN MATCHED THEN {matched} WHEN NOT MATCHED THEN INSERT ({q.columns(names)}) VALUES ({inserted})"
        ]
    statements = [render(q, sa.update(current).values({n: newest.c[n] for n in values}).where(match))] if values else []
    absent = sa.select(*newest.c).where(~sa.exists().where(match))
    statements.append(render(q, sa.insert(into).from_select(names, absent)))
    return statements


def null_keys(q: Quoter, stage: TableRef, keys: list[str]) -> str:
    """A query for one staged row with a NULL merge key: file index, row, then one flag per key."""
    staged = table_clause(stage, [*keys, FILE_COLUMN, ROW_COLUMN])
    position = (staged.c[FILE_COLUMN], staged.c[ROW_COLUMN])
    flags = (sa.case((staged.c[k].is_(None), 1), else_=0) for k in keys)
    query = (
        sa.select(*position, *flags).where(sa.or_(*(staged.c[k].is_(None) for k in keys))).order_by(*position).limit(1)
    )
    return render(q, query)


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
        # Text: Core's CreateTable cannot copy a definition (LIKE … INCLUDING ALL).
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
        steps.before.append(render(q, sa.delete(table_clause(target))))
    if mode != "merge":
        if staged is None:
            steps.into = target
        else:
            steps.after.append(insert_select(q, target, staged, names))
        return steps
    if staged is None:
        stage = TableRef("temp" if dialect == "sqlite" else None, stage_name)
        # Text around a Core SELECT: Core has no CREATE TABLE … AS.
        empty = sa.select(*table_clause(target, names).c).where(sa.false())
        steps.before.append(f"CREATE TEMPORARY TABLE {q.table(stage)} AS {render(q, empty)}")
        steps.before += [
            add_column(q, dialect, stage, Column(FILE_COLUMN, "int")),
            add_column(q, dialect, stage, Column(ROW_COLUMN, "bigint")),
        ]
        steps.into, steps.positions = stage, True
    else:
        stage = staged
    steps.null_keys = null_keys(q, stage, merge_keys)
    steps.after += merge(q, dialect, target, stage, names, merge_keys)
    if staged is None:
        steps.after.append(drop_table(q, stage))
    return steps
