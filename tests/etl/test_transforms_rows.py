"""filter_rows, join and deduplicate."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

import etl.transforms as T
from etl.transforms import deduplicate, filter_rows, join
from sluice.errors import InvalidInputException


@pytest.fixture(scope="module")
def persons(spark):
    return spark.createDataFrame([(1, "Ann", 30), (2, "Bo", 17), (3, "Cy", None)], "id int, name string, age int")


@pytest.fixture(scope="module")
def memberships(spark):
    return spark.createDataFrame(
        [(10, 1, "house"), (11, 1, "senate"), (12, 2, "house"), (13, None, "house")],
        "id int, person_id int, org string",
    )


def ids(df, column="id"):
    return sorted(r[column] for r in df.collect())


@pytest.mark.spark
def test_filter_rows_takes_sql_or_column(persons):
    assert ids(filter_rows(persons, "age >= 18")) == [1]
    assert ids(filter_rows(persons, F.col("age") < 18)) == [2]
    assert ids(T.filter(persons, "age is null")) == [3]
    assert "filter" not in T.__all__
    with pytest.raises(InvalidInputException, match="must be a Column or a SQL string, not function"):
        filter_rows(persons, lambda row: row.age > 1)
    with pytest.raises(InvalidInputException, match=r"Invalid filter predicate.*`nope`"):
        filter_rows(persons, "nope > 1")


@pytest.mark.spark
def test_join_keeps_both_keys_and_prefixes_clashing_right_columns(persons, memberships):
    out = join(persons, memberships, "id", "person_id")
    assert out.columns == ["id", "name", "age", "(right)id", "person_id", "org"]
    assert sorted((r["id"], r["(right)id"]) for r in out.collect()) == [(1, 10), (1, 11), (2, 12)]
    left = join(persons, memberships, ["id"], ["person_id"], how="left", right_prefix="m_")
    assert left.columns == ["id", "name", "age", "m_id", "person_id", "org"]
    assert sorted((r["id"], r["m_id"]) for r in left.collect() if r["m_id"] is None) == [(3, None)]
    assert join(persons, memberships, "id", "person_id", how="leftsemi").columns == persons.columns
    assert ids(join(persons, memberships, "id", "person_id", how="leftanti")) == [3]
    assert ids(join(persons, memberships, "ID", "PERSON_ID", how="equijoin")) == [1, 1, 2]


@pytest.mark.spark
def test_self_join_on_same_named_keys(persons):
    out = join(persons, persons, "id", "id")
    assert out.columns == ["id", "name", "age", "(right)id", "(right)name", "(right)age"]
    assert sorted((r["id"], r["(right)id"]) for r in out.collect()) == [(1, 1), (2, 2), (3, 3)]


@pytest.mark.spark
def test_join_errors(persons, memberships):
    with pytest.raises(InvalidInputException, match="as many right keys as left keys"):
        join(persons, memberships, ["id", "name"], ["person_id"])
    with pytest.raises(InvalidInputException, match="Unknown join type `cross`"):
        join(persons, memberships, "id", "person_id", how="cross")
    with pytest.raises(InvalidInputException, match=r"The right key column `pid` cannot be resolved.*`person_id`"):
        join(persons, memberships, "id", "pid")
    with pytest.raises(InvalidInputException, match="At least one left key"):
        join(persons, memberships, [], [])


@pytest.fixture(scope="module")
def events(spark):
    return spark.createDataFrame(
        [("a", 1, "x"), ("a", 3, "y"), ("a", None, "z"), ("b", 2, "w"), ("b", 2, "w"), (None, 5, "n"), (None, 6, "m")],
        "key string, ts int, payload string",
    )


@pytest.mark.spark
def test_deduplicate_keeps_first_or_last_by_order(events):
    first = deduplicate(events, ["key"], order_by=["ts"])
    assert sorted(first.collect(), key=str) == sorted([("a", None, "z"), ("b", 2, "w"), (None, 5, "n")], key=str)
    last = deduplicate(events, ["key"], order_by=["ts"], keep="last")
    assert sorted(tuple(r) for r in last.collect() if r["key"]) == [("a", 3, "y"), ("b", 2, "w")]
    assert [r["ts"] for r in last.collect() if r["key"] is None] == [6]


@pytest.mark.spark
def test_deduplicate_whole_rows_or_any_row_per_key(events):
    assert events.count() - deduplicate(events).count() == 1
    assert sorted(str(r["key"]) for r in deduplicate(events, ["KEY"]).collect()) == ["None", "a", "b"]
    with pytest.raises(
        InvalidInputException, match=r"The key column `k` cannot be resolved.*\[`key`, `ts`, `payload`\]"
    ):
        deduplicate(events, ["k"])
    with pytest.raises(InvalidInputException, match=r"The order_by column `time`"):
        deduplicate(events, ["key"], order_by=["time"])
    with pytest.raises(InvalidInputException, match="keep must be first or last"):
        deduplicate(events, ["key"], keep="any")
