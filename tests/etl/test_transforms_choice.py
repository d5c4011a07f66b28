"""resolve_choice on string and variant choice columns."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from etl.transforms import resolve_choice
from sluice.errors import InvalidInputException


@pytest.fixture(scope="module")
def prices(spark):
    """``price`` mixes ints, a long, a double, text and a null, as spark.read.json leaves them."""
    return spark.createDataFrame(
        [
            (1, "10", "a", ("7",)),
            (2, "$5", "b", ("x",)),
            (3, "2.5", "c", ("8",)),
            (4, "9999999999", "d", None),
            (5, None, "e", ("9",)),
        ],
        "id int, price string, label string, meta struct<code: string>",
    )


def by_id(df):
    return sorted(df.collect(), key=lambda row: row["id"])


def column_of(df, name):
    return [row[name] for row in by_id(df)]


@pytest.mark.spark
def test_cast_and_project(prices):
    cast = resolve_choice(prices, specs=[("price", "cast:int"), ("meta.code", "cast:long")])
    assert cast.schema.simpleString() == "struct<id:int,price:int,label:string,meta:struct<code:bigint>>"
    assert column_of(cast, "price") == [10, None, None, None, None]
    assert [m and m.code for m in column_of(cast, "meta")] == [7, None, 8, None, 9]
    assert column_of(resolve_choice(prices, specs=[("price", "project:int")]), "price") == [10, None, None, None, None]
    assert column_of(resolve_choice(prices, specs=[("price", "project:long")]), "price") == [
        10,
        None,
        None,
        9999999999,
        None,
    ]
    assert column_of(resolve_choice(prices, specs=[("price", "project:string")]), "price") == [
        None,
        "$5",
        None,
        None,
        None,
    ]


@pytest.mark.spark
def test_make_cols_and_make_struct_use_glue_names(prices):
    cols = resolve_choice(prices, specs=[("price", "make_cols")])
    # the first member's column in the field's place, the others last (Glue's resolveChoice example prints so)
    assert cols.columns == ["id", "price_double", "label", "meta", "price_int", "price_long", "price_string"]
    assert cols.schema["price_int"].dataType.simpleString() == "int"
    assert [(r.price_double, r.price_int, r.price_long, r.price_string) for r in by_id(cols)] == [
        (None, 10, None, None),
        (None, None, None, "$5"),
        (2.5, None, None, None),
        (None, None, 9999999999, None),
        (None, None, None, None),
    ]
    struct = resolve_choice(prices, specs=[("price", "make_struct")], types=["int", "string"])
    assert struct.schema["price"].dataType.simpleString() == "struct<int:int,string:string>"
    assert [p and p.asDict() for p in column_of(struct, "price")] == [
        {"int": 10, "string": None},
        {"int": None, "string": "$5"},
        {"int": None, "string": None},
        {"int": None, "string": None},
        None,
    ]


@pytest.mark.spark
def test_choice_applies_to_every_mixed_field_only(prices):
    out = resolve_choice(prices, choice="make_cols", types=["int", "string"])
    # label holds only strings, so it is no choice; meta.code mixes ints and text.
    assert out.schema.simpleString() == (
        "struct<id:int,price_int:int,label:string,meta:struct<code_int:int,code_string:string>,price_string:string>"
    )
    assert column_of(out, "meta")[1].asDict() == {"code_int": None, "code_string": "x"}
    assert column_of(resolve_choice(prices, choice="cast:double"), "price") == [10.0, None, 2.5, 9999999999.0, None]


@pytest.mark.spark
def test_variant_values_carry_their_own_types(spark):
    df = spark.createDataFrame([(1, "3"), (2, '"three"'), (3, "3.5"), (4, '{"n": 3}'), (5, "null")], "id int, j string")
    df = df.select("id", F.parse_json("j").alias("v"))
    out = resolve_choice(df, specs=[("v", "make_cols")])
    assert out.columns == ["id", "v_double", "v_int", "v_string", "v_struct"]
    assert [tuple(r)[1:4] for r in by_id(out)] == [
        (None, 3, None),
        (None, None, "three"),
        (3.5, None, None),
        (None, None, None),
        (None, None, None),
    ]
    assert column_of(resolve_choice(df, specs=[("v", "cast:string")]), "v")[:3] == ["3", "three", "3.5"]


@pytest.mark.spark
def test_invalid_arguments(prices):
    with pytest.raises(InvalidInputException, match="exactly one of `specs` or `choice`"):
        resolve_choice(prices)
    with pytest.raises(InvalidInputException, match="exactly one"):
        resolve_choice(prices, specs=[("price", "make_cols")], choice="make_cols")
    with pytest.raises(InvalidInputException, match="Unknown ResolveChoice action `match_catalog`"):
        resolve_choice(prices, specs=[("price", "match_catalog")])
    with pytest.raises(InvalidInputException, match="Unknown choice type `integer`"):
        resolve_choice(prices, specs=[("price", "project:integer")])
    with pytest.raises(InvalidInputException, match="Unsupported data type"):
        resolve_choice(prices, choice="cast:nope")
    with pytest.raises(InvalidInputException, match=r"`cost` cannot be resolved.*`price`"):
        resolve_choice(prices, specs=[("cost", "cast:int")])
