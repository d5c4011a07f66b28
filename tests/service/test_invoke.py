"""``service.invoke``: the registry, botocore's input validation in AWS's words, and unsupported members."""

from __future__ import annotations

import inspect

import pytest

import service
from sluice.context import SluiceContext
from sluice.errors import InvalidInputException


def test_every_operation_is_a_glue_operation_and_takes_its_members() -> None:
    from service.model import glue_model

    model = glue_model()
    assert {"GetTable", "GetPartitions", "StartCrawler", "GetJobRun", "GetDataQualityResult"} <= set(service.OPERATIONS)
    for name, function in service.OPERATIONS.items():
        members = model.operation_model(name).input_shape.members
        params = [p for p in inspect.signature(function).parameters if p[0].isupper()]
        assert set(params) <= set(members), (name, set(params) - set(members))


def test_a_missing_member_is_named(ctx: SluiceContext) -> None:
    with pytest.raises(InvalidInputException, match=r"Value null at 'name' failed to satisfy constraint"):
        service.invoke(ctx, "GetTable", {"DatabaseName": "raw"})


def test_every_malformed_member_is_named_at_its_path(ctx: SluiceContext) -> None:
    request = {"DatabaseName": "raw", "TableName": "t", "MaxResults": 0, "Segment": {"SegmentNumber": "a"}}
    with pytest.raises(InvalidInputException) as caught:
        service.invoke(ctx, "GetPartitions", request)
    message = caught.value.message
    assert message.startswith("3 validation errors detected: ")
    constraint = "failed to satisfy constraint: Member must"
    assert f"Value 0 at 'maxResults' {constraint} have value greater than or equal to 1" in message
    assert f"Value null at 'segment.totalSegments' {constraint} not be null" in message
    assert f"Value 'a' at 'segment.segmentNumber' {constraint} be of type integer" in message


def test_an_unknown_member_and_an_unknown_operation_are_refused(ctx: SluiceContext) -> None:
    with pytest.raises(InvalidInputException, match="Unknown member 'Bogus'"):
        service.invoke(ctx, "GetDatabases", {"Bogus": 1})
    with pytest.raises(InvalidInputException, match="Unknown operation 'GetTabel'"):
        service.invoke(ctx, "GetTabel", {})


def test_a_glue_member_sluice_does_not_implement_is_refused_not_ignored(ctx: SluiceContext) -> None:
    with pytest.raises(InvalidInputException, match="Sluice does not support TransactionId"):
        service.invoke(ctx, "GetTable", {"DatabaseName": "raw", "Name": "t", "TransactionId": "tx"})
    with pytest.raises(InvalidInputException, match="Sluice does not implement Glue's CreateTrigger"):
        service.invoke(ctx, "CreateTrigger", {"Name": "t", "Type": "ON_DEMAND", "Actions": [{"JobName": "j"}]})


def test_a_member_glue_makes_optional_but_sluice_needs_is_named(ctx: SluiceContext) -> None:
    with pytest.raises(InvalidInputException, match="Value null at 'tableInput'"):
        service.invoke(ctx, "CreateTable", {"DatabaseName": "raw"})
