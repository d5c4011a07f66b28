"""``Catalog``: the Glue Data Catalog API over the metadata DB."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from itertools import chain
from typing import Any, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    false,
    func,
    insert,
    not_,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog.models import DatabaseRow, PartitionRow, PartitionValueRow, TableRow, TableVersionRow
from catalog.predicate import (
    AllOf,
    AnyOf,
    Condition,
    KeyTest,
    compile_predicate,
    glob_pattern,
    pushdown,
    sql_like_pattern,
    value_normalizer,
)
from catalog.shapes import database_shape, iso, partition_shape, table_shape
from sluice.clock import utcnow
from sluice.context import SluiceContext
from sluice.errors import AlreadyExistsException, EntityNotFoundException, InvalidInputException

T = TypeVar("T")
SEP = "\x1f"
MAX_RESULTS = 1000  # GetPartitions MaxResults: 1..1000
MAX_SEGMENTS = 10  # Segment.TotalSegments: 1..10
_CHUNK = 500  # ids or keys per IN (...) list


def values_key(values: Iterable[str]) -> str:
    """The unique key of a partition's values."""
    return SEP.join(values)


def _schema_signature(descriptor: dict[str, Any], partition_keys: list[dict[str, str]]) -> tuple[Any, ...]:
    columns = tuple((c["Name"], c["Type"]) for c in descriptor.get("Columns", []))
    keys = tuple((k["Name"], k["Type"]) for k in partition_keys)
    return columns, keys


