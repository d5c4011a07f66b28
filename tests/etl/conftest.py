"""Job-runtime fixtures: a cataloged, day-partitioned CSV table in the test's lake, and ways to read results."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from catalog import Catalog
from catalog.shapes import storage_descriptor
from sluice.lake.fs import write_bytes
from sluice.lake.paths import join
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


@pytest.fixture
def s3_lake(spark, s3, monkeypatch: pytest.MonkeyPatch) -> str:
    """``SLUICE_LAKE_ROOT=s3://<fresh bucket>/lake`` with ``raw.events`` cataloged (CSV, partitioned by day).

    The test session's Spark is pointed at this endpoint, as the one builder does for every job."""
    from sparkio.session import get_spark

    _, bucket = s3
    monkeypatch.setenv("SLUICE_LAKE_ROOT", f"s3://{bucket}/lake")
    get_settings.cache_clear()
    get_spark()
    catalog = Catalog()
    catalog.create_database("raw", exist_ok=True)
    catalog.create_table(
        "raw",
        {
            "Name": "events",
            "StorageDescriptor": storage_descriptor(COLUMNS, f"s3://{bucket}/lake/raw/events"),
            "PartitionKeys": [{"Name": "day", "Type": "string"}],
            "Parameters": {"classification": "csv", "skip.header.line.count": "1", "delimiter": ","},
        },
    )
    return get_settings().lake


def land_s3(lake: str, day: str, ids: range) -> None:
    """``RawEvents.land`` on an S3 lake: one CSV object for ``day``, cataloged."""
    folder = join(lake, "raw", "events", f"day={day}")
    body = "id,name,amount\n" + "".join(f"{i},n{i},{i}.5\n" for i in ids)
    write_bytes(join(folder, "part.csv"), body.encode())
    Catalog().batch_create_partition("raw", "events", [{"Values": [day], "StorageDescriptor": {"Location": folder}}])


def submit_raw_to_curated(args: list[str]) -> subprocess.Popen:
    """``etl/jobs/raw_to_curated.py`` under the venv's real ``spark-submit`` (own session, so killable as a group)."""
    from etl.submit import spark_submit_command
    from sparkio.session import spark_env

    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", **spark_env()}
    command = spark_submit_command("etl/jobs/raw_to_curated.py", args, "local[2]")
    return subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def sluice_job_run(args: list[str]) -> subprocess.CompletedProcess[str]:
    """``sluice job run raw_to_curated.py --master local[2] ARGS`` as a user types it."""
    sluice = str(Path(sys.executable).parent / "sluice")
    command = [sluice, "job", "run", "raw_to_curated.py", "--master", "local[2]", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)
