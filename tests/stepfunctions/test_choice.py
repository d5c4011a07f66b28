"""Choice rules: the specification's examples and every operator."""

from __future__ import annotations

from typing import Any

import pytest

from stepfunctions import choice


def _choice(rules: list[dict[str, Any]], default: bool = True) -> dict[str, Any]:
    states: dict[str, Any] = {
        "C": {"Type": "Choice", "Choices": [{**r, "Next": f"R{i}"} for i, r in enumerate(rules)]},
    }
    if default:
        states["C"]["Default"] = "Default"
        states["Default"] = {"Type": "Pass", "Result": "Default", "End": True}
    for i in range(len(rules)):
        states[f"R{i}"] = {"Type": "Pass", "Result": f"R{i}", "End": True}
    return {"StartAt": "C", "States": states}


SPEC_RULES = [
    {"Not": {"Variable": "$.type", "StringEquals": "Private"}},
    {"Variable": "$.value", "NumericEquals": 0},
    {"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20}, {"Variable": "$.value", "NumericLessThan": 30}]},
]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"type": "Public", "value": 22}, "R0"),
        ({"type": "Private", "value": 0}, "R1"),
        ({"type": "Private", "value": 22}, "R2"),
        ({"type": "Private", "value": 42}, "Default"),
    ],
)
def test_specification_example(run, given, expected):
    assert run(_choice(SPEC_RULES), given)["value"] == expected


@pytest.mark.parametrize(
    ("rule", "given", "holds"),
    [
        ({"Variable": "$.s", "StringEquals": "a"}, {"s": "a"}, True),
        ({"Variable": "$.s", "StringEquals": "1"}, {"s": 1}, False),
        ({"Variable": "$.s", "StringLessThan": "b"}, {"s": "a"}, True),
        ({"Variable": "$.s", "StringGreaterThanEquals": "a"}, {"s": "a"}, True),
        ({"Variable": "$.s", "StringEqualsPath": "$.t"}, {"s": "x", "t": "x"}, True),
        ({"Variable": "$.n", "NumericEquals": 1}, {"n": 1.0}, True),
        ({"Variable": "$.n", "NumericEquals": 1}, {"n": True}, False),
        ({"Variable": "$.n", "NumericLessThanPath": "$.m"}, {"n": 1, "m": 2}, True),
        ({"Variable": "$.n", "NumericGreaterThan": 1}, {"n": "2"}, False),
        ({"Variable": "$.b", "BooleanEquals": True}, {"b": True}, True),
        ({"Variable": "$.b", "BooleanEqualsPath": "$.c"}, {"b": False, "c": False}, True),
        ({"Variable": "$.t", "TimestampEquals": "2016-03-14T01:59:00Z"}, {"t": "2016-03-14T01:59:00.000Z"}, True),
        ({"Variable": "$.t", "TimestampLessThan": "2016-03-14T01:59:00Z"}, {"t": "2016-03-14T00:00:00+00:00"}, True),
        (
            {"Variable": "$.t", "TimestampGreaterThanPath": "$.u"},
            {"t": "2020-01-01T00:00:00Z", "u": "2019-01-01T00:00:00Z"},
            True,
        ),
        ({"Variable": "$.t", "TimestampEquals": "2016-03-14T01:59:00Z"}, {"t": "yesterday"}, False),
        ({"Variable": "$.x", "IsNull": True}, {"x": None}, True),
        ({"Variable": "$.x", "IsPresent": True}, {"x": None}, True),
        ({"Variable": "$.y", "IsPresent": False}, {"x": 1}, True),
        ({"Variable": "$.x", "IsNumeric": True}, {"x": 1.5}, True),
        ({"Variable": "$.x", "IsNumeric": True}, {"x": "1"}, False),
        ({"Variable": "$.x", "IsString": True}, {"x": "1"}, True),
        ({"Variable": "$.x", "IsBoolean": False}, {"x": 0}, True),
        ({"Variable": "$.x", "IsTimestamp": True}, {"x": "2016-03-14T01:59:00Z"}, True),
        ({"Variable": "$.x", "IsTimestamp": True}, {"x": "2016-03-14 01:59:00"}, False),
        ({"Variable": "$.f", "StringMatches": "log-*.txt"}, {"f": "log-2023-01.txt"}, True),
        ({"Variable": "$.f", "StringMatches": "*.txt"}, {"f": "a.csv"}, False),
        ({"Variable": "$.f", "StringMatches": "a\\*b"}, {"f": "a*b"}, True),
        ({"Variable": "$.f", "StringMatches": "a\\*b"}, {"f": "axxb"}, False),
        ({"Variable": "$.f", "StringMatches": "a\\\\b*"}, {"f": "a\\bc"}, True),
        ({"Or": [{"Variable": "$.n", "NumericEquals": 1}, {"Variable": "$.n", "NumericEquals": 2}]}, {"n": 2}, True),
        ({"Variable": "$$.Execution.Input.n", "NumericEquals": 2}, {"n": 2}, True),
    ],
)
def test_operator(run, rule, given, holds):
    assert run(_choice([rule]), given)["value"] == ("R0" if holds else "Default")


def test_no_choice_matched(run):
    out = run(_choice([{"Variable": "$.n", "NumericEquals": 1}], default=False), {"n": 2})
    assert out["status"] == "FAILED" and out["error"] == "States.NoChoiceMatched"


def test_missing_variable_is_a_runtime_error(run):
    out = run(_choice([{"Variable": "$.missing", "NumericEquals": 1}]), {"n": 2})
    assert out["error"] == "States.Runtime"
    assert "Invalid path '$.missing': The choice state's condition path references an invalid value." in out["cause"]


def test_choice_input_and_output_paths(run):
    definition = _choice([{"Variable": "$.n", "NumericEquals": 1}])
    definition["States"]["C"].update(InputPath="$.inner", OutputPath="$.n")
    definition["States"]["R0"] = {"Type": "Pass", "End": True}
    out = run(definition, {"inner": {"n": 1}})
    assert out["value"] == 1
    assert out["types"][1:3] == ["ChoiceStateEntered", "ChoiceStateExited"]


def test_timestamp_parsing():
    assert choice.parse_timestamp("2016-03-14T01:59:00.123456789Z") is not None
    assert choice.parse_timestamp("2016-03-14t01:59:00Z") is None


def test_string_order_is_java_compare_to(run):
    # U+FF5E sorts after U+1F600 by UTF-16 code unit (0xFF5E > 0xD83D), though not by code point.
    rule = {"Variable": "$.s", "StringGreaterThan": "\U0001f600"}
    assert run(_choice([rule]), {"s": "\uff5e"})["value"] == "R0"
