"""The single SparkSession builder used by jobs, engines and tests."""

from __future__ import annotations

import logging
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
    """Return the active SparkSession or build one with Sluice's defaults.

    Precedence, highest first: the ``master`` and ``conf`` arguments; under ``spark-submit``, its ``--master``,
    ``--name`` and ``--conf`` (and ``spark-defaults.conf``); then ``SLUICE_SPARK_MASTER`` and Sluice's defaults.
    """
    from pyspark import SparkConf, SparkContext
    from pyspark.sql import SparkSession

    for key, value in spark_env().items():
        os.environ.setdefault(key, value)
    settings = {
        "spark.master": get_settings().spark_master,
        "spark.app.name": app_name,
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "8",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        # Glue types partition keys as strings; keep Spark from guessing ints out of folder names.
        "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.driver.memory": os.environ.get("SLUICE_SPARK_DRIVER_MEMORY", "2g"),
    }
    if "PYSPARK_GATEWAY_PORT" in os.environ:  # spark-submit started this driver and its JVM, with its own conf
        SparkContext._ensure_initialized()
        submitted = SparkConf()
        settings = {key: value for key, value in settings.items() if not submitted.contains(key)}
    settings.update(conf or {})
    if master:
        settings["spark.master"] = master
    builder = SparkSession.builder
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    logging.getLogger("py4j").setLevel(logging.WARNING)  # no INFO chatter, not even from __del__ at exit
    return spark
