"""ValidateStateMachineDefinition's diagnostics: codes, messages and locations."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stepfunctions import InvalidDefinition, run_sync, validate


def _codes(definition: Any) -> list[tuple[str, str, str | None]]:
    return [(d["code"], d["message"], d.get("location")) for d in validate(definition)["diagnostics"]]


def test_valid_definition():
    definition = {"Comment": "ok", "StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}
    assert validate(json.dumps(definition)) == {"result": "OK", "diagnostics": [], "truncated": False}


def test_missing_target_and_unreachable_state():
    definition = {
        "StartAt": "pass1",
        "States": {"pass1": {"Type": "Pass", "Next": "pass3"}, "pass2": {"Type": "Pass", "End": True}},
    }
    assert _codes(definition) == [
        ("MISSING_TRANSITION_TARGET", "Missing 'Next' target: pass3", "/States/pass1/Next"),
        ("MISSING_TRANSITION_TARGET", 'State "pass2" is not reachable.', "/States/pass2"),
    ]


def test_no_terminal_state():
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}}
    assert _codes(definition) == [("MISSING_END_STATE", "Workflow has no terminal state", None)]


def test_missing_start_at_target_and_choice_targets():
    definition = {
        "StartAt": "Nope",
        "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": True, "Next": "X"}], "Default": "Y"},
            "E": {"Type": "Succeed"},
        },
    }
    codes = _codes(definition)
    assert ("MISSING_TRANSITION_TARGET", "Missing 'Next' target: Nope", "/StartAt") in codes
    assert ("MISSING_TRANSITION_TARGET", "Missing 'Next' target: X", "/States/C/Choices[0]/Next") in codes
    assert ("MISSING_TRANSITION_TARGET", "Missing 'Next' target: Y", "/States/C/Default") in codes


@pytest.mark.parametrize("kind", ["Pass", "Wait", "Choice", "Succeed", "Fail", "Map", "Parallel"])
def test_timeout_seconds_only_on_task(kind):
    codes = _codes({"StartAt": "S", "States": {"S": {"Type": kind, "TimeoutSeconds": 5}}})
    assert ("SCHEMA_VALIDATION_FAILED", "Field 'TimeoutSeconds' is not supported", "/States/S") in codes


def test_query_language_rules():
    jsonpath_output = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Output": {}, "End": True}}}
    assert _codes(jsonpath_output) == [
        (
            "SCHEMA_VALIDATION_FAILED",
            "The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' "
            "QueryLanguage",
            "/States/P",
        )
    ]
    jsonata = {
        "QueryLanguage": "JSONata",
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": True}},
    }
    assert _codes(jsonata) == [
        (
            "SCHEMA_VALIDATION_FAILED",
            "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
            "/States/P",
        )
    ]
    inner = {"StartAt": "I", "QueryLanguage": "JSONata", "States": {"I": {"Type": "Pass", "End": True}}}
    map_state = {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": inner, "End": True}}}
    assert _codes(map_state) == [
        ("SCHEMA_VALIDATION_FAILED", "Field 'QueryLanguage' is not supported", "/States/M/ItemProcessor")
    ]
    jsonata_inputpath = {
        "QueryLanguage": "JSONata",
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "InputPath": "$.a", "End": True}},
    }
    assert _codes(jsonata_inputpath)[0][1].startswith("The QueryLanguage is set to 'JSONata', but field 'InputPath'")


def test_bad_jsonata_expression():
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Output": "{% $states.input + %}", "End": True}},
    }
    assert _codes(definition) == [("INVALID_JSONATA_EXPRESSION", "Unexpected end of expression", "/States/P/Output")]


def test_top_level_jsonata_reference():
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "E",
        "States": {
            "E": {"Type": "Pass", "Output": {"v": "{% phone %}", "w": "{% $states.input.phone %}"}, "End": True}
        },
    }
    assert _codes(definition) == [
        (
            "UNSUPPORTED_JSONATA_EXPRESSION",
            "Reference to 'phone' at the top level is not supported.",
            "/States/E/Output/v",
        )
    ]


def test_retry_and_catch_rules():
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"], "BackoffRate": 0.5}],
                "Catch": [{"ErrorEquals": ["States.ALL", "Y"], "Next": "T"}],
                "End": True,
            }
        },
    }
    messages = [m for _, m, _ in _codes(definition)]
    assert "A Retry with 'States.ALL' must be the last one" in messages
    assert "The value of 'BackoffRate' must be a number greater than or equal to 1.0" in messages
    assert "'States.ALL' must appear alone in 'ErrorEquals'" in messages


def test_state_shape_errors():
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Next": "B", "End": True},
            "B": {"Type": "Task", "Resource": "lambda-name", "End": True},
            "C": {"Type": "Wait", "End": True},
            "D": {"Type": "Bogus"},
        },
    }
    codes = _codes(definition)
    assert ("SCHEMA_VALIDATION_FAILED", "Only one of 'Next' or 'End' can be specified", "/States/A") in codes
    assert ("INVALID_RESOURCE", "Value is not a valid resource ARN: lambda-name", "/States/B/Resource") in codes
    assert any(code == "SCHEMA_VALIDATION_FAILED" and loc == "/States/C" for code, _, loc in codes)
    assert any(loc == "/States/D/Type" for _, _, loc in codes)


def test_invalid_json_and_duplicates():
    assert _codes("{nope")[0][0] == "INVALID_JSON_DESCRIPTION"
    assert _codes("")[0][0] == "MISSING_DESCRIPTION"
    text = '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}, "A": {"Type": "Succeed"}}}'
    assert _codes(text)[0][0] == "DUPLICATE_STATE_NAME"


def test_warnings_do_not_fail():
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"x": "$.a"}, "End": True}}}
    result = validate(definition)
    assert result["result"] == "OK"
    assert result["diagnostics"][0]["code"] == "NO_DOLLAR" and result["diagnostics"][0]["severity"] == "WARNING"


def test_unknown_intrinsic_is_rejected():
    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Parameters": {"x.$": "States.Nope(1)"}, "End": True}},
    }
    assert _codes(definition)[0][2] == "/States/P/Parameters/x.$"


def test_invalid_definition_never_starts():
    with pytest.raises(InvalidDefinition) as caught:
        run_sync({"StartAt": "A", "States": {"A": {"Type": "Pass"}}}, {})
    assert caught.value.diagnostics[0]["location"] == "/States/A"
    assert str(caught.value).startswith("Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED")


def test_dynamic_key_needs_a_string():
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"a.$": ["$.x"]}, "End": True}}}
    assert _codes(definition) == [
        (
            "SCHEMA_VALIDATION_FAILED",
            "The value for the field 'a.$' must be a STRING that contains a JSONPath but was an ARRAY",
            "/States/P/Parameters/a.$",
        )
    ]


def test_variable_names():
    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Assign": {"ok_1": 1, "bad-name": 2, "states": 3}, "End": True}},
    }
    assert [loc for _, _, loc in _codes(definition)] == ["/States/P/Assign/bad-name", "/States/P/Assign/states"]


def test_retrier_ranges():
    retry = {"ErrorEquals": ["States.ALL"], "MaxAttempts": -1, "IntervalSeconds": 0, "MaxDelaySeconds": 31622401}
    branch = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    definition = {
        "StartAt": "T",
        "States": {"T": {"Type": "Parallel", "Branches": [branch], "Retry": [retry], "End": True}},
    }
    codes = _codes(definition)
    where = "/States/T/Retry[0]"
    assert [(m, loc) for _, m, loc in codes if loc and loc.startswith(where)] == [
        ("The value of 'MaxAttempts' must be an integer between 0 and 99999999", f"{where}/MaxAttempts"),
        ("The value of 'IntervalSeconds' must be an integer between 1 and 99999999", f"{where}/IntervalSeconds"),
        ("The value of 'MaxDelaySeconds' must be an integer between 1 and 31622400", f"{where}/MaxDelaySeconds"),
    ]
    retry |= {"MaxAttempts": 0, "IntervalSeconds": 1, "MaxDelaySeconds": 31622400}
    assert not [c for c in _codes(definition) if c[2] and c[2].startswith(where)]
