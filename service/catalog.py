"""Glue's Data Catalog operations over ``catalog.store.Catalog``: databases, tables, versions, partitions.

Sluice has one catalog: ``CatalogId`` is accepted and ignored, and every object reports ``"sluice"``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import partial
from operator import itemgetter
from typing import Any, TypeVar

from catalog.store import Catalog, page, values_key
from sluice.context import SluiceContext
from sluice.errors import AlreadyExistsException, EntityNotFoundException, InvalidInputException, SluiceError

T = TypeVar("T")

__all__ = [
    "batch_create_partition",
    "batch_delete_partition",
    "batch_delete_table",
    "batch_get_partition",
    "batch_update_partition",
    "create_database",
    "create_partition",
    "create_table",
    "delete_database",
    "delete_partition",
    "delete_table",
    "delete_table_version",
    "get_database",
    "get_databases",
    "get_partition",
    "get_partitions",
    "get_table",
    "get_table_version",
    "get_table_versions",
    "get_tables",
    "search_tables",
    "update_database",
    "update_partition",
    "update_table",
]


def _error_detail(error: SluiceError) -> dict[str, str]:
    """Glue's ErrorDetail of one failed item of a batch."""
    return {"ErrorCode": type(error).__name__, "ErrorMessage": error.message}


def _each(
    items: Iterable[T],
    apply: Callable[[T], object],
    member: str,
    key: Callable[[T], object],
    failure: type[SluiceError],
) -> list[dict[str, Any]]:
    """Apply a batch item by item; Glue's ``Errors``: each item that failed with ``failure``, named by ``member``."""
    errors = []
    for item in items:
        try:
            apply(item)
        except failure as error:
            errors.append({member: key(item), "ErrorDetail": _error_detail(error)})
    return errors


def get_databases(ctx: SluiceContext | None, *, CatalogId: str | None = None) -> dict[str, Any]:
    """Glue GetDatabases: every database, by name."""
    return {"DatabaseList": Catalog(ctx).get_databases()}


def get_database(ctx: SluiceContext | None, *, Name: str, CatalogId: str | None = None) -> dict[str, Any]:
    """Glue GetDatabase."""
    return {"Database": Catalog(ctx).get_database(Name)}


def create_database(
    ctx: SluiceContext | None, *, DatabaseInput: dict[str, Any], CatalogId: str | None = None
) -> dict[str, Any]:
    """Glue CreateDatabase from a DatabaseInput (Name, Description, LocationUri, Parameters)."""
    Catalog(ctx).create_database(
        DatabaseInput["Name"],
        description=DatabaseInput.get("Description"),
        location_uri=DatabaseInput.get("LocationUri"),
        parameters=DatabaseInput.get("Parameters"),
    )
    return {}


def update_database(
    ctx: SluiceContext | None, *, Name: str, DatabaseInput: dict[str, Any], CatalogId: str | None = None
) -> dict[str, Any]:
    """Glue UpdateDatabase: DatabaseInput replaces the definition of database ``Name``."""
    Catalog(ctx).update_database(Name, DatabaseInput)
    return {}


def delete_database(ctx: SluiceContext | None, *, Name: str, CatalogId: str | None = None) -> dict[str, Any]:
    """Glue DeleteDatabase: the database with its tables and partitions."""
    Catalog(ctx).delete_database(Name)
    return {}


def get_tables(
    ctx: SluiceContext | None,
    *,
    DatabaseName: str,
    Expression: str | None = None,
    MaxResults: int | None = None,
    NextToken: str | None = None,
    CatalogId: str | None = None,
) -> dict[str, Any]:
    """Glue GetTables, one page: the database's tables by name; ``Expression``, a regular expression, keeps
    those whose whole name matches it."""
    tables = Catalog(ctx).get_tables(DatabaseName)
    if Expression is not None:
        try:
            pattern = re.compile(Expression)
        except re.error as error:
            raise InvalidInputException(f"Expression {Expression!r} is not a regular expression: {error}.") from None
        tables = [t for t in tables if pattern.fullmatch(t["Name"])]
    request = {"DatabaseName": DatabaseName, "Expression": Expression}
    found, token = page(tables, _name, request, max_results=MaxResults, next_token=NextToken)
    return {"TableList": found, **({"NextToken": token} if token else {})}


