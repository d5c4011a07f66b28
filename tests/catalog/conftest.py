"""Small real lakes for crawler tests: Parquet by pyarrow, CSV and JSON lines as text, compressed text."""

from __future__ import annotations

import bz2
import gzip
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from catalog import Catalog


def write_parquet(path: Path, columns: dict[str, list[Any]]) -> Path:
    """A Parquet file written by pyarrow (parent folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)
    return path


def write_text(path: Path, text: str, compression: str | None = None) -> Path:
    """A text file, optionally gzip or bzip2 compressed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode()
    path.write_bytes(gzip.compress(data) if compression == "gzip" else bz2.compress(data) if compression else data)
    return path


def json_lines(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def build_lake(root: Path) -> Path:
    """``trips/`` (Hive-partitioned Parquet), ``stations/`` (CSV with header), ``events/`` (nested JSON lines)."""
    for year in ("2023", "2024"):
        for month in ("01", "02"):
            write_parquet(
                root / "trips" / f"year={year}" / f"month={month}" / "part-0.parquet",
                {"trip_id": [1, 2, 3], "fare": [9.5, 12.0, 7.25], "vendor": ["a", "b", "c"]},
            )
    (root / "trips" / "_SUCCESS").write_text("")
    write_text(root / "stations" / "stations.csv", 'id,name,lat\n1,"Main St, north",40.7\n2,Elm,40.8\n3,Oak,40.9\n')
    events = [{"id": 1, "user": {"name": "x", "tags": ["a"]}}, {"id": 2, "user": {"name": "y", "tags": []}}]
    write_text(root / "events" / "events.json", json_lines(events))
    write_text(root / "events" / ".hidden.json", "not json")
    return root


def tables(database: str) -> dict[str, dict[str, Any]]:
    """The database's tables by name."""
    return {t["Name"]: t for t in Catalog().get_tables(database)}


def columns(table: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    return build_lake(tmp_path / "lake")
