"""Run one ``load_table`` in a fresh process and print its result and peak memory as one JSON line.

The failure tests SIGKILL it mid-load; the memory test reads its peaks (Arrow's pool, tracemalloc, peak RSS).
"""

from __future__ import annotations

import json
import re
import sys
import tracemalloc
from pathlib import Path

import psycopg  # noqa: F401  (imported before tracing, like the catalog below)
import pyarrow as pa

from catalog.store import Catalog
from warehouse import load_table


def main() -> None:
    Catalog().get_databases()  # migrate the metadata DB before tracing: measure the load, not the setup
    tracemalloc.start()
    result = load_table(**json.loads(sys.argv[1]))
    report = {
        "rows": result.rows,
        "arrow_peak": pa.default_memory_pool().max_memory(),
        "python_peak": tracemalloc.get_traced_memory()[1],
        # VmHWM, not ru_maxrss: ru_maxrss keeps the forking parent's peak across exec.
        "peak_rss": int(re.search(r"VmHWM:\s+(\d+) kB", Path("/proc/self/status").read_text())[1]) * 1024,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
