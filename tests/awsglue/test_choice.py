"""JSON reads with choice types: printSchema as Glue prints it, every resolveChoice mode, errors, Spark job counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import functions as F

from awsglue import gluetypes
from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.transforms import ResolveChoice
from catalog import Catalog
from catalog.shapes import storage_descriptor
from etl.transforms import apply_mapping
from sluice.errors import InvalidInputException
from tests.awsglue.conftest import spark_jobs, write_json

pytestmark = pytest.mark.spark

RECORDS = [
    {"id": 1, "price": 1.5, "name": "a", "addr": {"city": "x", "zip": 1}, "tags": ["t"]},
    {"id": "2", "price": 2, "name": "b", "addr": {"city": "y", "zip": "z2"}, "tags": []},
    {"id": 3, "price": None, "name": "c"},
]
SCHEMA = """root
|-- addr: struct
|    |-- city: string
|    |-- zip: choice
|    |    |-- int
|    |    |-- string
|-- id: choice
|    |-- int
|    |-- string
|-- name: string
|-- price: double
|-- tags: array
|    |-- element: string
"""


def read(glue: GlueContext, folder: Path, **format_options: object) -> DynamicFrame:
    return glue.create_dynamic_frame.from_options(
        connection_type="s3", connection_options={"paths": [str(folder)]}, format="json", format_options=format_options
    )


@pytest.fixture
def people(glue: GlueContext, tmp_path: Path) -> DynamicFrame:
    write_json(tmp_path / "people", "part-0.json", RECORDS, raw=["{not json"])
    return read(glue, tmp_path / "people")


def rows(frame: DynamicFrame, *cols: str) -> list[tuple]:
    return sorted((tuple(r) for r in frame.toDF().select(*cols).collect()), key=repr)


def test_print_schema_shows_choices_and_bad_records_are_errors(people: DynamicFrame, capsys) -> None:
    people.printSchema()
    assert capsys.readouterr().out == SCHEMA
    assert people.count() == 3
    assert (people.errorsCount(), people.stageErrorsCount()) == (1, 1)
    (error,) = people.errorsAsDynamicFrame().toDF().collect()
    assert error.error == "the record is not valid JSON" and error.file.endswith("part-0.json")
    assert people.toDF().schema["id"].dataType.simpleString() == "string"  # toDF: unresolved choices as text
    assert rows(people, "id") == [("1",), ("2",), ("3",)]


def test_resolve_choice_modes(people: DynamicFrame, capsys) -> None:
    cast = people.resolveChoice(specs=[("id", "cast:long"), ("addr.zip", "cast:string")])
    assert cast.toDF().schema.simpleString().startswith("struct<addr:struct<city:string,zip:string>,id:bigint")
    assert rows(cast, "id") == [(1,), (2,), (3,)]
    project = people.resolveChoice(specs=[("addr.zip", "project:int")])
    assert rows(project, "addr.zip") == [(1,), (None,), (None,)]
    cols = ResolveChoice.apply(frame=people, choice="make_cols")
    # the first member's column in the field's place, the others last, as AWS's resolveChoice example prints it
    assert [f.name for f in cols.toDF().schema.fields] == ["addr", "id_int", "name", "price", "tags", "id_string"]
    assert rows(cols, "id_int", "id_string") == [(1, None), (3, None), (None, "2")]
    struct = people.resolveChoice(specs=[("id", "make_struct")])
    struct.printSchema()
    assert "|-- id: struct\n|    |-- int: int\n|    |-- string: string\n" in capsys.readouterr().out
    assert rows(struct, "id.int", "id.string") == [(1, None), (3, None), (None, "2")]


def test_match_catalog_casts_to_the_table_types(people: DynamicFrame) -> None:
    catalog = Catalog()
    catalog.create_database("ref", exist_ok=True)
    columns = [{"Name": "id", "Type": "bigint"}, {"Name": "name", "Type": "string"}]
    catalog.create_table("ref", {"Name": "people", "StorageDescriptor": storage_descriptor(columns, "/tmp/none")})
    matched = people.resolveChoice(choice="match_catalog", database="ref", table_name="people")
    assert matched.toDF().schema["id"].dataType.simpleString() == "bigint"
    with pytest.raises(InvalidInputException, match=r"no top-level column `addr\.zip`"):
        people.resolveChoice(specs=[("addr.zip", "match_catalog")], database="ref", table_name="people")


def test_json_path_and_multiline(glue: GlueContext, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "doc.json").write_text('{"items": [\n {"k": 1},\n {"k": 2}\n]}\n')
    frame = read(glue, folder, multiline=True, jsonPath="$.items[*]")
    assert rows(frame, "k") == [(1,), (2,)]


def test_a_dynamic_frame_pipeline_starts_the_jobs_its_dataframe_twin_starts(
    spark, glue: GlueContext, tmp_path: Path
) -> None:
    records = [{"id": i, "name": f"n{i}", "city": "x"} for i in range(50)]
    write_json(tmp_path / "in", "a.json", records)
    mappings = [("id", "long", "id", "int"), ("name", "string", "who.name", "string")]

    def with_frames() -> int:
        frame = read(glue, tmp_path / "in").apply_mapping(mappings).filter(lambda r: r["id"] % 2 == 0)
        glue.write_dynamic_frame.from_options(frame, "s3", {"path": str(tmp_path / "out1")}, format="parquet")
        return spark.read.parquet(str(tmp_path / "out1")).count()

    def with_dataframes() -> int:
        df = apply_mapping(spark.read.json(str(tmp_path / "in")), mappings)
        df = df.filter(F.udf(lambda r: r.id % 2 == 0, "boolean")(F.struct("*")))
        df.write.parquet(str(tmp_path / "out2"))
        return spark.read.parquet(str(tmp_path / "out2")).count()

    frame_jobs, frame_count = spark_jobs(spark, with_frames)
    df_jobs, df_count = spark_jobs(spark, with_dataframes)
    assert frame_count == df_count == 25
    assert frame_jobs == df_jobs


def test_a_cataloged_csv_column_with_text_past_the_crawl_is_a_choice(spark, glue: GlueContext, tmp_path: Path) -> None:
    """Cataloged ``bigint``, but two values are text: ``choice`` of long and string (one look at the data); a
    column whose values all convert keeps its type; ApplyMapping from the catalog types looks at nothing."""
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "a.csv").write_text("id,zip,name\n1,100,a\n2,200,b\nX1,300,c\n,400,d\n")
    columns = [{"Name": "id", "Type": "bigint"}, {"Name": "zip", "Type": "int"}, {"Name": "name", "Type": "string"}]
    Catalog().create_database("csvs")
    sd = storage_descriptor(columns, str(folder))
    sd["SerdeInfo"]["Parameters"] = {"field.delim": ","}
    table = {"Name": "t", "StorageDescriptor": sd}
    Catalog().create_table("csvs", {**table, "Parameters": {"classification": "csv", "skip.header.line.count": "1"}})

    def mapped() -> list[tuple]:
        frame = glue.create_dynamic_frame.from_catalog(database="csvs", table_name="t")
        out = frame.apply_mapping([("id", "long", "key", "long"), ("zip", "int", "zip", "int")])
        return sorted((tuple(r) for r in out.toDF().collect()), key=repr)

    jobs, values = spark_jobs(spark, mapped)
    assert values == [(1, 100), (2, 200), (None, 300), (None, 400)] and jobs == 1  # the collect only
    frame = glue.create_dynamic_frame.from_catalog(database="csvs", table_name="t")
    choice = "root\n|-- id: choice\n|    |-- long\n|    |-- string\n|-- zip: int\n|-- name: string\n"
    assert gluetypes.render(frame.schema()) == choice
    assert [(f.name, f.dataType.simpleString()) for f in frame.toDF().schema.fields] == [
        ("id", "string"), ("zip", "int"), ("name", "string")]  # fmt: skip
    assert rows(frame.resolveChoice(specs=[("id", "project:long")]), "id") == [(1,), (2,), (None,), (None,)]
    cols = frame.resolveChoice(specs=[("id", "make_cols")])
    assert rows(cols, "id_long", "id_string") == [(1, None), (2, None), (None, "X1"), (None, None)]
    assert cols.toDF().columns == ["id_long", "zip", "name", "id_string"]
