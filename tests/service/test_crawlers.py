"""Crawler operations through ``invoke``: a crawler defined in Glue's members crawls a small real lake."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from catalog.crawler.definitions import CrawlerNotRunningException, CrawlerRunningException
from sluice.errors import AlreadyExistsException, EntityNotFoundException, InvalidInputException


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    for month in ("01", "02"):
        folder = tmp_path / "lake" / "trips" / f"month={month}"
        folder.mkdir(parents=True)
        pq.write_table(pa.table({"trip_id": [1, 2], "fare": [9.5, 7.25]}), folder / "part-0.parquet")
    return tmp_path / "lake"


def define(glue, lake: Path, **members) -> None:
    targets = {"S3Targets": [{"Path": str(lake / "trips"), "Exclusions": ["**/_SUCCESS"]}]}
    request = {"Name": "nightly", "Role": "sluice", "DatabaseName": "raw", "Targets": targets, **members}
    glue("CreateCrawler", request)


def test_define_run_and_read_history(glue, lake: Path) -> None:
    define(glue, lake, Schedule="cron(0 3 * * ? *)", Configuration=json.dumps({"Version": 1.0}))
    crawler = glue("GetCrawler", {"Name": "nightly"})["Crawler"]
    assert (crawler["State"], crawler["DatabaseName"]) == ("READY", "raw")
    assert crawler["Targets"]["S3Targets"][0]["Exclusions"] == ["**/_SUCCESS"]
    assert crawler["Schedule"]["ScheduleExpression"] == "cron(0 3 * * ? *)"
    with pytest.raises(AlreadyExistsException):
        define(glue, lake)

    assert glue("StartCrawler", {"Name": "nightly"}) == {}  # returns at once: the crawl runs in a process
    with pytest.raises(CrawlerRunningException):
        glue("StartCrawler", {"Name": "nightly"})
    deadline = time.monotonic() + 120
    while glue("GetCrawler", {"Name": "nightly"})["Crawler"]["State"] != "READY" and time.monotonic() < deadline:
        time.sleep(0.2)
    crawls = glue("ListCrawls", {"CrawlerName": "nightly", "MaxResults": 5})["Crawls"]
    assert [(c["State"], c["Metrics"]["TablesCreated"]) for c in crawls] == [("COMPLETED", 1)]
    metrics = glue("GetCrawlerMetrics", {"CrawlerNameList": ["nightly"]})["CrawlerMetricsList"]
    assert metrics[0]["TablesCreated"] == 1
    assert glue("GetTable", {"DatabaseName": "raw", "Name": "trips"})["Table"]["PartitionKeys"][0]["Name"] == "month"

    assert glue("UpdateCrawler", {"Name": "nightly", "TablePrefix": "t_", "Schedule": ""}) == {}
    updated = glue("GetCrawler", {"Name": "nightly"})["Crawler"]
    assert updated["TablePrefix"] == "t_" and "Schedule" not in updated
    assert updated["Targets"] == crawler["Targets"]  # members not given stay
    assert [c["Name"] for c in glue("GetCrawlers", {})["Crawlers"]] == ["nightly"]

    with pytest.raises(CrawlerNotRunningException):
        glue("StopCrawler", {"Name": "nightly"})
    assert glue("DeleteCrawler", {"Name": "nightly"}) == {}
    with pytest.raises(EntityNotFoundException, match="Crawler nightly not found"):
        glue("GetCrawler", {"Name": "nightly"})


def test_glue_error_codes(glue, lake: Path) -> None:
    with pytest.raises(EntityNotFoundException):
        glue("StartCrawler", {"Name": "nope"})
    with pytest.raises(InvalidInputException, match="S3Targets"):
        define(glue, lake, Targets={"JdbcTargets": [{"ConnectionName": "pg"}]})
    with pytest.raises(InvalidInputException, match="update-behavior must be one of"):
        define(glue, lake, SchemaChangePolicy={"UpdateBehavior": "DROP"})
    with pytest.raises(InvalidInputException, match="Value null at 'role'"):
        glue("CreateCrawler", {"Name": "x", "Targets": {"S3Targets": [{"Path": str(lake)}]}})
