"""apply_mapping and the dotted-path helpers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from etl.transforms import apply_mapping
from etl.transforms._paths import split_path
from sluice.errors import InvalidInputException

SCHEMA = "id string, amount string, flag string, day string, at string, addr struct<city: string, zip: string>"


@pytest.fixture(scope="module")
def orders(spark):
    return spark.createDataFrame(
        [
            ("1", "10.50", "true", "2024-02-29", "2024-01-02 03:04:05", ("Oslo", "0150")),
            ("x", "oops", "maybe", "2024-02-30", "never", None),
        ],
        SCHEMA,
    )


def test_split_path_handles_backticks():
    assert split_path("a.b.c") == ["a", "b", "c"]
    assert split_path("`this.old.name`") == ["this.old.name"]
    assert split_path("`a``b`.c") == ["a`b", "c"]
    for bad in ("", "a..b", "`open", "a."):
        with pytest.raises(InvalidInputException, match="Invalid field path"):
            split_path(bad)


@pytest.mark.spark
def test_apply_mapping_casts_renames_nests_and_drops_unmapped(orders):
    out = apply_mapping(
        orders,
        [
            ("id", "string", "order_id", "long"),
            ("amount", "string", "total", "decimal(10,2)"),
            ("addr.city", "string", "ship.city", "string"),
            ("addr.zip", "string", "ship.zip", "int"),
            ("flag", "string", "paid", "boolean"),
            ("day", "string", "day", "date"),
            ("at", "string", "at", "timestamp"),
            ("amount", "string", "amount_d", "Double"),
        ],
    )
    assert out.columns == ["order_id", "total", "ship", "paid", "day", "at", "amount_d"]
    assert out.schema["ship"].dataType.simpleString() == "struct<city:string,zip:int>"
    assert out.schema["order_id"].dataType.simpleString() == "bigint"
    good, bad = sorted(out.collect(), key=lambda r: r.order_id is None)
    assert good.asDict(recursive=True) == {
        "order_id": 1,
        "total": Decimal("10.50"),
        "ship": {"city": "Oslo", "zip": 150},
        "paid": True,
        "day": dt.date(2024, 2, 29),
        "at": dt.datetime(2024, 1, 2, 3, 4, 5),
        "amount_d": 10.5,
    }
    # Values that do not convert become null, as in Glue; a null source struct gives null fields.
    assert bad.asDict(recursive=True) == {
        "order_id": None,
        "total": None,
        "ship": {"city": None, "zip": None},
        "paid": None,
        "day": None,
        "at": None,
        "amount_d": None,
    }


@pytest.mark.spark
def test_missing_source_is_skipped_like_glue_or_null_or_error(orders):
    mappings = [("id", "string", "id", "string"), ("addr.country", "string", "country", "string")]
    assert apply_mapping(orders, mappings).columns == ["id"]
    nulls = apply_mapping(orders, mappings, on_missing="null")
    assert nulls.columns == ["id", "country"]
    assert nulls.schema["country"].dataType.simpleString() == "string"
    with pytest.raises(InvalidInputException, match=r"`addr.country` cannot be resolved.*\[`city`, `zip`\]"):
        apply_mapping(orders, mappings, on_missing="error")
    with pytest.raises(InvalidInputException, match="not a struct"):
        apply_mapping(orders, [("id.x", "string", "x", "string")], on_missing="error")


@pytest.mark.spark
def test_source_names_are_case_insensitive_and_backticks_quote_dots(spark):
    df = spark.createDataFrame([(1, "a")], "`this.old.name` int, Name string")
    out = apply_mapping(
        df,
        [("`this.old.name`", "int", "thisNewName", "bigint"), ("name", "string", "`x.y`", "varchar(5)")],
    )
    assert out.columns == ["thisNewName", "x.y"]
    assert out.collect()[0] == (1, "a")
    assert out.schema["x.y"].dataType.simpleString() == "string"


@pytest.mark.spark
def test_invalid_mappings_raise(orders):
    with pytest.raises(InvalidInputException, match="Unsupported data type `integr`"):
        apply_mapping(orders, [("id", "string", "id", "integr")])
    with pytest.raises(InvalidInputException, match="mapped more than once"):
        apply_mapping(orders, [("id", "string", "a", "int"), ("flag", "string", "a", "int")])
    with pytest.raises(InvalidInputException, match="nests under `a`"):
        apply_mapping(orders, [("id", "string", "a", "int"), ("flag", "string", "a.b", "int")])
    with pytest.raises(InvalidInputException, match="on_missing"):
        apply_mapping(orders, [("id", "string", "a", "int")], on_missing="ignore")
    with pytest.raises(InvalidInputException, match="at least one mapping"):
        apply_mapping(orders, [])
