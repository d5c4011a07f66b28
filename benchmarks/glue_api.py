"""Glue API: Sluice's AWS endpoint (``sluice serve``) against a moto server holding the same catalog, via boto3.

Both servers run in this one run, are driven by the same boto3 code (only ``endpoint_url`` and the keys
differ: Sluice's from ``sluice access-key create``, moto's dummies) and hold the same catalog:

1. GetPartitions with an equality Expression (``year = '2020' AND month = '07'``, 31 partitions; and
   ``year = '2020'``, 366) on a table of ``--partitions`` (100,000) daily partitions, best of ``--repeat``;
   loading them (BatchCreatePartition, 100 a call, Glue's limit) is timed too;
2. GetTables of a database of ``--tables`` (1,000) tables, every page through boto3's paginator;
3. BatchCreatePartition of ``--batch`` (10,000) partitions, 100 a call, into a fresh table, best of ``--repeat``;
4. p50 and p99 latency with ``--clients`` (8) threads, each with its own boto3 client, each making its calls
   after one warm-up call: ``--calls`` (50) GetTable, ``--partition-calls`` (20) GetPartitions(expression),
   ``--listing-calls`` (5) GetTables of every page of the 1,000 tables, and ``--batch-calls`` (20)
   BatchCreatePartition of 100 into a fresh table of the client's own; and GetTable's p50 from one client,
   for context.

Sluice runs on SQLite (a fresh ``SLUICE_HOME``) and, unless ``--no-postgres``, on a fresh PostgreSQL
database (``SLUICE_METADATA_URL``) created on the server of ``SLUICE_BENCH_PG_URL`` and dropped after.
Each ratio is moto's time over Sluice's (above 1: Sluice is faster). Goals: GetPartitions with an
expression at least 10x moto, every other figure at least 1x. Rounds alternate between the servers.
Run: ``.venv/bin/python benchmarks/glue_api.py [--quick] [--partitions N] [--tables N] [--no-postgres]``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _moto import start_moto  # noqa: E402

from warehouse import PG_URL  # noqa: E402

SLUICE = str(Path(sys.executable).parent / "sluice")
DATABASE, TABLE = "bench", "events"
EXPRESSIONS = {"year = '2020' AND month = '07'": 31, "year = '2020'": 366}
GOAL_EXPRESSION, GOAL_OTHERS = 10.0, 1.0
COLUMNS = [
    {"Name": "event_id", "Type": "bigint"},
    {"Name": "user_id", "Type": "string"},
    {"Name": "amount", "Type": "double"},
    {"Name": "ts", "Type": "timestamp"},
]
PARQUET = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}
CHUNK = 100  # BatchCreatePartition's limit
T = TypeVar("T")


@dataclass(frozen=True)
class Server:
    """One Glue endpoint and the keys that sign requests to it."""

    name: str
    endpoint: str
    key_id: str
    secret: str

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=600, max_pool_connections=4)
        return boto3.client(
            "glue",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.key_id,
            aws_secret_access_key=self.secret,
            config=config,
        )


def log(what: str) -> None:
    print(f"[{time.strftime('%X')}] {what} …", file=sys.stderr)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"the server on port {port} did not start")


def _stopped(stack: ExitStack, proc: subprocess.Popen[bytes]) -> None:
    def stop() -> None:
        proc.terminate()
        proc.wait(timeout=30)

    stack.callback(stop)


def start_sluice(stack: ExitStack, name: str, metadata_url: str | None) -> Server:
    """``sluice serve`` on a fresh home (and metadata DB), with an access key made by ``sluice access-key``."""
    home = stack.enter_context(tempfile.TemporaryDirectory(prefix="sluice-glue-bench-"))
    env = {**os.environ, "SLUICE_HOME": home}
    if metadata_url:
        env["SLUICE_METADATA_URL"] = metadata_url
    made = subprocess.run([SLUICE, "access-key", "create", "--user", "bench"], env=env, check=True, capture_output=True)
    key = json.loads(made.stdout)["AccessKey"]
    port = _free_port()
    proc = subprocess.Popen(
        [SLUICE, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _stopped(stack, proc)
    _wait_for(port, proc)
    return Server(name, f"http://127.0.0.1:{port}", key["AccessKeyId"], key["SecretAccessKey"])


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database on ``PG_URL``'s server, dropped on exit; yields its URL."""
    import sqlalchemy as sa

    name = f"sluice_glue_bench_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        engine.dispose()


