"""Job-runtime fixtures: a cataloged, day-partitioned CSV table in the test's lake, and ways to read results."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from catalog import Catalog
from catalog.shapes import storage_descriptor
from sluice.settings import get_settings

COLUMNS = [{"Name": "id", "Type": "int"}, {"Name": "name", "Type": "string"}, {"Name": "amount", "Type": "double"}]


class RawEvents:
    """``raw.events``: CSV files (``id,name,amount`` with a header) under ``lake/raw/events/day=…/``."""

    def __init__(self, lake: Path) -> None:
        self.lake = lake
        self.root = lake / "raw" / "events"
        catalog = Catalog()
        catalog.create_database("raw", exist_ok=True)
        catalog.create_table(
            "raw",
            {
                "Name": "events",
                "StorageDescriptor": storage_descriptor(COLUMNS, str(self.root)),
                "PartitionKeys": [{"Name": "day", "Type": "string"}],
                "Parameters": {"classification": "csv", "skip.header.line.count": "1", "delimiter": ","},
            },
        )

    def land(self, day: str, ids: Iterable[int], name: str = "part.csv", *, lines: Iterable[str] = ()) -> Path:
        """Write one CSV file (rows ``id,n<id>,<id>.5`` then any raw ``lines``) and catalog its partition."""
        folder = self.root / f"day={day}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        rows = [f"{i},n{i},{i}.5" for i in ids] + list(lines)
        path.write_text("id,name,amount\n" + "".join(row + "\n" for row in rows))
        Catalog().batch_create_partition(
            "raw", "events", [{"Values": [day], "StorageDescriptor": {"Location": str(folder)}}]
        )
        return path


@pytest.fixture
def lake(sluice_home: Path) -> Path:
    path = Path(get_settings().lake)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def raw_events(lake: Path) -> RawEvents:
    return RawEvents(lake)


def visible_files(root: Path) -> dict[str, int]:
    """Every file under ``root`` (hidden staging folders included) with its size: a target's whole state."""
    return {str(p.relative_to(root)): p.stat().st_size for p in sorted(root.rglob("*")) if p.is_file()}


def parquet_ids(spark, path: Path) -> list[int]:
    """The ``id`` column of the Parquet files Spark sees under ``path`` (staging folders are hidden)."""
    visible = [f for f in path.rglob("*.parquet") if not any(p[0] in "_." for p in f.relative_to(path).parts)]
    if not visible:
        return []
    return sorted(r.id for r in spark.read.parquet(str(path)).select("id").collect())
