"""The one Glue-shape serializer per catalog object (Database, Table, Partition, TableVersion)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from catalog.models import DatabaseRow, PartitionRow, TableRow

PARQUET_FORMATS = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {
        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        "Parameters": {"serialization.format": "1"},
    },
}


def iso(value: datetime | None) -> str | None:
    """Timestamps print as ISO 8601 with offset, as the AWS CLI prints them."""
    return value.isoformat() if value else None


def storage_descriptor(
    columns: list[dict[str, str]],
    location: str,
    *,
    formats: dict[str, Any] | None = None,
    compressed: bool = False,
    parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A complete Glue StorageDescriptor; ``formats`` gives InputFormat, OutputFormat and SerdeInfo."""
    formats = formats or PARQUET_FORMATS
    return {
        "Columns": [dict(c) for c in columns],
        "Location": location,
        "InputFormat": formats["InputFormat"],
        "OutputFormat": formats["OutputFormat"],
        "Compressed": compressed,
        "NumberOfBuckets": -1,
        "SerdeInfo": formats["SerdeInfo"],
        "BucketColumns": [],
        "SortColumns": [],
        "Parameters": dict(parameters or {}),
        "StoredAsSubDirectories": False,
    }


def database_shape(row: DatabaseRow) -> dict[str, Any]:
    """Glue ``Database``."""
    out: dict[str, Any] = {"Name": row.name, "CreateTime": iso(row.create_time), "Parameters": row.parameters}
    if row.description:
        out["Description"] = row.description
    if row.location_uri:
        out["LocationUri"] = row.location_uri
    out["CatalogId"] = "sluice"
    return out


def table_shape(row: TableRow, database_name: str) -> dict[str, Any]:
    """Glue ``Table``."""
    out: dict[str, Any] = {
        "Name": row.name,
        "DatabaseName": database_name,
        "CreateTime": iso(row.create_time),
        "UpdateTime": iso(row.update_time),
        "Retention": 0,
        "StorageDescriptor": row.descriptor,
        "PartitionKeys": row.partition_keys,
        "TableType": row.table_type,
        "Parameters": row.parameters,
        "CreatedBy": "sluice",
        "IsRegisteredWithLakeFormation": False,
        "CatalogId": "sluice",
        "VersionId": str(row.version_id),
    }
    if row.description:
        out["Description"] = row.description
    return out


def partition_shape(
    row: PartitionRow, table: TableRow, database_name: str, *, exclude_column_schema: bool = False
) -> dict[str, Any]:
    """Glue ``Partition``: the table's descriptor with the partition's Location (and own columns, if any).

    ``exclude_column_schema`` leaves out the descriptor's Columns (GetPartitions ExcludeColumnSchema).
    """
    descriptor = dict(row.descriptor or table.descriptor)
    descriptor["Location"] = row.location
    if exclude_column_schema:
        descriptor.pop("Columns", None)
    out: dict[str, Any] = {
        "Values": row.values,
        "DatabaseName": database_name,
        "TableName": table.name,
        "CreationTime": iso(row.creation_time),
        "StorageDescriptor": descriptor,
        "Parameters": row.parameters,
        "CatalogId": "sluice",
    }
    if row.last_access_time:
        out["LastAccessTime"] = iso(row.last_access_time)
    return out
