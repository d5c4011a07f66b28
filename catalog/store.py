"""``Catalog``: the Glue Data Catalog API over the metadata DB."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog.models import DatabaseRow, PartitionRow, TableRow, TableVersionRow
from catalog.shapes import database_shape, partition_shape, table_shape
from sluice.db import session_scope, utcnow
from sluice.errors import AlreadyExistsException, EntityNotFoundException, InvalidInputException

SEP = "\x1f"


def values_key(values: Iterable[str]) -> str:
    """The unique key of a partition's values."""
    return SEP.join(values)


def _schema_signature(descriptor: dict[str, Any], partition_keys: list[dict[str, str]]) -> tuple[Any, ...]:
    columns = tuple((c["Name"], c["Type"]) for c in descriptor.get("Columns", []))
    keys = tuple((k["Name"], k["Type"]) for k in partition_keys)
    return columns, keys


class Catalog:
    """The Data Catalog. Each call runs in its own transaction, unless inside ``transaction()``."""

    def __init__(self, url: str | None = None, *, session: Session | None = None) -> None:
        self._url = url
        self._bound = session

    @property
    def session(self) -> Session | None:
        """The session of a ``transaction()`` Catalog (None otherwise), for writes that must share it."""
        return self._bound

    @contextmanager
    def _session(self) -> Iterator[Session]:
        if self._bound is not None:
            yield self._bound
        else:
            with session_scope(self._url) as session:
                yield session

    @contextmanager
    def transaction(self) -> Iterator[Catalog]:
        """A Catalog whose calls share one transaction: all of them land, or none does."""
        if self._bound is not None:
            yield self
            return
        with session_scope(self._url) as session:
            yield Catalog(self._url, session=session)

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
        with self._session() as s:
            return database_shape(self._database(s, name))

    def get_databases(self) -> list[dict[str, Any]]:
        """Glue GetDatabases → DatabaseList."""
        with self._session() as s:
            return [database_shape(r) for r in s.scalars(select(DatabaseRow).order_by(DatabaseRow.name))]

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

    def update_table(self, database: str, table_input: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Glue UpdateTable. A new version is stored only when columns or partition keys change.

        Returns the table and whether a new version was written.
        """
        with self._session() as s:
            row = self._table(s, database, table_input["Name"])
            descriptor = copy.deepcopy(table_input.get("StorageDescriptor", row.descriptor))
            keys = list(table_input.get("PartitionKeys", row.partition_keys))
            changed = _schema_signature(descriptor, keys) != _schema_signature(row.descriptor, row.partition_keys)
            row.descriptor = descriptor
            row.partition_keys = keys
            row.parameters = dict(table_input.get("Parameters", row.parameters))
            row.description = table_input.get("Description", row.description)
            row.table_type = table_input.get("TableType", row.table_type)
            row.update_time = utcnow()
            if changed:
                row.version_id += 1
                s.flush()
                self._snapshot(s, row, database)
            return table_shape(row, database), changed

    def get_table(self, database: str, name: str) -> dict[str, Any]:
        """Glue GetTable → the Table object."""
        with self._session() as s:
            return table_shape(self._table(s, database, name), database)

    def get_tables(self, database: str) -> list[dict[str, Any]]:
        """Glue GetTables → TableList."""
        with self._session() as s:
            db = self._database(s, database)
            rows = s.scalars(select(TableRow).where(TableRow.database_id == db.id).order_by(TableRow.name))
            return [table_shape(r, database) for r in rows]

    def table_exists(self, database: str, name: str) -> bool:
        """True when ``database.name`` is in the catalog."""
        with self._session() as s:
            db = s.scalar(select(DatabaseRow).where(DatabaseRow.name == database))
            if db is None:
                return False
            return s.scalar(select(TableRow.id).where(TableRow.database_id == db.id, TableRow.name == name)) is not None

    def get_table_versions(self, database: str, name: str) -> list[dict[str, Any]]:
        """Glue GetTableVersions → TableVersions, newest first."""
        with self._session() as s:
            row = self._table(s, database, name)
            versions = s.scalars(
                select(TableVersionRow)
                .where(TableVersionRow.table_id == row.id)
                .order_by(TableVersionRow.version_id.desc())
            )
            return [{"Table": v.table, "VersionId": str(v.version_id)} for v in versions]

    def delete_table(self, database: str, name: str) -> None:
        """Glue DeleteTable: the table, its versions and partitions."""
        with self._session() as s:
            row = self._table(s, database, name)
            s.execute(delete(PartitionRow).where(PartitionRow.table_id == row.id))
            s.execute(delete(TableVersionRow).where(TableVersionRow.table_id == row.id))
            s.delete(row)

    # partitions ----------------------------------------------------------------------------------

    def batch_create_partition(
        self, database: str, table: str, partitions: Iterable[dict[str, Any]], *, replace: bool = False
    ) -> tuple[int, int]:
        """Glue BatchCreatePartition from PartitionInputs. Existing partitions are kept unless ``replace``.

        Returns (created, updated).
        """
        with self._session() as s:
            row = self._table(s, database, table)
            existing = {p.values_key: p for p in s.scalars(select(PartitionRow).where(PartitionRow.table_id == row.id))}
            created = updated = 0
            now = utcnow()
            for part in partitions:
                values = [str(v) for v in part["Values"]]
                if len(values) != len(row.partition_keys):
                    raise InvalidInputException(
                        f"Partition {values} of {database}.{table} has {len(values)} values; "
                        f"the table has {len(row.partition_keys)} partition keys."
                    )
                key = values_key(values)
                sd = part.get("StorageDescriptor", {})
                own = sd if sd.get("Columns") and sd.get("Columns") != row.descriptor.get("Columns") else None
                current = existing.get(key)
                if current is None:
                    new = PartitionRow(
                        table_id=row.id,
                        values=values,
                        values_key=key,
                        location=sd.get("Location", ""),
                        descriptor=copy.deepcopy(own),
                        parameters=dict(part.get("Parameters", {})),
                        creation_time=now,
                    )
                    s.add(new)
                    existing[key] = new
                    created += 1
                elif replace:
                    current.location = sd.get("Location", current.location)
                    current.descriptor = copy.deepcopy(own)
                    current.parameters = dict(part.get("Parameters", current.parameters))
                    updated += 1
            s.flush()
            return created, updated

    def get_partitions(self, database: str, table: str, expression: str | None = None) -> list[dict[str, Any]]:
        """Glue GetPartitions; ``expression`` is evaluated against the catalog, never by listing files."""
        with self._session() as s:
            row = self._table(s, database, table)
            parts = list(
                s.scalars(select(PartitionRow).where(PartitionRow.table_id == row.id).order_by(PartitionRow.values_key))
            )
            if expression and expression.strip():
                from catalog.predicate import compile_predicate

                keys = [(k["Name"], k["Type"]) for k in row.partition_keys]
                matches = compile_predicate(expression, keys)
                parts = [p for p in parts if matches(p.values)]
            return [partition_shape(p, row, database) for p in parts]

    def get_partition(self, database: str, table: str, values: list[str]) -> dict[str, Any]:
        """Glue GetPartition."""
        with self._session() as s:
            row = self._table(s, database, table)
            part = self._partition(s, row, values, f"{database}.{table}")
            return partition_shape(part, row, database)

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
            s.delete(self._partition(s, row, values, f"{database}.{table}"))

    # helpers -------------------------------------------------------------------------------------

    @staticmethod
    def _database(s: Session, name: str) -> DatabaseRow:
        row = s.scalar(select(DatabaseRow).where(DatabaseRow.name == name))
        if row is None:
            raise EntityNotFoundException(
                f"Database {name} not found.", hint="List databases with `sluice catalog get-databases`."
            )
        return row

    def _table(self, s: Session, database: str, name: str) -> TableRow:
        db = self._database(s, database)
        row = s.scalar(select(TableRow).where(TableRow.database_id == db.id, TableRow.name == name))
        if row is None:
            raise EntityNotFoundException(
                f"Table {name} not found in database {database}.",
                hint=f"List tables with `sluice catalog get-tables --database-name {database}`.",
            )
        return row

    @staticmethod
    def _partition(s: Session, table: TableRow, values: list[str], label: str) -> PartitionRow:
        part = s.scalar(
            select(PartitionRow).where(PartitionRow.table_id == table.id, PartitionRow.values_key == values_key(values))
        )
        if part is None:
            raise EntityNotFoundException(f"Partition {values} not found in table {label}.")
        return part

    @staticmethod
    def _snapshot(s: Session, row: TableRow, database: str) -> None:
        s.add(TableVersionRow(table_id=row.id, version_id=row.version_id, table=table_shape(row, database)))


def _check_name(name: str, kind: str) -> None:
    if not name or len(name) > 255 or any(ch in name for ch in "/\\\n\r\t\x00"):
        raise InvalidInputException(
            f"Invalid {kind} name {name!r}: names are 1-255 characters with no slashes or control characters."
        )
