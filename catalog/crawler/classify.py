"""Classify one file from a byte sample, as Glue's built-in classifiers do.

The caller reads the first :data:`SAMPLE_BYTES` of an object and hands them to
:func:`classify_file`. Compression is told by magic bytes (gzip, bzip2) and the sample is
decompressed as far as it goes. Parquet (``PAR1`` magic) takes its schema from the footer, which
``footer_reader`` fetches by byte range, and ORC (``ORC`` magic) from its tail the same way; JSON
and CSV are inferred from the first 1 MB of text (CSV: at most :data:`MAX_RECORDS` records).

CSV follows Glue's built-in classifier: delimiters ``,`` ``|`` tab ``;`` and ``\\u0001`` are tried in
that order and the first giving a consistent column count of at least 2 over at least 2 rows
wins. The first row is a header only when each of its fields is a non-empty string (fewer than
150 characters, except the last) and at least one column of the other rows is not ``string``;
otherwise the columns are ``col0``, ``col1``, …. Values are trimmed; empty ones are nulls. Types:
integers ``bigint``, other numbers ``double``, ``true``/``false`` ``boolean``, ``yyyy-mm-dd``
``date``, ``yyyy-mm-dd hh:mm:ss[.fff]`` ``timestamp``, anything else ``string``. Column names are
lower-cased, as Glue stores them.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import datetime as dt
import io
import json
import re
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice

import pyarrow as pa
from pyarrow._parquet import ParquetReader, ParquetSchema

from catalog import types
from catalog.arrow import arrow_to_hive
from catalog.crawler.classification import FileClassification
from catalog.formats import (
    JSON_SERDE,
    LAZY_SIMPLE_SERDE,
    OPEN_CSV_SERDE,
    ORC_INPUT_FORMAT,
    ORC_OUTPUT_FORMAT,
    ORC_SERDE,
    PARQUET_INPUT_FORMAT,
    PARQUET_OUTPUT_FORMAT,
    PARQUET_SERDE,
    TEXT_INPUT_FORMAT,
    TEXT_OUTPUT_FORMAT,
)
from catalog.types import Array, HiveType, Primitive, Struct

SAMPLE_BYTES = 1 << 20
MAX_RECORDS = 1000
CSV_DELIMITERS = (",", "|", "\t", ";", "\u0001")
MAX_HEADER_FIELD = 150
PARQUET_MAGIC = b"PAR1"

ORC_MAGIC = b"ORC"

FooterReader = Callable[[int, int], bytes]
"""Reads bytes ``[start, end)`` of the file being classified."""


class UnreadableFile(Exception):
    """The file cannot be classified; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class RowGroup:
    num_rows: int
    total_byte_size: int


@dataclass(frozen=True)
class ParquetFooter:
    columns: list[tuple[str, str]]
    num_rows: int
    row_groups: list[RowGroup]
    created_by: str | None


# --- Parquet ----------------------------------------------------------------------------------


def parquet_tail_range(size: int) -> tuple[int, int]:
    """The byte range holding the footer length and the closing magic: the last 8 bytes."""
    if size < 12:
        raise UnreadableFile(f"corrupt Parquet: {size} bytes is too short for a Parquet file")
    return size - 8, size


def parquet_footer_range(size: int, last8: bytes) -> tuple[int, int]:
    """The byte range from the footer to the end, given the file's last 8 bytes."""
    if len(last8) < 8 or last8[-4:] != PARQUET_MAGIC:
        raise UnreadableFile("corrupt Parquet: the file does not end with the PAR1 magic")
    (length,) = struct.unpack("<I", last8[-8:-4])
    if length + 12 > size:
        raise UnreadableFile(f"corrupt Parquet: footer length {length} exceeds the file size {size}")
    return size - length - 8, size


def arrow_columns(schema: pa.Schema) -> list[tuple[str, str]]:
    """Glue columns of an Arrow schema: lower-cased names (a repeated name widened), Hive types."""
    return types.merge_columns([[(f.name.lower(), arrow_to_hive(f.type)) for f in schema]])


