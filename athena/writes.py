"""Athena's writing DDL: ``CREATE TABLE AS SELECT`` and ``MSCK REPAIR TABLE``.

CTAS refuses a table that exists and a location that holds data (Athena's HIVE_PATH_ALREADY_EXISTS), writes
the query's rows into ``<location>/_staging/<query id>/`` (hidden from readers), moves them into place, then
registers the table and its partitions. Any failure on the way removes what was written and the table: a
failed CTAS leaves no table and no files. It writes Athena's formats with Athena's default compression:
Parquet (GZIP) and, through DuckDB's ``COPY``, newline-delimited JSON (GZIP, Hive's JSON SerDe) and TEXTFILE
(GZIP, LazySimpleSerDe, ``field_delimiter`` or ``\\001``, unquoted, NULL as an empty field); ORC (ZLIB) through
``pyarrow.orc``, one file per partition. The location defaults to ``<database location>/<table>``, or
``<lake>/<database>/<table>``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import pyarrow as pa

from athena.statements import CreateTableAs, RepairTable
from athena.views import CatalogApi, Session, literal, partition_folder, quote
from catalog.arrow import arrow_to_hive
from catalog.formats import (
    LAZY_SIMPLE_SERDE,
    ORC_INPUT_FORMAT,
    ORC_OUTPUT_FORMAT,
    ORC_SERDE,
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
_COMPRESSION = {"PARQUET": "GZIP", "ORC": "ZLIB", "JSON": "GZIP", "TEXTFILE": "GZIP"}
"""Athena's default ``write_compression`` of each format."""
HIVE_JSON_SERDE = "org.apache.hive.hcatalog.data.JsonSerDe"
_CLASSIFICATION = {"PARQUET": "parquet", "ORC": "orc", "JSON": "json", "TEXTFILE": "csv"}
_COPY_FORMAT = {"PARQUET": "parquet", "JSON": "json", "TEXTFILE": "csv"}
"""The formats DuckDB's ``COPY`` writes (ORC it does not)."""


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
    """A :data:`Writer` of ``batches``: Parquet through pyarrow's dataset writer (the lake's filesystem), ORC
    through ``pyarrow.orc``, JSON and TEXTFILE through DuckDB's ``COPY`` of the batches."""
    schema = pa.schema([f.with_name(f.name.lower()) for f in batches.schema])
    renamed = pa.RecordBatchReader.from_batches(
        schema, (pa.RecordBatch.from_arrays(b.columns, schema=schema) for b in batches)
    )
    if statement.format == "ORC":
        return lambda stage: _write_orc(statement, renamed, stage, query_id, ctx=ctx)
    if statement.format != "PARQUET":
        return lambda stage: _copy_batches(statement, renamed, stage, query_id, ctx=ctx)

    def write(stage: str) -> int:
        import pyarrow.dataset as ds  # loads pandas: only a CTAS pays for it

        count = 0

        def counted() -> Iterator[pa.RecordBatch]:
            nonlocal count
            for batch in renamed:
                count += batch.num_rows
                yield batch

        fs, path = filesystem(stage, ctx=ctx)
        fmt = ds.ParquetFileFormat()
        codec = compression(statement).lower()
        keys = pa.schema([schema.field(k) for k in statement.partitioned_by])
        ds.write_dataset(
            pa.RecordBatchReader.from_batches(schema, counted()),
            path,
            filesystem=fs,
            format=fmt,
            file_options=fmt.make_write_options(compression=None if codec == "none" else codec),
            partitioning=ds.partitioning(keys, flavor="hive") if statement.partitioned_by else None,
            basename_template=f"{query_id}-{{i}}.parquet",
            existing_data_behavior="overwrite_or_ignore",
            create_dir=True,
        )
        return count

    return write


def compression(statement: CreateTableAs) -> str:
    """The CTAS's codec: ``write_compression``, or Athena's default for its format; ``NONE`` for none."""
    codec = (statement.compression or _COMPRESSION[statement.format]).upper()
    return "NONE" if codec == "UNCOMPRESSED" else codec


def copy_sql(statement: CreateTableAs, query: str, names: list[str], stage: str, query_id: str) -> str | None:
    """DuckDB's ``COPY … TO`` writing a CTAS's rows into ``stage`` (its parallel writer; Hive folders for the
    partition keys), or None for ORC, which pyarrow writes."""
    if statement.format not in _COPY_FORMAT:
        return None
    fmt, codec = _COPY_FORMAT[statement.format], compression(statement).lower()
    codec = "uncompressed" if codec == "none" else codec
    keys = set(statement.partitioned_by)
    columns = ", ".join(
        f"COALESCE(CAST({quote(n)} AS VARCHAR), {literal(HIVE_DEFAULT_PARTITION)}) AS {quote(n.lower())}"
        if n.lower() in keys
        else f"{quote(n)} AS {quote(n.lower())}"
        for n in names
    )
    options = [f"FORMAT {fmt}, COMPRESSION {codec}"]
    if statement.format == "TEXTFILE":  # LazySimpleSerDe: no header, no quoting, NULL as an empty field
        options.append(f"DELIMITER {literal(_delimiter(statement))}, HEADER false, QUOTE '', ESCAPE ''")
    if statement.partitioned_by:
        by = ", ".join(quote(k) for k in statement.partitioned_by)
        options.append(f"PARTITION_BY ({by}), FILENAME_PATTERN {literal(query_id + '-{i}')}, OVERWRITE_OR_IGNORE")
        target = stage
    else:
        extension = f".{fmt}" + ("" if codec == "uncompressed" or fmt == "parquet" else ".gz")
        target = join(stage, f"{query_id}-0{extension}")
    return f"COPY (SELECT {columns} FROM ({query})) TO {literal(target)} ({', '.join(options)})"


