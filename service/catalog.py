"""Glue's Data Catalog operations over ``catalog.store.Catalog``: databases, tables, versions, partitions.

Sluice has one catalog: ``CatalogId`` is accepted and ignored, and every object reports ``"sluice"``.
"""

from __future__ import annotations

from typing import Any

from catalog.store import Catalog
from sluice.context import SluiceContext
from sluice.errors import EntityNotFoundException

__all__ = [
    "batch_create_partition",
    "create_database",
    "create_table",
    "delete_database",
    "delete_partition",
    "delete_table",
    "get_database",
    "get_databases",
    "get_partition",
    "get_partitions",
    "get_table",
    "get_table_versions",
    "get_tables",
    "update_table",
]


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


def delete_database(ctx: SluiceContext | None, *, Name: str, CatalogId: str | None = None) -> dict[str, Any]:
    """Glue DeleteDatabase: the database with its tables and partitions."""
    Catalog(ctx).delete_database(Name)
    return {}


def get_tables(ctx: SluiceContext | None, *, DatabaseName: str, CatalogId: str | None = None) -> dict[str, Any]:
    """Glue GetTables: the database's tables, by name."""
    return {"TableList": Catalog(ctx).get_tables(DatabaseName)}


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


def create_table(
    ctx: SluiceContext | None, *, DatabaseName: str, TableInput: dict[str, Any], CatalogId: str | None = None
) -> dict[str, Any]:
    """Glue CreateTable from a TableInput; it is stored as version 0."""
    Catalog(ctx).create_table(DatabaseName, TableInput)
    return {}


def update_table(
    ctx: SluiceContext | None, *, DatabaseName: str, TableInput: dict[str, Any], CatalogId: str | None = None
) -> dict[str, Any]:
    """Glue UpdateTable; a new version is stored when the columns or partition keys change."""
    Catalog(ctx).update_table(DatabaseName, TableInput)
    return {}


def delete_table(
    ctx: SluiceContext | None, *, DatabaseName: str, Name: str, CatalogId: str | None = None
) -> dict[str, Any]:
    """Glue DeleteTable: the table, its versions and its partitions."""
    Catalog(ctx).delete_table(DatabaseName, Name)
    return {}


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
    errors: list[dict[str, Any]] = []
    fresh: list[dict[str, Any]] = []
    with Catalog(ctx).transaction() as catalog:
        for part in PartitionInputList:
            try:
                catalog.get_partition(DatabaseName, TableName, part["Values"])
            except EntityNotFoundException:
                fresh.append(part)
                continue
            errors.append(
                {
                    "PartitionValues": part["Values"],
                    "ErrorDetail": {
                        "ErrorCode": "AlreadyExistsException",
                        "ErrorMessage": f"Partition {part['Values']} of {DatabaseName}.{TableName} already exists.",
                    },
                }
            )
        catalog.batch_create_partition(DatabaseName, TableName, fresh)
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