_recent_schemas: tuple[tuple[ParquetSchema, tuple[tuple[str, str], ...]], ...] = ()
_RECENT = 16


def _parquet_columns(schema: ParquetSchema) -> tuple[tuple[str, str], ...]:
    """Glue columns of a Parquet schema.

    A lake repeats a handful of schemas over many files, so the last few are remembered: comparing
    Parquet schemas is far cheaper than converting one to Arrow (the cost that dominates a footer).
    """
    global _recent_schemas
    for known, columns in _recent_schemas:
        if known.equals(schema):
            return columns
    columns = tuple(arrow_columns(schema.to_arrow_schema()))
    _recent_schemas = ((schema, columns), *_recent_schemas[: _RECENT - 1])  # swapped whole: thread-safe
    return columns


def parse_parquet_footer(tail: bytes, file_size: int) -> ParquetFooter:
    """Schema, row count and row groups from the file's tail (at least the footer range)."""
    start, _ = parquet_footer_range(file_size, tail[-8:])
    needed = file_size - start
    if len(tail) < needed:
        raise UnreadableFile(f"corrupt Parquet: the footer needs {needed} bytes, got {len(tail)}")
    try:
        # ParquetReader is what pq.read_metadata wraps, minus ParquetFile's per-column Python bookkeeping.
        reader = ParquetReader()
        reader.open(pa.BufferReader(tail[-needed:]))
        metadata = reader.metadata
        columns = list(_parquet_columns(metadata.schema))
        row_groups = [
            RowGroup(metadata.row_group(i).num_rows, metadata.row_group(i).total_byte_size)
            for i in range(metadata.num_row_groups)
        ]
    except (pa.ArrowException, OSError, ValueError, TypeError) as exc:
        raise UnreadableFile(f"corrupt Parquet footer: {exc}") from None
    if not columns:
        raise UnreadableFile("corrupt Parquet: the schema has no columns")
    return ParquetFooter(columns, metadata.num_rows, row_groups, metadata.created_by)


def _classify_parquet(head: bytes, size: int, footer_reader: FooterReader | None) -> FileClassification:
    if len(head) >= size:
        tail = head[:size]
    elif footer_reader is None:
        raise ValueError("a Parquet file larger than its sample needs a footer_reader")
    else:
        last8 = footer_reader(*parquet_tail_range(size))
        tail = footer_reader(*parquet_footer_range(size, last8))
    footer = parse_parquet_footer(tail, size)
    return FileClassification(
        classification="parquet",
        compression=None,
        columns=footer.columns,
        record_count=footer.num_rows,
        record_count_exact=True,
        input_format=PARQUET_INPUT_FORMAT,
        output_format=PARQUET_OUTPUT_FORMAT,
        serde=PARQUET_SERDE,
        serde_parameters={"serialization.format": "1"},
    )


# --- ORC --------------------------------------------------------------------------------------


class _RangeFile(io.RawIOBase):
    """A read-only file over a :data:`FooterReader`, so Arrow's ORC reader fetches only the tail it needs."""

    def __init__(self, size: int, read: FooterReader) -> None:
        super().__init__()
        self._size, self._read, self._pos = size, read, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, n: int | None = -1) -> bytes:
        end = self._size if n is None or n < 0 else min(self._size, self._pos + n)
        data = self._read(self._pos, end) if end > self._pos else b""
        self._pos = end
        return data


def _classify_orc(head: bytes, size: int, footer_reader: FooterReader | None) -> FileClassification:
    from pyarrow import orc

    read = footer_reader if footer_reader is not None and len(head) < size else lambda a, b: head[a:b]
    try:
        reader = orc.ORCFile(_RangeFile(size, read))
        schema, rows = reader.schema, reader.nrows
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise UnreadableFile(f"corrupt ORC: {exc}") from None
    columns = arrow_columns(schema)
    if not columns:
        raise UnreadableFile("corrupt ORC: the schema has no columns")
    return FileClassification(
        classification="orc",
        compression=None,
        columns=columns,
        record_count=rows,
        record_count_exact=True,
        input_format=ORC_INPUT_FORMAT,
        output_format=ORC_OUTPUT_FORMAT,
        serde=ORC_SERDE,
    )


