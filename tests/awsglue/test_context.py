"""GlueContext and Job in-process: catalog reads with pruning and bookmarks, writes staged until commit, writes
without job.init committed at once, CSV and getSource reads, and one S3 (moto) round trip."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from catalog import Catalog
from etl.bookmarks.store import get_job_bookmark
from etl.runs import get_job_runs
from sluice.errors import InvalidInputException
from tests.awsglue.conftest import write_json
from tests.etl.conftest import RawEvents, parquet_ids

pytestmark = pytest.mark.spark


def start(glue: GlueContext, monkeypatch: pytest.MonkeyPatch, name: str = "glue_job") -> Job:
    argv = ["script.py", "--JOB_NAME", name, "--job-bookmark-option", "job-bookmark-enable"]
    monkeypatch.setattr(sys, "argv", argv)
    job = Job(glue)
    job.init(name, getResolvedOptions(sys.argv, ["JOB_NAME"]))
    return job


def test_catalog_reads_are_pruned_and_bookmarked_and_writes_wait_for_commit(
    spark, glue: GlueContext, raw_events: RawEvents, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw_events.land("2024-01-01", range(3))
    raw_events.land("2024-01-02", range(10, 12))
    job = start(glue, monkeypatch)
    frame = glue.create_dynamic_frame.from_catalog(
        database="raw", table_name="events", transformation_ctx="events", push_down_predicate="day = '2024-01-02'"
    )
    assert frame.count() == 2
    wrong = glue.getSink(
        connection_type="s3", path=str(raw_events.root), enableUpdateCatalog=True, partitionKeys=["day"]
    )
    wrong.setFormat("glueparquet")
    wrong.setCatalogInfo(catalogDatabase="raw", catalogTableName="events")
    with pytest.raises(InvalidInputException, match=r"raw\.events is a csv table; this write is parquet"):
        wrong.writeFrame(frame)  # refused before anything is staged
    target = raw_events.lake / "curated" / "events"
    sink = glue.getSink(connection_type="s3", path=str(target), enableUpdateCatalog=True, partitionKeys=["day"])
    sink.setFormat("glueparquet")
    sink.setCatalogInfo(catalogDatabase="curated", catalogTableName="events")
    sink.writeFrame(frame)
    assert parquet_ids(spark, target) == [] and not Catalog().table_exists("curated", "events")  # staged only
    job.commit()
    assert parquet_ids(spark, target) == [10, 11]
    assert [p["Values"] for p in Catalog().get_partitions("curated", "events")] == [["2024-01-02"]]
    assert "events" in get_job_bookmark("glue_job")["JobBookmarkEntry"]["JobBookmark"]

    job = start(glue, monkeypatch)
    again = glue.create_dynamic_frame.from_catalog(database="raw", table_name="events", transformation_ctx="events")
    assert sorted(r.id for r in again.toDF().collect()) == [0, 1, 2]  # day 1, never read before
    job.commit()


def test_json_and_csv_sinks_catalog_their_tables_as_a_crawler_would(
    spark, glue: GlueContext, raw_events: RawEvents, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Glue Studio's S3 targets: ``setFormat("json")`` or ``"csv"`` with ``enableUpdateCatalog`` create a table of
    that classification, which reads back; ``write_dynamic_frame.from_catalog`` appends in the table's own CSV
    layout (its delimiter, its header line); ORC is refused, as Glue refuses it."""
    raw_events.land("2024-01-01", range(3))
    job = start(glue, monkeypatch, "studio_targets")
    frame = glue.create_dynamic_frame.from_catalog(database="raw", table_name="events", transformation_ctx="events")
    for fmt in ("json", "csv"):
        sink = glue.getSink(
            path=str(raw_events.lake / "trusted" / fmt), connection_type="s3", updateBehavior="UPDATE_IN_DATABASE",
            partitionKeys=[], enableUpdateCatalog=True, transformation_ctx=f"{fmt}_node",
        )  # fmt: skip
        sink.setCatalogInfo(catalogDatabase="trusted", catalogTableName=f"events_{fmt}")
        sink.setFormat(fmt)
        sink.writeFrame(frame)
    orc = glue.getSink(path=str(raw_events.lake / "trusted" / "orc"), connection_type="s3", enableUpdateCatalog=True)
    orc.setCatalogInfo(catalogDatabase="trusted", catalogTableName="events_orc")
    orc.setFormat("orc")
    with pytest.raises(
        InvalidInputException, match="updates the catalog for parquet, json, csv, avro files, not 'orc'"
    ):
        orc.writeFrame(frame)
    job.commit()

    as_json = Catalog().get_table("trusted", "events_json")
    assert as_json["Parameters"]["classification"] == "json"
    assert as_json["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    as_csv = Catalog().get_table("trusted", "events_csv")
    assert as_csv["Parameters"] | {"delimiter": ",", "skip.header.line.count": "1"} == as_csv["Parameters"]
    assert as_csv["StorageDescriptor"]["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"
    for fmt in ("json", "csv"):
        back = glue.create_dynamic_frame.from_catalog(database="trusted", table_name=f"events_{fmt}")
        assert sorted(int(r.id) for r in back.toDF().collect()) == [0, 1, 2], fmt

    raw_events.land("2024-01-02", [7])
    more = glue.create_dynamic_frame.from_catalog(
        database="raw", table_name="events", push_down_predicate="day = '2024-01-02'"
    )
    glue.write_dynamic_frame.from_catalog(frame=more, database="trusted", table_name="events_csv")
    written = sorted((raw_events.lake / "trusted" / "csv").glob("*.csv"))
    assert all(p.read_text().startswith("id,") for p in written)  # each file starts with the header line
    again = glue.create_dynamic_frame.from_catalog(database="trusted", table_name="events_csv")
    assert sorted(int(r.id) for r in again.toDF().collect()) == [0, 1, 2, 7]


def test_without_job_init_each_write_commits_at_once(spark, glue: GlueContext, tmp_path: Path) -> None:
    (tmp_path / "csv").mkdir()
    (tmp_path / "csv" / "a.csv").write_text("1;x\n2;'y;z'\n")
    frame = glue.create_dynamic_frame.from_options(
        "s3", {"paths": [str(tmp_path / "csv")]}, format="csv", format_options={"separator": ";", "quoteChar": "'"}
    )
    assert [tuple(r) for r in frame.toDF().orderBy("col0").collect()] == [("1", "x"), ("2", "y;z")]
    glue.write_dynamic_frame.from_options(
        frame, "s3", {"path": str(tmp_path / "out"), "partitionKeys": ["col0"]}, format="parquet",
        format_options={"compression": "gzip"},
    )  # fmt: skip
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["col0=1", "col0=2"]
    assert next((tmp_path / "out" / "col0=1").glob("*.parquet")).name.endswith(".gz.parquet")
    (run,) = get_job_runs(spark.sparkContext.appName)
    assert run["JobRunState"] == "SUCCEEDED"
    write_json(tmp_path / "json", "a.json", [{"a": 1}])
    source = glue.getSource("s3", paths=[str(tmp_path / "json")])
    source.setFormat("json")
    assert source.getFrame().toDF().collect()[0].a == 1
    df = glue.create_data_frame.from_options("s3", {"paths": [str(tmp_path / "json")]}, format="json")
    assert df.columns == ["a"]
    rdd = spark.sparkContext.parallelize([(1, "a")])
    assert glue.create_dynamic_frame.from_rdd(rdd, "r", schema="n int, s string").count() == 1


@pytest.mark.s3
def test_s3_paths_through_the_configured_endpoint(spark, s3, sluice_home: Path) -> None:
    client, bucket = s3
    client.put_object(Bucket=bucket, Key="in/a.json", Body=b'{"id": 1, "v": "x"}\n{"id": "2", "v": "y"}\n')
    glue = GlueContext(spark.sparkContext)  # points the session's S3A at the moto endpoint
    frame = glue.create_dynamic_frame.from_options("s3", {"paths": [f"s3://{bucket}/in"]}, format="json")
    frame = frame.resolveChoice(specs=[("id", "cast:int")])
    glue.write_dynamic_frame.from_options(frame, "s3", {"path": f"s3://{bucket}/out"}, format="parquet")
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix="out/")["Contents"]]
    assert keys and all(k.endswith(".parquet") for k in keys)
    back = DynamicFrame.fromDF(spark.read.parquet(f"s3a://{bucket}/out"), glue, "back")
    assert sorted(r.id for r in back.toDF().collect()) == [1, 2]


