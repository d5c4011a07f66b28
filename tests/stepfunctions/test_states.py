"""Wait, Succeed, Fail, Parallel and Map: their data flow, their errors and their history."""

from __future__ import annotations

from typing import Any

from stepfunctions import TaskError

TASK = "arn:aws:states:::lambda:invoke"


def _machine(states: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"StartAt": next(iter(states)), "States": states, **top}


def test_wait_forms(run, clock):
    definition = _machine(
        {
            "S": {"Type": "Wait", "Seconds": 5, "Next": "SP"},
            "SP": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "T"},
            "T": {"Type": "Wait", "Timestamp": "2024-01-01T00:01:00Z", "Next": "TP"},
            "TP": {"Type": "Wait", "TimestampPath": "$.until", "End": True},
        }
    )
    out = run(definition, {"delay": 10, "until": "2024-01-01T00:00:30Z"})
    assert out["status"] == "SUCCEEDED"
    assert clock.sleeps == [5.0, 10.0, 45.0]
    assert out["types"].count("WaitStateEntered") == 4


def test_wait_with_a_bad_seconds_path(run):
    out = run(_machine({"W": {"Type": "Wait", "SecondsPath": "$.d", "End": True}}), {"d": "soon"})
    assert out["error"] == "States.Runtime"


def test_fail_state_with_paths(run):
    definition = _machine({"F": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('at {}', $.where)"}})
    out = run(definition, {"e": "Custom", "where": "home"})
    assert (out["status"], out["error"], out["cause"]) == ("FAILED", "Custom", "at home")
    assert out["types"] == ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"]
    assert out["output"] is None


def test_succeed_state(run):
    out = run(_machine({"S": {"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}}), {"a": {"b": 3}})
    assert out["value"] == 3
    assert out["types"] == ["ExecutionStarted", "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"]


def test_parallel_outputs_an_array_in_branch_order(run):
    branch = lambda n: {"StartAt": f"B{n}", "States": {f"B{n}": {"Type": "Pass", "Result": n, "End": True}}}  # noqa: E731
    definition = _machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [branch(1), branch(2)],
                "ResultSelector": {"sum.$": "States.MathAdd($[0], $[1])"},
                "End": True,
            }
        }
    )
    out = run(definition)
    assert out["value"] == {"sum": 3}
    assert out["types"][1:3] == ["ParallelStateEntered", "ParallelStateStarted"]
    assert out["types"][-3:] == ["ParallelStateSucceeded", "ParallelStateExited", "ExecutionSucceeded"]


def test_parallel_branch_failure_fails_the_state_with_its_error_and_is_caught(run, clock):
    ok = {"StartAt": "Slow", "States": {"Slow": {"Type": "Wait", "Seconds": 100, "End": True}}}
    bad = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Boom", "Cause": "it broke"}}}
    state = {"Type": "Parallel", "Branches": [ok, bad], "End": True}
    out = run(_machine({"P": state}))
    assert (out["error"], out["cause"]) == ("Boom", "it broke")
    assert "ParallelStateFailed" in out["types"]
    assert clock.sleeps == []  # the failing branch stops the waiting one
    state["Catch"] = [{"ErrorEquals": ["Boom"], "ResultPath": "$.err", "Next": "Done"}]
    out = run(_machine({"P": state, "Done": {"Type": "Succeed"}}), {"a": 1})
    assert out["value"] == {"a": 1, "err": {"Error": "Boom", "Cause": "it broke"}}


def test_parallel_branches_wait_concurrently(run, clock):
    wait = lambda s: {"StartAt": f"W{s}", "States": {f"W{s}": {"Type": "Wait", "Seconds": s, "End": True}}}  # noqa: E731
    out = run(_machine({"P": {"Type": "Parallel", "Branches": [wait(10), wait(30)], "End": True}}), {"x": 1})
    assert out["value"] == [{"x": 1}, {"x": 1}]
    assert sum(clock.sleeps) == 30.0


SHIPPING = {
    "ship-date": "2016-03-14T01:59:00Z",
    "detail": {
        "delivery-partner": "UQS",
        "shipped": [
            {"prod": "R31", "dest-code": 9511, "quantity": 1344},
            {"prod": "S39", "dest-code": 9511, "quantity": 40},
        ],
    },
}


def test_map_item_selector_example(run):
    """The guide's ItemSelector example: each iteration gets the item and a field of the Map's input."""
    state = {
        "Type": "Map",
        "ItemsPath": "$.detail.shipped",
        "ItemSelector": {
            "parcel.$": "$$.Map.Item.Value",
            "courier.$": "$.detail.delivery-partner",
            "index.$": "$$.Map.Item.Index",
        },
        "ItemProcessor": {"StartAt": "Ship", "States": {"Ship": {"Type": "Pass", "End": True}}},
        "ResultPath": "$.detail.shipped",
        "End": True,
    }
    out = run(_machine({"M": state}), SHIPPING)
    assert out["value"]["detail"]["shipped"] == [
        {"parcel": {"prod": "R31", "dest-code": 9511, "quantity": 1344}, "courier": "UQS", "index": 0},
        {"parcel": {"prod": "S39", "dest-code": 9511, "quantity": 40}, "courier": "UQS", "index": 1},
    ]
    started = next(e for e in out["history"] if e["type"] == "MapStateStarted")
    assert started["mapStateStartedEventDetails"] == {"length": 2}
    assert out["types"].count("MapIterationSucceeded") == 2


def test_map_with_legacy_iterator_and_parameters(run):
    state = {
        "Type": "Map",
        "ItemsPath": "$.xs",
        "Parameters": {"x.$": "$$.Map.Item.Value"},
        "MaxConcurrency": 1,
        "Iterator": {"StartAt": "I", "States": {"I": {"Type": "Pass", "OutputPath": "$.x", "End": True}}},
        "End": True,
    }
    assert run(_machine({"M": state}), {"xs": ["a", "b"]})["value"] == ["a", "b"]


def test_map_iteration_failure_fails_the_map(run):
    def check(p: Any) -> Any:
        if p == 2:
            raise TaskError("Bad.Item", "two")
        return p

    state = {
        "Type": "Map",
        "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": TASK, "End": True}}},
        "End": True,
    }
    out = run(_machine({"M": state}), [1, 2, 3], tasks={TASK: check})
    assert (out["error"], out["cause"]) == ("Bad.Item", "two")
    assert "MapIterationFailed" in out["types"] and "MapStateFailed" in out["types"]
    assert out["types"].count("MapIterationStarted") == 2


