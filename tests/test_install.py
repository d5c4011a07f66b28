"""The installed stack is whole: PySpark's Python side matches the JVM it starts."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import pytest


def test_no_second_wheel_writes_into_the_pyspark_package() -> None:
    # pyspark-client (a dependency of the Spark provider) installs into the same folder as pyspark;
    # pyproject.toml overrides it away, because mixed files break Python UDFs.
    with pytest.raises(PackageNotFoundError):
        version("pyspark-client")


@pytest.mark.spark
def test_pyspark_python_and_jvm_agree(spark) -> None:
    assert spark.version == version("pyspark")
    # mapInArrow builds a Python UDF on the JVM: the call that fails when the two sides differ.
    assert spark.range(5).mapInArrow(lambda batches: batches, "id long").count() == 5
