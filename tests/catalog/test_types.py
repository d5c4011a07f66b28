"""Hive/Glue type names: parsing, printing, Arrow mapping and widening."""

from __future__ import annotations

import pyarrow as pa
import pytest

from catalog.arrow import arrow_to_hive
from catalog.types import (
    Array,
    Map,
    Primitive,
    Struct,
    TypeSyntaxError,
    format_type,
    merge_columns,
    normalize,
    parse_type,
    resolve_void,
    spark_ddl,
    widen,
)


@pytest.mark.parametrize(
    "text",
    [
        "bigint",
        "int",
        "smallint",
        "tinyint",
        "double",
        "float",
        "boolean",
        "string",
        "timestamp",
        "date",
        "binary",
        "decimal(10,2)",
        "varchar(20)",
        "char(3)",
        "array<string>",
        "map<string,array<int>>",
        "struct<a:int,b:string>",
        "array<struct<id:bigint,tags:map<string,decimal(38,10)>>>",
    ],
)
def test_round_trip(text):
    assert format_type(parse_type(text)) == text


def test_parse_builds_the_ast():
    assert parse_type("struct<a:int,b:array<decimal(5,1)>>") == Struct(
        (("a", Primitive("int")), ("b", Array(Primitive("decimal", (5, 1)))))
    )
    assert parse_type("map<string,boolean>") == Map(Primitive("string"), Primitive("boolean"))


def test_normalize_case_spaces_and_aliases():
    assert normalize("STRUCT< A : INTEGER , b : Array<LONG> >") == "struct<A:int,b:array<bigint>>"
    assert normalize("decimal") == "decimal(10,0)"


def test_struct_field_names_with_odd_characters():
    node = parse_type("struct<first name:string,`a:b`:int,`x``y`:int>")
    assert node == Struct((("first name", Primitive("string")), ("a:b", Primitive("int")), ("x`y", Primitive("int"))))
    assert format_type(node) == "struct<first name:string,`a:b`:int,`x``y`:int>"
    assert parse_type(format_type(node)) == node


@pytest.mark.parametrize(
    "text", ["", "strin", "array<int", "map<string>", "struct<a int>", "decimal(40,2)", "int extra"]
)
def test_invalid_types(text):
    with pytest.raises(TypeSyntaxError):
        parse_type(text)


def test_spark_ddl_quotes_field_names():
    assert spark_ddl("struct<a:int,b c:array<string>>") == "struct<`a`:int,`b c`:array<string>>"
    assert spark_ddl("decimal(5,2)") == "decimal(5,2)"


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        (pa.int8(), "tinyint"),
        (pa.int16(), "smallint"),
        (pa.int32(), "int"),
        (pa.int64(), "bigint"),
        (pa.uint8(), "smallint"),
        (pa.uint32(), "bigint"),
        (pa.uint64(), "decimal(20,0)"),
        (pa.float32(), "float"),
        (pa.float64(), "double"),
        (pa.bool_(), "boolean"),
        (pa.string(), "string"),
        (pa.large_string(), "string"),
        (pa.binary(), "binary"),
        (pa.large_binary(), "binary"),
        (pa.binary(16), "binary"),
        (pa.date32(), "date"),
        (pa.timestamp("s"), "timestamp"),
        (pa.timestamp("ms"), "timestamp"),
        (pa.timestamp("us", tz="UTC"), "timestamp"),
        (pa.timestamp("ns"), "timestamp"),
        (pa.decimal128(12, 3), "decimal(12,3)"),
        (pa.dictionary(pa.int32(), pa.string()), "string"),
        (pa.list_(pa.int32()), "array<int>"),
        (pa.large_list(pa.string()), "array<string>"),
        (pa.map_(pa.string(), pa.list_(pa.float64())), "map<string,array<double>>"),
        (pa.struct([("a", pa.int64()), ("b", pa.struct([("c", pa.string())]))]), "struct<a:bigint,b:struct<c:string>>"),
        (pa.null(), "void"),
    ],
)
def test_arrow_to_hive(dtype, expected):
    assert arrow_to_hive(dtype) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("int", "int", "int"),
        ("tinyint", "int", "int"),
        ("int", "bigint", "bigint"),
        ("smallint", "tinyint", "smallint"),
        ("bigint", "double", "double"),
        ("int", "float", "double"),
        ("float", "double", "double"),
        ("bigint", "string", "string"),
        ("boolean", "bigint", "string"),
        ("boolean", "string", "string"),
        ("date", "timestamp", "timestamp"),
        ("date", "bigint", "string"),
        ("void", "date", "date"),
        ("array<void>", "array<int>", "array<int>"),
        ("decimal(10,2)", "decimal(5,4)", "decimal(12,4)"),
        ("decimal(38,10)", "decimal(38,20)", "decimal(38,20)"),
        ("int", "decimal(5,2)", "decimal(12,2)"),
        ("decimal(5,2)", "double", "double"),
        ("char(3)", "varchar(10)", "varchar(10)"),
        ("varchar(10)", "string", "string"),
        ("array<int>", "array<bigint>", "array<bigint>"),
        ("array<int>", "int", "string"),
        ("map<string,int>", "map<string,double>", "map<string,double>"),
        ("struct<a:int,b:string>", "struct<b:string,c:double>", "struct<a:int,b:string,c:double>"),
        ("struct<a:int>", "struct<A:bigint>", "struct<a:bigint>"),
        ("struct<a:struct<x:int>>", "struct<a:struct<y:date>>", "struct<a:struct<x:int,y:date>>"),
        ("struct<a:int>", "string", "string"),
    ],
)
def test_widen(a, b, expected):
    assert widen(a, b) == expected
    if not expected.startswith("struct"):
        assert widen(b, a) == expected


def test_resolve_void():
    assert resolve_void("void") == "string"
    assert resolve_void("struct<a:void,b:array<void>,c:map<string,void>>") == (
        "struct<a:string,b:array<string>,c:map<string,string>>"
    )


def test_merge_columns_keeps_first_seen_order_and_widens():
    merged = merge_columns([[("a", "int"), ("b", "string")], [("c", "date"), ("a", "double")], []])
    assert merged == [("a", "double"), ("b", "string"), ("c", "date")]
