"""Failure injection on PostgreSQL: a connection killed mid-COPY, a SIGKILLed loader, concurrent loads;
and memory that stays bounded on a file far larger than a batch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psycopg
import pyarrow as pa
import pytest

from tests.warehouse.conftest import LakeTable, Warehouse, write_parquet
from warehouse import LoadError, load_table

pytestmark = pytest.mark.postgres
PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
LOAD_PROC = Path(__file__).with_name("load_proc.py")


def big(start: int, n: int) -> pa.Table:
    ids = np.arange(start, start + n, dtype=np.int64)
    return pa.table({"id": ids, "v": pa.array(np.char.add("value-", ids.astype(str)))})


def copy_backend(schema: str, timeout: float = 120.0) -> int:
    """The pid of the backend running a Sluice COPY into ``schema``, waiting for it to start."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        while time.monotonic() < deadline:
            found = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'sluice-warehouse'"
                " AND state = 'active' AND query LIKE %s",
                (f"COPY %{schema}%",),
            ).fetchone()
            if found:
                return found[0]
            time.sleep(0.01)
    raise AssertionError("no COPY started")


def wait_copied(pid: int, rows: int, timeout: float = 120.0) -> None:
    """Wait until backend ``pid``'s COPY has taken ``rows`` rows (pg_stat_progress_copy)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        while time.monotonic() < deadline:
            found = conn.execute("SELECT tuples_processed FROM pg_stat_progress_copy WHERE pid = %s", (pid,)).fetchone()
            if found and found[0] >= rows:
                return
            time.sleep(0.01)
    raise AssertionError(f"COPY of backend {pid} never reached {rows} rows")


def wait_gone(pid: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        while conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
            assert time.monotonic() < deadline, f"backend {pid} still alive"
            time.sleep(0.02)


def prepare(pg: Warehouse, lake_table: LakeTable, lake: Path, files: int, rows: int) -> None:
    """Load one small file, then add ``files`` big ones not yet loaded."""
    lake_table("src", [("id", "bigint"), ("v", "string")], [big(-1, 1)])
    load_table("db", "src", pg.target("t"), warehouse_url=pg.url)
    for i in range(files):
        write_parquet(lake / "src" / f"big-{i}.parquet", big(i * rows, rows), mtime=5000 + i)


def unchanged(pg: Warehouse) -> None:
    assert pg.rows(f"SELECT id, v FROM {pg.schema}.t") == [(-1, "value--1")]
    assert pg.ledger() == [("t", "part-00000.parquet", 1)]


def test_connection_terminated_mid_copy(pg: Warehouse, lake_table: LakeTable, lake: Path) -> None:
    prepare(pg, lake_table, lake, files=2, rows=200_000)
    killed: list[bool] = []

    def terminate() -> None:
        pid = copy_backend(pg.schema)
        wait_copied(pid, 50_000)
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            killed.append(conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0])

    killer = threading.Thread(target=terminate)
    killer.start()
    with pytest.raises(LoadError, match=r"nothing was changed: .*\(file .*big-\d.parquet"):
        load_table("db", "src", pg.target("t"), warehouse_url=pg.url, batch_size=1000)
    killer.join()
    assert killed == [True]
    unchanged(pg)
    result = load_table("db", "src", pg.target("t"), warehouse_url=pg.url)
    assert result.rows == 400_000 and len(result.skipped) == 1


@pytest.mark.slow
def test_sigkilled_loader_changes_nothing_and_a_rerun_loads_once(
    pg: Warehouse, lake_table: LakeTable, lake: Path
) -> None:
    prepare(pg, lake_table, lake, files=3, rows=200_000)
    args = {"database_name": "db", "table_name": "src", "target": pg.target("t"), "warehouse_url": pg.url}
    proc = subprocess.Popen([sys.executable, str(LOAD_PROC), json.dumps({**args, "batch_size": 1000})])
    try:
        pid = copy_backend(pg.schema)
        wait_copied(pid, 100_000)  # half way through the first big file
        assert proc.poll() is None
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    wait_gone(pid)
    unchanged(pg)
    rerun = load_table(**args)
    assert rerun.rows == 600_000 and len(rerun.files) == 3
    again = load_table(**args)
    assert again.rows == 0 and len(again.skipped) == 4
    assert pg.rows(f"SELECT count(*), count(DISTINCT id) FROM {pg.schema}.t") == [(600_001, 600_001)]


def test_concurrent_loads_of_one_target_load_each_file_once(pg: Warehouse, lake_table: LakeTable, lake: Path) -> None:
    prepare(pg, lake_table, lake, files=2, rows=50_000)
    results = []

    def run() -> None:
        results.append(load_table("db", "src", pg.target("t"), warehouse_url=pg.url, mode="append"))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.rows for r in results) == [0, 0, 100_000]
    assert pg.rows(f"SELECT count(*) FROM {pg.schema}.t") == [(100_001,)]


@pytest.mark.parametrize("dependent", ["none", "view"])
def test_overwrite_readers_never_see_an_empty_table(
    pg: Warehouse, lake_table: LakeTable, lake: Path, dependent: str
) -> None:
    """A plain table is swapped for its replacement; one a view depends on is emptied and reloaded. Either
    way a concurrent reader sees the old rows or the new ones, never an empty table or an error."""
    lake_table("src", [("id", "bigint"), ("v", "string")], [big(0, 1000)])
    load_table("db", "src", pg.target("t"), warehouse_url=pg.url, mode="overwrite")
    if dependent == "view":
        pg.execute(f"CREATE VIEW {pg.schema}.t_view AS SELECT id FROM {pg.schema}.t")
    write_parquet(lake / "src" / "big.parquet", big(0, 100_000), mtime=5000)
    counts: list[int] = []
    errors: list[Exception] = []
    done = threading.Event()

    def read() -> None:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            while not done.is_set():
                try:
                    counts.append(conn.execute(f"SELECT count(*) FROM {pg.schema}.t").fetchone()[0])
                except psycopg.Error as exc:
                    errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        result = load_table("db", "src", pg.target("t"), warehouse_url=pg.url, mode="overwrite", batch_size=5000)
    finally:
        done.set()
        reader.join()
    assert result.rows == 100_000 and not errors
    assert set(counts) <= {1000, 100_000} and 1000 in counts, sorted(set(counts))
    assert pg.rows(f"SELECT count(*) FROM {pg.schema}.t") == [(100_000,)]
    if dependent == "view":
        assert pg.rows(f"SELECT count(*) FROM {pg.schema}.t_view") == [(100_000,)]


def peaks(pg: Warehouse, table: str) -> dict[str, int]:
    """Load ``db.table`` in a fresh process with 5,000-row batches; its peak memory."""
    args = {"database_name": "db", "table_name": table, "target": pg.target(table), "warehouse_url": pg.url}
    command = [sys.executable, str(LOAD_PROC), json.dumps({**args, "batch_size": 5000})]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


@pytest.mark.slow
def test_memory_stays_bounded_on_a_file_much_larger_than_a_batch(
    pg: Warehouse, lake_table: LakeTable, lake: Path
) -> None:
    columns = [("id", "bigint"), ("v", "string"), ("x", "double")]
    for name, n in (("small", 10_000), ("large", 1_000_000)):
        table = big(0, n).append_column("x", pa.array(np.random.default_rng(1).random(n)))
        lake_table(name, columns)
        write_parquet(lake / name / "part-0.parquet", table, row_group_size=n)  # one row group: the worst case
    small, large = peaks(pg, "small"), peaks(pg, "large")
    assert large["rows"] == 1_000_000 and pg.rows(f"SELECT count(*) FROM {pg.schema}.large") == [(1_000_000,)]
    # 100x the rows (~32 MB decoded, in one row group) costs a few MB more, not 32.
    assert large["arrow_peak"] < small["arrow_peak"] + 16 * 2**20, (small, large)
    assert large["python_peak"] < small["python_peak"] + 4 * 2**20, (small, large)