# --- compression and text ---------------------------------------------------------------------


def detect_compression(head: bytes) -> str | None:
    """``"gzip"`` or ``"bzip2"`` when the bytes start with that format's magic, else None."""
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:3] == b"BZh" and head[3:4] in {b"%d" % d for d in range(1, 10)}:
        return "bzip2"
    return None


def decompress_sample(head: bytes, compression: str, limit: int = SAMPLE_BYTES) -> tuple[bytes, bool]:
    """Decompress as much of ``head`` as it holds, up to ``limit`` bytes out.

    Concatenated streams are followed. Returns the bytes and whether every stream in ``head``
    ended (false for a cut-off sample or when ``limit`` was reached).
    """
    out = bytearray()
    data = head
    while True:
        decompressor = zlib.decompressobj(31) if compression == "gzip" else bz2.BZ2Decompressor()
        try:
            out += decompressor.decompress(data, limit - len(out))
        except (zlib.error, OSError, EOFError) as exc:
            if out:
                return bytes(out), False
            raise UnreadableFile(f"corrupt {compression} stream: {exc}") from None
        if not decompressor.eof:
            return bytes(out), False
        data = decompressor.unused_data.lstrip(b"\x00")
        if not data:
            return bytes(out), True
        if len(out) >= limit:
            return bytes(out), False


@dataclass(frozen=True)
class _Sample:
    text: str
    compression: str | None
    complete: bool  # the text is the whole file
    scale: float  # estimated file text size / sample text size


def _text_sample(head: bytes, size: int) -> _Sample:
    compression = detect_compression(head)
    whole = len(head) >= size
    if compression:
        data, ended = decompress_sample(head, compression)
        complete = whole and ended
        expansion = len(data) / max(len(head), 1)
    else:
        data, complete, expansion = head[:SAMPLE_BYTES], whole and len(head) <= SAMPLE_BYTES, 1.0
    if not data:
        if compression and not complete:
            raise UnreadableFile(f"the first {len(head)} bytes hold no complete {compression} block")
        raise UnreadableFile("empty file")
    if not complete and b"\n" in data:
        data = data[: data.rindex(b"\n") + 1]
    if b"\x00" in data:
        raise UnreadableFile("binary content: the sample holds NUL bytes, so this is not a text file")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(data, final=complete)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"undecodable bytes: byte 0x{data[exc.start]:02x} at offset {exc.start} is not valid UTF-8"
        ) from None
    scale = 1.0 if complete else max(size * expansion / max(len(data), 1), 1.0)
    return _Sample(text, compression, complete, scale)


def _estimate(count: int, sample: _Sample) -> int:
    return count if sample.complete else max(count, round(count * sample.scale))


# --- JSON -------------------------------------------------------------------------------------

JsonObject = dict[str, object]
"""One decoded JSON record (an object)."""

_VOID = Primitive("void")
_INT32 = 1 << 31
_INT64 = 1 << 63


def _json_type(value: object) -> HiveType:
    if value is None:
        return _VOID
    if isinstance(value, bool):
        return Primitive("boolean")
    if isinstance(value, int):
        if -_INT32 <= value < _INT32:
            return Primitive("int")
        return Primitive("bigint") if -_INT64 <= value < _INT64 else Primitive("double")
    if isinstance(value, float):
        return Primitive("double")
    if isinstance(value, str):
        return Primitive("string")
    if isinstance(value, list):
        element: HiveType = _VOID
        for item in value:
            element = types.widen_type(element, _json_type(item))
        return Array(element)
    assert isinstance(value, dict)
    return _record_type(value)