def search_tables(
    ctx: SluiceContext | None,
    *,
    SearchText: str | None = None,
    Filters: list[dict[str, str]] | None = None,
    MaxResults: int | None = None,
    NextToken: str | None = None,
    CatalogId: str | None = None,
) -> dict[str, Any]:
    """Glue SearchTables, one page: the tables of every database whose name, description or a column name
    holds ``SearchText`` (ignoring case), narrowed by ``Filters`` on DatabaseName (EQUALS)."""
    databases: set[str] = set()
    for predicate in Filters or []:
        if predicate.get("Key") != "DatabaseName" or predicate.get("Comparator", "EQUALS") != "EQUALS":
            raise InvalidInputException(
                f"Filter {predicate!r} is not supported: Sluice filters on DatabaseName with EQUALS."
            )
        databases.add(predicate.get("Value", ""))
    text = (SearchText or "").lower()
    tables = [
        t
        for t in Catalog(ctx).get_all_tables()
        if (not databases or t["DatabaseName"] in databases) and any(text in word.lower() for word in _words(t))
    ]
    request = {"SearchText": text, "Filters": sorted(databases)}
    found, token = page(tables, _qualified_name, request, max_results=MaxResults, next_token=NextToken)
    return {"TableList": found, **({"NextToken": token} if token else {})}


def _name(table: dict[str, Any]) -> str:
    return str(table["Name"])


def _qualified_name(table: dict[str, Any]) -> str:
    return values_key([table["DatabaseName"], table["Name"]])


def _words(table: dict[str, Any]) -> list[str]:
    """What SearchText is looked for in: the table's name, description and column names."""
    columns = table["StorageDescriptor"].get("Columns", []) + table["PartitionKeys"]
    return [table["Name"], table.get("Description", ""), *(c["Name"] for c in columns)]


def get_table(
    ctx: SluiceContext | None, *, DatabaseName: str, Name: str, CatalogId: str | None = None
) -> dict[str, Any]:
    """Glue GetTable."""
    return {"Table": Catalog(ctx).get_table(DatabaseName, Name)}


def get_table_versions(
    ctx: SluiceContext | None, *, DatabaseName: str, TableName: str, CatalogId: str | None = None
) -> dict[str, Any]:
    """Glue GetTableVersions: every schema version, newest first."""
    return {"TableVersions": Catalog(ctx).get_table_versions(DatabaseName, TableName)}


def get_table_version(
    ctx: SluiceContext | None,
    *,
    DatabaseName: str,
    TableName: str,
    VersionId: str | None = None,
    CatalogId: str | None = None,
) -> dict[str, Any]:
    """Glue GetTableVersion: one schema version; without ``VersionId``, the current one."""
    return {"TableVersion": Catalog(ctx).get_table_version(DatabaseName, TableName, VersionId)}


def delete_table_version(
    ctx: SluiceContext | None, *, DatabaseName: str, TableName: str, VersionId: str, CatalogId: str | None = None
) -> dict[str, Any]:
    """Glue DeleteTableVersion (not the current version)."""
    Catalog(ctx).delete_table_version(DatabaseName, TableName, VersionId)
    return {}


def create_table(
    ctx: SluiceContext | None, *, DatabaseName: str, TableInput: dict[str, Any], CatalogId: str | None = None
) -> dict[str, Any]:
    """Glue CreateTable from a TableInput; it is stored as version 0."""
    Catalog(ctx).create_table(DatabaseName, TableInput)
    return {}


def update_table(
    ctx: SluiceContext | None,
    *,
    DatabaseName: str,
    TableInput: dict[str, Any],
    SkipArchive: bool | None = None,
    CatalogId: str | None = None,
) -> dict[str, Any]:
    """Glue UpdateTable: the table as it was is archived as a version (GetTableVersions) unless ``SkipArchive``."""
    Catalog(ctx).update_table(DatabaseName, TableInput, archive=not SkipArchive)
    return {}


def delete_table(
    ctx: SluiceContext | None, *, DatabaseName: str, Name: str, CatalogId: str | None = None
) -> dict[str, Any]:
    """Glue DeleteTable: the table, its versions and its partitions."""
    Catalog(ctx).delete_table(DatabaseName, Name)
    return {}


def batch_delete_table(
    ctx: SluiceContext | None,
    *,
    DatabaseName: str,
    TablesToDelete: list[str],
    CatalogId: str | None = None,
) -> dict[str, Any]:
    """Glue BatchDeleteTable: each table that is missing is reported in ``Errors``; the others go."""
    with Catalog(ctx).transaction() as catalog:
        catalog.get_database(DatabaseName)
        drop = partial(catalog.delete_table, DatabaseName)
        return {"Errors": _each(TablesToDelete, drop, "TableName", str, EntityNotFoundException)}


def get_partitions(
    ctx: SluiceContext | None,
    *,
    DatabaseName: str,
    TableName: str,
    Expression: str | None = None,
    NextToken: str | None = None,
    Segment: dict[str, int] | None = None,
    MaxResults: int | None = None,
    ExcludeColumnSchema: bool = False,
    CatalogId: str | None = None,
) -> dict[str, Any]:
    """Glue GetPartitions, one page: without ``MaxResults`` the page holds every matching partition."""
    partitions, token = Catalog(ctx).get_partitions_page(
        DatabaseName,
        TableName,
        Expression,
        max_results=MaxResults,
        next_token=NextToken,
        segment=Segment,
        exclude_column_schema=ExcludeColumnSchema,
    )
    return {"Partitions": partitions, **({"NextToken": token} if token else {})}


