"""The compiled request checks (``service.validator``) agree with botocore's ``ParamValidator`` on every verdict."""

from __future__ import annotations

import copy
import random
from datetime import datetime
from typing import Any

import pytest
from botocore.validate import ParamValidator

from service import GLUE, STATES
from service.model import InvalidInputException, operation_model, service_model, validate_request
from service.validator import compile_check

PARTITION = {
    "Values": ["2024", "07"],
    "StorageDescriptor": {
        "Columns": [{"Name": "id", "Type": "bigint"}, {"Name": "ts", "Type": "timestamp", "Parameters": {"a": "b"}}],
        "Location": "s3://lake/t/year=2024/month=07/",
        "SerdeInfo": {"SerializationLibrary": "parquet"},
        "NumberOfBuckets": 0,
        "Compressed": False,
    },
    "Parameters": {"k": "v"},
    "LastAccessTime": datetime(2024, 7, 1),
}
BATCH = {"DatabaseName": "db", "TableName": "t", "PartitionInputList": [PARTITION, copy.deepcopy(PARTITION)]}


def _set(request: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(request)
    target: Any = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return out


def _drop(request: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    out = copy.deepcopy(request)
    target: Any = out
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return out


P = ("PartitionInputList", 1)
BATCHES = {
    "valid": BATCH,
    "tuple list": _set(BATCH, ("PartitionInputList",), (PARTITION,)),
    "empty list": _set(BATCH, ("PartitionInputList",), []),
    "value not a string": _set(BATCH, (*P, "Values", 1), 7),
    "values not a list": _set(BATCH, (*P, "Values"), "2024"),
    "column name too short": _set(BATCH, (*P, "StorageDescriptor", "Columns", 0, "Name"), ""),
    "column without a name": _drop(BATCH, (*P, "StorageDescriptor", "Columns", 0, "Name")),
    "unknown member": _set(BATCH, (*P, "StorageDescriptor", "Colour"), "red"),
    "unknown top member": _set(BATCH, ("Extra",), 1),
    "null member": _set(BATCH, (*P, "StorageDescriptor", "Location"), None),
    "boolean as a string": _set(BATCH, (*P, "StorageDescriptor", "Compressed"), "false"),
    "integer as a string": _set(BATCH, (*P, "StorageDescriptor", "NumberOfBuckets"), "0"),
    "integer as a float": _set(BATCH, (*P, "StorageDescriptor", "NumberOfBuckets"), 1.5),
    "boolean as an integer": _set(BATCH, (*P, "StorageDescriptor", "NumberOfBuckets"), True),
    "map value not a string": _set(BATCH, (*P, "Parameters", "k"), 1),
    "map not a map": _set(BATCH, (*P, "Parameters"), ["k"]),
    "timestamp as text": _set(BATCH, (*P, "LastAccessTime"), "2024-07-01T00:00:00Z"),
    "timestamp not one": _set(BATCH, (*P, "LastAccessTime"), "yesterday"),
    "missing table name": _drop(BATCH, ("TableName",)),
    "structure not an object": _set(BATCH, (*P, "StorageDescriptor"), "sd"),
}


@pytest.mark.parametrize("case", BATCHES)
def test_batch_create_partition_verdicts_are_botocores(case: str) -> None:
    shape = operation_model("BatchCreatePartition").input_shape
    request = BATCHES[case]
    assert compile_check(shape)(request) is not ParamValidator().validate(request, shape).has_errors()


@pytest.mark.parametrize(
    ("operation", "request_"),
    [
        ("GetPartitions", {"DatabaseName": "db", "TableName": "t", "MaxResults": 0}),
        (
            "GetPartitions",
            {"DatabaseName": "db", "TableName": "t", "Segment": {"SegmentNumber": -1, "TotalSegments": 2}},
        ),
        (
            "GetPartitions",
            {"DatabaseName": "db", "TableName": "t", "Segment": {"SegmentNumber": 0, "TotalSegments": 2}},
        ),
        ("CreateCrawler", {"Name": "c", "Role": "r", "Targets": {"S3Targets": [{"Path": "s3://b/"}]}}),
        ("CreateCrawler", {"Name": "c", "Role": "r", "Targets": {"S3Targets": [{"Path": 1}]}}),
        ("StartJobRun", {"JobName": "j", "Arguments": {"--k": "v"}, "Timeout": 0}),
        ("CreateJob", {"Name": "j", "Role": "r", "Command": {"Name": "glueetl"}, "MaxRetries": -1}),
    ],
)
def test_other_glue_verdicts_are_botocores(operation: str, request_: dict[str, Any]) -> None:
    shape = operation_model(operation).input_shape
    assert compile_check(shape)(request_) is not ParamValidator().validate(request_, shape).has_errors()


@pytest.mark.parametrize("api", [GLUE, STATES])
def test_every_operation_compiles_and_agrees_on_an_empty_request(api: str) -> None:
    """Recursive shapes included: each input shape of both APIs compiles, and judges ``{}`` as botocore does."""
    model = service_model(api)
    for name in model.operation_names:
        shape = model.operation_model(name).input_shape
        if shape is not None:
            assert compile_check(shape)({}) is not ParamValidator().validate({}, shape).has_errors(), name


def test_refused_requests_keep_botocores_messages() -> None:
    """A request the compiled check refuses is reported by botocore's validator, every error named."""
    bad = _set(_set(BATCH, (*P, "Values", 1), 7), (*P, "StorageDescriptor", "Colour"), "red")
    with pytest.raises(InvalidInputException) as caught:
        validate_request("BatchCreatePartition", bad)
    assert caught.value.message.startswith("2 validation errors detected: ")
    assert "Value 7 at 'partitionInputList[1].values[1]' failed to satisfy constraint" in caught.value.message
    assert "Unknown member 'Colour' of 'partitionInputList[1].storageDescriptor'" in caught.value.message


def _sample(shape: Any, rng: random.Random, depth: int = 0) -> Any:
    """A value of ``shape`` that is valid or, now and then, wrong in one way (type, length, member)."""
    kind = shape.type_name
    roll = rng.random()
    if roll < 0.03:
        return rng.choice([None, "x", 7, 1.5, True, [], {}])
    if kind == "structure":
        names = list(shape.members)
        if shape.is_tagged_union:
            names = rng.sample(names, 1) if names else []
        chosen = [n for n in names if n in shape.metadata.get("required", ()) or (depth < 3 and rng.random() < 0.4)]
        value = {n: _sample(shape.members[n], rng, depth + 1) for n in chosen}
        if roll > 0.98:
            value["Unknown"] = 1
        return value
    if kind == "list":
        low = int(shape.metadata.get("min", 0))
        return [_sample(shape.member, rng, depth + 1) for _ in range(low + (depth < 3) * rng.randint(0, 2))]
    if kind == "map":
        return {f"k{i}": _sample(shape.value, rng, depth + 1) for i in range(depth < 3 and rng.randint(0, 2))}
    if kind == "string":
        return "x" * (int(shape.metadata.get("min", 0)) + rng.randint(0, 2) - (roll > 0.95))
    if kind in ("integer", "long"):
        return int(shape.metadata.get("min", 0)) + rng.randint(0, 3) - (roll > 0.95)
    if kind in ("float", "double"):
        return rng.choice([0.5, 2, 3.0])
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "timestamp":
        return rng.choice([datetime(2024, 7, 1), "2024-07-01T00:00:00Z", "yesterday"])
    return b"blob"


@pytest.mark.parametrize("api", [GLUE, STATES])
def test_generated_checks_agree_with_botocore_on_sampled_requests(api: str) -> None:
    """Every input shape of both APIs, on requests sampled from the shape with one fault now and then."""
    rng = random.Random(13)
    model = service_model(api)
    refused = total = 0
    for name in model.operation_names:
        shape = model.operation_model(name).input_shape
        if shape is None:
            continue
        check = compile_check(shape)
        for _ in range(15):
            request = _sample(shape, rng)
            verdict = not ParamValidator().validate(request, shape).has_errors()
            assert check(request) is verdict, (name, request)
            refused += not verdict
            total += 1
    assert 50 < refused < total - 50  # both verdicts were seen
