"""Query results in Athena's shapes: ``ResultSetMetadata.ColumnInfo`` from an Arrow schema, and ``Rows`` of
``VarCharValue`` text as Athena prints values (``true``, ``2013-01-05 06:00:00.000``, ``[1, 2]``, ``{a=1}``)."""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import accumulate
from typing import Any

import pyarrow as pa


def athena_type(dtype: pa.DataType) -> str:
    """Athena's name of a column type (``varchar``, ``bigint``, ``decimal``, ``array``, ``row`` …)."""
    checks = [
        (pa.types.is_boolean, "boolean"),
        (pa.types.is_int8, "tinyint"),
        (pa.types.is_int16, "smallint"),
        (pa.types.is_int32, "integer"),
        (pa.types.is_int64, "bigint"),
        (pa.types.is_unsigned_integer, "bigint"),
        (pa.types.is_float32, "float"),
        (pa.types.is_floating, "double"),
        (pa.types.is_decimal, "decimal"),
        (pa.types.is_date, "date"),
        (pa.types.is_timestamp, "timestamp"),
        (pa.types.is_time, "time"),
        (pa.types.is_binary, "varbinary"),
        (pa.types.is_large_binary, "varbinary"),
        (pa.types.is_map, "map"),
        (pa.types.is_list, "array"),
        (pa.types.is_large_list, "array"),
        (pa.types.is_struct, "row"),
        (pa.types.is_null, "unknown"),
    ]
    return next((name for check, name in checks if check(dtype)), "varchar")


def column_info(schema: pa.Schema) -> list[dict[str, Any]]:
    """Athena's ColumnInfo of each result column (Precision and Scale set for decimals)."""
    out = []
    for f in schema:
        kind = athena_type(f.type)
        out.append(
            {
                "CatalogName": "hive",
                "SchemaName": "",
                "TableName": "",
                "Name": f.name,
                "Label": f.name,
                "Type": kind,
                "Precision": f.type.precision if kind == "decimal" else 0,
                "Scale": f.type.scale if kind == "decimal" else 0,
                "Nullable": "UNKNOWN",
                "CaseSensitive": kind == "varchar",
            }
        )
    return out


def text(value: Any) -> str:
    """A value as Athena's VarCharValue."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    if isinstance(value, dt.date | dt.time | Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex(" ")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_nested(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        if value and all(isinstance(v, tuple) and len(v) == 2 for v in value):  # a map, as pyarrow gives it
            return "{" + ", ".join(f"{_nested(k)}={_nested(v)}" for k, v in value) + "}"
        return "[" + ", ".join(_nested(v) for v in value) + "]"
    return str(value)


def _nested(value: Any) -> str:
    return "null" if value is None else text(value)


def rows(names: Sequence[str], records: Iterable[Sequence[Any]], *, header: bool) -> list[dict[str, Any]]:
    """Athena's Rows: for a query the column names come first, as GetQueryResults gives them; NULL is ``{}``."""
    out = [{"Data": [{"VarCharValue": n} for n in names]}] if header else []
    for record in records:
        out.append({"Data": [{} if v is None else {"VarCharValue": text(v)} for v in record]})
    return out


def text_table(names: Sequence[str], records: Iterable[Sequence[str]]) -> pa.Table:
    """A result of text columns (SHOW, DESCRIBE, MSCK), built from buffers: ``pa.array`` of a list imports pandas."""
    found = list(records)
    return pa.Table.from_arrays([_strings([r[i] for r in found]) for i in range(len(names))], names=list(names))


def _strings(values: list[str]) -> pa.Array:
    data = [v.encode() for v in values]
    offsets = array("i", accumulate((len(b) for b in data), initial=0))
    return pa.Array.from_buffers(pa.string(), len(data), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))])


def response_values(response: dict[str, Any]) -> tuple[list[str], list[list[str | None]]]:
    """A StartQueryExecution response's column names and rows of text (None for NULL), a query's header row
    left out."""
    names = [c["Name"] for c in response["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]
    found = [[d.get("VarCharValue") for d in row["Data"]] for row in response["ResultSet"]["Rows"]]
    return names, found[1:] if response["QueryExecution"]["StatementType"] == "DML" else found
