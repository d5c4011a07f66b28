"""load_dataframe from Spark: partitions stream their own COPY into a stage (PostgreSQL), or the driver
inserts partition by partition (SQLite); then one transaction moves the rows into the target."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from sluice.errors import InvalidInputException
from tests.warehouse.conftest import Warehouse
from warehouse import LoadError, load_dataframe
from warehouse.frames import hive_type

pytestmark = pytest.mark.spark


def frame(spark, rows: list[tuple[object, ...]]):  # type: ignore[no-untyped-def]
    schema = "id bigint, v string, ts timestamp, amount decimal(12,2), tags array<string>"
    return spark.createDataFrame(rows, schema).repartition(3)


STAMP = dt.datetime(2013, 1, 1, 5, 0, tzinfo=dt.UTC)


def test_load_dataframe_modes_and_ledger_key(spark, warehouse: Warehouse) -> None:  # type: ignore[no-untyped-def]
    first = frame(spark, [(i, f"v{i}", STAMP, decimal.Decimal("1.50"), ["a"]) for i in range(10)])
    result = load_dataframe(first, warehouse.target("t"), warehouse_url=warehouse.url, ledger_key="run-1")
    assert result.rows == 10 and result.created
    again = load_dataframe(first, warehouse.target("t"), warehouse_url=warehouse.url, ledger_key="run-1")
    assert again.rows == 0 and again.skipped == ["dataframe:run-1"]

    update = frame(spark, [(1, "new", STAMP, decimal.Decimal("2.25"), ["b", "c"]), (99, "x", None, None, None)])
    merged = load_dataframe(update, warehouse.target("t"), mode="merge", merge_keys=["id"], warehouse_url=warehouse.url)
    assert merged.rows == 2
    got = dict(warehouse.rows(f"SELECT id, v FROM {warehouse.schema}.t"))
    assert len(got) == 11 and got[1] == "new" and got[99] == "x"
    (row,) = warehouse.rows(f"SELECT ts, amount FROM {warehouse.schema}.t WHERE id = 1")
    if warehouse.dialect == "postgresql":
        assert row == (STAMP, decimal.Decimal("2.25"))
    else:
        assert row == ("2013-01-01 05:00:00.000000", 2.25)

    load_dataframe(update, warehouse.target("t"), mode="overwrite", warehouse_url=warehouse.url)
    assert sorted(warehouse.rows(f"SELECT id FROM {warehouse.schema}.t")) == [(1,), (99,)]


@pytest.mark.postgres
def test_a_failing_partition_changes_nothing(spark, pg: Warehouse) -> None:  # type: ignore[no-untyped-def]
    load_dataframe(frame(spark, [(1, "a", None, None, None)]), pg.target("t"), warehouse_url=pg.url)
    pg.execute(f"ALTER TABLE {pg.schema}.t ADD CONSTRAINT short CHECK (length(v) < 5)")
    bad = frame(spark, [(i, "toolong" if i == 7 else "ok", None, None, None) for i in range(20)])
    with pytest.raises(LoadError, match="violates check constraint"):
        load_dataframe(bad, pg.target("t"), warehouse_url=pg.url)
    assert pg.rows(f"SELECT id FROM {pg.schema}.t") == [(1,)]
    leftovers = pg.rows(f"SELECT tablename FROM pg_tables WHERE schemaname = '{pg.schema}'")
    assert sorted(leftovers) == [("sluice_load_ledger",), ("t",)]


def test_hive_type_of_spark_fields(spark) -> None:  # type: ignore[no-untyped-def]
    schema = spark.createDataFrame([], "a timestamp_ntz, b struct<x:int,y:map<string,double>>, c decimal(5,1)").schema
    assert [hive_type(f) for f in schema.fields] == ["timestamp", "struct<x:int,y:map<string,double>>", "decimal(5,1)"]
    interval = spark.sql("SELECT INTERVAL '1' DAY AS d").schema.fields[0]
    with pytest.raises(InvalidInputException, match="no warehouse type"):
        hive_type(interval)


@pytest.mark.postgres
def test_staging_tables_of_killed_loads_are_swept_and_live_ones_kept(spark, pg: Warehouse) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    from warehouse import postgres

    orphan, live = "sluice_df_0rphan0rphan", "sluice_df_11ve11ve11ve"
    pg.execute(f"CREATE UNLOGGED TABLE {pg.schema}.{orphan} (id bigint)")  # a SIGKILLed load's leftover
    pg.execute(f"CREATE UNLOGGED TABLE {pg.schema}.{live} (id bigint)")
    pg.execute(f"CREATE TABLE {pg.schema}.sluice_dfx (id bigint)")  # not a stage: the prefix is matched exactly
    other = sa.create_engine(pg.url)
    with other.connect() as holder:  # another load, still running, holds its claim
        postgres.claim_stage(holder, live)
        load_dataframe(frame(spark, [(1, "a", None, None, None)]), pg.target("t"), warehouse_url=pg.url)
        tables = {name for (name,) in pg.rows(f"SELECT tablename FROM pg_tables WHERE schemaname = '{pg.schema}'")}
        assert tables == {"sluice_load_ledger", "t", live, "sluice_dfx"}
    other.dispose()
