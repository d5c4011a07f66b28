"""The single SparkSession builder used by jobs, quality gates and tests, and its S3A settings."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from sluice.context import SluiceContext

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from sluice.context import S3Access

CLOUD_COMMIT_PROTOCOL = "org.apache.spark.internal.io.cloud.PathOutputCommitProtocol"
CLOUD_PARQUET_COMMITTER = "org.apache.spark.internal.io.cloud.BindingParquetOutputCommitter"
S3A_COMMITTER_FACTORY = "org.apache.hadoop.fs.s3a.commit.S3ACommitterFactory"
S3A = "org.apache.hadoop.fs.s3a.S3AFileSystem"


def spark_env() -> dict[str, str]:
    """Environment for a ``spark-submit`` child process: this venv's Python and Spark (never set on ``os.environ``)."""
    import pyspark

    env = {
        "SPARK_HOME": os.environ.get("SPARK_HOME") or os.path.dirname(pyspark.__file__),
        "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON") or sys.executable,
        "PYSPARK_DRIVER_PYTHON": os.environ.get("PYSPARK_DRIVER_PYTHON") or sys.executable,
    }
    return env


def spark_submit_env(ctx: SluiceContext | None = None) -> dict[str, str]:
    """The environment of a spark-submit child: this process's, the venv's Python and Spark, and ``ctx``."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**os.environ, "PATH": path, **spark_env(), **SluiceContext.resolve(ctx).child_env()}


def jar_classpath(ctx: SluiceContext | None = None) -> str | None:
    """The class path of the jars ``make jars`` fetched (``DIR/*``), or None when there are none."""
    folder = SluiceContext.resolve(ctx).settings.jars_dir
    return f"{folder}/*" if any(folder.glob("*.jar")) else None


def s3a_conf() -> dict[str, str]:
    """Static S3A settings: ``s3://`` URIs are served by S3A, as on Glue and EMR.

    With ``spark-hadoop-cloud`` on the class path, Spark 4 turns every S3A write into a magic-committer write
    unless ``spark.hadoop.fs.s3a.committer.magic.enabled`` is false, and the magic committer cannot overwrite
    partitions dynamically. So Spark's switch is off here, :func:`configure_s3a` turns the file system's
    magic-path support back on, and Sluice's staged writes take the committer through :func:`magic_committer`.
    """
    return {"spark.hadoop.fs.s3.impl": S3A, "spark.hadoop.fs.s3a.committer.magic.enabled": "false"}


@contextmanager
def session_conf(spark: SparkSession, values: dict[str, str]) -> Iterator[None]:
    """Set session (SQL and Hadoop) settings for the duration of a block, then restore the previous values."""
    previous = {key: spark.conf.get(key, None) for key in values}
    for key, value in values.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


def magic_committer(spark: SparkSession, uri: str) -> AbstractContextManager[None]:
    """Hadoop's S3A magic committer for one write to ``uri`` on S3 (a no-op elsewhere).

    Each task writes its files as multipart uploads that only job commit completes: a killed write leaves
    incomplete uploads and hidden ``__magic`` markers, never a visible object, and nothing is copied.
    """
    if not uri.startswith(("s3://", "s3a://")):
        return nullcontext()
    return session_conf(
        spark,
        {
            "spark.sql.sources.commitProtocolClass": CLOUD_COMMIT_PROTOCOL,
            "spark.sql.parquet.output.committer.class": CLOUD_PARQUET_COMMITTER,
            "fs.s3a.committer.name": "magic",
            "mapreduce.outputcommitter.factory.scheme.s3a": S3A_COMMITTER_FACTORY,
        },
    )


def configure_s3a(spark: SparkSession, access: S3Access) -> None:
    """Point S3A at an S3 endpoint with its keys (``SluiceContext.s3_access()``).

    Set on the live Hadoop configuration (which Spark ships to executors with each read and write), so
    secrets never appear in a process's arguments or environment.
    """
    hadoop = spark.sparkContext._jsc.hadoopConfiguration()
    values = {
        "fs.s3.impl": S3A,  # also when the script built its SparkContext before Sluice could configure it
        "fs.s3a.endpoint.region": access.region,
        "fs.s3a.bucket.probe": "0",  # no HEAD bucket per new file system instance
        "fs.s3a.committer.magic.enabled": "true",  # the paths magic_committer writes; see s3a_conf
    }
    if access.endpoint_url:
        values |= {
            "fs.s3a.endpoint": access.endpoint_url,
            "fs.s3a.path.style.access": "true",
            "fs.s3a.connection.ssl.enabled": str(access.endpoint_url.startswith("https")).lower(),
        }
    if access.access_key and access.secret_key:
        values |= {"fs.s3a.access.key": access.access_key, "fs.s3a.secret.key": access.secret_key}
        if access.session_token:
            provider = "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider"
            values |= {"fs.s3a.session.token": access.session_token, "fs.s3a.aws.credentials.provider": provider}
    for key, value in values.items():
        hadoop.set(key, value)


def get_spark(
    app_name: str = "sluice",
    master: str | None = None,
    conf: dict[str, str] | None = None,
    ctx: SluiceContext | None = None,
) -> SparkSession:
    """Return the active SparkSession or build one with Sluice's defaults.

    Precedence, highest first: the ``master`` and ``conf`` arguments; under ``spark-submit``, its ``--master``,
    ``--name`` and ``--conf`` (and ``spark-defaults.conf``); then the context's ``spark_master`` and Sluice's
    defaults. S3A gets the context's endpoint and keys on the live Hadoop configuration.
    """
    from pyspark import SparkConf, SparkContext
    from pyspark.sql import SparkSession

    ctx = SluiceContext.resolve(ctx)
    pool = ThreadPoolExecutor(1, thread_name_prefix="sluice-s3a")
    access = pool.submit(ctx.s3_access)  # boto3's credential chain, resolved while the JVM builds the session
    pool.shutdown(wait=False)
    python = spark_env()["PYSPARK_PYTHON"]
    settings = {
        "spark.master": ctx.settings.spark_master,
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
        "spark.pyspark.python": python,
        "spark.pyspark.driver.python": spark_env()["PYSPARK_DRIVER_PYTHON"],
        **s3a_conf(),
    }
    classpath = jar_classpath(ctx)
    if classpath:
        settings |= {"spark.driver.extraClassPath": classpath, "spark.executor.extraClassPath": classpath}
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
    # PySpark starts its Python workers with PYSPARK_PYTHON, else "python3" from PATH; the conf names this venv's.
    spark.sparkContext.pythonExec = spark.sparkContext.getConf().get("spark.pyspark.python", python)
    spark.sparkContext.setLogLevel("WARN")
    logging.getLogger("py4j").setLevel(logging.WARNING)  # no INFO chatter, not even from __del__ at exit
    configure_s3a(spark, access.result())
    return spark
