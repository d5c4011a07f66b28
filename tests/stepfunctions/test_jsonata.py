"""JSONata states: Arguments, Output, Assign and variables, $states, Conditions, Items and the added functions."""

from __future__ import annotations

from typing import Any

TASK = "arn:aws:states:::lambda:invoke"


def _jsonata(states: dict[str, Any]) -> dict[str, Any]:
    return {"QueryLanguage": "JSONata", "StartAt": next(iter(states)), "States": states}


def test_output_transforms_input(run):
    definition = _jsonata(
        {
            "P": {
                "Type": "Pass",
                "Output": {
                    "customer": "{% $states.input.customer %}",
                    "total": "{% $sum($states.input.items.price) %}",
                },
                "End": True,
            }
        }
    )
    given = {"customer": "Ana", "items": [{"price": 1.5}, {"price": 2.5}]}
    assert run(definition, given)["value"] == {"customer": "Ana", "total": 4}


def test_task_arguments_result_and_output(run):
    definition = _jsonata(
        {
            "T": {
                "Type": "Task",
                "Resource": TASK,
                "Arguments": {"FunctionName": "f", "Payload": {"n": "{% $states.input.n * 2 %}"}},
                "Output": "{% $states.result.Payload.n + 1 %}",
                "End": True,
            }
        }
    )
    out = run(definition, {"n": 5}, tasks={TASK: lambda p: {"Payload": p["Payload"], "StatusCode": 200}})
    assert out["value"] == 11
    scheduled = next(e for e in out["history"] if e["type"] == "TaskScheduled")["taskScheduledEventDetails"]
    assert scheduled["parameters"] == '{"FunctionName":"f","Payload":{"n":10}}'


def test_variables_assign_and_scoping(run):
    definition = _jsonata(
        {
            "Set": {
                "Type": "Pass",
                "Assign": {"productName": "product1", "count": 42, "available": True},
                "Next": "Use",
            },
            "Use": {
                "Type": "Pass",
                "Assign": {"count": "{% $count + 1 %}"},
                "Output": {"name": "{% $productName %}", "count": "{% $count %}"},
                "Next": "After",
            },
            "After": {"Type": "Pass", "Output": "{% $count %}", "End": True},
        }
    )
    out = run(definition)
    # Output sees the values from state entry: Assign takes effect when the state is left.
    assert out["value"] == 43
    exited = [e for e in out["history"] if e["type"] == "PassStateExited"]
    assert exited[1]["stateExitedEventDetails"]["output"] == '{"name":"product1","count":42}'
    assert exited[0]["stateExitedEventDetails"]["assignedVariables"] == {
        "productName": '"product1"',
        "count": "42",
        "available": "true",
    }


def test_map_items_item_selector_and_inner_scope(run):
    definition = _jsonata(
        {
            "Set": {"Type": "Pass", "Assign": {"factor": 10}, "Next": "M"},
            "M": {
                "Type": "Map",
                "Items": "{% $states.input.nums %}",
                "ItemSelector": {
                    "v": "{% $states.context.Map.Item.Value %}",
                    "i": "{% $states.context.Map.Item.Index %}",
                },
                "ItemProcessor": {
                    "StartAt": "Mul",
                    "States": {
                        "Mul": {
                            "Type": "Pass",
                            "Output": "{% $states.input.v * $factor + $states.input.i %}",
                            "End": True,
                        }
                    },
                },
                "End": True,
            },
        }
    )
    assert run(definition, {"nums": [1, 2, 3]})["value"] == [10, 21, 32]


def test_condition_and_choice_output(run):
    definition = _jsonata(
        {
            "C": {
                "Type": "Choice",
                "Choices": [
                    {"Condition": "{% $states.input.age >= 18 %}", "Next": "Adult", "Output": {"kind": "adult"}}
                ],
                "Default": "Minor",
            },
            "Adult": {"Type": "Succeed"},
            "Minor": {"Type": "Pass", "Output": {"kind": "minor"}, "End": True},
        }
    )
    assert run(definition, {"age": 30})["value"] == {"kind": "adult"}
    assert run(definition, {"age": 3})["value"] == {"kind": "minor"}


def test_catch_error_output_and_assign(run):
    definition = _jsonata(
        {
            "T": {
                "Type": "Task",
                "Resource": TASK,
                "Catch": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Assign": {"failure": "{% $states.errorOutput.Error %}"},
                        "Output": {"caught": "{% $states.errorOutput %}", "input": "{% $states.input %}"},
                        "Next": "Report",
                    }
                ],
                "End": True,
            },
            "Report": {"Type": "Pass", "Output": {"was": "{% $failure %}", "out": "{% $states.input %}"}, "End": True},
        }
    )

    def boom(p: Any) -> Any:
        raise ValueError("bad")

    out = run(definition, {"a": 1}, tasks={TASK: boom})
    assert out["value"] == {
        "was": "ValueError",
        "out": {"caught": {"Error": "ValueError", "Cause": "bad"}, "input": {"a": 1}},
    }


