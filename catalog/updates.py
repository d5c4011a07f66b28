"""Catalog updates on write, as Glue's ``enableUpdateCatalog`` makes them: create or evolve a table, add partitions."""

from __future__ import annotations

from typing import Any

from catalog.shapes import storage_descriptor
from catalog.store import Catalog
from catalog.types import INTEGRAL, widen
from sluice.context import SluiceContext

_NUMERIC = {*INTEGRAL, "float", "double"}


def evolve_columns(current: list[dict[str, str]], new: list[dict[str, str]]) -> tuple[list[dict[str, str]], list[str]]:
    """The table's columns after writing ``new`` ones, and the conflicts that forbid the write.

    New columns are appended and existing ones keep their place. Numeric types may differ: the column
    takes the wider one when that is one of the two (``int`` and ``bigint`` give ``bigint``), which Spark's
    Parquet reader applies to the narrower files. Any other difference is a conflict, even where the
    catalog type could hold the written one (``int`` into ``string``): the Parquet files would disagree.
    """
    types = {c["Name"]: c["Type"] for c in new}
    merged, conflicts = [], []
    for column in current:
        name, old = column["Name"], column["Type"]
        written = types.pop(name, old)
        wide = widen(old, written)
        numeric = {_base(old), _base(written)} <= _NUMERIC | {"decimal"}
        if written != old and not (numeric and wide in (old, written)):
            conflicts.append(f"{name} is {old} in the catalog but {written} in the DataFrame")
            wide = old
        merged.append({**column, "Type": wide})
    merged += [{"Name": name, "Type": type_} for name, type_ in types.items()]
    return merged, conflicts


def _base(hive: str) -> str:
    return hive.split("(", 1)[0]


def apply_catalog_update(
    database: str,
    table: str,
    *,
    location: str,
    columns: list[dict[str, str]],
    partition_keys: list[dict[str, str]],
    partitions: list[dict[str, Any]],
    ctx: SluiceContext | None = None,
) -> None:
    """Create or update ``database.table`` and add ``partitions`` (``{"Values": […], "Location": …}``).

    Columns merge as :func:`evolve_columns` says, so a schema change stores a new table version.
    """
    with Catalog(ctx).transaction() as tx:
        tx.create_database(database, exist_ok=True)
        if not tx.table_exists(database, table):
            tx.create_table(
                database,
                {
                    "Name": table,
                    "StorageDescriptor": storage_descriptor(columns, location),
                    "PartitionKeys": partition_keys,
                    "Parameters": {"classification": "parquet", "typeOfData": "file", "UPDATED_BY_JOB": "true"},
                },
            )
        else:
            current = tx.get_table(database, table)
            merged, _ = evolve_columns(current["StorageDescriptor"]["Columns"], columns)
            tx.update_table(
                database, {"Name": table, "StorageDescriptor": {**current["StorageDescriptor"], "Columns": merged}}
            )
        if partitions:
            tx.batch_create_partition(
                database,
                table,
                [{"Values": p["Values"], "StorageDescriptor": {"Location": p["Location"]}} for p in partitions],
            )
