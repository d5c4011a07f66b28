"""The single SparkSession builder used by jobs, engines and tests."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from sluice.settings import get_settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def spark_env() -> dict[str, str]:
    """Environment that lets ``spark-submit`` and PySpark find this venv's Python and Spark."""
    import pyspark

    env = {
        "SPARK_HOME": os.environ.get("SPARK_HOME") or os.path.dirname(pyspark.__file__),
        "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON") or sys.executable,
        "PYSPARK_DRIVER_PYTHON": os.environ.get("PYSPARK_DRIVER_PYTHON") or sys.executable,
    }
    return env


def get_spark(app_name: str = "sluice", master: str | None = None, conf: dict[str, str] | None = None) -> SparkSession:
    """Return the active SparkSession or build one with Sluice's defaults."""
    from pyspark.sql import SparkSession

    for key, value in spark_env().items():
        os.environ.setdefault(key, value)
    builder = (
        SparkSession.builder.appName(app_name)
        .master(master or get_settings().spark_master)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        # Glue types partition keys as strings; keep Spark from guessing ints out of folder names.
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", os.environ.get("SLUICE_SPARK_DRIVER_MEMORY", "2g"))
    )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark
