"""The transforms and DynamicFrame methods on small local frames."""

from __future__ import annotations

from pathlib import Path

import pytest

from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame, DynamicFrameCollection
from awsglue.transforms import *  # noqa: F403 - as Glue scripts import them
from awsglue.transforms import (
    ApplyMapping,
    DropFields,
    DropNullFields,
    ErrorsAsDynamicFrame,
    Filter,
    FlatMap,
    Join,
    Map,
    MapToCollection,
    Relationalize,
    RenameField,
    SelectFields,
    SelectFromCollection,
    Spigot,
    SplitFields,
    SplitRows,
    Unbox,
    Union,
    UnnestFrame,
)
from sluice.errors import EntityNotFoundException, InvalidInputException

pytestmark = pytest.mark.spark


@pytest.fixture
def people(spark, glue: GlueContext) -> DynamicFrame:
    df = spark.createDataFrame(
        [(1, "Ann", ("Oslo", "N1"), ["a", "b"], None, '{"k": 1}'), (2, "Bo", ("Rome", None), [], None, '{"k": "x"}')],
        "id int, name string, `addr` struct<city: string, `post.code`: string>, tags array<string>,"
        " empty string, raw string",
    )
    return DynamicFrame.fromDF(df, glue, "people")


def collect(frame: DynamicFrame) -> list[dict]:
    return [r.asDict(recursive=True) for r in frame.toDF().orderBy(frame.toDF().columns[0]).collect()]


def test_apply_mapping_builds_structs_and_reads_backticked_names(people: DynamicFrame, capsys) -> None:
    mapped = ApplyMapping.apply(
        frame=people,
        mappings=[
            ("id", "int", "person.id", "long"),
            ("addr.`post.code`", "string", "person.post", "string"),
            ("addr.city", "string", "`city.name`", "string"),
            ("missing", "string", "gone", "string"),
        ],
    )
    mapped.printSchema()
    assert capsys.readouterr().out == (
        "root\n|-- person: struct\n|    |-- id: long\n|    |-- post: string\n|-- city.name: string\n"
    )
    assert collect(mapped) == [
        {"person": {"id": 1, "post": "N1"}, "city.name": "Oslo"},
        {"person": {"id": 2, "post": None}, "city.name": "Rome"},
    ]


def test_field_transforms(people: DynamicFrame) -> None:
    assert SelectFields.apply(frame=people, paths=["name", "addr.city", "nope"]).toDF().columns == ["name", "addr"]
    assert DropFields.apply(frame=people, paths=["tags", "addr.city"]).toDF().columns == [
        "id", "name", "addr", "empty", "raw"
    ]  # fmt: skip
    renamed = RenameField.apply(frame=people, old_name="name", new_name="full_name")
    assert renamed.toDF().columns[1] == "full_name"
    assert DropNullFields.apply(frame=people).toDF().columns == ["id", "name", "addr", "tags", "raw"]
    flat = UnnestFrame.apply(frame=people).toDF()
    assert flat.columns == ["id", "name", "addr.city", "addr.post.code", "tags", "empty", "raw"]
    unboxed = Unbox.apply(frame=people, path="raw", format="json")
    assert "|-- raw: struct\n|    |-- k: choice\n|    |    |-- int\n|    |    |-- string\n" in _schema(unboxed)
    assert _schema(people.unbox("raw", "json")) == _schema(unboxed)


def _schema(frame: DynamicFrame) -> str:
    from awsglue.gluetypes import render

    return render(frame.schema())


def test_filter_map_and_their_errors(people: DynamicFrame) -> None:
    kept = Filter.apply(frame=people, f=lambda r: r["addr"]["city"] == "Oslo")
    assert [r["id"] for r in collect(kept)] == [1]
    broken = people.filter(lambda r: r["tags"][0] == "a")  # IndexError on Bo's empty tags
    assert broken.count() == 1 and broken.stageErrorsCount() == 1

    def shout(record: dict) -> dict:
        if record["id"] == 2:
            raise ValueError("no Bo")
        record["name"] = record["name"].upper()
        record["n_tags"] = len(record["tags"])
        return record

    mapped = Map.apply(frame=people, f=shout)
    assert [(r["name"], r["n_tags"]) for r in collect(mapped)] == [("ANN", 2)]
    assert mapped.errorsCount() == 1
    (error,) = ErrorsAsDynamicFrame.apply(frame=mapped).toDF().collect()
    assert error.error == "ValueError: no Bo" and '"name":"Bo"' in error.record
    with pytest.raises(InvalidInputException, match="1 error record"):
        mapped.assertErrorThreshold()
    with pytest.raises(InvalidInputException, match="stageThreshold"):
        people.map(shout, stageThreshold=0.5)