def _copy_batches(
    statement: CreateTableAs, batches: pa.RecordBatchReader, stage: str, query_id: str, *, ctx: SluiceContext
) -> int:
    """Write ``batches`` with DuckDB's ``COPY`` (JSON, TEXTFILE) from a sandboxed connection."""
    session = Session(ctx)
    session.connection.register("_rows", batches)
    session.lock(stage)
    copy = copy_sql(statement, "SELECT * FROM _rows", batches.schema.names, stage, query_id)
    assert copy is not None
    return int(session.connection.execute(copy).fetchall()[0][0])


def _write_orc(
    statement: CreateTableAs, batches: pa.RecordBatchReader, stage: str, query_id: str, *, ctx: SluiceContext
) -> int:
    """Write ``batches`` as ORC: one file per partition folder (Hive's ``k=v``, values escaped as DuckDB's
    COPY escapes them), each written batch by batch with ``pyarrow.orc.ORCWriter``."""
    import pyarrow.orc as orc

    codec = "UNCOMPRESSED" if compression(statement) == "NONE" else compression(statement)
    keys = list(statement.partitioned_by)
    fs, root = filesystem(stage, ctx=ctx)
    open_files: dict[str, tuple[Any, Any]] = {}
    count = 0
    try:
        for batch in batches:
            count += batch.num_rows
            for folder, part in _split(pa.Table.from_batches([batch]), keys):
                if folder not in open_files:
                    directory = f"{root}/{folder}" if folder else root
                    fs.create_dir(directory, recursive=True)
                    stream = fs.open_output_stream(f"{directory}/{query_id}-0.orc")
                    open_files[folder] = (stream, orc.ORCWriter(stream, compression=codec))
                open_files[folder][1].write(part)
    finally:
        for stream, writer in open_files.values():
            writer.close()
            stream.close()
    return count


def _split(table: pa.Table, keys: list[str]) -> Iterator[tuple[str, pa.Table]]:
    """``table``'s rows by partition folder (``k1=v1/k2=v2``; NULL is Hive's default partition), without the
    key columns."""
    import numpy as np
    import pyarrow.compute as pc

    if not keys:
        yield "", table
        return
    texts = [pc.fill_null(pc.cast(table[k], pa.string()), HIVE_DEFAULT_PARTITION) for k in keys]
    marked = pa.table({**{f"_k{i}": t for i, t in enumerate(texts)}, "_row": np.arange(table.num_rows)})
    groups = marked.group_by([f"_k{i}" for i in range(len(keys))], use_threads=False).aggregate([("_row", "list")])
    data = table.drop_columns(keys)
    for group in groups.to_pylist():
        folder = "/".join(f"{k}={quote_value(group[f'_k{i}'])}" for i, k in enumerate(keys))
        yield folder, data.take(pa.array(group["_row_list"]))


def quote_value(value: str) -> str:
    """A partition value as a Hive folder name holds it (``/``, ``=``, ``%``, spaces … escaped)."""
    from urllib.parse import quote as url_quote

    return url_quote(value, safe="")


def _delimiter(statement: CreateTableAs) -> str:
    return "\u0001" if statement.field_delimiter is None else statement.field_delimiter


def _formats(statement: CreateTableAs) -> dict[str, Any]:
    """The storage descriptor's input and output formats and SerDe, as Athena registers a CTAS table."""
    if statement.format == "PARQUET":
        return PARQUET_FORMATS
    if statement.format == "ORC":
        serde = {"SerializationLibrary": ORC_SERDE, "Parameters": {"serialization.format": "1"}}
        return {"InputFormat": ORC_INPUT_FORMAT, "OutputFormat": ORC_OUTPUT_FORMAT, "SerdeInfo": serde}
    if statement.format == "JSON":
        serde = {"SerializationLibrary": HIVE_JSON_SERDE, "Parameters": {}}
    else:
        params = {"field.delim": _delimiter(statement), "serialization.format": _delimiter(statement)}
        serde = {"SerializationLibrary": LAZY_SIMPLE_SERDE, "Parameters": params}
    return {"InputFormat": TEXT_INPUT_FORMAT, "OutputFormat": TEXT_OUTPUT_FORMAT, "SerdeInfo": serde}


def _table_input(statement: CreateTableAs, schema: pa.Schema, location: str) -> dict[str, Any]:
    keys = set(statement.partitioned_by)
    columns = [{"Name": f.name, "Type": arrow_to_hive(f.type)} for f in schema if f.name not in keys]
    params = {"classification": _CLASSIFICATION[statement.format], "has_encrypted_data": "false"}
    if statement.format == "TEXTFILE":
        params["delimiter"] = _delimiter(statement)
    compressed = compression(statement) != "NONE"
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