def _record_type(record: JsonObject) -> Struct:
    fields: dict[str, HiveType] = {}
    for key, value in record.items():
        name = key.lower()
        child = _json_type(value)
        fields[name] = types.widen_type(fields[name], child) if name in fields else child
    return Struct(tuple(fields.items()))


def _json_records(text: str, complete: bool) -> list[JsonObject] | None:
    """The JSON objects in the sample (JSON lines, concatenated or an array), or None if not JSON."""
    decoder = json.JSONDecoder()
    records: list[JsonObject] = []
    pos = _skip_ws(text, 0)
    in_array = text.startswith("[", pos)
    if in_array:
        pos = _skip_ws(text, pos + 1)
    while pos < len(text):
        if in_array and text.startswith("]", pos):
            break
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            if records and complete:
                line = text.count("\n", 0, pos) + 1
                raise UnreadableFile(f"malformed JSON in the record at line {line}: {exc.msg}") from None
            break
        pos = end
        if not isinstance(value, dict):
            return None
        records.append(value)
        pos = _skip_ws(text, pos)
        if in_array and text.startswith(",", pos):
            pos = _skip_ws(text, pos + 1)
    return records or None


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _classify_json(records: list[JsonObject], sample: _Sample) -> FileClassification:
    schema: HiveType = Struct(())
    seen: set[Struct] = set()
    for record in records:
        record_type = _record_type(record)
        if record_type not in seen:
            seen.add(record_type)
            schema = types.widen_type(schema, record_type)
    assert isinstance(schema, Struct)
    columns = [(name, types.format_type(child)) for name, child in schema.fields]
    return FileClassification(
        classification="json",
        compression=sample.compression,
        columns=columns,
        record_count=_estimate(len(records), sample),
        record_count_exact=sample.complete,
        input_format=TEXT_INPUT_FORMAT,
        output_format=TEXT_OUTPUT_FORMAT,
        serde=JSON_SERDE,
        serde_parameters={"paths": ",".join(name for name, _ in columns)},
    )


# --- CSV --------------------------------------------------------------------------------------

_BIGINT = re.compile(r"[+-]?\d+")
_DOUBLE = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,9})?")
# Glue's pattern for a column name (CreateTable Column.Name), at most 255 characters.
_COLUMN_NAME = re.compile("[\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff\t]{1,255}")


def csv_value_type(value: str) -> str | None:
    """The Glue type of one CSV value (None for an empty value, which is a null)."""
    text = value.strip()
    if not text:
        return None
    if _BIGINT.fullmatch(text):
        return "bigint" if -_INT64 <= int(text) < _INT64 else "double"
    if _DOUBLE.fullmatch(text):
        return "double"
    if text.lower() in ("true", "false"):
        return "boolean"
    if _DATE.fullmatch(text) and _valid(dt.date.fromisoformat, text):
        return "date"
    if _TIMESTAMP.fullmatch(text) and _valid(dt.datetime.fromisoformat, text[:26]):
        return "timestamp"
    return "string"


def _valid(parse: Callable[[str], object], text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True


def _column_types(rows: list[list[str]], width: int) -> list[str | None]:
    result: list[str | None] = [None] * width
    for row in rows:
        for i, value in enumerate(row):
            found = csv_value_type(value)
            current = result[i]
            if found is not None and found != current:
                result[i] = found if current is None else types.widen(current, found)
    return result


def _read_rows(text: str, delimiter: str, limit: int) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=False)
    return list(islice((row for row in reader if row), limit))


def _count_rows(text: str, delimiter: str) -> int:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=False)
    return sum(1 for row in reader if row)


