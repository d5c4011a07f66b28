"""The crawler on real files on local disk: grouping, partitions, formats, widening and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog import Catalog
from catalog.crawler.run import crawl
from tests.catalog.conftest import columns, json_lines, tables, write_parquet, write_text


def test_a_root_with_three_folders_gives_three_glue_tables(lake: Path) -> None:
    run = crawl([str(lake)], database_name="raw")
    assert run["Status"] == "SUCCEEDED" and run["State"] == "COMPLETED"
    assert run["Metrics"]["TablesCreated"] == 3 and run["Metrics"]["PartitionsAdded"] == 4
    assert run["Metrics"]["FilesScanned"] == 6  # _SUCCESS and .hidden.json are never listed
    found = tables("raw")
    assert sorted(found) == ["events", "stations", "trips"]

    trips = found["trips"]
    assert trips["TableType"] == "EXTERNAL_TABLE" and trips["VersionId"] == "0"
    assert columns(trips) == [("trip_id", "bigint"), ("fare", "double"), ("vendor", "string")]
    assert trips["PartitionKeys"] == [{"Name": "year", "Type": "string"}, {"Name": "month", "Type": "string"}]
    assert trips["StorageDescriptor"]["Location"] == f"{lake}/trips/"
    assert trips["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    params = trips["Parameters"]
    assert params["classification"] == "parquet" and params["typeOfData"] == "file"
    assert params["recordCount"] == "12" and params["objectCount"] == "4"
    assert params["CrawlerSchemaSerializerVersion"] == "1.0" and params["CRAWL_RUN_ID"] == run["CrawlId"]
    assert params["UPDATED_BY_CRAWLER"] == run["CrawlerName"]

    stations = found["stations"]
    assert columns(stations) == [("id", "bigint"), ("name", "string"), ("lat", "double")]
    assert stations["Parameters"]["delimiter"] == ","
    assert stations["Parameters"]["areColumnsQuoted"] == "true"
    assert stations["Parameters"]["skip.header.line.count"] == "1"
    assert stations["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("OpenCSVSerde")

    events = found["events"]
    assert events["Parameters"]["classification"] == "json"
    assert columns(events) == [("id", "int"), ("user", "struct<name:string,tags:array<string>>")]

    parts = Catalog().get_partitions("raw", "trips", "year = '2024' AND month IN ('01', '02')")
    assert [p["Values"] for p in parts] == [["2024", "01"], ["2024", "02"]]
    assert parts[0]["StorageDescriptor"]["Location"] == f"{lake}/trips/year=2024/month=01/"
    assert parts[0]["Parameters"]["recordCount"] == "3"


def test_unnamed_folder_levels_become_partition_n_keys(tmp_path: Path) -> None:
    for day in ("2024/01/01", "2024/01/02", "2024/02/01"):
        write_text(tmp_path / "logs" / day / "log.csv", "ts|level|code\n2024-01-01 10:00:00|INFO|1\nx|WARN|2\n")
    crawl([str(tmp_path / "logs")], database_name="raw")  # the include path's own name names its table
    logs = tables("raw")["logs"]
    assert [k["Name"] for k in logs["PartitionKeys"]] == ["partition_0", "partition_1", "partition_2"]
    assert logs["Parameters"]["delimiter"] == "|"
    values = [p["Values"] for p in Catalog().get_partitions("raw", "logs", "partition_1 = '01'")]
    assert values == [["2024", "01", "01"], ["2024", "01", "02"]]
    from sqlalchemy import func, select

    from catalog.models import PartitionRow, PartitionValueRow
    from sluice.db import session_scope

    with session_scope() as s:  # the crawler writes each partition's pushdown values with it
        assert s.scalar(select(func.count()).where(~PartitionRow.values_indexed)) == 0
        assert s.scalar(select(func.count()).select_from(PartitionValueRow)) == 9


@pytest.mark.parametrize(
    ("name", "text", "compression", "expected"),
    [
        ("t.tsv", "a\tb\n1\tx\n2\ty\n", None, {"delimiter": "\t", "skip.header.line.count": "1"}),
        ("t.csv.gz", "a;b\n1;x\n2;y\n", "gzip", {"delimiter": ";", "compressionType": "gzip"}),
        ("t.txt", "a\x01b\n1\x01x\n2\x01y\n", None, {"delimiter": "\x01"}),
        ("t.json.bz2", json_lines([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]), "bzip2", {"compressionType": "bzip2"}),
    ],
)
def test_each_text_format_and_compression(
    tmp_path: Path, name: str, text: str, compression: str | None, expected: dict[str, str]
) -> None:
    write_text(tmp_path / "data" / name, text, compression)
    crawl([str(tmp_path / "data")], database_name="raw")
    table = tables("raw")["data"]
    types = dict(columns(table))
    assert list(types) == ["a", "b"] and types["b"] == "string"
    assert types["a"] in ("bigint", "int")  # CSV integers are bigint, JSON's int (as Glue infers them)
    assert table["StorageDescriptor"]["Compressed"] is (compression is not None)
    assert expected.items() <= table["Parameters"].items()


def test_orc_written_by_pyarrow_from_its_tail(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.orc as orc

    for day in ("01", "02"):
        (tmp_path / "o" / f"day={day}").mkdir(parents=True)
        table = pa.table({"id": pa.array([1, 2], pa.int32()), "tags": [["a"], []], "s": [{"k": 1.5}, {"k": 2.0}]})
        orc.write_table(table, str(tmp_path / "o" / f"day={day}" / "part-0.orc"))
    (tmp_path / "o" / "day=03").mkdir()
    (tmp_path / "o" / "day=03" / "bad.orc").write_bytes(b"ORC" + b"\x01" * 64)
    run = crawl([str(tmp_path / "o")], database_name="raw")
    table = tables("raw")["o"]
    assert table["Parameters"]["classification"] == "orc" and table["Parameters"]["recordCount"] == "4"
    assert columns(table) == [("id", "int"), ("tags", "array<string>"), ("s", "struct<k:double>")]
    assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("OrcSerde")
    (error,) = run["Errors"]
    assert error["Path"].endswith("day=03/bad.orc") and error["Reason"].startswith("corrupt ORC")


def test_csv_without_a_header_row_gets_col_n_names(tmp_path: Path) -> None:
    write_text(tmp_path / "people" / "p.csv", "ann,smith\nbob,jones\n")
    crawl([str(tmp_path / "people")], database_name="raw")
    table = tables("raw")["people"]
    assert columns(table) == [("col0", "string"), ("col1", "string")]
    assert "skip.header.line.count" not in table["Parameters"]
    assert table["Parameters"]["areColumnsQuoted"] == "false"


@pytest.mark.spark
def test_parquet_written_by_spark_maps_types_exactly(tmp_path: Path, spark) -> None:
    df = spark.sql(
        "SELECT id, CAST(id AS INT) AS n, CAST(id / 3 AS DECIMAL(10,2)) AS amount, DATE'2024-01-01' AS d, "
        "TIMESTAMP'2024-01-01 10:00:00' AS ts, array(id) AS ids, named_struct('k', 'v', 'n', id) AS s, "
        "id % 2 AS part FROM range(6)"
    )
    df.write.partitionBy("part").parquet(str(tmp_path / "sparky"))
    run = crawl([str(tmp_path / "sparky")], database_name="raw")
    table = tables("raw")["sparky"]
    assert columns(table) == [
        ("id", "bigint"),
        ("n", "int"),
        ("amount", "decimal(10,2)"),
        ("d", "date"),
        ("ts", "timestamp"),
        ("ids", "array<bigint>"),
        ("s", "struct<k:string,n:bigint>"),
    ]
    assert table["PartitionKeys"] == [{"Name": "part", "Type": "string"}]
    assert table["Parameters"]["recordCount"] == "6"
    assert not run["Errors"]  # _SUCCESS and .crc files are skipped, as Spark skips them


def test_widening_across_files_and_partition_schema_mismatch(tmp_path: Path) -> None:
    import pyarrow as pa

    root = tmp_path / "m"
    write_parquet(root / "p=1" / "a.parquet", {"x": pa.array([1], pa.int32()), "y": ["a"]})
    write_parquet(root / "p=2" / "a.parquet", {"x": pa.array([1], pa.int64()), "y": ["a"]})
    write_parquet(root / "p=3" / "a.parquet", {"x": [1.5], "y": ["a"], "z": [True]})
    run = crawl([str(root)], database_name="raw")
    table = tables("raw")["m"]
    assert columns(table) == [("x", "double"), ("y", "string"), ("z", "boolean")]
    # Partitions that differ from the table record their own columns (what Athena's HIVE_PARTITION_SCHEMA_MISMATCH
    # is about), and the crawl reports them.
    assert run["Metrics"]["PartitionSchemaMismatches"] == 2
    assert {tuple(e["Values"]) for e in run["Log"] if e["Event"] == "PARTITION_SCHEMA_MISMATCH"} == {("1",), ("2",)}
    part = Catalog().get_partition("raw", "m", ["1"])
    assert [c["Type"] for c in part["StorageDescriptor"]["Columns"]] == ["int", "string"]

    write_parquet(root / "p=4" / "a.parquet", {"x": ["text"], "y": ["a"]})
    crawl([str(root)], database_name="inherit", partitions_inherit_from_table=True)
    inherited = tables("inherit")["m"]
    assert columns(inherited)[0] == ("x", "string")
    part = Catalog().get_partition("inherit", "m", ["1"])
    assert part["StorageDescriptor"]["Columns"] == inherited["StorageDescriptor"]["Columns"]


def test_dissimilar_files_split_unless_combining_compatible_schemas(tmp_path: Path) -> None:
    write_parquet(tmp_path / "mixed" / "orders.parquet", {"order_id": [1], "total": [2.0]})
    write_parquet(tmp_path / "mixed" / "users.parquet", {"user_id": [1], "email": ["e"]})
    crawl([str(tmp_path / "mixed")], database_name="split")
    assert sorted(tables("split")) == ["orders_parquet", "users_parquet"]
    assert tables("split")["orders_parquet"]["StorageDescriptor"]["Location"] == f"{tmp_path}/mixed/orders.parquet"

    crawl([str(tmp_path / "mixed")], database_name="combined", grouping_policy="CombineCompatibleSchemas")
    assert [n for n, _ in columns(tables("combined")["mixed"])] == ["order_id", "total", "user_id", "email"]


def test_table_level_and_table_threshold(lake: Path) -> None:
    from catalog.crawler.grouping import TableThresholdExceeded

    crawl([str(lake)], database_name="lvl", table_level=2)  # tables at depth 2: trips' year=… folders
    assert sorted(tables("lvl")) == ["events", "stations", "year_2023", "year_2024"]
    assert [k["Name"] for k in tables("lvl")["year_2023"]["PartitionKeys"]] == ["month"]

    with pytest.raises(TableThresholdExceeded, match="would create 3 tables"):
        crawl([str(lake)], database_name="few", name="few", table_threshold=2)
    assert Catalog().get_databases() == [d for d in Catalog().get_databases() if d["Name"] != "few"]
    from catalog.crawler.definitions import list_crawls

    (failed,) = list_crawls("few")
    assert failed["Status"] == "FAILED" and "table threshold" in failed["ErrorMessage"]


def test_exclusions_table_prefix_and_sample_size(lake: Path) -> None:
    for i in range(4):
        write_text(lake / "stations" / f"more{i}.csv", f"id,name,lat\n{i},n,1.0\n{i},m,2.0\n")
    excluded = ["events/**", "trips/year=2023/**"]
    run = crawl([str(lake)], database_name="raw", exclusions=excluded, table_prefix="raw_", sample_size=2)
    found = tables("raw")
    assert sorted(found) == ["raw_stations", "raw_trips"]
    assert [p["Values"] for p in Catalog().get_partitions("raw", "raw_trips")] == [["2024", "01"], ["2024", "02"]]
    assert found["raw_trips"]["Parameters"]["exclusions"] == '["events/**", "trips/year=2023/**"]'
    # 2 of the 5 station files and the 2 trip files (one per leaf folder) were read.
    assert run["Metrics"]["FilesScanned"] == 4
    assert found["raw_stations"]["Parameters"]["objectCount"] == "5"


def test_bad_files_are_recorded_with_path_and_reason_and_the_crawl_goes_on(tmp_path: Path) -> None:
    tmp_path = tmp_path / "lake"
    write_text(tmp_path / "good" / "g.csv", "a,b\n1,x\n2,y\n")
    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "c.parquet").write_bytes(b"PAR1" + b"\x00garbage" * 20 + b"PAR1")
    write_text(tmp_path / "empty" / "e.csv", "")
    write_text(tmp_path / "binary" / "ok.csv", "c,d\n1,x\n2,y\n")
    (tmp_path / "binary" / "blob.csv").write_bytes(bytes(range(256)) * 4)
    write_text(tmp_path / "ragged" / "r.csv", "a,b,c\n1,2\n3,4,5,6\n")
    (tmp_path / "latin1").mkdir()
    (tmp_path / "latin1" / "l.csv").write_bytes("name,city\nJosé,Malmö\nAnn,Zürich\n".encode("latin-1"))
    run = crawl([str(tmp_path)], database_name="raw")
    assert sorted(tables("raw")) == ["binary", "good"]
    assert tables("raw")["binary"]["Parameters"]["objectCount"] == "1"
    reasons = {Path(e["Path"]).relative_to(tmp_path).as_posix(): e["Reason"] for e in run["Errors"]}
    assert set(reasons) == {"corrupt/c.parquet", "empty/e.csv", "binary/blob.csv", "ragged/r.csv", "latin1/l.csv"}
    assert "corrupt Parquet" in reasons["corrupt/c.parquet"]
    assert reasons["empty/e.csv"] == "empty file"
    assert "binary content" in reasons["binary/blob.csv"]
    assert "ragged rows" in reasons["ragged/r.csv"]
    assert "undecodable bytes" in reasons["latin1/l.csv"]
    assert run["Status"] == "SUCCEEDED"


def test_relative_include_paths_resolve_under_the_given_context_s_lake(tmp_path: Path) -> None:
    """A crawler created with an explicit context stores its relative paths under that context's lake root."""
    from catalog.crawler.definitions import CrawlerOptions, create_crawler, get_crawler
    from sluice.context import SluiceContext
    from sluice.settings import Settings

    ctx = SluiceContext(Settings(home=tmp_path / "home", lake_root=str(tmp_path / "other-lake")))
    write_parquet(tmp_path / "other-lake" / "raw" / "things" / "a.parquet", {"id": [1, 2]})
    create_crawler("ctx-crawler", CrawlerOptions(database_name="raw", paths=["raw/things"]), ctx=ctx)
    targets = get_crawler("ctx-crawler", ctx=ctx)["Targets"]["S3Targets"]
    assert [t["Path"] for t in targets] == [str(tmp_path / "other-lake" / "raw" / "things")]
    run = crawl(["raw/things"], database_name="raw", ctx=ctx)
    assert run["Status"] == "SUCCEEDED" and Catalog(ctx).get_table("raw", "things")["Name"] == "things"
