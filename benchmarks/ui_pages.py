"""Sluice pages on a large catalog: ``--tables`` (1,000) tables and ``--partitions`` (100,000) partitions, half of
them on one table, in a fresh SQLite SLUICE_HOME, each table written by a job run (so the lineage has edges).

1. The table page's partitions: one page of 500 (what the page reads) against every partition of the big table
   (what it read before paging; the baseline), best of ``--repeat``.
2. The whole-lake lineage: the service read (``service.lineage.get_lineage``), then the layout and the SVG,
   against GetTables of every database (what the catalog page reads; the baseline).

Each line prints both times and their ratio. Run: ``.venv/bin/python benchmarks/ui_pages.py [--quick]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The plugin's pictures; and not this folder first, whose warehouse.py would hide the warehouse package.
sys.path[0] = str(Path(__file__).resolve().parents[1] / "plugins")

from sluice_airflow.ui.pictures import lineage_svg  # noqa: E402

from etl.journal import CatalogUpdate, dump_entries  # noqa: E402
from etl.models import JobCommitRow, JobRunRow  # noqa: E402
from service import catalog  # noqa: E402
from service.lineage import get_lineage  # noqa: E402
from sluice.context import SluiceContext  # noqa: E402
from sluice.settings import Settings  # noqa: E402

COLUMNS = [{"Name": "id", "Type": "bigint"}, {"Name": "v", "Type": "string"}]
KEYS = [{"Name": "day", "Type": "string"}]


def best(repeat: int, work: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def build(ctx: SluiceContext, tables: int, partitions: int) -> None:
    """``tables`` tables over 10 databases, half the partitions on ``db0.t0``, the rest spread; a job per 10
    tables whose commit journal names them (what a job run writes)."""
    big = partitions // 2
    rest = (partitions - big) // max(tables - 1, 1)
    for d in range(10):
        catalog.create_database(ctx, DatabaseInput={"Name": f"db{d}"})
    for t in range(tables):
        database, name = f"db{t % 10}", f"t{t}"
        location = f"{ctx.settings.lake}/{database}/{name}/"
        table = {"Name": name, "PartitionKeys": KEYS, "StorageDescriptor": {"Columns": COLUMNS, "Location": location}}
        catalog.create_table(ctx, DatabaseName=database, TableInput=table)
        count = big if t == 0 else rest
        for first in range(0, count, 100):
            batch = [
                {"Values": [f"d{i:06d}"], "StorageDescriptor": {"Location": f"{location}day=d{i:06d}/"}}
                for i in range(first, min(first + 100, count))
            ]
            catalog.batch_create_partition(ctx, DatabaseName=database, TableName=name, PartitionInputList=batch)
    with ctx.session() as s:
        for j in range(tables // 10):
            run_id = f"jr_bench{j}"
            s.add(JobRunRow(id=run_id, job_name=f"job{j}", state="SUCCEEDED", arguments={}, metrics={}))
            entries = [
                CatalogUpdate(
                    database=f"db{t % 10}", table=f"t{t}", location="", columns=[], partition_keys=[], partitions=[]
                )
                for t in range(j * 10, j * 10 + 10)
            ]
            s.add(JobCommitRow(run_id=run_id, job_name=f"job{j}", status="DONE", catalog_updates=dump_entries(entries)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--partitions", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="100 tables, 10,000 partitions")
    args = parser.parse_args()
    if args.quick:
        args.tables, args.partitions = 100, 10_000
    ctx = SluiceContext(Settings(home=Path(tempfile.mkdtemp(prefix="sluice-ui-bench-"))))
    start = time.perf_counter()
    build(ctx, args.tables, args.partitions)
    print(f"catalog: {args.tables} tables, {args.partitions} partitions, built in {time.perf_counter() - start:.1f} s")

    def page() -> Any:
        return catalog.get_partitions(ctx, DatabaseName="db0", TableName="t0", MaxResults=500)

    def everything() -> Any:
        return catalog.get_partitions(ctx, DatabaseName="db0", TableName="t0")

    paged, full = best(args.repeat, page), best(args.repeat, everything)
    print(
        f"table page partitions: page of 500 {paged * 1000:.1f} ms, all {args.partitions // 2} (baseline) "
        f"{full * 1000:.1f} ms: {full / paged:.1f}x faster"
    )

    def tables() -> Any:
        return [catalog.get_tables(ctx, DatabaseName=f"db{d}") for d in range(10)]

    def lineage() -> Any:
        return get_lineage(ctx)

    read, listed = best(args.repeat, lineage), best(args.repeat, tables)
    graph = get_lineage(ctx)
    drawn = best(args.repeat, lambda: lineage_svg(graph, "/sluice"))
    print(
        f"lineage of {len(graph['Nodes'])} nodes, {len(graph['Edges'])} edges: read {read * 1000:.0f} ms, "
        f"layout + SVG {drawn * 1000:.0f} ms; GetTables of every database (baseline) {listed * 1000:.0f} ms: "
        f"{(read + drawn) / listed:.2f}x the baseline"
    )


if __name__ == "__main__":
    main()