def _split_csv(text: str, complete: bool) -> tuple[str, list[list[str]]]:
    """The delimiter and the sampled rows; raises UnreadableFile when no delimiter fits."""
    problems: list[str] = []
    for delimiter in CSV_DELIMITERS:
        rows = _read_rows(text, delimiter, MAX_RECORDS + 1)
        if not complete or len(rows) > MAX_RECORDS:
            rows = rows[:-1]  # possibly cut short
        widths = sorted({len(row) for row in rows})
        if not widths or widths[-1] < 2:
            continue
        if len(widths) > 1:
            problems.append(f"ragged rows: with delimiter {delimiter!r} rows have {widths[0]} to {widths[-1]} fields")
        elif len(rows) < 2:
            problems.append(f"a CSV file needs at least 2 rows, found {len(rows)}")
        else:
            return delimiter, rows
    if problems:
        raise UnreadableFile(problems[0])
    raise UnreadableFile("not CSV: no delimiter among , | tab ; \\u0001 gives at least 2 columns")


def _header_names(header: list[str], types_: list[str | None]) -> list[str] | None:
    """Column names when the first row is a header by Glue's rules, else None."""
    last = len(header) - 1
    for i, value in enumerate(header):
        if i == last and not value.strip() and types_[i] is None:
            continue  # a trailing delimiter: the last column is empty throughout
        name = value.strip()
        if csv_value_type(name) != "string" or not _COLUMN_NAME.fullmatch(name):
            return None
        if i < last and len(name) >= MAX_HEADER_FIELD:
            return None
    if all(t in (None, "string") for t in types_):
        return None
    names = [value.strip().lower() or f"col{i}" for i, value in enumerate(header)]
    return _unique(names)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    result = []
    for name in names:
        candidate = name
        while candidate in seen:
            seen[name] += 1
            candidate = f"{name}_{seen[name]}"
        seen[candidate] = 0
        result.append(candidate)
    return result


def _classify_csv(sample: _Sample) -> FileClassification:
    delimiter, rows = _split_csv(sample.text, sample.complete)
    width = len(rows[0])
    data_types = _column_types(rows[1:], width)
    names = _header_names(rows[0], data_types)
    has_header = names is not None
    if names is None:
        names = [f"col{i}" for i in range(width)]
        data_types = _column_types(rows, width)
    quoted = re.search(rf'(?:^|{re.escape(delimiter)})[ \t]*"', sample.text, re.MULTILINE) is not None
    records = _count_rows(sample.text, delimiter) - (1 if has_header else 0)
    if quoted:
        serde, params = OPEN_CSV_SERDE, {"separatorChar": delimiter, "quoteChar": '"'}
    else:
        serde, params = LAZY_SIMPLE_SERDE, {"field.delim": delimiter}
    return FileClassification(
        classification="csv",
        compression=sample.compression,
        columns=[(name, t or "void") for name, t in zip(names, data_types, strict=True)],
        record_count=_estimate(records, sample),
        record_count_exact=sample.complete,
        input_format=TEXT_INPUT_FORMAT,
        output_format=TEXT_OUTPUT_FORMAT,
        serde=serde,
        serde_parameters=params,
        delimiter=delimiter,
        has_header=has_header,
        quoted=quoted,
    )


# --- entry point ------------------------------------------------------------------------------


def classify_file(
    name: str, head: bytes, *, size: int, footer_reader: FooterReader | None = None
) -> FileClassification:
    """Classify the file ``name`` of ``size`` bytes from its first bytes ``head``.

    ``head`` should hold at least :data:`SAMPLE_BYTES` (or the whole file). ``footer_reader`` is
    needed only for a Parquet or ORC file larger than ``head``. Raises :class:`UnreadableFile`.
    """
    if size == 0 or not head:
        raise UnreadableFile("empty file")
    if head[:4] == PARQUET_MAGIC:
        return _classify_parquet(head, size, footer_reader)
    if name.lower().endswith(".parquet"):
        raise UnreadableFile("corrupt Parquet: the file does not start with the PAR1 magic")
    if head[:3] == ORC_MAGIC:
        return _classify_orc(head, size, footer_reader)
    sample = _text_sample(head, size)
    if not sample.text.strip():
        raise UnreadableFile("empty file: only blank lines")
    if sample.text.lstrip()[:1] in ("{", "["):
        records = _json_records(sample.text, sample.complete)
        if records is not None:
            return _classify_json(records, sample)
    return _classify_csv(sample)
