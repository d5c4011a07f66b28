"""Unload query results to the lake as Parquet (Redshift ``UNLOAD``), streamed, optionally partitioned.

The query runs read-only through a server-side cursor; each batch of rows becomes an Arrow batch and
goes to a ``pyarrow.parquet.ParquetWriter`` (one file per partition), so memory holds a batch per open
partition, never the result. With a database and table name the output is cataloged, with its
partitions.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlalchemy as sa

from catalog.arrow import arrow_to_hive
from catalog.updates import apply_catalog_update
from sluice.context import SluiceContext
from sluice.errors import InvalidInputException, SluiceError
from sluice.lake.fs import writable
from sluice.lake.paths import join
from warehouse import postgres, sqlite
from warehouse.loader import DEFAULT_BATCH_SIZE, dialect_of, resolve_url
from warehouse.source import HIVE_DEFAULT_PARTITION

#: PostgreSQL type OIDs → Arrow types; anything else unloads as text.
_PG_TYPES: dict[int, pa.DataType] = {
    16: pa.bool_(),
    17: pa.binary(),
    20: pa.int64(),
    21: pa.int16(),
    23: pa.int32(),
    26: pa.int64(),
    700: pa.float32(),
    701: pa.float64(),
    1082: pa.date32(),
    1083: pa.time64("us"),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"),
}
_PG_NUMERIC = 1700
#: ``numeric`` without a declared precision unloads as decimal(38,9); cast in the query to choose.
_DEFAULT_DECIMAL = pa.decimal128(38, 9)


@dataclass
class UnloadResult:
    """What one unload wrote."""

    path: str
    rows: int = 0
    files: list[str] = field(default_factory=list)
    partitions: list[list[str]] = field(default_factory=list)
    table: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data in the AWS CLI's style."""
        return {
            "Path": self.path,
            "RowsUnloaded": self.rows,
            "Files": self.files,
            "Partitions": self.partitions,
            "Table": self.table,
        }


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def _pg_schema(description: Sequence[Any]) -> list[pa.DataType]:
    types = []
    for column in description:
        if column.type_code == _PG_NUMERIC:
            precision, scale = getattr(column, "precision", None), getattr(column, "scale", None)
            types.append(pa.decimal128(precision, scale or 0) if precision else _DEFAULT_DECIMAL)
        else:
            types.append(_PG_TYPES.get(column.type_code, pa.string()))
    return types


def _inferred(values: Sequence[Any]) -> pa.DataType:
    kinds = {type(v) for v in values if v is not None}
    if kinds <= {int}:
        return pa.int64() if kinds else pa.string()
    if kinds <= {int, float}:
        return pa.float64()
    if kinds == {bytes}:
        return pa.binary()
    return pa.string()


def _array(name: str, values: Sequence[Any], dtype: pa.DataType) -> pa.Array:
    if pa.types.is_string(dtype):
        values = [_text(v) for v in values]
    try:
        return pa.array(values, type=dtype)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise InvalidInputException(
            f"Column {name!r} does not fit {dtype}: {exc}", hint="CAST the column in the query to the type you want."
        ) from exc


def _batches(result: sa.CursorResult[Any], batch_size: int, dialect: str) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    names = list(result.keys())
    description = result.cursor.description if result.cursor is not None else []
    chunks = result.partitions(batch_size)
    first = next(chunks, [])
    if dialect == "postgresql":
        types = _pg_schema(description)
    else:
        types = [_inferred([row[i] for row in first]) for i in range(len(names))]
    schema = pa.schema(list(zip(names, types, strict=True)))

    def batches() -> Iterator[pa.RecordBatch]:
        chunk = first
        while chunk:
            columns = list(zip(*chunk, strict=True))
            yield pa.RecordBatch.from_arrays(
                [_array(n, c, t) for n, c, t in zip(names, columns, types, strict=True)], schema=schema
            )
            chunk = next(chunks, [])

    return schema, batches()


def _partition_text(value: Any) -> str:
    if value is None:
        return HIVE_DEFAULT_PARTITION
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


