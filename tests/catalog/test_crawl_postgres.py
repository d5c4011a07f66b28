"""Two crawlers writing one database on PostgreSQL at once: each crawl's writes land whole."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from catalog import Catalog
from catalog.crawler.run import crawl
from tests.catalog.conftest import build_lake

pytestmark = pytest.mark.postgres


def test_two_crawlers_into_one_database(tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from sluice.db import reset_engines
    from sluice.settings import get_settings

    monkeypatch.setenv("SLUICE_METADATA_URL", pg_url)
    get_settings.cache_clear()
    reset_engines()
    east, west = build_lake(tmp_path / "east"), build_lake(tmp_path / "west")
    jobs = [(east, "east_"), (west, "west_")]
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda job: crawl([str(job[0])], database_name="lake", table_prefix=job[1]), jobs))
    assert [r["Status"] for r in runs] == ["SUCCEEDED", "SUCCEEDED"]
    tables = {t["Name"]: t for t in Catalog().get_tables("lake")}
    assert sorted(tables) == sorted(f"{p}{n}" for p in ("east_", "west_") for n in ("events", "stations", "trips"))
    assert len(Catalog().get_partitions("lake", "west_trips")) == len(Catalog().get_partitions("lake", "east_trips"))
    # A recrawl of one never deprecates the other's tables: each crawler handles only the tables it made.
    crawl([str(east)], database_name="lake", table_prefix="east_")
    assert not any("DEPRECATED" in t["Parameters"] for t in Catalog().get_tables("lake"))
    reset_engines()