def start_servers(stack: ExitStack, postgres: bool) -> list[Server]:
    servers = [start_sluice(stack, "sluice-sqlite", None)]
    if postgres:
        servers.append(start_sluice(stack, "sluice-postgres", stack.enter_context(postgres_database())))
    proc, endpoint = start_moto()
    _stopped(stack, proc)
    return [*servers, Server("moto", endpoint, "testing", "testing")]


def table_input(name: str) -> dict[str, Any]:
    partition_keys = [{"Name": k, "Type": "string"} for k in ("year", "month", "day")]
    location = f"s3://lake/{DATABASE}/{name}/"
    descriptor = {"Columns": COLUMNS, "Location": location, **PARQUET}
    return {
        "Name": name,
        "StorageDescriptor": descriptor,
        "PartitionKeys": partition_keys,
        "TableType": "EXTERNAL_TABLE",
    }


def partition_inputs(table: str, count: int) -> list[dict[str, Any]]:
    """``count`` daily partitions (year, month, day) ending on 2025-12-31, each with a full StorageDescriptor."""
    last = date(2025, 12, 31)
    out = []
    for i in range(count):
        day = last - timedelta(days=count - 1 - i)
        values = [f"{day.year}", f"{day.month:02d}", f"{day.day:02d}"]
        location = f"s3://lake/{DATABASE}/{table}/year={values[0]}/month={values[1]}/day={values[2]}/"
        out.append({"Values": values, "StorageDescriptor": {"Columns": COLUMNS, "Location": location, **PARQUET}})
    return out


def timed(work: Callable[[], T]) -> tuple[float, T]:
    """Seconds ``work`` took, and what it returned."""
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def keep_best(figures: dict[str, Any], key: str, seconds: float) -> None:
    figures[key] = min(seconds, figures.get(key, seconds))


def create_partitions(glue: Any, table: str, partitions: list[dict[str, Any]]) -> None:
    """BatchCreatePartition in calls of 100; any item error fails the benchmark."""
    for start in range(0, len(partitions), CHUNK):
        chunk = partitions[start : start + CHUNK]
        errors = glue.batch_create_partition(DatabaseName=DATABASE, TableName=table, PartitionInputList=chunk)
        assert not errors.get("Errors"), errors["Errors"][:3]


def get_partitions(glue: Any, expression: str) -> int:
    """Every partition of ``TABLE`` matching ``expression``, all pages; their number."""
    pages = glue.get_paginator("get_partitions").paginate(DatabaseName=DATABASE, TableName=TABLE, Expression=expression)
    return sum(len(page["Partitions"]) for page in pages)


def get_tables(glue: Any, database: str) -> tuple[int, int]:
    """Every table of ``database``, all pages → (tables, pages)."""
    pages = list(glue.get_paginator("get_tables").paginate(DatabaseName=database))
    return sum(len(page["TableList"]) for page in pages), len(pages)


def latencies(server: Server, call: Callable[[Any], object], clients: int, calls: int) -> dict[str, float]:
    """p50/p99 latency (ms) and throughput of ``call`` made ``calls`` times by each of ``clients`` threads."""
    glues = [server.client() for _ in range(clients)]  # boto3 client creation is not thread-safe
    barrier = threading.Barrier(clients)
    samples: list[list[float]] = [[] for _ in glues]

    def work(i: int) -> None:
        call(glues[i])  # warm-up: connection, botocore's lazy loads
        barrier.wait()
        for _ in range(calls):
            samples[i].append(timed(lambda: call(glues[i]))[0])

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(work, range(clients)))
    wall = time.perf_counter() - started
    every = [s for per_client in samples for s in per_client]
    cuts = statistics.quantiles(every, n=100, method="inclusive")
    return {"p50_ms": cuts[49] * 1000, "p99_ms": cuts[98] * 1000, "calls_per_s": len(every) / wall}


