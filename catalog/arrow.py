"""Arrow types as Glue types: what a Parquet- or ORC-reading crawler (and an unload) records for a column."""

from __future__ import annotations

import pyarrow as pa

from catalog.types import MAX_PRECISION, Array, HiveType, Map, Primitive, Struct, format_type


def arrow_to_hive(dtype: pa.DataType) -> str:
    """The Glue type of an Arrow type, as a Parquet-reading crawler records it."""
    return format_type(_from_arrow(dtype))


def _from_arrow(dtype: pa.DataType) -> HiveType:
    if pa.types.is_dictionary(dtype):
        return _from_arrow(dtype.value_type)
    if isinstance(dtype, pa.BaseExtensionType):
        return _from_arrow(dtype.storage_type)
    if pa.types.is_boolean(dtype):
        return Primitive("boolean")
    if pa.types.is_integer(dtype):
        return _arrow_int(dtype)
    if pa.types.is_float16(dtype) or pa.types.is_float32(dtype):
        return Primitive("float")
    if pa.types.is_float64(dtype):
        return Primitive("double")
    if pa.types.is_decimal(dtype):
        return Primitive("decimal", (min(dtype.precision, MAX_PRECISION), dtype.scale))
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return Primitive("string")
    if pa.types.is_binary(dtype) or pa.types.is_large_binary(dtype) or pa.types.is_fixed_size_binary(dtype):
        return Primitive("binary")
    if pa.types.is_timestamp(dtype):
        return Primitive("timestamp")
    if pa.types.is_date(dtype):
        return Primitive("date")
    if pa.types.is_time(dtype):
        return Primitive("bigint") if pa.types.is_time64(dtype) else Primitive("int")
    if pa.types.is_duration(dtype):
        return Primitive("bigint")
    if pa.types.is_null(dtype):
        return Primitive("void")
    if pa.types.is_map(dtype):
        return Map(_from_arrow(dtype.key_type), _from_arrow(dtype.item_type))
    if pa.types.is_list(dtype) or pa.types.is_large_list(dtype) or pa.types.is_fixed_size_list(dtype):
        return Array(_from_arrow(dtype.value_type))
    if pa.types.is_struct(dtype):
        return Struct(tuple((dtype.field(i).name, _from_arrow(dtype.field(i).type)) for i in range(dtype.num_fields)))
    raise TypeError(f"no Glue type for Arrow type {dtype}")


def _arrow_int(dtype: pa.DataType) -> Primitive:
    # An unsigned type needs the next wider signed type; uint64 fits only decimal(20,0).
    width = dtype.bit_width * (2 if pa.types.is_unsigned_integer(dtype) else 1)
    if width > 64:
        return Primitive("decimal", (20, 0))
    return Primitive({8: "tinyint", 16: "smallint", 32: "int", 64: "bigint"}[width])
