"""The lake side of a load: a cataloged Parquet table's columns and files, streamed in record batches.

Files are read with ``ParquetFile.iter_batches`` through buffered streams without pre-buffering, so
memory holds a batch and a read buffer per column, whatever the file or row-group size; files are
opened through the lake's filesystems (``sluice.lake.fs``). Columns come out in catalog order: a
column a file lacks is NULL, and each partition key is a constant column holding the catalog
partition's value.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from catalog.store import Catalog
from sluice.context import SluiceContext
from sluice.errors import InvalidInputException
from sluice.lake.fs import list_objects, open_input, read_buffer
from warehouse.ledger import SourceFile
from warehouse.sql import Column

HIVE_DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"


@dataclass(frozen=True)
class LakeSource:
    """A cataloged lake table: data columns, partition keys and the files selected for loading."""

    label: str
    columns: list[Column]
    partition_keys: list[Column]
    files: list[SourceFile]

    @property
    def all_columns(self) -> list[Column]:
        return self.columns + self.partition_keys


def _is_data_file(key: str) -> bool:
    parts = key.split("/")
    return not any(p.startswith(("_", ".")) for p in parts) and not key.endswith(".crc")


def _is_parquet(table: dict[str, Any]) -> bool:
    descriptor = table["StorageDescriptor"]
    classification = (table.get("Parameters") or {}).get("classification", "")
    return classification.lower() == "parquet" or "parquet" in descriptor.get("InputFormat", "").lower()


def _files(location: str, partition: tuple[str | None, ...], ctx: SluiceContext) -> list[SourceFile]:
    listed = list_objects(location, ctx=ctx)
    return [SourceFile(o.uri, o.size, o.mtime, partition) for o in listed if _is_data_file(o.key)]


def lake_source(
    database: str,
    table: str,
    expression: str | None = None,
    *,
    catalog: Catalog | None = None,
    ctx: SluiceContext | None = None,
) -> LakeSource:
    """Columns and files of ``database.table``, restricted to partitions matching ``expression``."""
    ctx = SluiceContext.resolve(ctx)
    catalog = catalog or Catalog(ctx)
    meta = catalog.get_table(database, table)
    label = f"{database}.{table}"
    if not _is_parquet(meta):
        raise InvalidInputException(f"Table {label} is not Parquet; the warehouse loader reads Parquet tables.")
    columns = [Column(c["Name"], c["Type"]) for c in meta["StorageDescriptor"].get("Columns", [])]
    keys = [Column(k["Name"], k["Type"]) for k in meta.get("PartitionKeys", [])]
    key_names = {k.name.lower() for k in keys}
    columns = [c for c in columns if c.name.lower() not in key_names]
    if not keys:
        if expression and expression.strip():
            raise InvalidInputException(f"Table {label} has no partition keys, so it takes no partition expression.")
        return LakeSource(label, columns, keys, _files(meta["StorageDescriptor"]["Location"], (), ctx))
    files: list[SourceFile] = []
    for part in catalog.get_partitions(database, table, expression):
        values = tuple(None if v == HIVE_DEFAULT_PARTITION else v for v in part["Values"])
        files += _files(part["StorageDescriptor"]["Location"], values, ctx)
    return LakeSource(label, columns, keys, files)


def read_batches(
    file: SourceFile, source: LakeSource, batch_size: int, *, ctx: SluiceContext | None = None
) -> Iterator[pa.RecordBatch]:
    """Stream ``file`` as batches of ``source.all_columns`` (matched to file columns case-blind)."""
    names = [c.name for c in source.all_columns]
    with open_input(file.path, ctx=ctx) as handle:
        reader = pq.ParquetFile(handle, buffer_size=read_buffer(file.path), pre_buffer=False)
        present = {name.lower(): name for name in reader.schema_arrow.names}
        wanted = {c.name: present[c.name.lower()] for c in source.columns if c.name.lower() in present}
        for batch in reader.iter_batches(batch_size=batch_size, columns=list(wanted.values())):
            n = batch.num_rows
            arrays = [batch.column(wanted[c.name]) if c.name in wanted else pa.nulls(n) for c in source.columns]
            arrays += [pa.nulls(n, pa.string()) if v is None else pa.repeat(v, n) for v in file.partition]
            yield pa.RecordBatch.from_arrays(arrays, names=names)