class _PartitionedWriter:
    """One ParquetWriter per partition, each fed in batches of about ``batch_size`` rows."""

    def __init__(
        self, root: str, schema: pa.Schema, keys: list[str], batch_size: int, unload_id: str, ctx: SluiceContext
    ) -> None:
        self.root, self.keys, self.batch_size, self.unload_id, self.ctx = root, keys, batch_size, unload_id, ctx
        self.schema = pa.schema([f for f in schema if f.name not in keys])
        self.writers: dict[tuple[str, ...], pq.ParquetWriter] = {}
        self.pending: dict[tuple[str, ...], list[pa.RecordBatch]] = {}
        self.files: list[str] = []

    def write(self, batch: pa.RecordBatch) -> None:
        if not self.keys:
            self._add((), batch)
            return
        combos = pa.Table.from_batches([batch.select(self.keys)]).group_by(self.keys).aggregate([]).to_pylist()
        for combo in combos:
            mask = None
            for key in self.keys:
                column = batch.column(key)
                test = pc.is_null(column) if combo[key] is None else pc.equal(column, combo[key])
                mask = test if mask is None else pc.and_(mask, test)
            part = batch.filter(mask).drop_columns(self.keys)
            self._add(tuple(_partition_text(combo[k]) for k in self.keys), part)

    def _add(self, values: tuple[str, ...], batch: pa.RecordBatch) -> None:
        pending = self.pending.setdefault(values, [])
        pending.append(batch)
        if sum(b.num_rows for b in pending) >= self.batch_size:
            self._flush(values)

    def location(self, values: tuple[str, ...]) -> str:
        segments = [f"{k}={quote(v, safe=' ')}" for k, v in zip(self.keys, values, strict=True)]
        return join(self.root, *segments)

    def _flush(self, values: tuple[str, ...]) -> None:
        batches = self.pending.pop(values, [])
        writer = self.writers.get(values)
        if writer is None:
            uri = join(self.location(values), f"part-{len(self.writers):05d}-{self.unload_id}.parquet")
            fs, path = writable(uri, ctx=self.ctx)
            writer = self.writers[values] = pq.ParquetWriter(path, self.schema, filesystem=fs)
            self.files.append(uri)
        writer.write_table(pa.Table.from_batches(batches, schema=self.schema))

    def close(self) -> list[tuple[str, ...]]:
        """Flush and close every file; returns the partitions written."""
        for values in list(self.pending):
            self._flush(values)
        for writer in self.writers.values():
            writer.close()
        return list(self.writers)


def _catalog(
    database: str,
    table: str,
    path: str,
    schema: pa.Schema,
    keys: list[str],
    partitions: list[tuple[str, ...]],
    locate: Callable[[tuple[str, ...]], str],
    ctx: SluiceContext,
) -> None:
    """Create (or widen) the table and add its partitions, as a Spark job's lake write does."""
    apply_catalog_update(
        database,
        table,
        location=path,
        columns=[{"Name": f.name, "Type": arrow_to_hive(f.type)} for f in schema if f.name not in keys],
        partition_keys=[{"Name": k, "Type": arrow_to_hive(schema.field(k).type)} for k in keys],
        partitions=[{"Values": list(v), "Location": locate(v)} for v in partitions if keys],
        ctx=ctx,
    )


def unload(
    query: str,
    path: str,
    *,
    format: str = "parquet",
    partition_keys: Sequence[str] = (),
    warehouse_url: str | None = None,
    database_name: str | None = None,
    table_name: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    ctx: SluiceContext | None = None,
) -> UnloadResult:
    """Write the rows of ``query`` under ``path`` as Parquet; catalog them as ``database_name.table_name``."""
    ctx = SluiceContext.resolve(ctx)
    if format.lower() != "parquet":
        raise InvalidInputException(f"Unload format {format!r} is not supported; use parquet.")
    if (database_name is None) != (table_name is None):
        raise InvalidInputException("Give both --database-name and --table-name to catalog the unload, or neither.")
    keys = list(partition_keys)
    url = resolve_url(warehouse_url, ctx=ctx)
    dialect = dialect_of(url)
    engine = postgres.engine(url) if dialect == "postgresql" else sqlite.engine(url, write=False)
    result = UnloadResult(path=path)
    try:
        with engine.connect() as conn:
            if dialect == "postgresql":
                conn.execution_options(postgresql_readonly=True)  # reset when the connection is returned
            with conn.begin():
                if dialect == "postgresql":
                    postgres.start(conn)
                else:
                    conn.exec_driver_sql("PRAGMA query_only = ON")  # SQLite's read-only switch has no Core form
                try:
                    # The user's SQL runs as written: text() would take its colons for bind parameters.
                    rows = conn.execution_options(stream_results=True, max_row_buffer=batch_size).exec_driver_sql(query)
                except sa.exc.DBAPIError as exc:
                    raise SluiceError(f"The unload query failed: {' '.join(str(exc.orig).split())}") from exc
                schema, batches = _batches(rows, batch_size, dialect)
                missing = [k for k in keys if k not in schema.names]
                if missing:
                    raise InvalidInputException(
                        f"Partition keys {missing} are not query columns; columns: {schema.names}."
                    )
                writer = _PartitionedWriter(path, schema, keys, batch_size, uuid.uuid4().hex[:12], ctx)
                try:
                    for batch in batches:
                        writer.write(batch)
                        result.rows += batch.num_rows
                finally:
                    partitions = writer.close()
    finally:
        engine.dispose()
    result.files = writer.files
    result.partitions = [list(p) for p in partitions if p]
    if database_name and table_name:
        _catalog(database_name, table_name, path, schema, keys, partitions, writer.location, ctx)
        result.table = f"{database_name}.{table_name}"
    return result