def test_step_functions_functions(run):
    definition = _jsonata(
        {
            "P": {
                "Type": "Pass",
                "Output": {
                    "partition": "{% $partition([1,2,3,4,5,6,7,8,9], 3) %}",
                    "range": "{% $range(0, 10, 2) %}",
                    "hash": "{% $hash('abc', 'MD5') %}",
                    "parse": "{% $parse('{\"a\": [1]}') %}",
                    "seeded": "{% $random(5) = $random(5) %}",
                    "uuid": "{% $length($uuid()) %}",
                },
                "End": True,
            }
        }
    )
    assert run(definition)["value"] == {
        "partition": [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
        "range": [0, 2, 4, 6, 8, 10],
        "hash": "900150983cd24fb0d6963f7d28e17f72",
        "parse": {"a": [1]},
        "seeded": True,
        "uuid": 36,
    }


def test_undefined_result_is_a_query_evaluation_error(run):
    out = run(_jsonata({"P": {"Type": "Pass", "Output": "{% $states.input.missing %}", "End": True}}), {"a": 1})
    assert out["error"] == "States.QueryEvaluationError"
    assert out["cause"] == (
        "An error occurred while executing the state 'P' (entered at the event id #2). The JSONata expression "
        "'$states.input.missing' specified for the field 'Output' returned nothing (undefined)."
    )


def test_per_state_query_language_mixes_with_jsonpath(run):
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Parameters": {"x.$": "$.n"}, "Assign": {"keep.$": "$.x"}, "Next": "B"},
            "B": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $keep * 2 %}", "Next": "C"},
            "C": {"Type": "Pass", "Parameters": {"v.$": "$", "k.$": "$keep"}, "End": True},
        },
    }
    assert run(definition, {"n": 4})["value"] == {"v": 8, "k": 4}


def test_wait_and_fail_with_expressions(run, clock):
    definition = _jsonata(
        {
            "W": {"Type": "Wait", "Seconds": "{% $states.input.delay %}", "Next": "F"},
            "F": {"Type": "Fail", "Error": "{% 'E' & $string($states.input.delay) %}", "Cause": "{% 'waited' %}"},
        }
    )
    out = run(definition, {"delay": 7})
    assert (out["error"], out["cause"]) == ("E7", "waited")
    assert clock.sleeps == [7.0]


def test_inner_scope_assignments_stay_inside(run):
    definition = _jsonata(
        {
            "Set": {"Type": "Pass", "Assign": {"x": 1}, "Next": "M"},
            "M": {
                "Type": "Map",
                "Items": [1, 2],
                "ItemProcessor": {
                    "StartAt": "Inner",
                    "States": {
                        "Inner": {"Type": "Pass", "Assign": {"x": "{% $x + $states.input %}"}, "Next": "Read"},
                        "Read": {"Type": "Pass", "Output": "{% $x %}", "End": True},
                    },
                },
                "Next": "After",
            },
            "After": {"Type": "Pass", "Output": {"outer": "{% $x %}", "mapped": "{% $states.input %}"}, "End": True},
        }
    )
    assert run(definition)["value"] == {"outer": 1, "mapped": [2, 3]}


def test_now_and_millis_read_the_injected_clock(run):
    definition = _jsonata(
        {"P": {"Type": "Pass", "Output": {"now": "{% $now() %}", "ms": "{% $millis() %}"}, "End": True}}
    )
    assert run(definition)["value"] == {"now": "2024-01-01T00:00:00.000Z", "ms": 1704067200000}


def test_error_causes_name_the_field(run):
    definition = _jsonata(
        {
            "C": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% true %}", "Next": "E", "Output": {"v": "{% $states.input.nope %}"}}],
            },
            "E": {"Type": "Succeed"},
        }
    )
    out = run(definition, {"a": 1})
    assert out["error"] == "States.QueryEvaluationError"
    assert "specified for the field 'Choices[0]/Output/v' returned nothing (undefined)." in out["cause"]
    definition = _jsonata({"P": {"Type": "Pass", "Output": "{% $eval('1') %}", "End": True}})
    assert out["error"] == "States.QueryEvaluationError"
    assert run(definition)["cause"].endswith(
        "threw an error during evaluation. T1006: Attempted to invoke a non-function"
    )
