"""CTAS in Athena's other formats (ORC, JSON, TEXTFILE with Athena's default compression) read back by
``sluice sql``, the crawler and Spark; the table parameter ``exclusions`` in the DuckDB views."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pyarrow.orc as orc
import pytest

from catalog.crawler.run import crawl
from catalog.formats import LAZY_SIMPLE_SERDE, ORC_SERDE
from service import catalog as glue
from sluice.context import SluiceContext
from sluice.errors import InvalidInputException
from sluice.lake.fs import list_objects, s3_filesystem
from tests.athena.conftest import FLIGHT_COLUMNS, Sql, register, values, write_days

QUERY = "select carrier, delay, dt from flights where delay > 0"
CHECK = "select dt, carrier, delay from {} order by dt, carrier"
FORMATS = {
    "ORC": ("orc", ORC_SERDE, ".orc"),
    "JSON": ("json", "org.apache.hive.hcatalog.data.JsonSerDe", ".json.gz"),
    "TEXTFILE": ("csv", LAZY_SIMPLE_SERDE, ".csv.gz"),
}


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_a_ctas_in_each_format_is_registered_and_reads_back(fmt: str, sql: Sql, flights: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / fmt.lower()
    delimiter = ", field_delimiter = '|'" if fmt == "TEXTFILE" else ""
    created = sql(
        f"create table raw.t with (format = '{fmt}', partitioned_by = array['dt'], external_location = "
        f"'{target}'{delimiter}) as {QUERY}"
    )
    assert created["UpdateCount"] == 6
    classification, serde, extension = FORMATS[fmt]
    files = _files(target)
    assert [p.parent.name for p in files] == ["dt=2013-01-01", "dt=2013-01-02", "dt=2013-01-03"]
    assert all(p.name.endswith(extension) for p in files), files
    if fmt == "ORC":
        assert orc.read_table(str(files[0])).column_names == ["carrier", "delay"]
        assert orc.ORCFile(str(files[0])).compression == "ZLIB"  # Athena's default for ORC
    else:  # GZIP, Athena's default for TEXTFILE and JSON
        lines = sorted(gzip.decompress(files[0].read_bytes()).decode().splitlines())
        json_lines = ['{"carrier":"AA","delay":5}', '{"carrier":"DL","delay":30}']
        assert lines == (json_lines if fmt == "JSON" else ["AA|5", "DL|30"])
    table = glue.get_table(None, DatabaseName="raw", Name="t")["Table"]
    sd = table["StorageDescriptor"]
    assert table["Parameters"]["classification"] == classification and sd["Compressed"] is True
    assert sd["SerdeInfo"]["SerializationLibrary"] == serde
    if fmt == "TEXTFILE":
        assert sd["SerdeInfo"]["Parameters"]["field.delim"] == "|" and table["Parameters"]["delimiter"] == "|"
    expected = values(sql(CHECK.format("flights")))
    expected = [row for row in expected if int(row[2]) > 0]
    assert values(sql(CHECK.format("t"))) == expected
    point = sql("select count(*) from t where dt = '2013-01-02'")
    assert values(point) == [["2"]] and point["QueryExecution"]["Statistics"]["FilesRead"] == 1

    crawl([str(target)], database_name="crawled")  # the crawler classifies the files as the CTAS registered them
    crawled = glue.get_table(None, DatabaseName="crawled", Name=fmt.lower())["Table"]
    assert crawled["Parameters"]["classification"] == classification


def test_uncompressed_json_and_a_text_default_delimiter(sql: Sql, flights: Path, tmp_path: Path) -> None:
    sql(
        f"create table raw.plain with (format = 'JSON', write_compression = 'NONE', external_location = "
        f"'{tmp_path / 'plain'}') as select carrier, delay from flights where dt = '2013-01-01'"
    )
    (data,) = _files(tmp_path / "plain")
    assert data.suffix == ".json" and json.loads(data.read_text().splitlines()[0]) == {"carrier": "AA", "delay": 5}
    assert glue.get_table(None, DatabaseName="raw", Name="plain")["Table"]["StorageDescriptor"]["Compressed"] is False
    sql(
        f"create table raw.hive with (format = 'TEXTFILE', external_location = '{tmp_path / 'hive'}') as "
        "select carrier, cast(null as bigint) as nothing from flights where dt = '2013-01-01'"
    )
    (text,) = _files(tmp_path / "hive")
    assert gzip.decompress(text.read_bytes()).decode().splitlines()[0] == "AA\x01"  # \001, NULL as an empty field
    assert values(sql("select carrier, nothing from hive order by carrier")) == [
        ["AA", None],
        ["DL", None],
        ["UA", None],
    ]


@pytest.mark.parametrize("fmt", ["ORC", "JSON"])
def test_odd_and_null_partition_values_round_trip(fmt: str, sql: Sql, flights: Path, tmp_path: Path) -> None:
    rows = "select * from (values (1, 'a/b c:d'), (2, null), (3, 'plain')) as t(n, k)"
    where = f"external_location = '{tmp_path / 'odd'}'"
    sql(f"create table raw.odd with (format = '{fmt}', partitioned_by = array['k'], {where}) as {rows}")
    assert values(sql("select k, n from odd order by n")) == [["a/b c:d", "1"], [None, "2"], ["plain", "3"]]
    assert values(sql("select n from odd where k = 'a/b c:d'")) == [["1"]]


@pytest.mark.s3
def test_orc_and_json_ctas_on_s3(s3: tuple[Any, str], sql: Sql, ctx: SluiceContext) -> None:
    _, bucket = s3
    root = f"s3://{bucket}/lake/flights"
    register(ctx, "raw", "flights", root, FLIGHT_COLUMNS, [{"Name": "dt", "Type": "string"}],
             write_days(root, s3_filesystem(ctx)))  # fmt: skip
    for fmt, extension in (("ORC", ".orc"), ("JSON", ".json.gz")):
        target = f"{root}-{fmt.lower()}"
        sql(f"create table raw.s3_{fmt.lower()} with (format = '{fmt}', partitioned_by = array['dt'], "
            f"external_location = '{target}') as {QUERY}")  # fmt: skip
        keys = sorted(o.key for o in list_objects(target, ctx=ctx))
        assert [k.split("/")[0] for k in keys] == ["dt=2013-01-01", "dt=2013-01-02", "dt=2013-01-03"], keys
        assert all(k.endswith(extension) for k in keys)
        assert values(sql(f"select count(*) from s3_{fmt.lower()} where dt = '2013-01-03'")) == [["2"]]


def test_avro_ion_and_unknown_codecs_are_refused(sql: Sql, flights: Path, tmp_path: Path) -> None:
    where = f"external_location = '{tmp_path / 'x'}'"
    with pytest.raises(InvalidInputException, match=r"format 'AVRO'.*no Avro writer in process"):
        sql(f"create table raw.a with (format = 'AVRO', {where}) as select 1 as a")
    with pytest.raises(InvalidInputException, match="format 'ION'"):
        sql(f"create table raw.a with (format = 'ION', {where}) as select 1 as a")
    with pytest.raises(InvalidInputException, match="write_compression 'SNAPPY' is not one Sluice writes JSON with"):
        sql(f"create table raw.a with (format = 'JSON', write_compression = 'SNAPPY', {where}) as select 1 as a")
    assert not (tmp_path / "x").exists()


def test_exclusions_leave_files_out_of_the_views(sql: Sql, tmp_path: Path, ctx: SluiceContext) -> None:
    root = tmp_path / "lake" / "ex"
    partitions = write_days(str(root))
    for day in ("2013-01-01", "2013-01-02"):
        extra = root / f"dt={day}" / "part-0.parquet"
        (extra.parent / "copy.parquet").write_bytes(extra.read_bytes())
    register(
        ctx,
        "raw",
        "ex",
        str(root),
        FLIGHT_COLUMNS,
        [{"Name": "dt", "Type": "string"}],
        partitions,
        parameters={"classification": "parquet", "exclusions": json.dumps(["**/copy.parquet", "dt=2013-01-03/**"])},
    )
    answer = sql("select dt, count(*) from ex group by dt order by dt")
    assert values(answer) == [["2013-01-01", "3"], ["2013-01-02", "3"]]
    assert answer["QueryExecution"]["Statistics"]["FilesRead"] == 2
    register(
        ctx,
        "raw",
        "bad",
        str(root),
        FLIGHT_COLUMNS,
        parameters={"classification": "parquet", "exclusions": "[not json"},
    )
    with pytest.raises(InvalidInputException, match="exclusions parameter that is not JSON"):
        sql("select count(*) from bad")


@pytest.mark.spark
@pytest.mark.slow
def test_spark_reads_and_writes_the_formats(spark, sql: Sql, flights: Path, tmp_path: Path) -> None:
    for fmt in FORMATS:
        name = f"by_{fmt.lower()}"
        sql(
            f"create table raw.{name} with (format = '{fmt}', partitioned_by = array['dt'], external_location = "
            f"'{tmp_path / name}') as {QUERY}"
        )
        assert values(sql(CHECK.format(name), engine="spark")) == values(sql(CHECK.format(name))), fmt
        written = f"sp_{fmt.lower()}"
        ctas = (
            f"create table raw.{written} with (format = '{fmt}', partitioned_by = array['dt'], external_location = "
            f"'{tmp_path / written}') as {QUERY}"
        )
        assert sql(ctas, engine="spark")["UpdateCount"] == 6
        assert values(sql(CHECK.format(written))) == values(sql(CHECK.format(name))), fmt
