"""``sluice crawl``, ``sluice crawler …`` and ``sluice catalog …`` through Typer, with Glue's JSON shapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from sluice.cli import app

runner = CliRunner()


def _json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_one_shot_crawl_then_read_verbs(lake: Path) -> None:
    crawl = _json("crawl", str(lake), "--database-name", "raw", "--exclude", "events/**", "--table-prefix", "t_")
    assert crawl["Crawl"]["Status"] == "SUCCEEDED" and crawl["Crawl"]["Metrics"]["TablesCreated"] == 2
    name = crawl["Crawl"]["CrawlerName"]
    # Repeating the one-shot crawl reuses the crawler (same name), so recrawl state is shared.
    assert (
        _json("crawl", str(lake), "--database-name", "raw", "--exclude", "events/**", "--table-prefix", "t_")["Crawl"][
            "CrawlerName"
        ]
        == name
    )

    assert [t["Name"] for t in _json("catalog", "get-tables", "--database-name", "raw")["TableList"]] == [
        "t_stations",
        "t_trips",
    ]
    table = _json("catalog", "get-table", "--database-name", "raw", "--name", "t_trips")["Table"]
    assert table["DatabaseName"] == "raw" and table["PartitionKeys"][0] == {"Name": "year", "Type": "string"}
    versions = _json("catalog", "get-table-versions", "--database-name", "raw", "--table-name", "t_trips")
    assert [v["VersionId"] for v in versions["TableVersions"]] == ["0"]
    parts = _json(
        "catalog", "get-partitions", "--database-name", "raw", "--table-name", "t_trips",
        "--expression", "year='2023' AND month IN ('01','02')",
    )  # fmt: skip
    assert [p["Values"] for p in parts["Partitions"]] == [["2023", "01"], ["2023", "02"]]

    crawler = _json("crawler", "get-crawler", "--name", name)["Crawler"]
    assert crawler["State"] == "READY" and crawler["LastCrawl"]["Status"] == "SUCCEEDED"
    assert crawler["TablePrefix"] == "t_" and crawler["Targets"]["S3Targets"][0]["Exclusions"] == ["events/**"]
    (metrics,) = _json("crawler", "get-crawler-metrics", "--crawler-name-list", name)["CrawlerMetricsList"]
    assert set(metrics) >= {"TablesCreated", "TablesUpdated", "TablesDeleted", "LastRuntimeSeconds"}
    crawls = _json("crawler", "list-crawls", "--crawler-name", name)["Crawls"]
    assert [c["Metrics"]["TablesCreated"] for c in crawls] == [0, 2]
    assert [c["Name"] for c in _json("crawler", "get-crawlers")["Crawlers"]] == [name]

    rich = runner.invoke(app, ["crawler", "list-crawls", "--crawler-name", name])
    assert rich.exit_code == 0 and f"Crawls of {name}" in rich.stdout


def test_create_start_and_errors(lake: Path) -> None:
    created = _json(
        "crawler", "create", "--name", "nightly", "--path", str(lake), "--database-name", "raw",
        "--recrawl-policy", "CRAWL_NEW_FOLDERS_ONLY", "--sample-size", "3", "--schedule", "cron(0 3 * * ? *)",
    )["Crawler"]  # fmt: skip
    assert created["RecrawlPolicy"] == {"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"}
    assert created["Schedule"]["ScheduleExpression"] == "cron(0 3 * * ? *)"
    started = runner.invoke(app, ["crawler", "start", "--name", "nightly"])
    assert started.exit_code == 0 and "nightly" in started.stdout

    again = runner.invoke(app, ["crawler", "create", "--name", "nightly", "--path", str(lake), "--database-name", "r"])
    assert again.exit_code == 2 and "AlreadyExistsException" in again.output
    missing = runner.invoke(app, ["crawler", "start", "--name", "nope"])
    assert missing.exit_code == 2 and "Crawler nope not found" in missing.output
    bad = runner.invoke(app, ["crawl", str(lake), "--database-name", "raw", "--delete-behavior", "DROP"])
    assert bad.exit_code == 2 and "--delete-behavior must be one of" in bad.output
    assert _json("catalog", "delete-table", "--database-name", "raw", "--name", "events") == {}
    part = ["--database-name", "raw", "--table-name", "trips", "--partition-values", "2023", "--partition-values", "01"]
    assert _json("catalog", "delete-partition", *part) == {}
    assert len(_json("catalog", "get-partitions", "--database-name", "raw", "--table-name", "trips")["Partitions"]) == 3
    trips = ["catalog", "get-partitions", "--database-name", "raw", "--table-name", "trips"]
    first = _json(*trips, "--max-results", "2", "--exclude-column-schema")  # one page, as GetPartitions pages
    assert len(first["Partitions"]) == 2 and "Columns" not in first["Partitions"][0]["StorageDescriptor"]
    rest = _json(*trips, "--max-results", "2", "--next-token", first["NextToken"])
    assert len(rest["Partitions"]) == 1 and "NextToken" not in rest
    halves = [_json(*trips, "--segment", f"SegmentNumber={n},TotalSegments=2")["Partitions"] for n in (0, 1)]
    assert sorted(p["Values"] for half in halves for p in half) == sorted(
        p["Values"] for p in _json(*trips)["Partitions"]
    )
    bad_segment = runner.invoke(app, [*trips, "--segment", "SegmentNumber=x"])
    assert bad_segment.exit_code == 2 and "SegmentNumber=N,TotalSegments=M" in bad_segment.output
    gone = runner.invoke(app, ["catalog", "get-table", "--database-name", "raw", "--name", "events"])
    assert gone.exit_code == 2 and "EntityNotFoundException" in gone.output
