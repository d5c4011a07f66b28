"""Responses in wire form (``awsapi.app.wire_converter``): every timestamp as epoch seconds, nothing else touched."""

from __future__ import annotations

from datetime import UTC, datetime

from awsapi.app import wire_converter
from service import GLUE, STATES

WHEN = datetime(2024, 7, 1, 12, 30, tzinfo=UTC)


def test_nested_timestamps_become_epoch_seconds_and_the_rest_is_kept() -> None:
    descriptor = {"Columns": [{"Name": "id", "Type": "bigint"}], "Location": "s3://lake/t/"}
    partition = {"Values": ["2024"], "CreationTime": "2024-07-01T12:30:00", "StorageDescriptor": descriptor}
    response = {"Partitions": [partition, {**partition, "LastAccessTime": WHEN}], "NextToken": "n"}
    out = wire_converter("GetPartitions", GLUE)(response)
    assert [p["CreationTime"] for p in out["Partitions"]] == [WHEN.timestamp()] * 2  # naive text is UTC
    assert out["Partitions"][1]["LastAccessTime"] == WHEN.timestamp()
    assert out["Partitions"][0]["StorageDescriptor"] is descriptor  # no timestamp under it: not walked
    assert out["NextToken"] == "n" and response["Partitions"][0]["CreationTime"] == "2024-07-01T12:30:00"


def test_operations_without_timestamps_pass_their_response_through() -> None:
    response = {"Errors": []}
    assert wire_converter("BatchCreatePartition", GLUE)(response) is response


def test_step_functions_dates_and_absent_members() -> None:
    out = wire_converter("DescribeExecution", STATES)({"executionArn": "a", "startDate": WHEN, "stopDate": None})
    assert out == {"executionArn": "a", "startDate": WHEN.timestamp(), "stopDate": None}
