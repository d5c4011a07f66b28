"""Arrow record batches → what each warehouse ingests: CSV bytes for PostgreSQL COPY, tuples for SQLite.

Values keep their meaning on the way: timestamps are UTC instants (the load session runs in UTC, so
naive UTC wall time is exact and formats ten times faster than zoned time), ``time``/``duration``
become their integer counts (as the catalog types them), nested values become JSON text, and
PostgreSQL binary becomes ``bytea`` hex text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

FILE_COLUMN = "_sluice_file"
ROW_COLUMN = "_sluice_row"
_CSV = pacsv.WriteOptions(include_header=False)


def _json_array(array: pa.Array) -> pa.Array:
    values = array.to_pylist(maps_as_pydicts="lossy")
    return pa.array(
        [None if v is None else json.dumps(v, default=str, ensure_ascii=False) for v in values], pa.string()
    )


def _common(array: pa.Array) -> pa.Array:
    dtype = array.type
    if pa.types.is_dictionary(dtype):
        array = array.dictionary_decode()
        dtype = array.type
    if pa.types.is_nested(dtype):
        return _json_array(array)
    if pa.types.is_time(dtype) or pa.types.is_duration(dtype):
        return array.view(pa.int32() if dtype.bit_width == 32 else pa.int64())
    if pa.types.is_timestamp(dtype) and dtype.tz is not None:
        return array.cast(pa.timestamp(dtype.unit))
    if pa.types.is_float16(dtype):
        return array.cast(pa.float32())
    if pa.types.is_string_view(dtype):
        return array.cast(pa.large_string())
    if pa.types.is_binary_view(dtype):
        return array.cast(pa.large_binary())
    return array


def _postgres(array: pa.Array) -> pa.Array:
    array = _common(array)
    dtype = array.type
    if pa.types.is_binary(dtype) or pa.types.is_large_binary(dtype) or pa.types.is_fixed_size_binary(dtype):
        return pa.array([None if v is None else "\\x" + v.hex() for v in array.to_pylist()], pa.string())
    return array


def _sqlite(array: pa.Array) -> pa.Array:
    array = _common(array)
    dtype = array.type
    if pa.types.is_timestamp(dtype) or pa.types.is_date(dtype) or pa.types.is_decimal(dtype):
        return array.cast(pa.string())
    return array


def csv_buffer(batch: pa.RecordBatch) -> pa.Buffer:
    """The batch as headerless CSV for ``COPY … (FORMAT csv)``: strings always quoted, NULL as nothing."""
    prepared = pa.RecordBatch.from_arrays([_postgres(c) for c in batch.columns], names=batch.schema.names)
    sink = pa.BufferOutputStream()
    pacsv.write_csv(prepared, sink, _CSV)
    return sink.getvalue()


def sqlite_rows(batch: pa.RecordBatch) -> list[tuple[object, ...]]:
    """The batch as row tuples of SQLite-storable Python values."""
    columns = [_sqlite(c).to_pylist() for c in batch.columns]
    return list(zip(*columns, strict=True))


def with_position(batches: Iterable[pa.RecordBatch], file_index: int) -> Iterator[pa.RecordBatch]:
    """Append the file index and 1-based row number, which decide which row wins a merge."""
    start = 1
    for batch in batches:
        n = batch.num_rows
        yield pa.RecordBatch.from_arrays(
            [*batch.columns, pa.array(np.full(n, file_index, np.int32)), pa.array(np.arange(start, start + n))],
            names=[*batch.schema.names, FILE_COLUMN, ROW_COLUMN],
        )
        start += n


def row_at_line(batches: Iterable[pa.RecordBatch], line: int) -> int | None:
    """The 1-based row of a COPY stream holding PostgreSQL's CSV ``line``.

    PostgreSQL counts the newlines inside quoted values, except in the first record, read before it
    knows the stream's line ending.
    """
    first = 1
    row = 0
    for batch in batches:
        lines = np.ones(batch.num_rows, dtype=np.int64)
        for column in batch.columns:
            text = _postgres(column)
            if pa.types.is_string(text.type) or pa.types.is_large_string(text.type):
                lines += pc.count_substring(text, "\n").fill_null(0).to_numpy(zero_copy_only=False)
        if row == 0 and batch.num_rows:
            lines[0] = 1
        ends = first + np.cumsum(lines)  # the first line after each row
        index = int(np.searchsorted(ends, line, side="right"))
        if index < batch.num_rows:
            return row + index + 1
        first = int(ends[-1]) if batch.num_rows else first
        row += batch.num_rows
    return None
