"""Catalog (Hive) types become Spark types in Python, exactly as Spark's DDL parser types them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sluice.errors import InvalidInputException
from sparkio.read import _spark_type

TYPES = [
    "boolean", "tinyint", "smallint", "int", "bigint", "float", "double", "string", "binary", "date", "timestamp",
    "decimal(10,2)", "decimal", "void", "char(3)", "varchar(12)", "array<int>", "map<string,array<double>>",
    "struct<a:int,`b c`:struct<d:decimal(38,18),e:array<void>>>",
]  # fmt: skip


@pytest.mark.spark
def test_catalog_types_match_sparks_ddl_parser(spark) -> None:
    from pyspark.sql.types import DataType

    from catalog.types import resolve_void, spark_ddl

    for hive in TYPES:
        assert _spark_type(hive) == DataType.fromDDL(spark_ddl(resolve_void(hive))), hive


def test_common_types_need_no_spark_session() -> None:
    """Atomic, decimal and nested types are built without a JVM round trip: no session exists to ask."""
    script = (
        "from pyspark import SparkContext\n"
        "from sparkio.read import _spark_type\n"
        "print(_spark_type('struct<a:int,b:array<decimal(10,2)>,c:map<string,timestamp>>').simpleString())\n"
        "assert SparkContext._active_spark_context is None\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "struct<a:int,b:array<decimal(10,2)>,c:map<string,timestamp>>"


def test_a_type_spark_cannot_read_is_refused() -> None:
    with pytest.raises(InvalidInputException, match="not a type Spark understands"):
        _spark_type("array<")
