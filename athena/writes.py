"""Athena's writing DDL: ``CREATE TABLE AS SELECT`` and ``MSCK REPAIR TABLE``.

CTAS refuses a table that exists and a location that holds data (Athena's HIVE_PATH_ALREADY_EXISTS), writes
the query's rows into ``<location>/_staging/<query id>/`` (hidden from readers), moves them into place, then
registers the table and its partitions. Any failure on the way removes what was written and the table: a
failed CTAS leaves no table and no files. It writes Parquet (Athena's default, with its GZIP) or text (the
``\\001`` delimiter, uncompressed; Athena would GZIP it). The location defaults to
``<database location>/<table>``, or ``<lake>/<database>/<table>``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import pyarrow as pa

from athena.statements import CreateTableAs, RepairTable
from athena.views import CatalogApi, literal, partition_folder, quote
from catalog.arrow import arrow_to_hive
from catalog.crawler.classification import (
    LAZY_SIMPLE_SERDE,
    TEXT_INPUT_FORMAT,
    TEXT_OUTPUT_FORMAT,
)
from catalog.predicate import HIVE_DEFAULT_PARTITION
from catalog.shapes import PARQUET_FORMATS, storage_descriptor
from sluice.errors import AlreadyExistsException, EntityNotFoundException, InvalidInputException
from sluice.lake.fs import filesystem, list_objects, list_visible
from sluice.lake.objects import prune
from sluice.lake.paths import join, resolve
from sluice.lake.stage import delete, move, remove_folder, remove_tree

if TYPE_CHECKING:
    from sluice.context import SluiceContext

STAGING = "_staging"
PARTITION_BATCH = 100
"""Partitions per BatchCreatePartition call (Glue's limit)."""
_COMPRESSION = {"PARQUET": "GZIP", "TEXTFILE": None}


@dataclass(frozen=True)
class Written:
    """What a CTAS wrote: rows, files and partitions."""

    rows: int
    files: int
    partitions: int


def table_location(statement: CreateTableAs, catalog: CatalogApi, *, ctx: SluiceContext) -> str:
    """Where the new table's files go."""
    if statement.location:
        return resolve(statement.location, ctx=ctx)
    database = catalog.get_database(statement.table.database)
    base = database.get("LocationUri")
    return resolve(
        join(base, statement.table.name) if base else join(statement.table.database, statement.table.name), ctx=ctx
    )


def check_target(statement: CreateTableAs, catalog: CatalogApi, location: str, *, ctx: SluiceContext) -> None:
    """Refuse a CTAS whose table exists, or whose location holds data already (before any row is computed)."""
    name = statement.table
    catalog.get_database(name.database)
    with contextlib.suppress(EntityNotFoundException):
        catalog.get_table(name.database, name.name)
        raise AlreadyExistsException(f"Table {name} already exists.", hint="Drop it first, or pick another name.")
    if list_visible(location, ctx=ctx):
        raise InvalidInputException(
            f"HIVE_PATH_ALREADY_EXISTS: Target directory for table '{name}' already exists: {location}.",
            hint="A CTAS writes into an empty location: give another external_location, or empty this one.",
        )


Writer = Callable[[str], int]
"""Writes the query's rows into a staging folder (Hive folders for the partition keys); returns the row count."""


def create_table_as(
    statement: CreateTableAs,
    schema: pa.Schema,
    write: Writer,
    catalog: CatalogApi,
    location: str,
    query_id: str,
    *,
    ctx: SluiceContext,
) -> Written:
    """Write the query's rows (``schema``, written by ``write``) and register the table; on any failure, undo
    both."""
    schema = check_columns(statement, schema)
    stage = join(location, STAGING, query_id)
    moved: list[str] = []
    created = False
    try:
        rows = write(stage)
        staged = [o for o in list_objects(stage, ctx=ctx) if not o.key.rsplit("/", 1)[-1].startswith((".", "_"))]
        pairs = [(o.uri, join(location, o.key)) for o in staged]
        move(pairs, ctx=ctx)
        moved = [target for _, target in pairs]
        folders = sorted({target.rpartition("/")[0] for target in moved}) if statement.partitioned_by else []
        catalog.create_table(statement.table.database, _table_input(statement, schema, location))
        created = True
        inputs = [_partition_input(statement, schema, location, folder) for folder in folders]
        for i in range(0, len(inputs), PARTITION_BATCH):
            errors = catalog.batch_create_partition(
                statement.table.database, statement.table.name, inputs[i : i + PARTITION_BATCH]
            )
            if errors:
                raise InvalidInputException(f"Registering the partitions of {statement.table} failed: {errors[0]}")
        return Written(rows, len(moved), len(folders))
    except BaseException:
        if created:
            with contextlib.suppress(EntityNotFoundException):
                catalog.delete_table(statement.table.database, statement.table.name)
        delete(moved, ctx=ctx)
        for folder in {target.rpartition("/")[0] for target in moved}:
            prune(folder, stops={location})
        raise
    finally:
        remove_tree(stage, ctx=ctx)
        remove_folder(join(location, STAGING), ctx=ctx)


def check_columns(statement: CreateTableAs, schema: pa.Schema) -> pa.Schema:
    """The result's columns in lower case, unique, the partition keys last and in order (as Athena requires)."""
    names = [n.lower() for n in schema.names]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidInputException(f"CTAS of {statement.table}: column {duplicates[0]!r} appears more than once.")
    keys = list(statement.partitioned_by)
    if keys and names[-len(keys) :] != keys:
        missing = [k for k in keys if k not in names]
        detail = f"{', '.join(missing)} not among the query's columns" if missing else "not the query's last columns"
        raise InvalidInputException(
            f"HIVE_COLUMN_ORDER_MISMATCH: partition keys {', '.join(keys)} of {statement.table}: {detail}.",
            hint="List the partitioned_by columns last in the SELECT, in the same order.",
        )
    if keys and len(keys) == len(names):
        raise InvalidInputException(f"CTAS of {statement.table}: a table needs a column besides its partition keys.")
    return pa.schema([f.with_name(n) for f, n in zip(schema, names, strict=True)])


def arrow_writer(
    statement: CreateTableAs, batches: pa.RecordBatchReader, query_id: str, *, ctx: SluiceContext
) -> Writer:
    """A :data:`Writer` of ``batches`` through pyarrow's dataset writer (the lake's filesystem)."""

    def write(stage: str) -> int:
        import pyarrow.dataset as ds  # loads pandas: only a CTAS pays for it

        schema = pa.schema([f.with_name(f.name.lower()) for f in batches.schema])
        count = 0

        def counted() -> Iterator[pa.RecordBatch]:
            nonlocal count
            for batch in batches:
                count += batch.num_rows
                yield pa.RecordBatch.from_arrays(batch.columns, schema=schema)

        fs, path = filesystem(stage, ctx=ctx)
        fmt, options, extension = _file_format(statement)
        keys = pa.schema([schema.field(k) for k in statement.partitioned_by])
        ds.write_dataset(
            pa.RecordBatchReader.from_batches(schema, counted()),
            path,
            filesystem=fs,
            format=fmt,
            file_options=options,
            partitioning=ds.partitioning(keys, flavor="hive") if statement.partitioned_by else None,
            basename_template=f"{query_id}-{{i}}{extension}",
            existing_data_behavior="overwrite_or_ignore",
            create_dir=True,
        )
        return count

    return write


def copy_sql(statement: CreateTableAs, query: str, names: list[str], stage: str, query_id: str) -> str | None:
    """DuckDB's ``COPY … TO`` writing a Parquet CTAS's rows into ``stage`` (its parallel writer), or None for a
    format pyarrow writes (TEXTFILE)."""
    if statement.format != "PARQUET":
        return None
    codec = (statement.compression or _COMPRESSION["PARQUET"] or "NONE").upper()
    codec = {"NONE": "uncompressed", "UNCOMPRESSED": "uncompressed"}.get(codec, codec.lower())
    keys = set(statement.partitioned_by)
    columns = ", ".join(
        f"COALESCE(CAST({quote(n)} AS VARCHAR), {literal(HIVE_DEFAULT_PARTITION)}) AS {quote(n.lower())}"
        if n.lower() in keys
        else f"{quote(n)} AS {quote(n.lower())}"
        for n in names
    )
    options = [f"FORMAT parquet, COMPRESSION {codec}"]
    if statement.partitioned_by:
        by = ", ".join(quote(k) for k in statement.partitioned_by)
        options.append(f"PARTITION_BY ({by}), FILENAME_PATTERN {literal(query_id + '-{i}')}, OVERWRITE_OR_IGNORE")
        target = stage
    else:
        target = join(stage, f"{query_id}-0.parquet")
    return f"COPY (SELECT {columns} FROM ({query})) TO {literal(target)} ({', '.join(options)})"


def _file_format(statement: CreateTableAs) -> tuple[Any, Any, str]:
    """pyarrow's file format, its write options and the files' extension."""
    import pyarrow.dataset as ds

    compression = statement.compression or _COMPRESSION[statement.format]
    if statement.format == "PARQUET":
        fmt = ds.ParquetFileFormat()
        codec = (compression or "NONE").lower()
        return fmt, fmt.make_write_options(compression=None if codec == "none" else codec), ".parquet"
    if compression and compression.upper() != "NONE":
        raise InvalidInputException(f"Sluice writes TEXTFILE tables uncompressed, not {compression}.")
    fmt = ds.CsvFileFormat()
    return fmt, fmt.make_write_options(include_header=False, delimiter=_delimiter(statement), quoting_style="none"), ""


def _delimiter(statement: CreateTableAs) -> str:
    return "\u0001" if statement.field_delimiter is None else statement.field_delimiter


def _formats(statement: CreateTableAs) -> dict[str, Any]:
    if statement.format == "PARQUET":
        return PARQUET_FORMATS
    params = {"field.delim": _delimiter(statement), "serialization.format": _delimiter(statement)}
    return {
        "InputFormat": TEXT_INPUT_FORMAT,
        "OutputFormat": TEXT_OUTPUT_FORMAT,
        "SerdeInfo": {"SerializationLibrary": LAZY_SIMPLE_SERDE, "Parameters": params},
    }


def _table_input(statement: CreateTableAs, schema: pa.Schema, location: str) -> dict[str, Any]:
    keys = set(statement.partitioned_by)
    columns = [{"Name": f.name, "Type": arrow_to_hive(f.type)} for f in schema if f.name not in keys]
    classification = {"PARQUET": "parquet", "TEXTFILE": "csv"}[statement.format]
    params = {"classification": classification, "has_encrypted_data": "false"}
    if statement.format == "TEXTFILE":
        params["delimiter"] = _delimiter(statement)
    compressed = (statement.compression or _COMPRESSION[statement.format] or "NONE").upper() not in (
        "NONE",
        "UNCOMPRESSED",
    )
    return {
        "Name": statement.table.name,
        "TableType": "EXTERNAL_TABLE",
        "StorageDescriptor": storage_descriptor(
            columns, location, formats=_formats(statement), compressed=compressed, parameters=dict(params)
        ),
        "PartitionKeys": [{"Name": k, "Type": arrow_to_hive(schema.field(k).type)} for k in statement.partitioned_by],
        "Parameters": params,
    }


def _partition_input(statement: CreateTableAs, schema: pa.Schema, location: str, folder: str) -> dict[str, Any]:
    table = _table_input(statement, schema, location)
    values = [v for _, v in folder_values(folder[len(location) + 1 :])]
    sd = table["StorageDescriptor"] | {"Location": folder}
    return {"Values": values, "StorageDescriptor": sd, "Parameters": {}}


def folder_values(relative: str) -> list[tuple[str, str]]:
    """``k1=v1/k2=v2`` → ``[("k1", "v1"), ("k2", "v2")]`` (Hive escapes undone); a segment without ``=`` ends it."""
    out = []
    for segment in relative.strip("/").split("/"):
        key, eq, value = segment.partition("=")
        if not eq:
            break
        out.append((unquote(key).lower(), unquote(value)))
    return out


def repair_table(statement: RepairTable, catalog: CatalogApi, *, ctx: SluiceContext) -> list[str]:
    """``MSCK REPAIR TABLE``: add the Hive-style partition folders found under the table's location that the
    catalog lacks; returns Athena's report lines."""
    name = statement.table
    table = catalog.get_table(name.database, name.name)
    keys = [k["Name"].lower() for k in table.get("PartitionKeys", [])]
    if not keys:
        raise InvalidInputException(
            f"MSCK REPAIR TABLE: {name} has no partition keys.", hint="It repairs partitioned tables only."
        )
    location = table["StorageDescriptor"]["Location"].rstrip("/")
    found: dict[tuple[str, ...], str] = {}
    for info in list_visible(location, ctx=ctx):
        folder = info.key.rpartition("/")[0]
        pairs = folder_values(folder)[: len(keys)]
        if [k for k, _ in pairs] == keys:
            found.setdefault(tuple(v for _, v in pairs), join(location, *folder.split("/")[: len(keys)]))
    known = {tuple(p["Values"]) for p in catalog.get_partitions(name.database, name.name)}
    new = sorted(values for values in found if values not in known)
    if not new:
        return []
    base = table["StorageDescriptor"]
    inputs = [{"Values": list(v), "StorageDescriptor": base | {"Location": found[v]}, "Parameters": {}} for v in new]
    for i in range(0, len(inputs), PARTITION_BATCH):
        catalog.batch_create_partition(name.database, name.name, inputs[i : i + PARTITION_BATCH])
    folders = [partition_folder(keys, v) for v in new]
    missing = "\t".join(f"{name.name}:{f}" for f in folders)
    return [f"Partitions not in metastore:\t{missing}"] + [
        f"Repair: Added partition to metastore {name.name}:{f}" for f in folders
    ]