def test_csv_writes_take_glues_format_options(spark, glue: GlueContext, tmp_path: Path) -> None:
    """Glue writes CSV with a header unless ``writeHeader`` is false; ``separator`` and ``quoteChar`` apply."""
    frame = DynamicFrame.fromDF(spark.createDataFrame([(1, "a;b"), (2, "c")], "id int, v string"), glue, "rows")
    glue.write_dynamic_frame.from_options(
        frame=frame,
        connection_type="s3",
        connection_options={"path": str(tmp_path / "with_header")},
        format="csv",
        format_options={"separator": ";", "quoteChar": "'"},
    )
    glue.write_dynamic_frame.from_options(
        frame=frame,
        connection_type="s3",
        connection_options={"path": str(tmp_path / "bare")},
        format="csv",
        format_options={"writeHeader": False},
    )

    def files(folder: str) -> list[list[str]]:
        return [f.read_text().splitlines() for f in sorted((tmp_path / folder).glob("*.csv"))]

    with_header = [lines for lines in files("with_header") if lines]
    assert with_header and all(lines[0] == "id;v" for lines in with_header)  # each file starts with the header
    assert sorted(line for lines in with_header for line in lines[1:]) == ["1;'a;b'", "2;c"]
    assert sorted(line for lines in files("bare") for line in lines) == ["1,a;b", "2,c"]
