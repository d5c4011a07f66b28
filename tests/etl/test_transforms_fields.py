"""drop_fields, select_fields, rename_field and drop_null_fields."""

from __future__ import annotations

import pytest

from etl.transforms import drop_fields, drop_null_fields, rename_field, select_fields
from sluice.errors import InvalidInputException

SCHEMA = "id int, name string, addr struct<city: string, geo: struct<lat: double, lon: double>>"


@pytest.fixture(scope="module")
def people(spark):
    return spark.createDataFrame([(1, "Ann", ("Oslo", (59.9, 10.7))), (2, "Bo", None)], SCHEMA)


def as_dicts(df):
    return sorted((r.asDict(recursive=True) for r in df.collect()), key=lambda d: d["id"])


@pytest.mark.spark
def test_drop_fields_top_level_and_nested_ignoring_unknown_paths(people):
    out = drop_fields(people, ["name", "addr.geo.lon", "nope", "addr.nope.x"])
    assert out.schema.simpleString() == "struct<id:int,addr:struct<city:string,geo:struct<lat:double>>>"
    assert as_dicts(out) == [
        {"id": 1, "addr": {"city": "Oslo", "geo": {"lat": 59.9}}},
        {"id": 2, "addr": None},
    ]


@pytest.mark.spark
def test_select_fields_keeps_paths_in_given_order(people):
    out = select_fields(people, ["addr.geo.lat", "id", "addr.city", "addr.geo"])
    assert out.schema.simpleString() == ("struct<addr:struct<geo:struct<lat:double,lon:double>,city:string>,id:int>")
    assert as_dicts(out) == [
        {"addr": {"geo": {"lat": 59.9, "lon": 10.7}, "city": "Oslo"}, "id": 1},
        {"addr": None, "id": 2},
    ]
    with pytest.raises(InvalidInputException, match=r"`addr.zip` cannot be resolved.*\[`city`, `geo`\]"):
        select_fields(people, ["addr.zip"])
    with pytest.raises(InvalidInputException, match=r"Available fields: \[`id`, `name`, `addr`\]"):
        select_fields(people, ["nope"])


@pytest.mark.spark
def test_rename_field_in_place_top_level_and_nested(people):
    out = rename_field(rename_field(people, "NAME", "full_name"), "addr.geo.lat", "addr.geo.latitude")
    assert out.schema.simpleString() == (
        "struct<id:int,full_name:string,addr:struct<city:string,geo:struct<latitude:double,lon:double>>>"
    )
    assert as_dicts(out)[0]["addr"]["geo"] == {"latitude": 59.9, "lon": 10.7}
    # The new name is a full path, as in Glue: a bare name moves the field to the top level.
    assert rename_field(people, "addr.geo.lat", "lat").columns == ["id", "name", "addr", "lat"]


@pytest.mark.spark
def test_rename_field_moves_to_another_parent(people):
    out = rename_field(people, "addr.city", "place.town.name")
    assert out.schema.simpleString() == (
        "struct<id:int,name:string,addr:struct<geo:struct<lat:double,lon:double>>,"
        "place:struct<town:struct<name:string>>>"
    )
    assert [d["place"] for d in as_dicts(out)] == [{"town": {"name": "Oslo"}}, {"town": {"name": None}}]
    up = rename_field(people, "addr.geo.lat", "addr.lat")
    assert up.schema["addr"].dataType.simpleString() == "struct<city:string,geo:struct<lon:double>,lat:double>"
    assert as_dicts(up)[0]["addr"]["lat"] == 59.9


@pytest.mark.spark
def test_rename_field_errors(people):
    with pytest.raises(InvalidInputException, match="already exists"):
        rename_field(people, "name", "id")
    with pytest.raises(InvalidInputException, match=r"`addr.town` cannot be resolved"):
        rename_field(people, "addr.town", "town")
    with pytest.raises(InvalidInputException, match="into itself"):
        rename_field(people, "addr", "addr.inner")


@pytest.mark.spark
def test_drop_null_fields_in_one_pass(spark):
    df = spark.createDataFrame(
        [(1, None, "", -1, None), (2, None, "", None, None)],
        "id int, gone string, empty string, minus int, void void",
    )
    assert drop_null_fields(df).columns == ["id", "empty", "minus"]
    assert drop_null_fields(df, null_values=["", -1]).columns == ["id"]
    # Placeholders only match their own type: "-1" is not -1, and True is not 1.
    assert drop_null_fields(df, null_values=["-1", True]).columns == ["id", "empty", "minus"]
    empty = df.limit(0)
    assert drop_null_fields(empty).columns == df.columns