def measure(servers: list[Server], args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    report: dict[str, dict[str, Any]] = {s.name: {} for s in servers}
    glue = {s.name: s.client() for s in servers}
    big = partition_inputs(TABLE, args.partitions)
    for server in servers:
        client = glue[server.name]
        client.create_database(DatabaseInput={"Name": DATABASE})
        client.create_table(DatabaseName=DATABASE, TableInput=table_input(TABLE))
        log(f"{server.name}: load {args.partitions:,} partitions")
        report[server.name]["load_partitions_s"] = timed(lambda c=client: create_partitions(c, TABLE, big))[0]

    for expression, expected in EXPRESSIONS.items():
        key = f"get_partitions[{expression}]_s"
        log(f"GetPartitions {expression!r}, best of {args.repeat}")
        for _ in range(args.repeat):
            for server in servers:
                seconds, found = timed(lambda c=glue[server.name], e=expression: get_partitions(c, e))
                assert found == expected, (server.name, expression, found)
                keep_best(report[server.name], key, seconds)

    tables_db = f"{DATABASE}_tables"
    for server in servers:
        client = glue[server.name]
        client.create_database(DatabaseInput={"Name": tables_db})
        log(f"{server.name}: create {args.tables:,} tables")
        report[server.name]["create_tables_s"] = timed(
            lambda c=client: [
                c.create_table(DatabaseName=tables_db, TableInput=table_input(f"t{i:05d}")) for i in range(args.tables)
            ]
        )[0]
    log(f"GetTables of {args.tables:,} tables, best of {args.repeat}")
    for _ in range(args.repeat):
        for server in servers:
            seconds, (tables, pages) = timed(lambda c=glue[server.name]: get_tables(c, tables_db))
            assert tables == args.tables, (server.name, tables)
            report[server.name]["get_tables_pages"] = pages
            keep_best(report[server.name], "get_tables_s", seconds)

    log(f"BatchCreatePartition of {args.batch:,} into a fresh table, best of {args.repeat}")
    for round_ in range(args.repeat):
        name = f"fresh_{round_}"
        batch = partition_inputs(name, args.batch)
        for server in servers:
            client = glue[server.name]
            client.create_table(DatabaseName=DATABASE, TableInput=table_input(name))
            seconds = timed(lambda c=client, n=name, b=batch: create_partitions(c, n, b))[0]
            keep_best(report[server.name], "batch_create_s", seconds)

    expression = next(iter(EXPRESSIONS))

    def get_table(client: Any) -> object:
        return client.get_table(DatabaseName=DATABASE, Name=TABLE)

    probes: list[tuple[str, Callable[[], Callable[[Any], object]], int, int]] = [
        ("get_table_1", lambda: get_table, 1, args.calls),
        ("get_table", lambda: get_table, args.clients, args.calls),
        ("get_partitions", lambda: lambda c: get_partitions(c, expression), args.clients, args.partition_calls),
        ("get_tables", lambda: lambda c: get_tables(c, tables_db), args.clients, args.listing_calls),
        ("batch_create", lambda: batch_caller(args.batch_calls + 1), args.clients, args.batch_calls),
    ]
    for label, make_call, clients, calls in probes:
        for server in servers:
            log(f"{server.name}: {label} latency, {clients} client(s) x {calls} calls")
            report[server.name][f"{label}_latency"] = latencies(server, make_call(), clients, calls)
    return report


def batch_caller(calls: int) -> Callable[[Any], object]:
    """A call of BatchCreatePartition(100) whose every client fills a fresh table of its own (made by its first
    call, the warm-up), the next 100 days each of its ``calls`` calls."""
    lock = threading.Lock()
    tables: dict[int, tuple[str, Iterator[list[dict[str, Any]]]]] = {}

    def call(glue: Any) -> object:
        with lock:
            fresh = id(glue) not in tables
            if fresh:
                name = f"concurrent_{len(tables)}"
                parts = partition_inputs(name, CHUNK * calls)
                tables[id(glue)] = name, iter([parts[i : i + CHUNK] for i in range(0, len(parts), CHUNK)])
        name, chunks = tables[id(glue)]
        if fresh:
            glue.create_table(DatabaseName=DATABASE, TableInput=table_input(name))
        errors = glue.batch_create_partition(DatabaseName=DATABASE, TableName=name, PartitionInputList=next(chunks))
        assert not errors.get("Errors"), errors["Errors"][:3]
        return errors

    return call


def print_report(report: dict[str, dict[str, Any]], args: argparse.Namespace, elapsed: float) -> None:
    moto = report["moto"]
    sluices = [name for name in report if name != "moto"]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"Glue API via boto3, Sluice vs moto ({args.partitions:,} partitions, {args.tables:,} tables, "
        f"batch {args.batch:,}, {args.clients} clients; best of {args.repeat}; "
        f"load average now {load}, at start {args.load_at_start}; {elapsed:.0f} s in all)"
    )
    header = f"  {'benchmark':<52}" + "".join(f"{n:>16}" for n in sluices) + f"{'moto':>12}"
    print(header + "".join(f"{'moto/' + n.removeprefix('sluice-'):>14}" for n in sluices) + "  goal")
    verdicts: list[bool] = []

    def row(label: str, pick: Callable[[dict[str, Any]], float], unit: str, goal: float | None) -> None:
        fmt = "{:.3f} s" if unit == "s" else "{:.1f} ms"
        cells = "".join(f"{fmt.format(pick(report[n])):>16}" for n in sluices)
        ratios = [pick(moto) / pick(report[n]) for n in sluices]
        verdict = ""
        if goal is not None:
            met = all(r >= goal for r in ratios)
            verdicts.append(met)
            verdict = f"  >= {goal:g}x: {'met' if met else 'NOT met'}"
        print(f"  {label:<52}{cells}{fmt.format(pick(moto)):>12}" + "".join(f"{r:13.1f}x" for r in ratios) + verdict)

    row(f"BatchCreatePartition load of {args.partitions:,} (setup)", lambda r: r["load_partitions_s"], "s", None)
    for expression, count in EXPRESSIONS.items():
        goal = GOAL_EXPRESSION if expression == next(iter(EXPRESSIONS)) else None
        row(f"1. GetPartitions {expression} ({count})", lambda r, e=expression: r[f"get_partitions[{e}]_s"], "s", goal)
    row(f"CreateTable x {args.tables:,} (setup)", lambda r: r["create_tables_s"], "s", None)
    pages = "/".join(str(report[n]["get_tables_pages"]) for n in [*sluices, "moto"])
    row(f"2. GetTables, {args.tables:,} tables ({pages} pages)", lambda r: r["get_tables_s"], "s", GOAL_OTHERS)
    row(f"3. BatchCreatePartition {args.batch:,} (fresh table)", lambda r: r["batch_create_s"], "s", GOAL_OTHERS)
    row(
        f"GetTable p50, 1 client x {args.calls} calls (context)",
        lambda r: r["get_table_1_latency"]["p50_ms"],
        "ms",
        None,
    )
    for label, name, calls in (
        ("GetTable", "get_table", args.calls),
        ("GetPartitions(expression)", "get_partitions", args.partition_calls),
        ("GetTables (every page)", "get_tables", args.listing_calls),
        ("BatchCreatePartition(100)", "batch_create", args.batch_calls),
    ):
        for cut in ("p50", "p99"):
            pick: Callable[[dict[str, Any]], float] = lambda r, k=f"{name}_latency", c=f"{cut}_ms": r[k][c]  # noqa: E731
            row(f"4. {label} {cut}, {args.clients} clients x {calls}", pick, "ms", GOAL_OTHERS)
        rates = ", ".join(f"{n} {report[n][f'{name}_latency']['calls_per_s']:.0f}" for n in [*sluices, "moto"])
        print(f"     {label} throughput (calls/s): {rates}")
    print(f"  goals met: {sum(verdicts)} of {len(verdicts)}")
    print(json.dumps(report))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partitions", type=int, default=100_000)
    parser.add_argument("--tables", type=int, default=1_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--calls", type=int, default=50, help="GetTable calls per client in the latency runs")
    parser.add_argument("--partition-calls", type=int, default=20, help="GetPartitions calls per client")
    parser.add_argument("--listing-calls", type=int, default=5, help="GetTables listings per client")
    parser.add_argument("--batch-calls", type=int, default=20, help="BatchCreatePartition calls per client")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true", help="Sluice on SQLite only")
    parser.add_argument("--quick", action="store_true", help="smoke run: 5,000 partitions, 100 tables, batch 1,000")
    args = parser.parse_args()
    if args.quick:
        args.partitions, args.tables, args.batch, args.calls, args.partition_calls = 5_000, 100, 1_000, 10, 5
        args.listing_calls, args.batch_calls = 2, 5
        args.repeat = 1
    args.load_at_start = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    started = time.perf_counter()
    with ExitStack() as stack:
        report = measure(start_servers(stack, not args.no_postgres), args)
    print_report(report, args, time.perf_counter() - started)


if __name__ == "__main__":
    main()
