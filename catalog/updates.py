"""Catalog updates on write, as Glue's ``enableUpdateCatalog`` makes them: create or evolve a table, add partitions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catalog.formats import (
    AVRO_INPUT_FORMAT,
    AVRO_OUTPUT_FORMAT,
    AVRO_SERDE,
    JSON_SERDE,
    LAZY_SIMPLE_SERDE,
    TEXT_INPUT_FORMAT,
    TEXT_OUTPUT_FORMAT,
)
from catalog.shapes import PARQUET_FORMATS, storage_descriptor
from catalog.store import Catalog
from catalog.types import INTEGRAL, widen
from sluice.context import SluiceContext

_NUMERIC = {*INTEGRAL, "float", "double"}
_TEXT = {"InputFormat": TEXT_INPUT_FORMAT, "OutputFormat": TEXT_OUTPUT_FORMAT}
_AVRO = {"InputFormat": AVRO_INPUT_FORMAT, "OutputFormat": AVRO_OUTPUT_FORMAT}
_AVRO["SerdeInfo"] = {"SerializationLibrary": AVRO_SERDE, "Parameters": {}}
CATALOG_FORMATS = ("parquet", "json", "csv", "avro")
"""The formats a write updates the catalog for, as Glue's ``enableUpdateCatalog`` does (Spark's names)."""


def written_table(
    fmt: str, columns: list[dict[str, str]], options: Mapping[str, str] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The InputFormat, OutputFormat and SerdeInfo, and the table parameters, of files Spark wrote in ``fmt``
    with writer ``options`` (CSV's ``sep`` and ``header``; ``compression``), as a crawler would catalog them."""
    options = options or {}
    params = {"classification": fmt, "typeOfData": "file", "UPDATED_BY_JOB": "true"}
    if fmt in ("json", "csv"):
        params["compressionType"] = options.get("compression") or "none"
    if fmt == "json":
        serde = {"SerializationLibrary": JSON_SERDE, "Parameters": {"paths": ",".join(c["Name"] for c in columns)}}
        return {**_TEXT, "SerdeInfo": serde}, params
    if fmt == "csv":
        delimiter = options.get("sep") or ","
        params |= {"delimiter": delimiter, "columnsOrdered": "true", "areColumnsQuoted": "false"}
        if options.get("header", "false").lower() == "true":
            params["skip.header.line.count"] = "1"
        serde = {"SerializationLibrary": LAZY_SIMPLE_SERDE, "Parameters": {"field.delim": delimiter}}
        return {**_TEXT, "SerdeInfo": serde}, params
    return (_AVRO if fmt == "avro" else PARQUET_FORMATS), params


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
    fmt: str = "parquet",
    format_options: Mapping[str, str] | None = None,
    ctx: SluiceContext | None = None,
) -> None:
    """Create or update ``database.table`` and add ``partitions`` (``{"Values": […], "Location": …}``); a new
    table is described as :func:`written_table` says for ``fmt`` and the writer's ``format_options``.

    Columns merge as :func:`evolve_columns` says, so a schema change stores a new table version.
    """
    with Catalog(ctx).transaction() as tx:
        tx.create_database(database, exist_ok=True)
        if not tx.table_exists(database, table):
            formats, params = written_table(fmt, columns, format_options)
            tx.create_table(
                database,
                {
                    "Name": table,
                    "StorageDescriptor": storage_descriptor(
                        columns, location, formats=formats, compressed=params.get("compressionType", "none") != "none"
                    ),
                    "PartitionKeys": partition_keys,
                    "Parameters": params,
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
