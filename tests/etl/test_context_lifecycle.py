"""Every Sluice reader respects the lake lifecycle: a partition tiered to GLACIER is unreadable until restored."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from catalog.crawler.run import crawl
from etl.context import JobContext
from lifecycle.restore import restore
from lifecycle.run import plan_or_apply
from quality.gate import read_table
from sluice.lake.guard import InvalidObjectStateException
from warehouse import load_table

pytestmark = pytest.mark.spark


def _archive(prefix: str) -> dict:
    return {
        "Rules": [
            {
                "ID": "archive",
                "Status": "Enabled",
                "Filter": {"Prefix": prefix},
                "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}],
            }
        ]
    }


def _apply(prefix: str) -> None:
    applied = plan_or_apply(_archive(prefix), "raw", apply=True, now=datetime.now(UTC) + timedelta(days=3))
    assert [a["StorageClass"] for a in applied["Actions"]] == ["GLACIER"]


@pytest.fixture
def cold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from sluice.settings import get_settings

    monkeypatch.setenv("SLUICE_TIER_ROOTS", json.dumps({"GLACIER": str(tmp_path / "cold")}))
    get_settings.cache_clear()
    return tmp_path / "cold"


def _events(lake: Path, day: str, first: int) -> None:
    folder = lake / "raw" / "events" / f"d={day}"
    folder.mkdir(parents=True)
    rows = "\n".join(f"{i},{'x' * 200}" for i in range(first, first + 1000))
    (folder / "part.csv").write_text(f"id,payload\n{rows}\n")  # ~200 KiB: over the 128 KiB transition floor


def _ids(spark) -> list[int]:
    ctx = JobContext.from_argv(
        ["job.py", "--JOB_NAME", "reader", "--job-bookmark-option", "job-bookmark-disable"], spark
    )
    with ctx:
        ids = sorted(r["id"] for r in ctx.read_catalog("raw", "events", transformation_ctx="e").collect())
        ctx.commit()
    return ids


def test_jobs_and_dq_gates_refuse_a_glacier_partition_until_restored(spark, sluice_home: Path, cold: Path) -> None:
    lake = sluice_home / "lake"
    _events(lake, "2026-01-01", 0)
    _events(lake, "2026-01-02", 1000)
    crawl(["raw/events"], database_name="raw")
    assert len(_ids(spark)) == 2000

    _apply("events/d=2026-01-01/")
    with pytest.raises(InvalidObjectStateException) as refused:
        _ids(spark)
    assert "sluice lifecycle restore" in (refused.value.hint or "")
    with pytest.raises(InvalidObjectStateException):
        read_table(spark, "raw", "events")
    assert read_table(spark, "raw", "events", "d = '2026-01-02'").count() == 1000  # pruned away: readable

    restore("raw/events/d=2026-01-01/part.csv", days=1)
    assert _ids(spark) == list(range(2000))


def test_the_warehouse_loader_refuses_archived_files_it_has_not_loaded(sluice_home: Path, cold: Path) -> None:
    folder = sluice_home / "lake" / "raw" / "facts"
    for day in ("2026-01-01", "2026-01-02"):
        (folder / f"d={day}").mkdir(parents=True)
        noise = [os.urandom(8).hex() for _ in range(20_000)]  # incompressible: over the 128 KiB transition floor
        pq.write_table(pa.table({"id": list(range(20_000)), "v": noise}), folder / f"d={day}" / "p.parquet")
    crawl(["raw/facts"], database_name="raw")
    _apply("facts/d=2026-01-01/")
    with pytest.raises(InvalidObjectStateException):
        load_table("raw", "facts", "facts")
    assert load_table("raw", "facts", "facts", partition_expression="d = '2026-01-02'").rows == 20_000
    restore("raw/facts/d=2026-01-01/p.parquet", days=1)
    assert load_table("raw", "facts", "facts").rows == 20_000  # the other file was loaded already