def test_collections(people: DynamicFrame, tmp_path: Path) -> None:
    split = SplitFields.apply(frame=people, paths=["id", "name"], name1="ids", name2="rest")
    assert isinstance(split, DynamicFrameCollection) and split.keys() == ["ids", "rest"]
    assert SelectFromCollection.apply(dfc=split, key="ids").toDF().columns == ["id", "name"]
    rows = SplitRows.apply(frame=people, comparison_dict={"id": {">": 1, "<=": 5}}, name1="big", name2="small")
    assert [r["id"] for r in collect(rows["big"])] == [2] and [r["id"] for r in collect(rows["small"])] == [1]
    counted = MapToCollection.apply(dfc=split, callable=lambda frame, ctx: frame.drop_fields(["name"]))
    assert counted["ids"].toDF().columns == ["id"]
    flat = FlatMap.apply(dfc=split, BaseTransform=SplitFields, frame_name="frame", paths=["id"], name1="a", name2="b")
    assert flat.keys() == ["ids_a", "ids_b", "rest_a", "rest_b"]
    Spigot.apply(frame=people, path=str(tmp_path / "spigot"), options={"topk": 1})
    assert len((tmp_path / "spigot").glob("*.json").__next__().read_text().splitlines()) == 1


def test_join_union_merge(spark, glue: GlueContext, people: DynamicFrame) -> None:
    orders = DynamicFrame.fromDF(spark.createDataFrame([(10, 1), (11, 1), (12, 3)], "order_id int, person int"), glue)
    joined = Join.apply(people, orders, "id", "person").select_fields(["name", "order_id"])
    assert sorted((r["name"], r["order_id"]) for r in collect(joined)) == [("Ann", 10), ("Ann", 11)]
    both = Union.apply(frame1=people.select_fields(["id"]), frame2=orders.select_fields(["order_id"]))
    assert both.count() == 5 and both.toDF().columns == ["id", "order_id"]
    stage = DynamicFrame.fromDF(spark.createDataFrame([(2, "Bob"), (3, "Cy")], "id int, name string"), glue)
    merged = people.select_fields(["id", "name"]).mergeDynamicFrame(stage, ["id"])
    assert sorted((r["id"], r["name"]) for r in collect(merged)) == [(1, "Ann"), (2, "Bob"), (3, "Cy")]


def test_relationalize_names_tables_as_glue(people: DynamicFrame, tmp_path: Path) -> None:
    tables = Relationalize.apply(frame=people, staging_path=str(tmp_path / "stage"), name="root")
    assert sorted(tables.keys()) == ["root", "root_tags"]
    tags = tables.select("root_tags").toDF()
    assert tags.columns == ["id", "index", "tags.val"]
    root = tables.select("root").toDF()
    assert "addr.city" in root.columns
    joined = root.join(tags, root.tags == tags.id).select("name", "`tags.val`").collect()
    assert sorted(tuple(r) for r in joined) == [("Ann", "a"), ("Ann", "b")]


def test_show_prints_json_records(people: DynamicFrame, capsys) -> None:
    people.select_fields(["id", "name"]).show(1)
    assert capsys.readouterr().out == '{"id":1,"name":"Ann"}\n'


def test_what_cannot_work_off_aws_says_so(glue: GlueContext) -> None:
    with pytest.raises(InvalidInputException, match="Marketplace"):
        glue.create_dynamic_frame.from_options(connection_type="marketplace.spark", connection_options={})
    with pytest.raises(InvalidInputException, match="DynamoDB"):
        glue.create_dynamic_frame.from_options(connection_type="dynamodb", connection_options={})
    with pytest.raises(EntityNotFoundException, match="'my-conn' not found"):
        glue.extract_jdbc_conf("my-conn")