def test_map_max_concurrency_bounds_waiting_iterations(run, clock):
    state = {
        "Type": "Map",
        "MaxConcurrency": 2,
        "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$", "End": True}}},
        "End": True,
    }
    out = run(_machine({"M": state}), [10, 10, 10, 10])
    assert out["value"] == [10, 10, 10, 10]
    assert sum(clock.sleeps) == 20.0


def test_distributed_map_with_item_reader_batcher_and_tolerated_failures(run):
    seen: list[Any] = []

    def reader(config: dict[str, Any], state_input: Any) -> list[Any]:
        seen.append(config)
        return [{"n": i} for i in range(10)]

    def odd_fails(p: Any) -> Any:
        if any(item["n"] == 3 for item in p["Items"]):
            raise TaskError("Odd", "three")
        return sum(item["n"] for item in p["Items"])

    state = {
        "Type": "Map",
        "ItemReader": {
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "JSON"},
            "Parameters": {"Bucket.$": "$.bucket", "Key": "items.json"},
        },
        "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"tag": "b"}},
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
            "StartAt": "T",
            "States": {"T": {"Type": "Task", "Resource": TASK, "End": True}},
        },
        "ToleratedFailureCount": 1,
        "Label": "batch",
        "End": True,
    }
    out = run(_machine({"M": state}), {"bucket": "b1"}, tasks={TASK: odd_fails}, item_reader=reader)
    assert seen[0]["Parameters"] == {"Bucket": "b1", "Key": "items.json"}
    assert out["value"] == [1, {"Error": "Odd", "Cause": "three"}, 9, 13, 17]
    assert "MapRunStarted" in out["types"] and "TaskScheduled" not in out["types"]
    state["ToleratedFailureCount"] = 0
    out = run(_machine({"M": state}), {"bucket": "b1"}, tasks={TASK: odd_fails}, item_reader=reader)
    assert out["error"] == "States.ExceedToleratedFailureThreshold"


