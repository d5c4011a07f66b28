"""Glue Studio's visual transforms as its generated scripts call them (``import gs_derived`` …, then
``frame.gs_derived(colName=…, expr=…)``), on small frames."""

from __future__ import annotations

import datetime as dt

import pytest

from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.studio import spark_pattern

pytestmark = pytest.mark.spark


@pytest.fixture
def orders(spark, glue: GlueContext) -> DynamicFrame:
    rows = [
        (1, "ann", None, 3, 2.5, 1_700_000_000, "2023-11-14T22:13:20Z", {"city": "Oslo", "geo": {"lat": 59.9}}, [1, 2]),
        (2, "bo", "b", 1, 4.0, 1_700_000_000_000, "1700000000", {"city": "Rome", "geo": {"lat": 41.9}}, []),
    ]
    schema = (
        "id long, first string, last string, quantity int, price double, stamp long, text string,"
        " address struct<city: string, geo: struct<lat: double>>, tags array<int>"
    )
    return DynamicFrame.fromDF(spark.createDataFrame(rows, schema), glue, "orders")


def test_each_studio_module_attaches_its_transform(orders: DynamicFrame) -> None:
    import gs_concat  # noqa: F401 - as Glue Studio's scripts import them
    import gs_derived  # noqa: F401
    import gs_explode  # noqa: F401
    import gs_flatten  # noqa: F401
    import gs_format_timestamp  # noqa: F401
    import gs_now  # noqa: F401
    import gs_to_timestamp  # noqa: F401
    import gs_uuid  # noqa: F401

    derived = orders.gs_derived(colName="total", expr="quantity * price")
    assert [r.total for r in derived.toDF().orderBy("id").collect()] == [7.5, 4.0]
    joined = orders.gs_concat(colName="name", colList=["first", "last"], spacer=" ")
    assert [r.name for r in joined.toDF().orderBy("id").collect()] == ["ann", "bo b"]
    filled = orders.gs_concat(colName="name", colList=["first", "last"], spacer="-", nullString="?")
    assert [r.name for r in filled.toDF().orderBy("id").collect()] == ["ann-?", "bo-b"]

    stamped = orders.gs_to_timestamp(colName="stamp", colType="autodetect", newColName="at")
    utc = dt.datetime(2023, 11, 14, 22, 13, 20)
    assert [r.at for r in stamped.toDF().orderBy("id").collect()] == [utc, utc]  # seconds, then milliseconds
    texts = orders.gs_to_timestamp(colName="text", colType="autodetect").toDF().orderBy("id").collect()
    assert [r.text for r in texts] == [utc, utc]  # ISO text, then a number as text
    millis = orders.gs_to_timestamp(colName="stamp", colType="milliseconds").toDF().orderBy("id").collect()
    assert millis[1].stamp == utc
    shown = stamped.gs_format_timestamp(colName="at", dateFormat="%d/%m/%Y %H:%M", newColName="day")
    assert {r.day for r in shown.toDF().collect()} == {"14/11/2023 22:13"}
    spark_style = stamped.gs_format_timestamp(colName="at", dateFormat="yyyy-MM-dd")
    assert {r.at for r in spark_style.toDF().collect()} == {"2023-11-14"}
    loaded = orders.gs_now(colName="loaded", dateFormat="%Y%m%d")
    assert len(loaded.toDF().first().loaded) == 8

    flat = orders.gs_flatten()
    assert flat.toDF().columns[-3:] == ["address.city", "address.geo.lat", "tags"]
    one = orders.gs_flatten(maxLevels=1, separator="_")
    assert one.toDF().columns[-3:] == ["address_city", "address_geo", "tags"]
    exploded = orders.gs_explode(colName="tags", newCol="tag")
    assert sorted((r.id, r.tag) for r in exploded.toDF().collect()) == [(1, 1), (1, 2)]
    outer = orders.gs_explode(colName="tags", newCol="tag", outer=True)
    assert sorted((r.id, r.tag) for r in outer.toDF().collect()) == [(1, 1), (1, 2), (2, None)]
    ids = orders.gs_uuid().toDF().collect()
    assert len({r.uuid for r in ids}) == 2 and all(len(r.uuid) == 36 for r in ids)
    assert orders.toDF().gs_derived(colName="x", expr="id + 1").columns[-1] == "x"  # on a DataFrame too


def test_date_formats_are_translated() -> None:
    assert spark_pattern("%Y-%m-%d %H:%M:%S") == "yyyy-MM-dd HH:mm:ss"
    assert spark_pattern("%Y%m%d at %H") == "yyyyMMdd' at 'HH"
    assert spark_pattern("yyyyMMddHHmmss") == "yyyyMMddHHmmss"
    with pytest.raises(ValueError, match="%Q has no Spark equivalent"):
        spark_pattern("%Q")


def test_schema_walks_and_single_paths_as_studio_helpers_use_them(orders: DynamicFrame) -> None:
    from awsglue.gluetypes import ArrayType, Field, LongType, StringType, StructType
    from awsglue.transforms import DropFields, SelectFields

    schema = orders.schema()
    names = [field.name for field in schema]  # Studio's "Drop Null Fields" helper walks the schema so
    assert names[:3] == ["id", "first", "last"] and len(schema) == len(names)
    assert isinstance(schema.field_map["id"].dataType, LongType)
    assert isinstance(schema.getField("address").dataType, StructType) and schema.hasField("tags")
    assert isinstance(schema.getField("tags").dataType, ArrayType) and not schema.hasField("nope")
    schema.add(Field("extra", StringType()))
    assert schema.names()[-1] == "extra"
    assert DropFields.apply(frame=orders, paths="`first`").toDF().columns[:2] == ["id", "last"]
    assert SelectFields.apply(frame=orders, paths="id").toDF().columns == ["id"]


def test_from_options_reads_multiline_csv_and_attaches_file_names(glue: GlueContext, tmp_path) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "a.csv").write_text('id,note\n1,"two\nlines"\n2,plain\n')
    frame = glue.create_dynamic_frame.from_options(
        connection_type="s3",
        connection_options={"paths": [str(folder)], "attachFilename": "src", "groupFiles": "inPartition"},
        format="csv",
        format_options={"withHeader": True, "multiLine": "true"},  # CSV's spelling in Glue's documentation
    )
    rows = sorted(frame.toDF().collect())
    assert [(r.id, r.note) for r in rows] == [("1", "two\nlines"), ("2", "plain")]
    assert {r.src for r in rows} == {str(folder / "a.csv")}
    (tmp_path / "json").mkdir()
    (tmp_path / "json" / "b.json").write_text('{"id": 1}\n')
    records = glue.create_dynamic_frame.from_options(
        "s3", {"paths": [str(tmp_path / "json")], "attachFilename": "src"}, format="json"
    )
    assert [(r.id, r.src) for r in records.toDF().collect()] == [(1, str(tmp_path / "json" / "b.json"))]


def test_a_studio_sql_node_that_restates_a_column_keeps_its_new_value(spark, glue: GlueContext) -> None:
    from awsglue.transforms import ApplyMapping

    spark.createDataFrame([(1, "low"), (2, "high")], "id long, priority string").createOrReplaceTempView("tickets")
    df = spark.sql("select *, case when id = 2 then 'urgent' else priority end as priority from tickets")
    assert df.columns == ["id", "priority", "priority"]
    frame = DynamicFrame.fromDF(df, glue, "SQLQuery_node")  # as sparkSqlQuery in a generated script
    mapped = ApplyMapping.apply(
        frame=frame, mappings=[("id", "long", "id", "long"), ("priority", "string", "p", "string")]
    )
    assert sorted(tuple(r) for r in mapped.toDF().collect()) == [(1, "low"), (2, "urgent")]
