"""JSONPath input/output processing, from the examples of the Step Functions developer guide."""

from __future__ import annotations

from typing import Any

import pytest

from stepfunctions import jsonpath

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:HelloFunction"


def _machine(states: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": next(iter(states)), "States": states}


def hello(params: Any) -> str:
    return f"Hello, {params['who']}!"


def test_input_result_output_path_example(run):
    """The guide's InputPath/ResultPath/OutputPath example."""
    definition = _machine(
        {
            "Hello": {
                "Type": "Task",
                "Resource": LAMBDA,
                "InputPath": "$.lambda",
                "ResultPath": "$.data.lambdaresult",
                "OutputPath": "$.data",
                "End": True,
            }
        }
    )
    given = {
        "comment": "An input comment.",
        "data": {"val1": 23, "val2": 17},
        "extra": "foo",
        "lambda": {"who": "AWS Step Functions"},
    }
    out = run(definition, given, tasks={LAMBDA: hello})
    assert out["value"] == {"val1": 23, "val2": 17, "lambdaresult": "Hello, AWS Step Functions!"}
    assert out["types"][:6] == [
        "ExecutionStarted",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
    ]


RESULT_PATH_INPUT = {
    "comment": "This is a test of the input and output of a Task state.",
    "details": "Default example",
    "who": "AWS Step Functions",
}


@pytest.mark.parametrize(
    ("result_path", "expected"),
    [
        ("$", "Hello, AWS Step Functions!"),
        (None, RESULT_PATH_INPUT),
        ("$.taskresult", {**RESULT_PATH_INPUT, "taskresult": "Hello, AWS Step Functions!"}),
        ("$.strings.lambdaresult", {**RESULT_PATH_INPUT, "strings": {"lambdaresult": "Hello, AWS Step Functions!"}}),
        ("$.who", {**RESULT_PATH_INPUT, "who": "Hello, AWS Step Functions!"}),
    ],
)
def test_result_path_examples(run, result_path, expected):
    state = {"Type": "Task", "Resource": LAMBDA, "ResultPath": result_path, "End": True}
    assert run(_machine({"T": state}), RESULT_PATH_INPUT, tasks={LAMBDA: hello})["value"] == expected


def test_parameters_example(run):
    given = {
        "comment": "Example for Parameters.",
        "product": {
            "details": {"color": "blue", "size": "small", "material": "cotton"},
            "availability": "in stock",
            "sku": "2317",
            "cost": "$23",
        },
    }
    params = {
        "comment": "Selecting what I care about.",
        "MyDetails": {"size.$": "$.product.details.size", "exists.$": "$.product.availability", "StaticValue": "foo"},
    }
    out = run(_machine({"P": {"Type": "Pass", "Parameters": params, "End": True}}), given)
    assert out["value"] == {
        "comment": "Selecting what I care about.",
        "MyDetails": {"size": "small", "exists": "in stock", "StaticValue": "foo"},
    }


def test_result_selector_example(run):
    emr = "arn:aws:states:::elasticmapreduce:createCluster.sync"
    result = {
        "resourceType": "elasticmapreduce",
        "resource": "createCluster.sync",
        "output": {"SdkHttpMetadata": {"HttpStatusCode": 200}, "ClusterId": "AKIAIOSFODNN7EXAMPLE"},
    }
    state = {
        "Type": "Task",
        "Resource": emr,
        "ResultSelector": {"ClusterId.$": "$.output.ClusterId", "ResourceType.$": "$.resourceType"},
        "ResultPath": "$.EMROutput",
        "End": True,
    }
    out = run(_machine({"T": state}), {"a": 1}, tasks={emr: lambda p: result})
    assert out["value"] == {
        "a": 1,
        "EMROutput": {"ClusterId": "AKIAIOSFODNN7EXAMPLE", "ResourceType": "elasticmapreduce"},
    }
    scheduled = next(e for e in out["history"] if e["type"] == "TaskScheduled")["taskScheduledEventDetails"]
    assert scheduled["resourceType"] == "elasticmapreduce" and scheduled["resource"] == "createCluster.sync"


def test_null_input_and_output_paths_give_empty_objects(run):
    state = {"Type": "Pass", "InputPath": None, "OutputPath": None, "End": True}
    assert run(_machine({"P": state}), {"a": 1})["value"] == {}
    state = {"Type": "Pass", "InputPath": None, "ResultPath": "$.r", "Result": 1, "End": True}
    assert run(_machine({"P": state}), {"a": 1})["value"] == {"a": 1, "r": 1}


def test_pass_result_and_nested_result_path(run):
    state = {
        "Type": "Pass",
        "Result": {"x-datum": 0.381018, "y-datum": 622.2269926397355},
        "ResultPath": "$.coords",
        "End": True,
    }
    given = {"georefOf": "Home"}
    assert run(_machine({"P": state}), given)["value"] == {
        "georefOf": "Home",
        "coords": {"x-datum": 0.381018, "y-datum": 622.2269926397355},
    }


def test_context_object(run):
    params = {
        "name.$": "$$.Execution.Name",
        "state.$": "$$.State.Name",
        "machine.$": "$$.StateMachine.Name",
        "input.$": "$$.Execution.Input",
        "retries.$": "$$.State.RetryCount",
        "start.$": "$$.Execution.StartTime",
    }
    out = run(_machine({"Ctx": {"Type": "Pass", "Parameters": params, "End": True}}), {"k": 1}, name="exec-1")
    assert out["value"] == {
        "name": "exec-1",
        "state": "Ctx",
        "machine": "StateMachine",
        "input": {"k": 1},
        "retries": 0,
        "start": "2024-01-01T00:00:00.000Z",
    }


def test_missing_parameter_path_is_a_runtime_error(run):
    state = {"Type": "Pass", "Parameters": {"x.$": "$.missing"}, "End": True}
    out = run(_machine({"P": state}), {"a": 1})
    assert out["status"] == "FAILED" and out["error"] == "States.Runtime"
    assert out["cause"] == (
        "An error occurred while executing the state 'P' (entered at the event id #2). The JSONPath '$.missing' "
        "specified for the field 'x.$' could not be found in the input '{\"a\":1}'"
    )


def test_missing_input_path_is_a_runtime_error(run):
    out = run(_machine({"P": {"Type": "Pass", "InputPath": "$.nope", "End": True}}), {"a": 1})
    assert out["error"] == "States.Runtime"
    assert "Invalid path '$.nope' : No results for path: $['nope']" in out["cause"]


def test_result_path_into_a_non_object_fails(run):
    state = {"Type": "Pass", "Result": 1, "ResultPath": "$.a.b", "End": True}
    out = run(_machine({"P": state}), {"a": "text"})
    assert out["error"] == "States.ResultPathMatchFailure"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.store.book[0].title", "Sayings"),
        ("$.store.book[-1].title", "Moby"),
        ("$.store.book[*].author", ["Nigel", "Herman"]),
        ("$..author", ["Nigel", "Herman"]),
        ("$.store.book[?(@.price < 10)].title", ["Sayings"]),
        ("$.store.book[?(@.price > 5 && @.category == 'fiction')].title", ["Moby"]),
        ("$.store.book[?(@.isbn)].title", ["Moby"]),
        ("$.store.book[0:1].title", ["Sayings"]),
        ("$.store.book[0,1].price", [8.95, 22.99]),
        ("$.store['bicycle']['color']", "red"),
        ("$.store.book.length()", 2),
        ("$.store.book[?(@.title =~ /M.*/)].price", [22.99]),
    ],
)
def test_jsonpath_selection(path, expected):
    data = {
        "store": {
            "book": [
                {"category": "reference", "author": "Nigel", "title": "Sayings", "price": 8.95},
                {"category": "fiction", "author": "Herman", "title": "Moby", "isbn": "0-553", "price": 22.99},
            ],
            "bicycle": {"color": "red", "price": 19.95},
        }
    }
    assert jsonpath.select(path, data) == expected


def test_filter_in_parameters_returns_a_list(run):
    state = {"Type": "Pass", "Parameters": {"cheap.$": "$.items[?(@.price < 5)].name"}, "End": True}
    given = {"items": [{"name": "a", "price": 1}, {"name": "b", "price": 9}]}
    assert run(_machine({"P": state}), given)["value"] == {"cheap": ["a"]}


def test_put_creates_and_copies():
    data = {"a": {"b": 1}}
    assert jsonpath.put(data, "$.a.c.d", 2) == {"a": {"b": 1, "c": {"d": 2}}}
    assert data == {"a": {"b": 1}}
    assert jsonpath.put({"l": [1, 2]}, "$.l[1]", 5) == {"l": [1, 5]}