def test_map_over_a_non_array_fails(run):
    state = {
        "Type": "Map",
        "ItemsPath": "$.x",
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
        "End": True,
    }
    out = run(_machine({"M": state}), {"x": {"not": "array"}})
    assert out["error"] == "States.Runtime"


def test_large_inline_map_is_fast(run):
    inner = {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$", "NumericLessThan": 5000, "Next": "Low"}],
                "Default": "High",
            },
            "Low": {"Type": "Pass", "Result": "low", "End": True},
            "High": {"Type": "Pass", "Result": "high", "End": True},
        },
    }
    out = run(_machine({"M": {"Type": "Map", "ItemProcessor": inner, "End": True}}), list(range(10_000)))
    assert out["value"].count("low") == 5000
    assert len(out["history"]) == 1 + 4 + 10_000 * 6 + 1


def test_map_context_object_example(run):
    """The guide's context-object example for Map: Index and Value reach each iteration's input."""
    state = {
        "Type": "Map",
        "Parameters": {"ContextIndex.$": "$$.Map.Item.Index", "ContextValue.$": "$$.Map.Item.Value"},
        "Iterator": {"StartAt": "TestPass", "States": {"TestPass": {"Type": "Pass", "End": True}}},
        "End": True,
    }
    given = [{"who": "bob"}, {"who": "meg"}, {"who": "joe"}]
    assert run(_machine({"ExampleMapState": state}), given)["value"] == [
        {"ContextValue": {"who": "bob"}, "ContextIndex": 0},
        {"ContextValue": {"who": "meg"}, "ContextIndex": 1},
        {"ContextValue": {"who": "joe"}, "ContextIndex": 2},
    ]


def test_map_input_path_items_path_and_result_path_example(run):
    """The guide's Validate-All example: ItemsPath applies after InputPath, ResultPath to the raw input."""
    state = {
        "Type": "Map",
        "InputPath": "$.detail",
        "ItemsPath": "$.shipped",
        "MaxConcurrency": 0,
        "ResultPath": "$.detail.shipped",
        "Parameters": {"parcel.$": "$$.Map.Item.Value", "courier.$": "$.delivery-partner"},
        "Iterator": {
            "StartAt": "Validate",
            "States": {
                "Validate": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:ship-val", "End": True}
            },
        },
        "End": True,
    }
    out = run(
        _machine({"Validate-All": state}),
        SHIPPING,
        tasks={
            "arn:aws:lambda:us-east-1:1:function:ship-val": lambda p: {"ok": p["parcel"]["prod"], "by": p["courier"]}
        },
    )
    assert out["value"] == {
        "ship-date": "2016-03-14T01:59:00Z",
        "detail": {"delivery-partner": "UQS", "shipped": [{"ok": "R31", "by": "UQS"}, {"ok": "S39", "by": "UQS"}]},
    }


def test_parallel_retry_reruns_every_branch(run, clock):
    calls: list[Any] = []

    def flaky(p: Any) -> Any:
        calls.append(p)
        if len(calls) == 1:
            raise TaskError("Flaky", "first call")
        return p

    branch = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": TASK, "End": True}}}
    state = {
        "Type": "Parallel",
        "Branches": [branch],
        "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 2}],
        "End": True,
    }
    out = run(_machine({"P": state}), {"n": 1}, tasks={TASK: flaky})
    assert out["value"] == [{"n": 1}]
    assert clock.sleeps == [2.0] and len(calls) == 2
    assert out["types"].count("ParallelStateStarted") == 2 and out["types"].count("ParallelStateFailed") == 1