def get_partition(
    ctx: SluiceContext | None,
    *,
    DatabaseName: str,
    TableName: str,
    PartitionValues: list[str],
    CatalogId: str | None = None,
) -> dict[str, Any]:
    """Glue GetPartition."""
    return {"Partition": Catalog(ctx).get_partition(DatabaseName, TableName, PartitionValues)}


def batch_get_partition(
    ctx: SluiceContext | None,
    *,
    DatabaseName: str,
    TableName: str,
    PartitionsToGet: list[dict[str, list[str]]],
    CatalogId: str | None = None,
) -> dict[str, Any]:
    """Glue BatchGetPartition: the partitions that exist; missing ones are simply absent, as in Glue."""
    values = [p["Values"] for p in PartitionsToGet]
    return {"Partitions": Catalog(ctx).batch_get_partition(DatabaseName, TableName, values), "UnprocessedKeys": []}


def create_partition(
    ctx: SluiceContext | None,
    *,
    DatabaseName: str,
    TableName: str,
    PartitionInput: dict[str, Any],
    CatalogId: str | None = None,
) -> dict[str, Any]:
    """Glue CreatePartition; AlreadyExistsException when the partition exists."""
    with Catalog(ctx).transaction() as catalog:
        if catalog.batch_get_partition(DatabaseName, TableName, [PartitionInput["Values"]]):
            raise AlreadyExistsException(
                f"Partition {PartitionInput['Values']} of {DatabaseName}.{TableName} already exists."
            )
        catalog.batch_create_partition(DatabaseName, TableName, [PartitionInput])
    return {}


def update_partition(
    ctx: SluiceContext | None,
    *,
    DatabaseName: str,
    TableName: str,
    PartitionValueList: list[str],
    PartitionInput: dict[str, Any],
    CatalogId: str | None = None,
) -> dict[str, Any]:
    """Glue UpdatePartition: PartitionInput (its Values included) replaces the partition's definition."""
    Catalog(ctx).replace_partition(DatabaseName, TableName, PartitionValueList, PartitionInput)
    return {}


def batch_update_partition(
    ctx: SluiceContext | None,
    *,
    DatabaseName: str,
    TableName: str,
    Entries: list[dict[str, Any]],
    CatalogId: str | None = None,
) -> dict[str, Any]:
    """Glue BatchUpdatePartition: each entry that fails (a missing partition, a clash of new values) is
    reported in ``Errors``; the others are updated."""
    with Catalog(ctx).transaction() as catalog:
        catalog.get_table(DatabaseName, TableName)

        def replace(entry: dict[str, Any]) -> None:
            catalog.replace_partition(DatabaseName, TableName, entry["PartitionValueList"], entry["PartitionInput"])

        return {"Errors": _each(Entries, replace, "PartitionValueList", itemgetter("PartitionValueList"), SluiceError)}


def batch_delete_partition(
    ctx: SluiceContext | None,
    *,
    DatabaseName: str,
    TableName: str,
    PartitionsToDelete: list[dict[str, list[str]]],
    CatalogId: str | None = None,
) -> dict[str, Any]:
    """Glue BatchDeletePartition: each partition that is missing is reported in ``Errors``."""
    with Catalog(ctx).transaction() as catalog:
        catalog.get_table(DatabaseName, TableName)

        def drop(part: dict[str, list[str]]) -> None:
            catalog.delete_partition(DatabaseName, TableName, part["Values"])

        values = itemgetter("Values")
        return {"Errors": _each(PartitionsToDelete, drop, "PartitionValues", values, EntityNotFoundException)}


def batch_create_partition(
    ctx: SluiceContext | None,
    *,
    DatabaseName: str,
    TableName: str,
    PartitionInputList: list[dict[str, Any]],
    CatalogId: str | None = None,
) -> dict[str, Any]:
    """Glue BatchCreatePartition: the new partitions are created in one transaction; each one that exists
    already is left as it is and reported in ``Errors`` as AlreadyExistsException, as Glue does."""
    existed: set[str] = set()
    Catalog(ctx).batch_create_partition(DatabaseName, TableName, PartitionInputList, existed=existed)
    errors = []
    for part in PartitionInputList if existed else ():
        if values_key([str(v) for v in part["Values"]]) in existed:
            exists = AlreadyExistsException(f"Partition {part['Values']} of {DatabaseName}.{TableName} already exists.")
            errors.append({"PartitionValues": part["Values"], "ErrorDetail": _error_detail(exists)})
    return {"Errors": errors}


def delete_partition(
    ctx: SluiceContext | None,
    *,
    DatabaseName: str,
    TableName: str,
    PartitionValues: list[str],
    CatalogId: str | None = None,
) -> dict[str, Any]:
    """Glue DeletePartition."""
    Catalog(ctx).delete_partition(DatabaseName, TableName, PartitionValues)
    return {}
