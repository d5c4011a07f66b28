"""The intrinsic functions, with the inputs and outputs of the developer guide's examples."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest


def _pass(params: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": params, "End": True}}}


ARRAY = {"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9]}


@pytest.mark.parametrize(
    ("expression", "given", "expected"),
    [
        ("States.Array($.Id)", {"Id": 123456}, [123456]),
        ("States.Array('a', 1, true, null, $.x)", {"x": {"k": 1}}, ["a", 1, True, None, {"k": 1}]),
        ("States.ArrayPartition($.inputArray,4)", ARRAY, [[1, 2, 3, 4], [5, 6, 7, 8], [9]]),
        ("States.ArrayContains($.inputArray, $.lookingFor)", {**ARRAY, "lookingFor": 5}, True),
        ("States.ArrayContains($.inputArray, 10)", ARRAY, False),
        ("States.ArrayRange(1, 9, 2)", {}, [1, 3, 5, 7, 9]),
        ("States.ArrayRange(10, 0, -5)", {}, [10, 5, 0]),
        ("States.ArrayGetItem($.inputArray, $.index)", {**ARRAY, "index": 5}, 6),
        ("States.ArrayLength($.inputArray)", ARRAY, 9),
        ("States.ArrayUnique($.inputArray)", {"inputArray": [1, 2, 3, 3, 3, 3, 3, 3, 4]}, [1, 2, 3, 4]),
        ("States.Base64Encode($.input)", {"input": "Data to encode"}, "RGF0YSB0byBlbmNvZGU="),
        ("States.Base64Decode($.base64)", {"base64": "RGF0YSB0byBlbmNvZGU="}, "Data to encode"),
        (
            "States.Hash($.Data, $.Algorithm)",
            {"Data": "input data", "Algorithm": "SHA-1"},
            hashlib.sha1(b"input data").hexdigest(),
        ),
        (
            "States.JsonMerge($.json1, $.json2, false)",
            {"json1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}},
            {"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3},
        ),
        ("States.StringToJson($.escapedJsonString)", {"escapedJsonString": '{"foo": "bar"}'}, {"foo": "bar"}),
        ("States.JsonToString($.unescapedJson)", {"unescapedJson": {"foo": "bar"}}, '{"foo":"bar"}'),
        ("States.MathAdd($.value1, $.step)", {"value1": 111, "step": -1}, 110),
        (
            "States.StringSplit($.inputString, $.splitter)",
            {"inputString": "1,2,3,4,5", "splitter": ","},
            ["1", "2", "3", "4", "5"],
        ),
        (
            "States.StringSplit($.inputString, $.splitter)",
            {"inputString": "This.is+a,test=string", "splitter": ".+,="},
            ["This", "is", "a", "test", "string"],
        ),
        ("States.Format('Hello, my name is {}.', $.name)", {"name": "Arnav"}, "Hello, my name is Arnav."),
        (
            "States.Format('Welcome to {} {}\\'s playlist.', $.firstName, $.lastName)",
            {"firstName": "John", "lastName": "Doe"},
            "Welcome to John Doe's playlist.",
        ),
        ("States.Format('{} + {} = \\{\\}', 1, true)", {}, "1 + true = {}"),
        (
            "States.Format('{}.{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem("
            "States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit("
            "States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1), 'x')",
            {"ImageRecipe": {"Arn": "arn:aws:imagebuilder:us-east-1:1:image-recipe/my-recipe/1.0.0"}},
            "1.0.x",
        ),
        ("States.ArrayLength($$.Execution.Input.inputArray)", ARRAY, 9),
    ],
)
def test_intrinsic(run, expression, given, expected):
    out = run(_pass({"result.$": expression}), given)
    assert out["status"] == "SUCCEEDED", out["cause"]
    assert out["value"] == {"result": expected}


def test_uuid_and_math_random(run):
    out = run(
        _pass({"id.$": "States.UUID()", "n.$": "States.MathRandom(1, 999)", "s.$": "States.MathRandom(1, 999, 7)"})
    )
    value = out["value"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", value["id"])
    assert 1 <= value["n"] < 999
    assert run(_pass({"s.$": "States.MathRandom(1, 999, 7)"}))["value"]["s"] == value["s"]


@pytest.mark.parametrize(
    ("expression", "given"),
    [
        ("States.ArrayGetItem($.a, 5)", {"a": [1]}),
        ("States.ArrayPartition($.a, 0)", {"a": [1]}),
        ("States.ArrayRange(0, 2000, 1)", {}),
        ("States.ArrayRange(0, 10, 0)", {}),
        ("States.Base64Decode('%%%')", {}),
        ("States.Hash('x', 'SHA-999')", {}),
        ("States.JsonMerge($.a, $.a, true)", {"a": {}}),
        ("States.StringToJson('{nope')", {}),
        ("States.Format('{} {}', 1)", {}),
        ("States.MathAdd(2147483648, 1)", {}),
        ("States.MathRandom(5, 1)", {}),
        ("States.ArrayLength($.missing)", {}),
        ("States.UUID(1)", {}),
    ],
)
def test_intrinsic_failures(run, expression, given):
    out = run(_pass({"r.$": expression}), given)
    assert out["status"] == "FAILED"
    assert out["error"] == "States.IntrinsicFailure"
    assert out["cause"].startswith("An error occurred while executing the state 'P'")


def test_escapes_in_string_literals(run):
    params = {
        "quote.$": "States.Format('it\\'s {}', 'ok')",
        "braces.$": "States.Array('\\{\\}', 'a\\\\b')",
        "template.$": "States.Format($.t, 1)",
    }
    out = run(_pass(params), {"t": "n={}"})
    assert out["value"] == {"quote": "it's ok", "braces": ["{}", "a\\b"], "template": "n=1"}
