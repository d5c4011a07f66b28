"""Recrawls: table versions, schema-change policies, CRAWL_NEW_FOLDERS_ONLY, run history, concurrency and leases."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import update

from catalog import Catalog
from catalog.crawler import definitions
from catalog.crawler.definitions import (
    CrawlCancelled,
    CrawlerNotRunningException,
    CrawlerRunningException,
    claim_crawler,
    get_crawler,
    get_crawler_metrics,
    list_crawls,
    stop_crawler,
)
from catalog.crawler.run import crawl, start_crawler
from catalog.models import CrawlerRow
from sluice.db import session_scope
from tests.catalog.conftest import columns, tables, write_parquet

REPO = Path(__file__).resolve().parents[2]


def _add_column(lake: Path) -> None:
    write_parquet(
        lake / "trips" / "year=2025" / "month=01" / "part-0.parquet",
        {"trip_id": [4], "fare": [3.0], "vendor": ["d"], "tip": [0.5]},
    )


def test_schema_change_writes_a_version_and_an_unchanged_recrawl_writes_none(lake: Path) -> None:
    crawl([str(lake)], database_name="raw", name="c")
    again = crawl([str(lake)], database_name="raw", name="c")
    assert again["Metrics"]["TablesCreated"] == again["Metrics"]["TablesUpdated"] == 0
    assert [v["VersionId"] for v in Catalog().get_table_versions("raw", "trips")] == ["0"]

    _add_column(lake)
    changed = crawl([str(lake)], database_name="raw", name="c")
    assert changed["Metrics"]["TablesUpdated"] == 1 and changed["Metrics"]["PartitionsAdded"] == 1
    versions = Catalog().get_table_versions("raw", "trips")
    assert [v["VersionId"] for v in versions] == ["1", "0"]
    assert [c["Name"] for c in versions[0]["Table"]["StorageDescriptor"]["Columns"]][-1] == "tip"
    assert len(versions[1]["Table"]["StorageDescriptor"]["Columns"]) == 3
    (event,) = [e for e in changed["Log"] if e["Event"] == "SCHEMA_CHANGE"]
    assert event["Table"] == "trips" and event["Applied"] is True


def test_update_behavior_log_only_records_the_change(lake: Path) -> None:
    crawl([str(lake)], database_name="raw", name="c", update_behavior="LOG")
    _add_column(lake)
    run = crawl([str(lake)], database_name="raw", name="c", update_behavior="LOG")
    (event,) = [e for e in run["Log"] if e["Event"] == "SCHEMA_CHANGE"]
    assert event["Applied"] is False and event["After"]["Columns"][-1] == {"Name": "tip", "Type": "double"}
    assert len(columns(tables("raw")["trips"])) == 3
    assert [v["VersionId"] for v in Catalog().get_table_versions("raw", "trips")] == ["0"]
    assert run["Metrics"]["PartitionsAdded"] == 1  # new partitions are always created


def test_add_new_columns_only_keeps_manual_edits_and_dropped_columns(lake: Path) -> None:
    crawl([str(lake)], database_name="raw", name="c", add_new_columns_only=True)
    table = tables("raw")["trips"]
    table["StorageDescriptor"]["Columns"][1]["Type"] = "decimal(10,2)"  # a manual edit
    Catalog().update_table("raw", {k: table[k] for k in ("Name", "StorageDescriptor", "PartitionKeys")})
    shutil.rmtree(lake / "trips")
    write_parquet(lake / "trips" / "year=2025" / "month=01" / "p.parquet", {"trip_id": [1], "tip": [0.5]})
    crawl([str(lake)], database_name="raw", name="c", add_new_columns_only=True)
    assert columns(tables("raw")["trips"]) == [
        ("trip_id", "bigint"),
        ("fare", "decimal(10,2)"),
        ("vendor", "string"),
        ("tip", "double"),
    ]


@pytest.mark.parametrize("behavior", ["DEPRECATE_IN_DATABASE", "DELETE_FROM_DATABASE", "LOG"])
def test_delete_behavior_for_a_table_whose_data_is_gone(lake: Path, behavior: str) -> None:
    crawl([str(lake)], database_name="raw", name="c", delete_behavior=behavior)
    shutil.rmtree(lake / "events")
    shutil.rmtree(lake / "trips" / "year=2023")
    run = crawl([str(lake)], database_name="raw", name="c", delete_behavior=behavior)
    found = tables("raw")
    (missing,) = [e for e in run["Log"] if e["Event"] == "TABLE_MISSING"]
    assert missing == {"Event": "TABLE_MISSING", "Table": "events", "Action": behavior}
    partitions = [p["Values"][0] for p in Catalog().get_partitions("raw", "trips")]
    if behavior == "DELETE_FROM_DATABASE":
        assert "events" not in found and run["Metrics"]["TablesDeleted"] == 1
        assert partitions == ["2024", "2024"] and run["Metrics"]["PartitionsDeleted"] == 2
    else:
        assert partitions == ["2023", "2023", "2024", "2024"]
        assert "DEPRECATED" in found["events"]["Parameters"] if behavior == "DEPRECATE_IN_DATABASE" else True
    if behavior == "LOG":
        assert "DEPRECATED" not in found["events"]["Parameters"] and run["Metrics"]["TablesDeleted"] == 0
    if behavior == "DEPRECATE_IN_DATABASE":  # data back: the crawler takes the table in again
        (lake / "events").mkdir()
        (lake / "events" / "e.json").write_text('{"id": 1, "user": {"name": "x", "tags": ["a"]}}\n')
        crawl([str(lake)], database_name="raw", name="c", delete_behavior=behavior)
        assert "DEPRECATED" not in tables("raw")["events"]["Parameters"]


def test_crawl_new_folders_only_reads_only_new_folders_and_skips_misfits(lake: Path) -> None:
    opts = {"database_name": "raw", "name": "inc", "recrawl_behavior": "CRAWL_NEW_FOLDERS_ONLY"}
    first = crawl([str(lake)], **opts)
    assert first["Metrics"]["TablesCreated"] == 3
    write_parquet(lake / "trips" / "year=2025" / "month=01" / "p.parquet", {"trip_id": [4], "fare": [1.0]})
    write_parquet(lake / "trips" / "year=2025" / "month=02" / "p.parquet", {"other": ["x"], "cols": ["y"]})
    write_parquet(lake / "zones" / "z.parquet", {"zone": [1], "name": ["n"]})
    second = crawl([str(lake)], **opts)
    assert second["Metrics"]["FilesScanned"] == 3  # the seen folders were not even listed
    assert second["Metrics"]["PartitionsAdded"] == 1 and second["Metrics"]["TablesCreated"] == 1
    assert second["Metrics"]["TablesUpdated"] == 0
    (skipped,) = [e for e in second["Log"] if e["Event"] == "SKIPPED_NEW_FOLDER"]
    assert skipped["Path"].endswith("trips/year=2025/month=02")
    assert "zones" in tables("raw")
    assert [p["Values"] for p in Catalog().get_partitions("raw", "trips", "year = '2025'")] == [["2025", "01"]]
    # The policy forces update and delete behaviour to LOG, as Glue does.
    policy = get_crawler("inc")["SchemaChangePolicy"]
    assert policy == {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"}
    third = crawl([str(lake)], **opts)
    assert third["Metrics"]["FilesScanned"] == 0 and third["Metrics"]["PartitionsAdded"] == 0


def test_runs_metrics_and_crawler_state(lake: Path) -> None:
    crawl([str(lake)], database_name="raw", name="c")
    crawl([str(lake)], database_name="raw", name="c")
    crawler = get_crawler("c")
    assert crawler["State"] == "READY" and crawler["LastCrawl"]["Status"] == "SUCCEEDED"
    assert crawler["Targets"]["S3Targets"][0]["Path"] == str(lake)
    assert crawler["SchemaChangePolicy"] == {
        "UpdateBehavior": "UPDATE_IN_DATABASE",
        "DeleteBehavior": "DEPRECATE_IN_DATABASE",
    }
    runs = list_crawls("c")
    assert [r["Metrics"]["TablesCreated"] for r in runs] == [0, 3]  # newest first
    (metrics,) = get_crawler_metrics(["c"])
    assert metrics["CrawlerName"] == "c" and metrics["TablesCreated"] == 0
    assert metrics["LastRuntimeSeconds"] == runs[0]["Metrics"]["DurationSeconds"]
    assert metrics["MedianRuntimeSeconds"] > 0


def test_a_running_crawler_is_refused_and_its_tables_untouched(lake: Path) -> None:
    crawl([str(lake)], database_name="raw", name="c")
    claim_crawler("c")  # another process is crawling
    with pytest.raises(CrawlerRunningException, match="already started"):
        start_crawler("c")
    assert get_crawler("c")["State"] == "RUNNING"
    assert [r["Status"] for r in list_crawls("c")] == ["RUNNING", "SUCCEEDED"]


def test_a_stopped_crawl_ends_cancelled_and_writes_nothing(lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setattr(definitions, "HEARTBEAT_SECONDS", 0.02)

    def stop_midway(total: int | None, advance: int) -> None:
        if advance:  # files were read: the StopCrawler arrives now
            stop_crawler("c")
            time.sleep(0.3)  # a heartbeat notices it

    with pytest.raises(CrawlCancelled, match="stopped"):
        crawl([str(lake)], database_name="raw", name="c", progress=stop_midway)
    assert [r["Status"] for r in list_crawls("c")] == ["CANCELLED"]
    assert get_crawler("c")["State"] == "READY"
    assert [d["Name"] for d in Catalog().get_databases()] == []


CLAIMER = """
import time
from catalog.crawler.definitions import claim_crawler
print(claim_crawler("c").run_id, flush=True)
time.sleep(60)
"""


def test_a_crawler_whose_process_was_killed_is_reclaimed_at_once(lake: Path) -> None:
    """A crawl on this host holds the crawler while its pid lives; once SIGKILLed, no wait for the lease."""
    crawl([str(lake)], database_name="raw", name="c")
    other = subprocess.Popen([sys.executable, "-c", CLAIMER], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        killed = other.stdout.readline().strip()
        assert killed, "the other process never claimed the crawler"
        assert get_crawler("c")["State"] == "RUNNING"
        with pytest.raises(CrawlerRunningException, match=rf"already started by host .*, pid {other.pid}"):
            start_crawler("c")
    finally:
        other.send_signal(signal.SIGKILL)
        other.wait(10)
        other.stdout.close()
    assert get_crawler("c")["State"] == "READY"  # at once: its heartbeat is fresh, but its pid is gone
    assert start_crawler("c")["Status"] == "SUCCEEDED"
    statuses = [(r["Status"], r.get("ErrorMessage", "")) for r in list_crawls("c")]
    assert statuses[0] == ("SUCCEEDED", "") and statuses[1][0] == "FAILED"
    assert statuses[1][1] == (
        f"The crawl's process stopped: host {socket.gethostname()}, pid {other.pid} is gone; the crawler was reclaimed."
    )


def test_a_crawler_running_on_another_host_is_reclaimed_once_its_lease_expires(
    lake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crawl([str(lake)], database_name="raw", name="c")
    claim_crawler("c")
    with session_scope() as s:  # the crawl runs on another host: its pids mean nothing here
        s.execute(update(CrawlerRow).where(CrawlerRow.name == "c").values(owner_host="elsewhere", owner_pid=1))
    assert get_crawler("c")["State"] == "RUNNING"
    with pytest.raises(CrawlerRunningException, match="already started by host elsewhere, pid 1"):
        start_crawler("c")
    monkeypatch.setattr(definitions, "LEASE_SECONDS", 0.0)  # then that host goes quiet: its lease expires
    assert get_crawler("c")["State"] == "READY"
    with pytest.raises(CrawlerNotRunningException):
        stop_crawler("c")
    assert start_crawler("c")["Status"] == "SUCCEEDED"
    statuses = [(r["Status"], r.get("ErrorMessage", "")) for r in list_crawls("c")]
    assert statuses[1][0] == "FAILED" and "no heartbeat from host elsewhere, pid 1 since" in statuses[1][1]


def test_a_crawl_that_lost_its_lease_writes_nothing(lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crawl frozen past its lease finds, at its next heartbeat, that another process reclaimed the crawler."""
    import time

    monkeypatch.setattr(definitions, "HEARTBEAT_SECONDS", 0.02)

    def reclaimed_midway(total: int | None, advance: int) -> None:
        if advance:  # another host took the crawler over meanwhile
            with session_scope() as s:
                s.execute(update(CrawlerRow).where(CrawlerRow.name == "c").values(owner_host="elsewhere"))
            time.sleep(0.3)  # a heartbeat notices it

    with pytest.raises(CrawlCancelled, match="lost its lease"):
        crawl([str(lake)], database_name="raw", name="c", progress=reclaimed_midway)
    assert [d["Name"] for d in Catalog().get_databases()] == []
