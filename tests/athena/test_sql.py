"""``sluice sql`` over local and S3 tables: pruning by files read, formats, CTAS, MSCK REPAIR, SHOW, DESCRIBE."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.orc as orc
import pyarrow.parquet as pq
import pytest
from botocore.validate import ParamValidator

from catalog.crawler.run import crawl
from service import catalog as glue
from service.sql import ServiceCatalog
from sluice.context import SluiceContext
from sluice.errors import AlreadyExistsException, InvalidInputException
from sluice.lake.fs import list_objects, s3_filesystem
from tests.athena.conftest import FLIGHT_COLUMNS, Sql, day_rows, register, values, write_days
from tests.catalog.conftest import write_parquet, write_text


def test_a_point_query_reads_only_its_partition(sql: Sql, flights: Path) -> None:
    (flights / "dt=2013-01-03" / "part-1.parquet").write_bytes(b"not parquet")  # read, it would fail the query
    answer = sql("select carrier, delay, dt from flights where dt = '2013-01-02' and delay > 0 order by carrier")
    assert values(answer) == [["AA", "5", "2013-01-02"], ["DL", "30", "2013-01-02"]]
    stats = answer["QueryExecution"]["Statistics"]
    assert (stats["FilesRead"], stats["PartitionsRead"]) == (1, 1)
    assert stats["DataScannedInBytes"] == (flights / "dt=2013-01-02" / "part-0.parquet").stat().st_size
    ranged = sql("select count(*) from flights where dt between '2013-01-01' and '2013-01-02'")
    assert values(ranged) == [["6"]] and ranged["QueryExecution"]["Statistics"]["FilesRead"] == 2


def test_a_query_without_partition_predicates_reads_every_partition(sql: Sql, flights: Path) -> None:
    answer = sql("select dt, count(*) as n from flights where carrier = 'AA' or dt = 'x' group by dt order by dt")
    assert values(answer) == [["2013-01-01", "1"], ["2013-01-02", "1"], ["2013-01-03", "1"]]
    assert answer["QueryExecution"]["Statistics"]["FilesRead"] == 3


def test_the_response_has_athenas_shapes(sql: Sql, flights: Path) -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("athena")
    answer = sql("select carrier, delay, cast(null as varchar) as gone from flights where dt = '2013-01-01' limit 1")
    execution = {k: v for k, v in answer["QueryExecution"].items() if k != "Statistics"}
    stats = {
        k: v for k, v in answer["QueryExecution"]["Statistics"].items() if k not in ("FilesRead", "PartitionsRead")
    }
    for value, shape in (
        (execution | {"Statistics": stats}, model.shape_for("QueryExecution")),
        ({"ResultSet": answer["ResultSet"]}, model.operation_model("GetQueryResults").output_shape),
    ):
        report = ParamValidator().validate(value, shape)
        assert not report.has_errors(), report.generate_report()
    header, row = answer["ResultSet"]["Rows"]
    assert [d["VarCharValue"] for d in header["Data"]] == ["carrier", "delay", "gone"]
    assert row["Data"][2] == {}  # NULL has no VarCharValue
    info = answer["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [(c["Name"], c["Type"]) for c in info] == [("carrier", "varchar"), ("delay", "bigint"), ("gone", "varchar")]


def test_the_catalog_types_the_columns(sql: Sql, tmp_path: Path, ctx: SluiceContext) -> None:
    root = tmp_path / "typed"
    pq.write_table(
        pa.table({"n": ["1", "x"], "when": ["2013-01-05", "2013-01-06"]}), write_parquet(root / "a.parquet", {"n": []})
    )
    register(
        ctx,
        "raw",
        "typed",
        str(root),
        [{"Name": "n", "Type": "int"}, {"Name": "when", "Type": "date"}, {"Name": "later", "Type": "double"}],
    )
    answer = sql("select n, \"when\" + interval '1' day as next, later from typed order by n")
    assert values(answer) == [["1", "2013-01-06 00:00:00.000", None], [None, "2013-01-07 00:00:00.000", None]]


def test_crawled_csv_json_and_parquet_tables_read_with_their_serde_options(sql: Sql, tmp_path: Path) -> None:
    lake = tmp_path / "crawled"
    write_text(lake / "stations" / "stations.csv", 'id|name|lat\n1|"Main St| north"|40.7\n2|Elm|oops\n3|Oak|40.9\n')
    events = [{"id": 1, "user": {"name": "x", "tags": ["a", "b"]}}, {"id": 2, "user": {"name": "y", "tags": []}}]
    write_text(lake / "events" / "events.json", "".join(json.dumps(e) + "\n" for e in events))
    for month in ("01", "02"):
        write_parquet(lake / "trips" / f"month={month}" / "part-0.parquet", {"trip_id": [1, 2], "fare": [9.5, 7.25]})
    crawl([str(lake / name) for name in ("stations", "events", "trips")], database_name="raw")
    stations = sql("select id, name, lat from stations order by id")
    assert values(stations) == [["1", "Main St| north", "40.7"], ["2", "Elm", "oops"], ["3", "Oak", "40.9"]]
    nested = sql("select e.user.name as who, e.user.tags from events e order by id")
    assert values(nested) == [["x", "[a, b]"], ["y", "[]"]]
    trips = sql("select month, sum(fare) from trips where month = '02' group by month")
    assert values(trips) == [["02", "16.75"]] and trips["QueryExecution"]["Statistics"]["FilesRead"] == 1


def test_orc_tables_read_through_pyarrow(sql: Sql, tmp_path: Path, ctx: SluiceContext) -> None:
    root = tmp_path / "orcs"
    partitions = {}
    for day in ("2013-01-01", "2013-01-02"):
        (root / f"dt={day}").mkdir(parents=True)
        orc.write_table(day_rows(day), str(root / f"dt={day}" / "part-0.orc"))
        partitions[(day,)] = str(root / f"dt={day}")
    register(
        ctx,
        "raw",
        "orcs",
        str(root),
        FLIGHT_COLUMNS,
        [{"Name": "dt", "Type": "date"}],
        partitions,
        parameters={"classification": "orc"},
    )
    answer = sql("select dt, max(delay) from orcs where dt = date '2013-01-02' group by dt")
    assert values(answer) == [["2013-01-02", "30"]] and answer["QueryExecution"]["Statistics"]["FilesRead"] == 1


@pytest.mark.s3
def test_s3_tables_prune_and_read_through_the_lake_filesystem(
    s3: tuple[Any, str], sql: Sql, ctx: SluiceContext
) -> None:
    _, bucket = s3
    root = f"s3://{bucket}/lake/flights"
    register(
        ctx,
        "raw",
        "flights",
        root,
        FLIGHT_COLUMNS,
        [{"Name": "dt", "Type": "string"}],
        write_days(root, s3_filesystem(ctx)),
    )
    ctx.s3_client().put_object(Bucket=bucket, Key="lake/flights/dt=2013-01-01/bad.parquet", Body=b"not parquet")
    answer = sql("select carrier, delay from flights where dt = '2013-01-03' order by delay")
    assert values(answer) == [["UA", "-2"], ["AA", "5"], ["DL", "30"]]
    assert answer["QueryExecution"]["Statistics"]["FilesRead"] == 1

    created = sql(
        f"create table raw.late with (partitioned_by = array['dt'], external_location = '{root}-late')"
        " as select carrier, delay, dt from flights where delay > 0 and dt >= '2013-01-02'"
    )
    assert created["UpdateCount"] == 4
    keys = sorted(o.key for o in list_objects(f"{root}-late", ctx=ctx))
    assert [k.split("/")[0] for k in keys] == ["dt=2013-01-02", "dt=2013-01-03"]  # no staging left
    assert values(sql("select count(*) from late where dt = '2013-01-03'")) == [["2"]]
    sql("select * from late", output=f"{root}-export/late.parquet")
    assert pq.read_table(f"{bucket}/lake/flights-export/late.parquet", filesystem=s3_filesystem(ctx)).num_rows == 4


def test_ctas_writes_the_lake_and_registers_the_table_with_partitions(sql: Sql, flights: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "positive"
    created = sql(
        f"create table raw.positive with (format = 'PARQUET', partitioned_by = array['dt'], external_location = "
        f"'{target}') as select carrier, delay * 2 as twice, dt from flights where delay > 0"
    )
    assert created["UpdateCount"] == 6 and created["QueryExecution"]["StatementType"] == "DDL"
    folders = sorted(p.name for p in target.iterdir())
    assert folders == ["dt=2013-01-01", "dt=2013-01-02", "dt=2013-01-03"]  # the staging folder is gone
    table = glue.get_table(None, DatabaseName="raw", Name="positive")["Table"]
    assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == [
        ("carrier", "string"),
        ("twice", "bigint"),
    ]
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    assert values(sql("show partitions positive")) == [["dt=2013-01-01"], ["dt=2013-01-02"], ["dt=2013-01-03"]]
    back = sql("select dt, sum(twice) from positive where dt = '2013-01-02' group by dt")
    assert values(back) == [["2013-01-02", "70"]] and back["QueryExecution"]["Statistics"]["FilesRead"] == 1

    odd = tmp_path / "out" / "odd"
    sql(f"create table raw.odd with (partitioned_by = array['k'], external_location = '{odd}') as "
        "select * from (values (1, 'a/b c:d'), (2, null), (3, 'plain')) as t(n, k)")  # fmt: skip
    assert values(sql("select k, n from odd order by n")) == [["a/b c:d", "1"], [None, "2"], ["plain", "3"]]
    assert values(sql("select n from odd where k = 'a/b c:d'")) == [["1"]]
    with pytest.raises(AlreadyExistsException):
        sql(f"create table raw.positive with (external_location = '{tmp_path / 'elsewhere'}') as select 1 as a")
    with pytest.raises(InvalidInputException, match="HIVE_PATH_ALREADY_EXISTS"):
        sql(f"create table raw.again with (external_location = '{target}') as select 1 as a")
    with pytest.raises(InvalidInputException, match="HIVE_COLUMN_ORDER_MISMATCH"):
        sql(
            f"create table raw.order with (partitioned_by = array['dt'], external_location = '{tmp_path / 'o'}') "
            "as select dt, carrier from flights"
        )


def test_unpartitioned_text_and_default_ctas(sql: Sql, flights: Path, tmp_path: Path) -> None:
    sql(
        f"create table raw.text with (format = 'TEXTFILE', field_delimiter = ',', external_location = "
        f"'{tmp_path / 'text'}') as select carrier, delay from flights where dt = '2013-01-01'"
    )
    assert values(sql("select * from text order by delay")) == [["UA", "-2"], ["AA", "5"], ["DL", "30"]]
    sql("create table raw.everything as select * from flights")  # Parquet under <lake>/raw/everything
    assert values(sql("select count(*), count(distinct dt) from everything")) == [["9", "3"]]
    table = glue.get_table(None, DatabaseName="raw", Name="everything")["Table"]
    assert table["StorageDescriptor"]["Location"].endswith("/raw/everything")


def _leftovers(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def _refuse(self: ServiceCatalog, database: str, name: str, inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    raise InvalidInputException("injected: the catalog refuses partitions")


@pytest.mark.parametrize(
    ("query", "refuse_partitions", "error"),
    [
        ("select carrier, cast(if(dt = '2013-01-03', 'boom', '1') as integer) as n, dt from flights", False,
         "The query failed"),  # fails while its rows are written
        ("select carrier, dt from flights", True, "injected"),  # fails once the files are published
    ],
)  # fmt: skip
def test_a_failed_ctas_leaves_no_table_and_no_files(
    sql: Sql, flights: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, query: str, refuse_partitions: bool,
    error: str,
) -> None:  # fmt: skip
    if refuse_partitions:
        monkeypatch.setattr(ServiceCatalog, "batch_create_partition", _refuse)
    target = tmp_path / "out" / "broken"
    with pytest.raises(InvalidInputException, match=error):
        sql(f"create table raw.broken with (partitioned_by = array['dt'], external_location = '{target}') as {query}")
    assert _leftovers(target) == []
    assert values(sql("show tables in raw")) == [["flights"]]


def test_msck_repair_adds_the_partitions_found_on_storage(sql: Sql, flights: Path) -> None:
    for day in ("2013-01-04", "2013-01-05"):
        write_parquet(flights / f"dt={day}" / "part-0.parquet", day_rows(day).to_pydict())
    (flights / "notes").mkdir()
    (flights / "notes" / "x.parquet").write_bytes(b"")  # not a partition folder: left alone
    repaired = values(sql("msck repair table flights"))
    assert repaired[1:] == [
        ["Repair: Added partition to metastore flights:dt=2013-01-04"],
        ["Repair: Added partition to metastore flights:dt=2013-01-05"],
    ]
    assert values(sql("msck repair table flights")) == []  # nothing new the second time
    assert len(values(sql("show partitions flights"))) == 5
    assert values(sql("select count(*) from flights where dt = '2013-01-05'")) == [["3"]]


def test_show_tables_and_describe(sql: Sql, flights: Path, ctx: SluiceContext) -> None:
    register(ctx, "raw", "fleet", str(flights), FLIGHT_COLUMNS)
    assert values(sql("show tables")) == [["fleet"], ["flights"]]
    assert values(sql("show tables in raw 'fli*'")) == [["flights"]]
    described = values(sql("describe raw.flights"))
    assert described[:3] == [["carrier", "string", ""], ["delay", "bigint", ""], ["day", "string", ""]]
    assert described[-1] == ["dt", "string", ""] and ["# Partition Information", "", ""] in described


def test_errors_name_the_table_or_column_with_a_caret(sql: Sql, flights: Path) -> None:
    with pytest.raises(InvalidInputException) as error:
        sql("select carrier,\n  nope from flights")
    assert "COLUMN_NOT_FOUND: Column 'nope' cannot be resolved" in error.value.message
    assert error.value.message.endswith("  nope from flights\n  ^^^^")
    with pytest.raises(InvalidInputException) as error:
        sql("select * from raw.missing")
    assert "TABLE_NOT_FOUND: Table 'raw.missing' does not exist" in error.value.message
    assert error.value.message.endswith("select * from raw.missing\n                  ^^^^^^^")


def test_read_only_callers_run_queries_only(sql: Sql, flights: Path, tmp_path: Path) -> None:
    assert values(sql("show tables", read_only=True)) == [["flights"]]
    for statement in (
        "msck repair table flights",
        f"create table raw.x with (external_location = '{tmp_path}/x') as select 1 a",
    ):
        with pytest.raises(InvalidInputException, match="read-only"):
            sql(statement, read_only=True)


def test_max_rows_and_output_parquet(sql: Sql, flights: Path, tmp_path: Path) -> None:
    out = tmp_path / "result" / "all.parquet"
    answer = sql("select * from flights order by dt, carrier", max_rows=2, output=str(out))
    assert len(values(answer)) == 2 and answer["Truncated"] is True
    assert answer["QueryExecution"]["ResultConfiguration"]["OutputLocation"] == str(out)
    written = pq.read_table(out)
    assert written.num_rows == 9 and written.column_names == ["carrier", "delay", "day", "dt"]
    broken = tmp_path / "result" / "broken.parquet"
    with pytest.raises(InvalidInputException, match="Could not convert"):
        sql("select cast(if(dt = '2013-01-03', 'x', '1') as integer) as n from flights", output=str(broken))
    assert not broken.exists()  # no half-written result


def test_the_query_cannot_reach_files_beyond_its_tables(sql: Sql, flights: Path, tmp_path: Path) -> None:
    secret = write_parquet(tmp_path / "secret.parquet", {"x": [1]})
    with pytest.raises(InvalidInputException):  # refused by the parser; DuckDB's sandbox is the second wall
        sql(f"select * from read_parquet('{secret}')")
    with pytest.raises(InvalidInputException):
        sql(f"select * from flights where carrier in (select x from '{secret}')")
    assert os.path.exists(secret)
