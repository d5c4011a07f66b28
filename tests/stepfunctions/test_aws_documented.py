"""AWS's documented examples, run through ``run_sync`` (what ``sluice stepfunctions start-sync-execution``
calls), with the status and exact output, error or cause the documentation gives.

Each case names its source page in the Step Functions developer guide (``dg/<page>``) or the Amazon States
Language specification (``states-language.net``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from stepfunctions import FakeClock, SystemRandom, run_sync

LAMBDA = "arn:aws:states:::lambda:invoke"


def _m(states: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"StartAt": next(iter(states)), "States": states, **top}


def _pass(**fields: Any) -> dict[str, Any]:
    return _m({"P": {"Type": "Pass", **fields, "End": True}})


def _params(template: dict[str, Any]) -> dict[str, Any]:
    return _pass(Parameters=template)


def _jsonata(states: dict[str, Any]) -> dict[str, Any]:
    return _m(states, QueryLanguage="JSONata")


def _go(definition: dict[str, Any], given: Any, tasks: Any = None) -> dict[str, Any]:
    response = run_sync(definition, json.dumps(given), clock=FakeClock(), random=SystemRandom(7), tasks=tasks)
    response["value"] = json.loads(response["output"]) if response["output"] is not None else None
    return response


NINE = {"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9]}

# (id, definition, input, expected output) — dg/intrinsic-functions, dg/input-output-*, states-language.net
SUCCEEDS: list[tuple[str, dict[str, Any], Any, Any]] = [
    ("Array", _params({"BuildId.$": "States.Array($.Id)"}), {"Id": 123456}, {"BuildId": [123456]}),
    (
        "ArrayPartition",
        _params({"inputArray.$": "States.ArrayPartition($.inputArray,4)"}),
        NINE,
        {"inputArray": [[1, 2, 3, 4], [5, 6, 7, 8], [9]]},
    ),
    (
        "ArrayContains",
        _params({"contains.$": "States.ArrayContains($.inputArray, $.lookingFor)"}),
        {**NINE, "lookingFor": 5},
        {"contains": True},
    ),
    ("ArrayRange", _params({"array.$": "States.ArrayRange(1, 9, 2)"}), {}, {"array": [1, 3, 5, 7, 9]}),
    (
        "ArrayGetItem",
        _params({"item.$": "States.ArrayGetItem($.inputArray, $.index)"}),
        {**NINE, "index": 5},
        {"item": 6},
    ),
    ("ArrayLength", _params({"length.$": "States.ArrayLength($.inputArray)"}), NINE, {"length": 9}),
    (
        "ArrayUnique",
        _params({"unique.$": "States.ArrayUnique($.inputArray)"}),
        {"inputArray": [1, 2, 3, 3, 3, 3, 3, 3, 4]},
        {"unique": [1, 2, 3, 4]},
    ),
    (
        "Base64Encode",
        _params({"base64.$": "States.Base64Encode($.input)"}),
        {"input": "Data to encode"},
        {"base64": "RGF0YSB0byBlbmNvZGU="},
    ),
    (
        "Base64Decode",
        _params({"data.$": "States.Base64Decode($.base64)"}),
        {"base64": "RGF0YSB0byBlbmNvZGU="},
        {"data": "Data to encode"},
    ),
    (
        "Hash",
        _params({"output.$": "States.Hash($.Data, $.Algorithm)"}),
        {"Data": "input data", "Algorithm": "SHA-1"},
        {"output": "aaff4a450a104cd177d28d18d74485e8cae074b7"},
    ),
    (
        "JsonMerge",
        _params({"output.$": "States.JsonMerge($.json1, $.json2, false)"}),
        {"json1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}},
        {"output": {"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3}},
    ),
    (
        "StringToJson",
        _params({"unescapedJson.$": "States.StringToJson($.escapedJsonString)"}),
        {"escapedJsonString": '{"foo": "bar"}'},
        {"unescapedJson": {"foo": "bar"}},
    ),
    (
        "JsonToString",
        _params({"escapedJsonString.$": "States.JsonToString($.unescapedJson)"}),
        {"unescapedJson": {"foo": "bar"}},
        {"escapedJsonString": '{"foo":"bar"}'},
    ),
    (
        "MathAdd",
        _params({"value1.$": "States.MathAdd($.value1, $.step)"}),
        {"value1": 111, "step": -1},
        {"value1": 110},
    ),
    (
        "MathAdd rounds non-integers",
        _params({"v.$": "States.MathAdd($.a, $.b)"}),
        {"a": 1.5, "b": 1},
        {"v": 3},
    ),
    (
        "StringSplit",
        _params({"array.$": "States.StringSplit($.inputString, $.splitter)"}),
        {"inputString": "1,2,3,4,5", "splitter": ","},
        {"array": ["1", "2", "3", "4", "5"]},
    ),
    (
        "StringSplit on each delimiter character",
        _params({"array.$": "States.StringSplit($.inputString, $.splitter)"}),
        {"inputString": "This.is+a,test=string", "splitter": ".+,="},
        {"array": ["This", "is", "a", "test", "string"]},
    ),
    (
        "Format",
        _params({"greeting.$": "States.Format('Hello, my name is {}.', $.name)"}),
        {"name": "Arnav"},
        {"greeting": "Hello, my name is Arnav."},
    ),
    (
        "Format with escaped braces and quotes",
        _params({"v.$": "States.Format('\\{\\} it\\'s {}', $.n)"}),
        {"n": 3},
        {"v": "{} it's 3"},
    ),
    (
        "JsonToString keeps unicode and writes control characters as Jackson does (upper-case hex)",
        _params({"s.$": "States.JsonToString($.v)"}),
        {"v": {"k": "é\u001f\n"}},
        {"s": '{"k":"é\\u001F\\n"}'},
    ),
    (
        "Format keeps unicode",
        _params({"v.$": "States.Format('{} – {}', $.a, $.b)"}),
        {"a": "héllo", "b": "日本"},
        {"v": "héllo – 日本"},
    ),
    (
        "nine nested intrinsics (the documented myArn example, with as many placeholders as arguments)",
        _params(
            {
                "myArn.$": "States.Format('{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem("
                "States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit("
                "States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1))"
            }
        ),
        {"ImageRecipe": {"Arn": "arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/a/1.0.0"}},
        {"myArn": "1.0"},
    ),
    (
        "InputPath",
        _pass(InputPath="$.dataset2"),
        {
            "comment": "Example for InputPath.",
            "dataset1": {"val1": 1, "val2": 2, "val3": 3},
            "dataset2": {"val1": "a", "val2": "b", "val3": "c"},
        },
        {"val1": "a", "val2": "b", "val3": "c"},
    ),
    ("InputPath slice", _pass(InputPath="$.a[0:2]"), {"a": [1, 2, 3, 4]}, [1, 2]),
    (
        "ResultPath $.taskresult",
        _pass(Result="Hello, Step Functions!", ResultPath="$.taskresult"),
        {"comment": "This is a test", "details": "Default example", "who": "Step Functions"},
        {
            "comment": "This is a test",
            "details": "Default example",
            "who": "Step Functions",
            "taskresult": "Hello, Step Functions!",
        },
    ),
    (
        "ResultPath null keeps the input",
        _pass(Result="Hello, Step Functions!", ResultPath=None),
        {"comment": "This is a test"},
        {"comment": "This is a test"},
    ),
    (
        "ResultPath into a nested, new node",
        _pass(Result="Hello, Step Functions!", ResultPath="$.strings.lambdaresult"),
        {"comment": "This is a test", "strings": {"x": 1}},
        {"comment": "This is a test", "strings": {"x": 1, "lambdaresult": "Hello, Step Functions!"}},
    ),
    (
        "Pass Result with ResultPath (states-language.net)",
        _pass(Result={"x-datum": 0.381018, "y-datum": 622.2269926397355}, ResultPath="$.coords"),
        {"georefOf": "Home"},
        {"georefOf": "Home", "coords": {"x-datum": 0.381018, "y-datum": 622.2269926397355}},
    ),
    (
        "OutputPath null gives {}",
        _pass(OutputPath=None),
        {"a": 1},
        {},
    ),
    (
        "InputPath null: the effective input is {}, ResultPath still merges into the raw input",
        _pass(InputPath=None, Parameters={"n.$": "States.ArrayLength(States.Array())"}, ResultPath="$.r"),
        {"a": 1},
        {"a": 1, "r": {"n": 0}},
    ),
    (
        "context object",
        _params({"name.$": "$$.State.Name", "input.$": "$$.Execution.Input.x", "retries.$": "$$.State.RetryCount"}),
        {"x": 7},
        {"name": "P", "input": 7, "retries": 0},
    ),
    (
        "JSONPath descendant, filter and wildcard",
        _params(
            {
                "ids.$": "$..id",
                "cheap.$": "$.items[?(@.price < 10)].id",
                "all.$": "$.items[*].price",
                "last.$": "$.items[-1:]",
            }
        ),
        {"items": [{"id": "a", "price": 5}, {"id": "b", "price": 15}]},
        {"ids": ["a", "b"], "cheap": ["a"], "all": [5, 15], "last": [{"id": "b", "price": 15}]},
    ),
    (
        "JSONPath filter comparing with the document root ($ inside [?()])",
        _params(
            {
                "cheap.$": "$.book[?(@.price <= $['expensive'])].title",
                "dear.$": "$.book[?(@.price > $.expensive)].title",
            }
        ),
        {"expensive": 10, "book": [{"title": "Sayings", "price": 8.95}, {"title": "Sword", "price": 12.99}]},
        {"cheap": ["Sayings"], "dear": ["Sword"]},
    ),
    (
        "numbers are kept as written",
        _pass(),
        {"int": 1, "float": 1.0, "frac": 0.5, "big": 12345678901234567890, "neg": -3},
        {"int": 1, "float": 1.0, "frac": 0.5, "big": 12345678901234567890, "neg": -3},
    ),
    (
        "Choice with Not, And and Default (states-language.net)",
        _m(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [
                        {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
                        {
                            "And": [
                                {"Variable": "$.value", "NumericGreaterThanEquals": 20},
                                {"Variable": "$.value", "NumericLessThan": 30},
                            ],
                            "Next": "ValueInTwenties",
                        },
                    ],
                    "Default": "DefaultState",
                },
                "Public": {"Type": "Pass", "Result": "public", "End": True},
                "ValueInTwenties": {"Type": "Pass", "Result": "twenties", "End": True},
                "DefaultState": {"Type": "Pass", "Result": "default", "End": True},
            }
        ),
        {"type": "Private", "value": 22},
        "twenties",
    ),
    (
        "Map ItemSelector with the context object (dg/input-output-itemselector)",
        _m(
            {
                "Map": {
                    "Type": "Map",
                    "ItemsPath": "$.shipped",
                    "ItemSelector": {
                        "ContextIndex.$": "$$.Map.Item.Index",
                        "ContextValue.$": "$$.Map.Item.Value",
                        "partner.$": "$.delivery-partner",
                    },
                    "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                    "End": True,
                }
            }
        ),
        {"delivery-partner": "UQS", "shipped": [{"prime": True, "quantity": 1}, {"prime": False, "quantity": 2}]},
        [
            {"ContextIndex": 0, "ContextValue": {"prime": True, "quantity": 1}, "partner": "UQS"},
            {"ContextIndex": 1, "ContextValue": {"prime": False, "quantity": 2}, "partner": "UQS"},
        ],
    ),
    (
        "Parallel with ResultSelector flattening",
        _m(
            {
                "Par": {
                    "Type": "Parallel",
                    "Branches": [
                        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": [1, 2], "End": True}}},
                        {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": [3], "End": True}}},
                    ],
                    "ResultSelector": {"flat.$": "$[*][*]"},
                    "ResultPath": "$.out",
                    "End": True,
                }
            }
        ),
        {"keep": True},
        {"keep": True, "out": {"flat": [1, 2, 3]}},
    ),
    (
        "Catch with ResultPath keeps the input and adds the error output (dg/concepts-error-handling)",
        _m(
            {
                "T": {
                    "Type": "Task",
                    "Resource": LAMBDA,
                    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Done"}],
                    "End": True,
                },
                "Done": {"Type": "Pass", "End": True},
            }
        ),
        {"foo": "bar"},
        {"foo": "bar", "error": {"Error": "CustomError", "Cause": "This is a custom error!"}},
    ),
    (
        "Fail in a Map iteration is caught on the Map",
        _m(
            {
                "Map": {
                    "Type": "Map",
                    "ItemProcessor": {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "c"}}},
                    "Catch": [{"ErrorEquals": ["E"], "Next": "Done"}],
                    "End": True,
                },
                "Done": {"Type": "Pass", "End": True},
            }
        ),
        [1],
        {"Error": "E", "Cause": "c"},
    ),
    (
        "JSONata Output, Assign evaluated before the assignment is visible (dg/workflow-variables)",
        _jsonata(
            {
                "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
                "B": {
                    "Type": "Pass",
                    "Assign": {"x": "{% $x + 1 %}"},
                    "Output": {"seen": "{% $x %}"},
                    "Next": "C",
                },
                "C": {"Type": "Pass", "Output": {"now": "{% $x %}"}, "End": True},
            }
        ),
        {},
        {"now": 2},
    ),
    (
        "JSONata Step Functions functions (dg/transforming-data)",
        _jsonata(
            {
                "P": {
                    "Type": "Pass",
                    "Output": {
                        "partition": "{% $partition([1,2,3,4], 2) %}",
                        "range": "{% $range(0, 10, 2) %}",
                        "hash": "{% $hash('input data', 'SHA-1') %}",
                        "parse": "{% $parse('{\"a\": 1}') %}",
                        "sum": "{% $sum($states.input.n) %}",
                    },
                    "End": True,
                }
            }
        ),
        {"n": [1.5, 2.5]},
        {
            "partition": [[1, 2], [3, 4]],
            "range": [0, 2, 4, 6, 8, 10],
            "hash": "aaff4a450a104cd177d28d18d74485e8cae074b7",
            "parse": {"a": 1},
            "sum": 4,
        },
    ),
    (
        "JSONata numbers are JavaScript doubles: whole ones are written as integers (dg/transforming-data: 2.0.6)",
        _jsonata(
            {
                "P": {
                    "Type": "Pass",
                    "Output": {
                        "half": "{% 10 / 4 %}",
                        "whole": "{% 4 / 2 %}",
                        "big": "{% 2 * 1e19 %}",
                    },
                    "End": True,
                }
            }
        ),
        {},
        {"half": 2.5, "whole": 2, "big": 20000000000000000000},
    ),
    (
        "Format with its template read from a path (states-language.net)",
        _params({"greeting.$": "States.Format($.template, $.name)"}),
        {"name": "Arnav", "template": "Hello, my name is {}."},
        {"greeting": "Hello, my name is Arnav."},
    ),
    (
        "JSONata keeps an explicit null (AWS's output in floci-io/floci#2664)",
        _jsonata({"E": {"Type": "Pass", "Output": {"v": '{% $lookup($states.input, "bar") %}'}, "End": True}}),
        {"bar": None},
        {"v": None},
    ),
    (
        "JSONata Map Items and ItemSelector with $states.context",
        _jsonata(
            {
                "M": {
                    "Type": "Map",
                    "Items": "{% $states.input.xs %}",
                    "ItemSelector": {"v": "{% $states.context.Map.Item.Value * 10 %}"},
                    "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                    "Output": "{% $states.result.v %}",
                    "End": True,
                }
            }
        ),
        {"xs": [1, 2, 3]},
        [10, 20, 30],
    ),
]


def _custom_error(params: Any) -> Any:
    from stepfunctions.errors import TaskError

    raise TaskError("CustomError", "This is a custom error!")


@pytest.mark.parametrize(("definition", "given", "expected"), [c[1:] for c in SUCCEEDS], ids=[c[0] for c in SUCCEEDS])
def test_documented_output(definition, given, expected):
    out = _go(definition, given, tasks={LAMBDA: _custom_error})
    assert (out["status"], out["error"], out["cause"]) == ("SUCCEEDED", None, None)
    assert out["value"] == expected
    assert out["output"] == json.dumps(expected, separators=(",", ":"), ensure_ascii=False)


_AT = "An error occurred while executing the state 'P' (entered at the event id #2). "

# (id, definition, input, error, cause or None to check only the error)
FAILS: list[tuple[str, dict[str, Any], Any, str, str | None]] = [
    (
        "Parameters path not found (States.Runtime)",
        _params({"address.$": "$.application.address"}),
        {"flagged": False},
        "States.Runtime",
        _AT + "The JSONPath '$.application.address' specified for the field 'address.$' could not be found in the "
        "input '{\"flagged\":false}'",
    ),
    (
        "a Parameters path over a null input (the cause AWS reports, stackoverflow: parameters not moving)",
        _m(
            {
                "N": {"Type": "Pass", "Result": None, "Next": "P"},
                "P": {"Type": "Pass", "Parameters": {"Input.$": "$"}, "End": True},
            }
        ),
        {},
        "States.Runtime",
        "An error occurred while executing the state 'P' (entered at the event id #4). "
        "Unable to apply Path transformation to null or empty input.",
    ),
    (
        "InputPath not found (Jayway's message for a missing last property)",
        _pass(InputPath="$.a"),
        {"b": 1},
        "States.Runtime",
        _AT + "Invalid path '$.a' : No results for path: $['a']",
    ),
    (
        "OutputPath through a missing property (Jayway's message for a missing inner property)",
        _pass(OutputPath="$.a.b"),
        {"b": 1},
        "States.Runtime",
        _AT + "Invalid path '$.a.b' : Missing property in path $['a']",
    ),
    (
        "ArrayRange over 1000 items",
        _params({"a.$": "States.ArrayRange(1, 1001, 1)"}),
        {},
        "States.IntrinsicFailure",
        None,
    ),
    ("ArrayRange step 0", _params({"a.$": "States.ArrayRange(1, 5, 0)"}), {}, "States.IntrinsicFailure", None),
    (
        "ArrayPartition chunk 0",
        _params({"a.$": "States.ArrayPartition($.a, 0)"}),
        {"a": [1]},
        "States.IntrinsicFailure",
        None,
    ),
    (
        "ArrayGetItem out of range",
        _params({"a.$": "States.ArrayGetItem($.a, 3)"}),
        {"a": [1]},
        "States.IntrinsicFailure",
        None,
    ),
    ("Base64Decode of non-base64", _params({"a.$": "States.Base64Decode('@@@')"}), {}, "States.IntrinsicFailure", None),
    (
        "Hash with an unknown algorithm",
        _params({"a.$": "States.Hash('x', 'SHA-999')"}),
        {},
        "States.IntrinsicFailure",
        None,
    ),
    (
        "JsonMerge deep",
        _params({"a.$": "States.JsonMerge($.x, $.x, true)"}),
        {"x": {}},
        "States.IntrinsicFailure",
        None,
    ),
    (
        "MathAdd out of int range",
        _params({"a.$": "States.MathAdd(2147483648, 1)"}),
        {},
        "States.IntrinsicFailure",
        None,
    ),
    ("Format placeholder count", _params({"a.$": "States.Format('{} {}', 1)"}), {}, "States.IntrinsicFailure", None),
    ("StringToJson of non-JSON", _params({"a.$": "States.StringToJson('{x')"}), {}, "States.IntrinsicFailure", None),
    (
        "ResultPath into a non-object (the cause Step Functions Local gives, aws/aws-cdk#29473)",
        _pass(Result=1, ResultPath="$.a.b"),
        {"a": 1},
        "States.ResultPathMatchFailure",
        _AT + 'Unable to apply ReferencePath $.a.b to input {"a":1}',
    ),
    (
        "Choice with no match and no Default",
        _m(
            {
                "P": {"Type": "Choice", "Choices": [{"Variable": "$.a", "NumericEquals": 1, "Next": "S"}]},
                "S": {"Type": "Succeed"},
            }
        ),
        {"a": 2},
        "States.NoChoiceMatched",
        None,
    ),
    (
        "Map over a non-array",
        _m(
            {
                "P": {
                    "Type": "Map",
                    "ItemsPath": "$.a",
                    "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Pass", "End": True}}},
                    "End": True,
                }
            }
        ),
        {"a": 1},
        "States.Runtime",
        None,
    ),
    (
        "Fail with ErrorPath and CausePath (dg/state-fail)",
        _m({"P": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('cause: {}', $.c)"}}),
        {"e": "MyError", "c": "bad"},
        "MyError",
        "cause: bad",
    ),
    (
        "States.ALL does not catch States.Runtime",
        _m(
            {
                "P": {
                    "Type": "Task",
                    "Resource": LAMBDA,
                    "InputPath": "$.missing",
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}],
                    "End": True,
                },
                "Done": {"Type": "Succeed"},
            }
        ),
        {},
        "States.Runtime",
        None,
    ),
    (
        "JSONata Fail with expressions",
        _jsonata(
            {
                "P": {
                    "Type": "Fail",
                    "Error": "{% 'E' & $string($states.input.n) %}",
                    "Cause": "{% 'n=' & $states.input.n %}",
                }
            }
        ),
        {"n": 1},
        "E1",
        "n=1",
    ),
    *[
        (
            f"JSONata error worded as jsonata-js words it: {expr}",
            _jsonata({"P": {"Type": "Pass", "Output": {"r": "{% " + expr + " %}"}, "End": True}}),
            {},
            "States.QueryEvaluationError",
            _AT + f"The JSONata expression '{expr}' specified for the field 'Output/r' threw an error during "
            f"evaluation. {tail}",
        )
        for expr, tail in (
            ('$sum("a")', 'T0412: Argument 1 of function "sum" must be an array of "numbers"'),
            ('$abs("x")', 'T0410: Argument 1 of function "abs" does not match function signature'),
            ('1 + "x"', 'T2002: The right side of the "+" operator must evaluate to a number'),
            ('$number("x")', 'D3030: Unable to cast value to a number: "x"'),
            ('$eval("1+1")', "T1006: Attempted to invoke a non-function"),
        )
    ],
    (
        "JSONata undefined result (the cause AWS gives, floci-io/floci#2665)",
        _jsonata({"P": {"Type": "Pass", "Output": {"v": "{% $states.input.missing %}"}, "End": True}}),
        {},
        "States.QueryEvaluationError",
        _AT + "The JSONata expression '$states.input.missing' specified for the field 'Output/v' returned nothing "
        "(undefined).",
    ),
]


@pytest.mark.parametrize(("definition", "given", "error", "cause"), [c[1:] for c in FAILS], ids=[c[0] for c in FAILS])
def test_documented_failure(definition, given, error, cause):
    out = _go(definition, given, tasks={LAMBDA: lambda p: p})
    assert (out["status"], out["output"], out["error"]) == ("FAILED", None, error)
    if cause is not None:
        assert out["cause"] == cause


def test_jsonata_failure_records_an_evaluation_failed_event():
    """API_EvaluationFailedEventDetails: a JSONata expression's failure is an EvaluationFailed event naming the
    state, the error, its cause and the field (location) that failed."""
    out = _go(_jsonata({"P": {"Type": "Pass", "Output": {"a": "{% $states.input.x %}"}, "End": True}}), {})
    failed = next(e for e in out["history"] if e["type"] == "EvaluationFailed")
    assert failed["evaluationFailedEventDetails"] == {
        "error": "States.QueryEvaluationError",
        "cause": out["cause"],
        "location": "Output/a",
        "state": "P",
    }
    assert [e["type"] for e in out["history"]][-2:] == ["EvaluationFailed", "ExecutionFailed"]


def test_nested_intrinsics_over_the_context_object():
    """A definition validated on AWS (localstack/localstack#9771): the last '-'-separated part of the state
    machine's name."""
    expr = (
        "States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), "
        "States.MathAdd(States.ArrayLength(States.StringSplit($$.StateMachine.Name, '-')), -1))"
    )
    definition = _params({"suffix.$": expr})
    out = run_sync(definition, "{}", clock=FakeClock(), state_machine_name="my-state-machine")
    assert (out["status"], out["output"]) == ("SUCCEEDED", '{"suffix":"machine"}')
