"""``spark.sql`` in a Glue script sees every catalog table, partitions included, registered on first reference."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from awsglue.context import GlueContext
from catalog import Catalog
from catalog.shapes import storage_descriptor
from sparkio.catalog import add_partitions_sql, referenced_tables, table_ddl

pytestmark = pytest.mark.spark
COLUMNS = [{"Name": "carrier", "Type": "string"}, {"Name": "delay", "Type": "bigint"}]


def _partitioned(catalog: Catalog, root: Path) -> None:
    """raw.flights: two Hive-layout days under the table and one partition stored elsewhere."""
    for day, rows in {"2013-01-01": ["AA", "UA"], "2013-01-02": ["DL"]}.items():
        (root / "flights" / f"dt={day}").mkdir(parents=True)
        table = pa.table({"carrier": rows, "delay": list(range(len(rows)))})
        pq.write_table(table, root / "flights" / f"dt={day}" / "part-0.parquet")
    (root / "late").mkdir()
    pq.write_table(pa.table({"carrier": ["B6"], "delay": [42]}), root / "late" / "part-0.parquet")
    catalog.create_database("raw")
    sd = storage_descriptor(COLUMNS, str(root / "flights"))
    catalog.create_table(
        "raw",
        {
            "Name": "flights",
            "StorageDescriptor": sd,
            "PartitionKeys": [{"Name": "dt", "Type": "string"}],
            "Parameters": {"classification": "parquet"},
        },
    )
    places = {"2013-01-01": root / "flights/dt=2013-01-01", "2013-01-02": root / "flights/dt=2013-01-02"}
    places["2013-01-03"] = root / "late"
    catalog.batch_create_partition(
        "raw",
        "flights",
        [
            {"Values": [day], "StorageDescriptor": storage_descriptor(COLUMNS, str(where))}
            for day, where in places.items()
        ],
    )


def test_spark_sql_reads_catalog_tables_with_partition_pruning(glue: GlueContext, tmp_path: Path) -> None:
    catalog = Catalog(glue.ctx)
    _partitioned(catalog, tmp_path)
    pacsv.write_csv(pa.table({"code": ["AA", "B6"], "name": ["American", "JetBlue"]}), tmp_path / "carriers.csv")
    (tmp_path / "carriers").mkdir()
    (tmp_path / "carriers.csv").rename(tmp_path / "carriers" / "carriers.csv")
    catalog.create_table(
        "raw",
        {
            "Name": "carriers",
            "StorageDescriptor": storage_descriptor(
                [{"Name": "code", "Type": "string"}, {"Name": "name", "Type": "string"}], str(tmp_path / "carriers")
            ),
            "Parameters": {"classification": "csv", "skip.header.line.count": "1", "delimiter": ","},
        },
    )
    spark = glue.spark_session

    one_day = spark.sql("select carrier, delay from raw.flights where dt = '2013-01-03'")
    assert [tuple(r) for r in one_day.collect()] == [("B6", 42)]
    assert one_day.inputFiles() == ["file://" + str(tmp_path / "late" / "part-0.parquet")]

    joined = spark.sql(
        "with f as (select * from raw.flights) "
        "select f.dt, c.name from f join raw.carriers c on c.code = f.carrier order by f.dt"
    )
    assert [tuple(r) for r in joined.collect()] == [("2013-01-01", "American"), ("2013-01-03", "JetBlue")]
    assert spark.table("raw.flights").count() == 4
    assert {r.tableName for r in spark.sql("show tables in raw").collect()} == {"flights", "carriers"}

    catalog.batch_create_partition(
        "raw",
        "flights",
        [{"Values": ["2013-01-09"], "StorageDescriptor": storage_descriptor(COLUMNS, str(tmp_path / "late"))}],
    )
    glue.catalog_bridge.refresh()  # what job.commit() does
    assert spark.sql("select count(*) n from raw.flights").first().n == 5


def test_unqualified_names_use_the_current_database(glue: GlueContext, tmp_path: Path) -> None:
    _partitioned(Catalog(glue.ctx), tmp_path)
    spark = glue.spark_session
    spark.sql("create database if not exists raw")
    spark.sql("use raw")
    try:
        assert spark.sql("select count(*) n from flights").first().n == 4
    finally:
        spark.sql("use default")


def test_unknown_tables_fail_as_spark_reports_them(glue: GlueContext) -> None:
    from pyspark.errors import AnalysisException

    with pytest.raises(AnalysisException, match="TABLE_OR_VIEW_NOT_FOUND"):
        glue.spark_session.sql("select * from raw.nope")


def test_statement_planning_is_pure() -> None:
    sql = "with x as (select * from raw.a) select * from x join b on true join raw.`c-d` t"
    assert referenced_tables(sql) == {("raw", "a"), (None, "b"), ("raw", "c-d")}
    assert referenced_tables("select ((") == set()
    meta = {
        "DatabaseName": "raw",
        "Name": "t",
        "StorageDescriptor": {"Columns": [{"Name": "a`b", "Type": "struct<x:int>"}], "Location": "s3://b/t"},
        "PartitionKeys": [{"Name": "dt", "Type": "string"}],
        "Parameters": {"classification": "csv", "delimiter": "|"},
    }
    ddl = table_ddl(meta)
    assert ddl.startswith("CREATE TABLE `raw`.`t` (`a``b` struct<`x`:int>, `dt` string) USING csv OPTIONS (")
    assert "'sep' '|'" in ddl and ddl.endswith("PARTITIONED BY (`dt`) LOCATION 's3a://b/t'")
    parts = [{"Values": [f"d'{i}"], "StorageDescriptor": {"Location": f"s3://b/t/{i}"}} for i in range(501)]
    statements = list(add_partitions_sql(meta, parts))
    assert len(statements) == 2 and "PARTITION (`dt` = 'd\\'0') LOCATION 's3a://b/t/0'" in statements[0]