class Catalog:
    """The Data Catalog. Each call runs in its own transaction, unless inside ``transaction()``."""

    def __init__(self, ctx: SluiceContext | None = None, *, session: Session | None = None) -> None:
        self.ctx = SluiceContext.resolve(ctx)
        self._bound = session

    @property
    def session(self) -> Session | None:
        """The session of a ``transaction()`` Catalog (None otherwise), for writes that must share it."""
        return self._bound

    @contextmanager
    def _session(self, *, per_statement: bool = False) -> Iterator[Session]:
        """The session a call runs in. With ``per_statement`` and on psycopg, each statement commits itself:
        no BEGIN and COMMIT round trips (a one-query read such as GetTable: one round trip instead of three).
        A call that only reads sees what PostgreSQL's READ COMMITTED transaction would (each statement its own
        snapshot); a call that writes may use it only when its change is one statement, atomic on its own."""
        if self._bound is not None:
            yield self._bound
            return
        with self.ctx.session() as session:
            if per_statement and session.get_bind().dialect.driver == "psycopg":
                session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Catalog]:
        """A Catalog whose calls share one transaction: all of them land, or none does."""
        if self._bound is not None:
            yield self
            return
        with self.ctx.session() as session:
            yield Catalog(self.ctx, session=session)

    # databases -----------------------------------------------------------------------------------

    def create_database(
        self,
        name: str,
        *,
        description: str | None = None,
        location_uri: str | None = None,
        parameters: dict[str, str] | None = None,
        exist_ok: bool = False,
    ) -> dict[str, Any]:
        """Create a database (Glue CreateDatabase)."""
        _check_name(name, "database")
        with self._session() as s:
            row = s.scalar(select(DatabaseRow).where(DatabaseRow.name == name))
            if row is not None:
                if exist_ok:
                    return database_shape(row)
                raise AlreadyExistsException(f"Database {name} already exists.")
            row = DatabaseRow(
                name=name, description=description, location_uri=location_uri, parameters=parameters or {}
            )
            try:
                with s.begin_nested():  # a savepoint: a concurrent create of the same name fails alone
                    s.add(row)
            except IntegrityError:
                if not exist_ok:
                    raise AlreadyExistsException(f"Database {name} already exists.") from None
                return database_shape(self._database(s, name))
            return database_shape(row)

    def get_database(self, name: str) -> dict[str, Any]:
        """Glue GetDatabase → the Database object."""
        with self._session(per_statement=True) as s:
            return database_shape(self._database(s, name))

    def get_databases(self) -> list[dict[str, Any]]:
        """Glue GetDatabases → DatabaseList."""
        with self._session(per_statement=True) as s:
            return [database_shape(r) for r in s.scalars(select(DatabaseRow).order_by(DatabaseRow.name))]

    def update_database(self, name: str, database_input: dict[str, Any]) -> None:
        """Glue UpdateDatabase: ``database_input`` is the new definition (its Name may rename the database)."""
        new_name = database_input["Name"]
        _check_name(new_name, "database")
        with self._session() as s:
            row = self._database(s, name)
            if new_name != name and s.scalar(select(DatabaseRow.id).where(DatabaseRow.name == new_name)):
                raise AlreadyExistsException(f"Database {new_name} already exists.")
            row.name = new_name
            row.description = database_input.get("Description")
            row.location_uri = database_input.get("LocationUri")
            row.parameters = dict(database_input.get("Parameters", {}))

    def delete_database(self, name: str) -> None:
        """Delete a database with its tables and partitions."""
        with self._session() as s:
            s.delete(self._database(s, name))

    # tables --------------------------------------------------------------------------------------

    def create_table(self, database: str, table_input: dict[str, Any]) -> dict[str, Any]:
        """Glue CreateTable from a TableInput; version 0 is stored."""
        with self._session() as s:
            db = self._database(s, database)
            name = table_input["Name"]
            _check_name(name, "table")
            if s.scalar(select(TableRow).where(TableRow.database_id == db.id, TableRow.name == name)):
                raise AlreadyExistsException(f"Table {database}.{name} already exists.")
            now = utcnow()
            row = TableRow(
                database_id=db.id,
                name=name,
                table_type=table_input.get("TableType", "EXTERNAL_TABLE"),
                description=table_input.get("Description"),
                descriptor=copy.deepcopy(table_input.get("StorageDescriptor", {})),
                partition_keys=list(table_input.get("PartitionKeys", [])),
                parameters=dict(table_input.get("Parameters", {})),
                version_id=0,
                create_time=now,
                update_time=now,
            )
            s.add(row)
            s.flush()
            self._snapshot(s, row, database)
            return table_shape(row, database)

    def update_table(
        self, database: str, table_input: dict[str, Any], *, archive: bool | None = None
    ) -> tuple[dict[str, Any], bool]:
        """Glue UpdateTable. With ``archive`` (the API's default: not SkipArchive) every update stores a new
        version, as Glue does; with None (crawlers and jobs) only a change of columns or partition keys does.

        Returns the table and whether a new version was written.
        """
        with self._session() as s:
            row = self._table(s, database, table_input["Name"])
            descriptor = copy.deepcopy(table_input.get("StorageDescriptor", row.descriptor))
            keys = list(table_input.get("PartitionKeys", row.partition_keys))
            changed = _schema_signature(descriptor, keys) != _schema_signature(row.descriptor, row.partition_keys)
            if [k.get("Type") for k in keys] != [k.get("Type") for k in row.partition_keys]:
                _reindex_partitions(s, row.id, keys)  # the values are normalised by their key's type
            row.descriptor = descriptor
            row.partition_keys = keys
            row.parameters = dict(table_input.get("Parameters", row.parameters))
            row.description = table_input.get("Description", row.description)
            row.table_type = table_input.get("TableType", row.table_type)
            row.update_time = utcnow()
            if changed if archive is None else archive:
                row.version_id += 1
                s.flush()
                self._snapshot(s, row, database)
            return table_shape(row, database), changed if archive is None else archive

    def get_table(self, database: str, name: str) -> dict[str, Any]:
        """Glue GetTable → the Table object."""
        with self._session(per_statement=True) as s:
            return table_shape(self._table(s, database, name), database)

    def get_tables(self, database: str) -> list[dict[str, Any]]:
        """Glue GetTables → TableList."""
        with self._session(per_statement=True) as s:
            db = self._database(s, database)
            rows = s.scalars(select(TableRow).where(TableRow.database_id == db.id).order_by(TableRow.name))
            return [table_shape(r, database) for r in rows]

    def get_all_tables(self) -> list[dict[str, Any]]:
        """The tables of every database, by database name, then table name."""
        with self._session(per_statement=True) as s:
            query = (
                select(TableRow, DatabaseRow.name)
                .join(DatabaseRow, TableRow.database_id == DatabaseRow.id)
                .order_by(DatabaseRow.name, TableRow.name)
            )
            return [table_shape(row, database) for row, database in s.execute(query)]

    def table_exists(self, database: str, name: str) -> bool:
        """True when ``database.name`` is in the catalog."""
        with self._session(per_statement=True) as s:
            db = s.scalar(select(DatabaseRow).where(DatabaseRow.name == database))
            if db is None:
                return False
            return s.scalar(select(TableRow.id).where(TableRow.database_id == db.id, TableRow.name == name)) is not None

    def get_table_versions(self, database: str, name: str) -> list[dict[str, Any]]:
        """Glue GetTableVersions → TableVersions, newest first."""
        with self._session(per_statement=True) as s:
            row = self._table(s, database, name)
            versions = s.scalars(
                select(TableVersionRow)
                .where(TableVersionRow.table_id == row.id)
                .order_by(TableVersionRow.version_id.desc())
            )
            return [{"Table": v.table, "VersionId": str(v.version_id)} for v in versions]

    def get_table_version(self, database: str, name: str, version_id: str | None = None) -> dict[str, Any]:
        """Glue GetTableVersion → TableVersion; without ``version_id``, the current version."""
        with self._session(per_statement=True) as s:
            row = self._table(s, database, name)
            version = self._version(s, row, database, row.version_id if version_id is None else version_id)
            return {"Table": version.table, "VersionId": str(version.version_id)}

    def delete_table_version(self, database: str, name: str, version_id: str) -> None:
        """Glue DeleteTableVersion; the current version cannot be deleted."""
        with self._session() as s:
            row = self._table(s, database, name)
            version = self._version(s, row, database, version_id)
            if version.version_id == row.version_id:
                raise InvalidInputException(
                    f"Version {version_id} is the current version of {database}.{name}: it cannot be deleted."
                )
            s.delete(version)

    def delete_table(self, database: str, name: str) -> None:
        """Glue DeleteTable: the table, its versions and partitions."""
        with self._session() as s:
            row = self._table(s, database, name)
            s.execute(delete(PartitionValueRow).where(PartitionValueRow.table_id == row.id))
            s.execute(delete(PartitionRow).where(PartitionRow.table_id == row.id))
            s.execute(delete(TableVersionRow).where(TableVersionRow.table_id == row.id))
            s.delete(row)

    # partitions ----------------------------------------------------------------------------------

    def batch_create_partition(
        self,
        database: str,
        table: str,
        partitions: Iterable[dict[str, Any]],
        *,
        replace: bool = False,
        existed: set[str] | None = None,
    ) -> tuple[int, int]:
        """Glue BatchCreatePartition from PartitionInputs. Existing partitions are kept unless ``replace``; their
        ``values_key`` are added to ``existed`` when given.

        Returns (created, updated).
        """
        with self._session(per_statement=not replace) as s:  # psycopg's insert is one statement (insert_partitions)
            row, pending = self._find_table(s, database, table, pending=True)
            if pending:  # partitions another writer left unindexed (each step may be redone: index_pending_partitions)
                index_pending_partitions(s, row.id, row.partition_keys)
            width, columns = len(row.partition_keys), row.descriptor.get("Columns")
            incoming: list[tuple[str, dict[str, Any]]] = []
            fresh: dict[str, dict[str, Any]] = {}
            now = utcnow()
            for part in partitions:
                values = [str(v) for v in part["Values"]]
                if len(values) != width:
                    raise InvalidInputException(
                        f"Partition {values} of {database}.{table} has {len(values)} values; "
                        f"the table has {width} partition keys."
                    )
                key = values_key(values)
                incoming.append((key, part))
                sd = part.get("StorageDescriptor", {})
                new = fresh.get(key)
                if new is None:
                    fresh[key] = {
                        "values": values,
                        "values_key": key,
                        "location": sd.get("Location", ""),
                        "descriptor": _own_descriptor(sd, columns),
                        "parameters": dict(part.get("Parameters", {})),
                        "creation_time": now,
                    }
                elif replace:  # a repeat in the batch: the last one wins
                    new["location"] = sd.get("Location", new["location"])
                    new["descriptor"] = _own_descriptor(sd, columns)
                    new["parameters"] = dict(part.get("Parameters", new["parameters"]))
            created = insert_partitions(s, row.id, row.partition_keys, list(fresh.values()))
            kept = [key for key in fresh if key not in created]
            if existed is not None:
                existed.update(kept)
            updated = len(incoming) - len(fresh) if replace else 0
            if replace and kept:
                targets = _partition_ids(s, row.id, kept)
                current = {
                    p.id: p
                    for chunk in _chunks(sorted(targets.values()))
                    for p in s.scalars(select(PartitionRow).where(PartitionRow.id.in_(chunk)))
                }
                for key, part in incoming:  # every input of an existing partition, in order
                    if key in targets:
                        target = current[targets[key]]
                        sd = part.get("StorageDescriptor", {})
                        target.location = sd.get("Location", target.location)
                        target.descriptor = _own_descriptor(sd, columns)
                        target.parameters = dict(part.get("Parameters", target.parameters))
                updated += len(kept)
            s.flush()
            return len(created), updated

    def get_partitions(
        self,
        database: str,
        table: str,
        expression: str | None = None,
        *,
        max_results: int | None = None,
        next_token: str | None = None,
        segment: dict[str, int] | None = None,
        exclude_column_schema: bool = False,
    ) -> list[dict[str, Any]]:
        """Glue GetPartitions, every page: all matching partitions (of ``segment``, after ``next_token``).

        ``expression`` is evaluated against the catalog, never by listing files; ``max_results`` is the
        page size the partitions are read in (default: one read). In ``values_key`` order.
        """
        out, token = self.get_partitions_page(
            database,
            table,
            expression,
            max_results=max_results,
            next_token=next_token,
            segment=segment,
            exclude_column_schema=exclude_column_schema,
        )
        while token is not None:
            page, token = self.get_partitions_page(
                database,
                table,
                expression,
                max_results=max_results,
                next_token=token,
                segment=segment,
                exclude_column_schema=exclude_column_schema,
            )
            out.extend(page)
        return out

    def get_partitions_page(
        self,
        database: str,
        table: str,
        expression: str | None = None,
        *,
        max_results: int | None = None,
        next_token: str | None = None,
        segment: dict[str, int] | None = None,
        exclude_column_schema: bool = False,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Glue GetPartitions, one page → (Partitions, NextToken); NextToken is None after the last page.

        ``max_results`` (1-1000; None: no limit) caps the page. ``segment`` (``SegmentNumber``,
        ``TotalSegments`` 1-10) selects one of disjoint parts that together hold every partition. A
        token works only for the same table, expression and segment. ``exclude_column_schema`` omits
        each StorageDescriptor's Columns. Order: by values (``values_key``), stable across pages.
        """
        limit = _check_max_results(max_results)
        part_of = _check_segment(segment)
        with self._session(per_statement=True) as s:
            row = self._table(s, database, table)
            scope = _token_scope(row, expression, part_of)
            after = _read_token(next_token, scope, "database, table, expression and segment") if next_token else None
            parts, more = self._scan(s, row, expression, after=after, limit=limit, segment=part_of)
            token = _make_token(parts[-1].values_key, scope) if more else None
            shapes = [partition_shape(p, row, database, exclude_column_schema=exclude_column_schema) for p in parts]
            return shapes, token

    def _scan(
        self,
        s: Session,
        row: TableRow,
        expression: str | None,
        *,
        after: str | None,
        limit: int | None,
        segment: tuple[int, int] | None,
    ) -> tuple[list[PartitionRow], bool]:
        """Up to ``limit`` matching partitions after ``after`` in values_key order, and whether more match.

        SQL returns a superset of the matches (``_candidates``); the evaluator decides on each.
        """
        keys = [(k["Name"], k["Type"]) for k in row.partition_keys]
        matches = compile_predicate(expression or "", keys)
        query, exact = self._candidates(s, row, expression, segment)
        found: list[PartitionRow] = []
        while True:
            stmt = query if after is None else query.where(PartitionRow.values_key > after)
            chunk = None if limit is None else limit + 1 - len(found)
            if chunk is not None and not exact and found:
                chunk = max(chunk, MAX_RESULTS)  # the evaluator dropped some: read on in bigger steps
            rows = s.scalars(stmt if chunk is None else stmt.limit(chunk)).all()
            for part in rows:
                if matches(part.values):
                    if len(found) == limit:
                        return found, True
                    found.append(part)
            if chunk is None or len(rows) < chunk:
                return found, False
            after = rows[-1].values_key

    def _candidates(
        self, s: Session, row: TableRow, expression: str | None, segment: tuple[int, int] | None
    ) -> tuple[Select[PartitionRow], bool]:
        """The query for the table's partitions (of ``segment``) that may match, and whether exactly those."""
        query = select(PartitionRow).where(PartitionRow.table_id == row.id)
        if segment is not None:
            query = query.where(PartitionRow.id % segment[1] == segment[0])
        plan = pushdown(expression, [(k["Name"], k["Type"]) for k in row.partition_keys])
        exact = plan.exact
        if plan.condition is not True:
            if _has_pending(s, row.id):  # some partitions have no value rows yet: filter in Python only
                exact = False
            else:
                dialect = s.get_bind().dialect.name
                condition = _fewest_first(s, plan.condition, row.id, dialect)
                query = query.where(_render(condition, row.id, dialect))
        return query.order_by(PartitionRow.values_key), exact

    def get_partition(self, database: str, table: str, values: list[str]) -> dict[str, Any]:
        """Glue GetPartition."""
        with self._session(per_statement=True) as s:
            row = self._table(s, database, table)
            part = self._partition(s, row, values, f"{database}.{table}")
            return partition_shape(part, row, database)

    def batch_get_partition(self, database: str, table: str, values_list: list[list[str]]) -> list[dict[str, Any]]:
        """Glue BatchGetPartition: the partitions of ``values_list`` that exist, in its order, once each."""
        with self._session(per_statement=True) as s:
            row = self._table(s, database, table)
            keys = list(dict.fromkeys(values_key(v) for v in values_list))
            ids = _partition_ids(s, row.id, keys)
            found = {
                p.values_key: p
                for chunk in _chunks(list(ids.values()))
                for p in s.scalars(select(PartitionRow).where(PartitionRow.id.in_(chunk)))
            }
            return [partition_shape(found[k], row, database) for k in keys if k in found]

    def replace_partition(self, database: str, table: str, values: list[str], partition_input: dict[str, Any]) -> None:
        """Glue UpdatePartition: ``partition_input`` is the partition's new definition, its Values included."""
        label = f"{database}.{table}"
        with self._session() as s:
            row = self._table(s, database, table)
            part = self._partition(s, row, values, label)
            new_values = [str(v) for v in partition_input["Values"]]
            if new_values != part.values:
                if len(new_values) != len(row.partition_keys):
                    raise InvalidInputException(
                        f"Partition {new_values} of {label} has {len(new_values)} values; "
                        f"the table has {len(row.partition_keys)} partition keys."
                    )
                if _partition_ids(s, row.id, [values_key(new_values)]):
                    raise AlreadyExistsException(f"Partition {new_values} of {label} already exists.")
                s.execute(delete(PartitionValueRow).where(PartitionValueRow.partition_id == part.id))
                part.values, part.values_key = new_values, values_key(new_values)
                _insert_values(s, row.id, row.partition_keys, [(part.id, new_values)])
            sd = partition_input.get("StorageDescriptor", {})
            part.location = sd.get("Location", "")
            part.descriptor = _own_descriptor(sd, row.descriptor.get("Columns"))
            part.parameters = dict(partition_input.get("Parameters", {}))

    def update_partition(self, database: str, table: str, values: list[str], **changes: Any) -> None:
        """Change a partition's ``location`` and/or ``parameters`` (lifecycle tiering moves partitions)."""
        with self._session() as s:
            row = self._table(s, database, table)
            part = self._partition(s, row, values, f"{database}.{table}")
            if "location" in changes:
                part.location = changes["location"]
            if "parameters" in changes:
                part.parameters = dict(changes["parameters"])

    def delete_partition(self, database: str, table: str, values: list[str]) -> None:
        """Glue DeletePartition."""
        with self._session() as s:
            row = self._table(s, database, table)
            part = self._partition(s, row, values, f"{database}.{table}")
            s.execute(delete(PartitionValueRow).where(PartitionValueRow.partition_id == part.id))
            s.delete(part)

    # helpers -------------------------------------------------------------------------------------

    @staticmethod
    def _database(s: Session, name: str) -> DatabaseRow:
        row = s.scalar(select(DatabaseRow).where(DatabaseRow.name == name))
        if row is None:
            raise _database_not_found(name)
        return row

    def _table(self, s: Session, database: str, name: str) -> TableRow:
        return self._find_table(s, database, name)[0]

    @staticmethod
    def _find_table(s: Session, database: str, name: str, *, pending: bool = False) -> tuple[TableRow, bool]:
        """The table, and whether some of its partitions lack value rows (asked only with ``pending``)."""
        found = s.execute(_table_query(pending), {"database": database, "table": name}).first()
        if found is None:
            raise _database_not_found(database)
        row: TableRow | None = found[1]
        if row is None:
            raise EntityNotFoundException(
                f"Table {name} not found in database {database}.",
                hint=f"List tables with `sluice catalog get-tables --database-name {database}`.",
            )
        return row, bool(pending and found[2])

    @staticmethod
    def _partition(s: Session, table: TableRow, values: list[str], label: str) -> PartitionRow:
        part = s.scalar(
            select(PartitionRow).where(PartitionRow.table_id == table.id, PartitionRow.values_key == values_key(values))
        )
        if part is None:
            raise EntityNotFoundException(f"Partition {values} not found in table {label}.")
        return part

    @staticmethod
    def _version(s: Session, table: TableRow, database: str, version_id: int | str) -> TableVersionRow:
        label = f"Version {version_id} of table {database}.{table.name}"
        if isinstance(version_id, str) and not version_id.isdigit():
            raise InvalidInputException(f"{label}: a VersionId is a number.")
        version = s.scalar(
            select(TableVersionRow).where(
                TableVersionRow.table_id == table.id, TableVersionRow.version_id == int(version_id)
            )
        )
        if version is None:
            raise EntityNotFoundException(f"{label} not found.")
        return version

    @staticmethod
    def _snapshot(s: Session, row: TableRow, database: str) -> None:
        s.add(TableVersionRow(table_id=row.id, version_id=row.version_id, table=table_shape(row, database)))


@cache
def _table_query(pending: bool = False) -> Select[Any]:
    """One query for a table by database and name: the database's id (no row: no such database) and the
    table (None: none of that name), and with ``pending`` whether some of its partitions lack value rows (a
    seek on ix_catalog_partitions_unindexed); built once."""
    on = and_(TableRow.database_id == DatabaseRow.id, TableRow.name == bindparam("table"))
    columns: list[Any] = [DatabaseRow.id, TableRow]
    if pending:
        columns.append(exists().where(PartitionRow.table_id == TableRow.id, ~PartitionRow.values_indexed))
    return select(*columns).outerjoin(TableRow, on).where(DatabaseRow.name == bindparam("database"))


def _database_not_found(name: str) -> EntityNotFoundException:
    return EntityNotFoundException(
        f"Database {name} not found.", hint="List databases with `sluice catalog get-databases`."
    )


def _own_descriptor(sd: dict[str, Any], table_columns: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """A copy of a partition's StorageDescriptor when its columns differ from the table's ``table_columns``
    (None: the table's own)."""
    columns = sd.get("Columns")
    return copy.deepcopy(sd) if columns and columns != table_columns else None


def _check_name(name: str, kind: str) -> None:
    if not name or len(name) > 255 or any(ch in name for ch in "/\\\n\r\t\x00"):
        raise InvalidInputException(
            f"Invalid {kind} name {name!r}: names are 1-255 characters with no slashes or control characters."
        )


# partition values ----------------------------------------------------------------------------------

_PARTITIONS = cast(Table, PartitionRow.__table__)
PARTITION_COLUMNS = ("values", "values_key", "location", "descriptor", "parameters", "creation_time")
"""The columns of a new partition that its writer gives (``insert_partitions``)."""
_ROWS_PER_INSERT = 500  # partitions per INSERT ... VALUES statement (SQLite binds up to 32,766 values)


def insert_partitions(
    s: Session, table_id: int, partition_keys: list[dict[str, str]], rows: list[dict[str, Any]]
) -> dict[str, int]:
    """Insert partitions (dicts of :data:`PARTITION_COLUMNS`, one per ``values_key``) with their normalised
    values, skipping each one whose ``values_key`` the table has already; → ``values_key → id`` of those inserted.

    The bulk path for every writer of partitions (a bare INSERT leaves them unindexed, which only
    makes GetPartitions on their table filter in Python until ``index_pending_partitions``). One
    ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` finds the existing ones and the new ids at once; on
    psycopg the value rows are inserted by the same statement (one round trip in all).
    """
    if not rows:
        return {}
    conn = s.connection()
    dialect = conn.dialect
    if dialect.driver == "psycopg":
        return _insert_partitions_psycopg(conn, table_id, partition_keys, rows)
    columns = [[r[name] for r in rows] for name in PARTITION_COLUMNS]
    if dialect.paramstyle not in ("qmark", "format", "pyformat"):
        raise NotImplementedError(f"Partitions cannot be inserted through the {dialect.driver} driver.")
    names = ("table_id", "values_indexed", *PARTITION_COLUMNS)
    target, processors = _insert_target(dialect, _PARTITIONS, names)
    flat = list(zip(*_bind(processors, [[table_id] * len(rows), [True] * len(rows), *columns]), strict=True))
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    row_marks = f"({', '.join([mark] * len(names))})"
    ids: dict[str, int] = {}
    for start in range(0, len(flat), _ROWS_PER_INSERT):
        chunk = flat[start : start + _ROWS_PER_INSERT]
        sql = (
            f"INSERT INTO {target} VALUES {', '.join([row_marks] * len(chunk))} "
            "ON CONFLICT (table_id, values_key) DO NOTHING RETURNING values_key, id"
        )
        ids.update(conn.exec_driver_sql(sql, tuple(chain.from_iterable(chunk))).all())
    new = ((ids[key], values) for key, values in zip(columns[1], columns[0], strict=True) if key in ids)
    _insert_values(s, table_id, partition_keys, new)
    return ids


_PSYCOPG_INSERT = """
WITH r AS MATERIALIZED (
    SELECT * FROM json_to_recordset(%(rows)s::json) AS r(
        "values" json, values_key text, location text, descriptor json, parameters json, creation_time timestamp,
        normalized json
    )
), new AS (
    INSERT INTO catalog_partitions
        (table_id, values_indexed, "values", values_key, location, descriptor, parameters, creation_time)
    SELECT %(table_id)s, true, "values", values_key, location, COALESCE(descriptor, 'null'), parameters, creation_time
    FROM r
    ON CONFLICT (table_id, values_key) DO NOTHING
    RETURNING values_key, id
), value_rows AS (
    INSERT INTO catalog_partition_values (partition_id, position, table_id, value)
    SELECT new.id, v.position - 1, %(table_id)s, v.value
    FROM new JOIN r USING (values_key), json_array_elements_text(r.normalized) WITH ORDINALITY AS v(value, position)
)
SELECT values_key, id FROM new
"""
"""Partitions and their value rows in one statement, from one JSON document of the rows (each with its
``normalized`` values): the value rows of the partitions inserted (one that exists already returns no id, so
its values join nothing). A descriptor of None is stored as JSON ``null``, as SQLAlchemy binds it."""


def _insert_partitions_psycopg(
    conn: Connection, table_id: int, partition_keys: list[dict[str, str]], rows: list[dict[str, Any]]
) -> dict[str, int]:
    (to_time,) = _insert_target(conn.dialect, _PARTITIONS, ("creation_time",))[1]
    stamp = (lambda t: t.isoformat()) if to_time is None else (lambda t: to_time(t).isoformat())
    (times,) = _bind([stamp], [[r["creation_time"] for r in rows]])
    normalized = _normalized(partition_keys, [r["values"] for r in rows])
    document = [
        {**{name: r[name] for name in PARTITION_COLUMNS}, "creation_time": time, "normalized": values}
        for r, time, values in zip(rows, times, normalized, strict=True)
    ]
    params = {"table_id": table_id, "rows": json.dumps(document)}
    return dict(conn.exec_driver_sql(_PSYCOPG_INSERT, params).all())


def index_pending_partitions(s: Session, table_id: int, partition_keys: list[dict[str, str]]) -> int:
    """Write the value rows of the table's partitions that lack them; returns how many there were.

    Safe outside a transaction too: a partition is marked indexed only after its value rows are written, and
    one left unmarked has its value rows deleted and written again by the next run."""
    table = _PARTITIONS
    query = select(table.c.id, table.c["values"]).where(table.c.table_id == table_id, ~table.c.values_indexed)
    pending = s.connection().execute(query).all()
    if not pending:
        return 0
    ids = [pid for pid, _ in pending]
    for chunk in _chunks(ids):
        s.execute(delete(PartitionValueRow).where(PartitionValueRow.partition_id.in_(chunk)))
    _insert_values(s, table_id, partition_keys, ((pid, values) for pid, values in pending))
    for chunk in _chunks(ids):
        s.execute(update(table).where(table.c.id.in_(chunk)).values(values_indexed=True))
    return len(ids)


def _reindex_partitions(s: Session, table_id: int, partition_keys: list[dict[str, str]]) -> None:
    """Normalise every partition's values again (the key types changed)."""
    s.execute(delete(PartitionValueRow).where(PartitionValueRow.table_id == table_id))
    done = s.execute(select(PartitionRow.id, PartitionRow.values).where(PartitionRow.table_id == table_id)).all()
    _insert_values(s, table_id, partition_keys, ((pid, values) for pid, values in done))
    table = _PARTITIONS
    s.execute(update(table).where(table.c.table_id == table_id, ~table.c.values_indexed).values(values_indexed=True))


def _normalized(partition_keys: list[dict[str, str]], values_lists: Iterable[list[str]]) -> list[list[str | None]]:
    """Each partition's values normalised by their keys' types (``value_normalizer``)."""
    normalizers = [value_normalizer(k.get("Type", "string")) for k in partition_keys]
    out = []
    for values in values_lists:
        if len(values) > len(normalizers):  # more values than keys: extra ones compare as strings
            normalizers += [value_normalizer("string")] * (len(values) - len(normalizers))
        out.append([normalize(raw) for normalize, raw in zip(normalizers, values, strict=False)])
    return out


def _insert_values(
    s: Session, table_id: int, partition_keys: list[dict[str, str]], partitions: Iterable[tuple[int, list[str]]]
) -> None:
    pairs = list(partitions)
    normalized = _normalized(partition_keys, [values for _, values in pairs])
    rows = [
        (pid, i, table_id, value)
        for (pid, _), values in zip(pairs, normalized, strict=True)
        for i, value in enumerate(values)
    ]
    if not rows:
        return
    names = ["partition_id", "position", "table_id", "value"]
    _bulk_insert(s, cast(Table, PartitionValueRow.__table__), names, rows)


def _bulk_insert(s: Session, table: Table, names: list[str], rows: list[tuple[Any, ...]]) -> None:
    """INSERT ``rows`` (values of the columns ``names``, every row the same keys in the same order) through the
    driver: COPY on psycopg, else its executemany. Each value is bound as SQLAlchemy binds it (its column type's
    bind processor), without SQLAlchemy's per-row statement work; columns not named get no client-side default,
    so pass every one that has one.
    """
    conn = s.connection()
    dialect = conn.dialect
    target, processors = _insert_target(dialect, table, tuple(names))
    if rows and any(processors):
        rows = list(zip(*_bind(processors, [list(col) for col in zip(*rows, strict=True)]), strict=True))
    if dialect.driver == "psycopg":  # COPY: a quarter of the time of an executemany
        raw: Any = conn.connection.dbapi_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {target} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    elif dialect.paramstyle in ("qmark", "format", "pyformat"):  # the driver's executemany, as it is
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        conn.exec_driver_sql(f"INSERT INTO {target} VALUES ({', '.join([mark] * len(names))})", rows)
    else:
        s.execute(insert(table), [dict(zip(names, row, strict=True)) for row in rows])


def _bind(processors: list[Callable[..., Any] | None], columns: list[list[Any]]) -> list[list[Any]]:
    """``columns`` (one list of values per column) with each value bound as SQLAlchemy binds it (its column's
    bind processor); a column holding one object in every row (an id, a timestamp, None) is processed once."""
    bound = []
    for processor, column in zip(processors, columns, strict=True):
        if processor is not None and column:
            first = column[0]
            same = all(value is first for value in column)
            column = [processor(first)] * len(column) if same else [processor(value) for value in column]
        bound.append(column)
    return bound


@cache
def _insert_target(
    dialect: Dialect, table: Table, names: tuple[str, ...]
) -> tuple[str, list[Callable[..., Any] | None]]:
    """``table (columns)`` quoted for ``dialect``, and each column's bind processor (None: bound as it is)."""
    quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    types = [table.c[name].type.dialect_impl(dialect) for name in names]
    return f"{dialect.identifier_preparer.format_table(table)} ({quoted})", [t.bind_processor(dialect) for t in types]


def _partition_ids(s: Session, table_id: int, keys: list[str]) -> dict[str, int]:
    """``values_key → id`` of the table's partitions among ``keys``."""
    table = _PARTITIONS
    conn = s.connection()
    if not keys:
        return {}
    if len(keys) > _CHUNK and conn.scalar(select(table.c.id).where(table.c.table_id == table_id).limit(1)) is None:
        return {}  # an empty table: no IN query per chunk
    found: dict[str, int] = {}
    for chunk in _chunks(keys):
        query = select(table.c.values_key, table.c.id).where(
            table.c.table_id == table_id, table.c.values_key.in_(chunk)
        )
        found.update(conn.execute(query).all())
    return found


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _has_pending(s: Session, table_id: int) -> bool:
    """Whether some of the table's partitions lack value rows (a seek on ix_catalog_partitions_unindexed)."""
    pending = exists().where(PartitionRow.table_id == table_id, ~PartitionRow.values_indexed)
    return bool(s.scalar(select(pending)))


_PROBE_ROWS = 1000
"""Matches counted per key test (at most) to pick the one an AND reads first."""


def _fewest_first(s: Session, condition: Condition, table_id: int, dialect: str) -> Condition:
    """An AND with its tests on one key regrouped so that the key whose tests match the fewest value rows (each
    counted up to :data:`_PROBE_ROWS` by an index-only scan, all in one query) comes first: the key
    ``_render`` reads, whatever order the expression named them in and whether or not the database has
    statistics on the value rows yet."""
    if not isinstance(condition, AllOf):
        return condition
    by_key: dict[int, list[Condition]] = {}
    for item in condition.items:
        positions = _positions(item)
        if len(positions) == 1:
            by_key.setdefault(next(iter(positions)), []).append(item)
    if len(by_key) < 2:
        return condition
    probes = [
        select(func.count())
        .select_from(_value_ids(AllOf(tuple(items)), position, table_id, dialect).limit(_PROBE_ROWS).subquery())
        .scalar_subquery()
        for position, items in by_key.items()
    ]
    counts = dict(zip(by_key, s.execute(select(*probes)).one(), strict=True))
    order = sorted(by_key, key=counts.__getitem__)
    keyed = [item for position in order for item in by_key[position]]
    return AllOf((*keyed, *(item for item in condition.items if len(_positions(item)) != 1)))


def _render(condition: Condition, table_id: int, dialect: str) -> ColumnElement[bool]:
    """A pushdown condition as SQL on ``catalog_partitions``: ``id IN (value rows)`` per key it tests.

    Tests on one key share one subquery (a range is one index scan). An AND with a test on one key reads that
    key's matches and checks each of them against the rest by primary-key seeks (``_correlated``): a plan that
    stays fast on PostgreSQL before the value rows have statistics, where an IN per key was joined value row
    against value row (0.5 s for 100,000 partitions a moment after they were loaded, instead of 1 ms). An OR
    of keys is one IN of a UNION.
    """
    if isinstance(condition, bool):
        return true() if condition else false()
    positions = _positions(condition)
    if len(positions) == 1:
        return PartitionRow.id.in_(_value_ids(condition, positions.pop(), table_id, dialect))
    assert isinstance(condition, AllOf | AnyOf)
    by_key: dict[int, list[Condition]] = {}
    mixed: list[Condition] = []
    for item in condition.items:
        item_positions = _positions(item)
        if len(item_positions) == 1:
            by_key.setdefault(item_positions.pop(), []).append(item)
        else:
            mixed.append(item)
    group = AllOf if isinstance(condition, AllOf) else AnyOf
    tests = [(position, items[0] if len(items) == 1 else group(tuple(items))) for position, items in by_key.items()]
    if isinstance(condition, AllOf):
        if not tests:
            return and_(*(_render(item, table_id, dialect) for item in mixed))
        (position, first), *rest = tests
        checks = [_has_value(test, position, dialect) for position, test in rest]
        checks += [_correlated(item, dialect) for item in mixed]
        return and_(PartitionRow.id.in_(_value_ids(first, position, table_id, dialect)), *checks)
    subqueries = [_value_ids(test, position, table_id, dialect) for position, test in tests]
    others = [_render(item, table_id, dialect) for item in mixed]
    if len(subqueries) > 1:
        return or_(PartitionRow.id.in_(union_all(*subqueries)), *others)
    return or_(*(PartitionRow.id.in_(q) for q in subqueries), *others)


def _correlated(condition: Condition, dialect: str) -> ColumnElement[bool]:
    """``condition`` on the partition of the enclosing query, each key test a seek on its value row."""
    if isinstance(condition, bool):
        return true() if condition else false()
    positions = _positions(condition)
    if len(positions) == 1:
        return _has_value(condition, positions.pop(), dialect)
    assert isinstance(condition, AllOf | AnyOf)
    parts = [_correlated(item, dialect) for item in condition.items]
    return and_(*parts) if isinstance(condition, AllOf) else or_(*parts)


def _has_value(condition: Condition, position: int, dialect: str) -> ColumnElement[bool]:
    """Whether the partition's value at ``position`` passes ``condition`` (a seek on the value rows' key)."""
    return exists().where(
        PartitionValueRow.partition_id == PartitionRow.id,
        PartitionValueRow.position == position,
        _value_test(condition, dialect),
    )


def _value_ids(condition: Condition, position: int, table_id: int, dialect: str) -> Select[int]:
    """The ids of the table's partitions whose value at ``position`` passes ``condition``."""
    return select(PartitionValueRow.partition_id).where(
        PartitionValueRow.table_id == table_id,
        PartitionValueRow.position == position,
        _value_test(condition, dialect),
    )


def _positions(condition: Condition) -> set[int]:
    if isinstance(condition, bool):
        return set()
    if isinstance(condition, KeyTest):
        return {condition.position}
    return set().union(*(_positions(item) for item in condition.items))


def _value_test(condition: Condition, dialect: str) -> ColumnElement[bool]:
    value = PartitionValueRow.value
    if isinstance(condition, bool):
        return true() if condition else false()
    if not isinstance(condition, KeyTest):
        items = [_value_test(item, dialect) for item in condition.items]
        return and_(*items) if isinstance(condition, AllOf) else or_(*items)
    op, args = condition.op, condition.args
    if op in ("like", "notlike"):
        if dialect == "sqlite":  # SQLite's LIKE ignores ASCII case; GLOB does not
            like = value.op("GLOB", is_comparison=True)(glob_pattern(condition.pattern))
        elif dialect == "postgresql":
            like = value.like(sql_like_pattern(condition.pattern), escape="\\")
        else:
            return true()  # left to the evaluator
        return like if op == "like" else and_(value.is_not(None), not_(like))
    tests: dict[str, Any] = {
        "=": lambda: value == args[0],
        "<>": lambda: value != args[0],
        "<": lambda: value < args[0],
        "<=": lambda: value <= args[0],
        ">": lambda: value > args[0],
        ">=": lambda: value >= args[0],
        "in": lambda: value.in_(args),
        "notin": lambda: value.not_in(args),
        "null": lambda: value.is_(None),
        "notnull": lambda: value.is_not(None),
    }
    test: ColumnElement[bool] = tests[op]()
    return test


# paging ----------------------------------------------------------------------------------------------


def _check_max_results(max_results: int | None) -> int | None:
    if max_results is None:
        return None
    if isinstance(max_results, bool) or not isinstance(max_results, int) or not 1 <= max_results <= MAX_RESULTS:
        raise InvalidInputException(
            f"Value {max_results!r} at 'maxResults' failed to satisfy constraint: "
            f"Member must be an integer from 1 to {MAX_RESULTS}."
        )
    return max_results


def _check_segment(segment: dict[str, int] | None) -> tuple[int, int] | None:
    """(SegmentNumber, TotalSegments) of a Glue Segment, validated."""
    if segment is None:
        return None
    if not isinstance(segment, dict) or set(segment) - {"SegmentNumber", "TotalSegments"}:
        raise InvalidInputException(f"Segment must be {{SegmentNumber, TotalSegments}}, not {segment!r}.")
    number, total = segment.get("SegmentNumber"), segment.get("TotalSegments")
    for name, value in (("SegmentNumber", number), ("TotalSegments", total)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInputException(f"Segment.{name} is required and must be an integer, not {value!r}.")
    assert isinstance(number, int) and isinstance(total, int)
    if not 1 <= total <= MAX_SEGMENTS:
        raise InvalidInputException(
            f"Value {total} at 'segment.totalSegments' failed to satisfy constraint: "
            f"Member must be from 1 to {MAX_SEGMENTS}."
        )
    if not 0 <= number < total:
        raise InvalidInputException(
            f"Segment.SegmentNumber {number} is out of range: it must be from 0 to TotalSegments - 1 ({total - 1})."
        )
    return number, total


def _token_scope(row: TableRow, expression: str | None, segment: tuple[int, int] | None) -> str:
    """What a NextToken is valid for: this table (as created), expression and segment."""
    scope = json.dumps([row.id, iso(row.create_time), (expression or "").strip(), segment])
    return hashlib.sha256(scope.encode()).hexdigest()[:16]


def page(
    items: list[T], key: Callable[[T], str], request: dict[str, Any], *, max_results: int | None, next_token: str | None
) -> tuple[list[T], str | None]:
    """One page of a listing read whole (``items`` in ``key`` order) → (page, NextToken or None after the last).

    A token is valid only for the same ``request`` (the members, other than paging, that chose ``items``).
    """
    limit = _check_max_results(max_results)
    scope = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()[:16]
    after = _read_token(next_token, scope, ", ".join(request) or "request") if next_token else None
    rest = [item for item in items if after is None or key(item) > after]
    if limit is None or len(rest) <= limit:
        return rest, None
    return rest[:limit], _make_token(key(rest[limit - 1]), scope)


def _make_token(last_key: str, scope: str) -> str:
    body = json.dumps({"v": 1, "s": scope, "k": last_key}, separators=(",", ":")).encode()
    check = hashlib.sha256(body).digest()[:8]
    return base64.urlsafe_b64encode(check + body).decode().rstrip("=")


def _read_token(token: str, scope: str, members: str) -> str:
    """The last values_key a NextToken carries; InvalidInputException when it is not one of this request's."""
    data: Any = None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        check, body = raw[:8], raw[8:]
        data = json.loads(body) if hashlib.sha256(body).digest()[:8] == check else None
    except (ValueError, TypeError):
        pass
    if not isinstance(data, dict) or data.get("v") != 1 or not isinstance(data.get("k"), str):
        raise InvalidInputException("Invalid NextToken: it is not a token this operation returned.")
    if data.get("s") != scope:
        raise InvalidInputException(
            f"NextToken does not belong to this request: pass the same {members} "
            "as the call that returned it (a token of a table deleted and created again is stale)."
        )
    key: str = data["k"]
    return key
