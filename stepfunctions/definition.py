"""Parse and validate a state machine definition as ValidateStateMachineDefinition does.

``validate(text_or_dict)`` returns ``{"result": "OK"|"FAIL", "diagnostics": [...], "truncated": False}``; each
diagnostic is ``{severity, code, message, location}`` with AWS's codes and JSON-pointer-like locations
(``/States/Foo/Next``). ``load`` returns the parsed definition or raises ``InvalidDefinition``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from stepfunctions import choice, intrinsics, jsonpath, query
from stepfunctions.errors import ALL

ERROR, WARNING = "ERROR", "WARNING"
SCHEMA = "SCHEMA_VALIDATION_FAILED"
JSONPATH, JSONATA = "JSONPath", "JSONata"
MAX_STATE_NAME = 80
MAX_NESTING = 50

COMMON = {"Type", "Comment", "QueryLanguage"}
FIELDS: dict[str, set[str]] = {
    "Pass": {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "Result", "Assign", "Output"},
    "Task": {
        "Next",
        "End",
        "Resource",
        "InputPath",
        "OutputPath",
        "ResultPath",
        "Parameters",
        "ResultSelector",
        "Retry",
        "Catch",
        "TimeoutSeconds",
        "TimeoutSecondsPath",
        "HeartbeatSeconds",
        "HeartbeatSecondsPath",
        "Credentials",
        "Assign",
        "Arguments",
        "Output",
    },
    "Choice": {"Choices", "Default", "InputPath", "OutputPath", "Assign", "Output"},
    "Wait": {
        "Next",
        "End",
        "Seconds",
        "Timestamp",
        "SecondsPath",
        "TimestampPath",
        "InputPath",
        "OutputPath",
        "Assign",
        "Output",
    },
    "Succeed": {"InputPath", "OutputPath", "Output"},
    "Fail": {"Error", "Cause", "ErrorPath", "CausePath"},
    "Parallel": {
        "Branches",
        "Next",
        "End",
        "InputPath",
        "OutputPath",
        "ResultPath",
        "Parameters",
        "ResultSelector",
        "Retry",
        "Catch",
        "Assign",
        "Arguments",
        "Output",
    },
    "Map": {
        "ItemProcessor",
        "Iterator",
        "ItemsPath",
        "Items",
        "ItemSelector",
        "Parameters",
        "ItemReader",
        "ItemBatcher",
        "ResultWriter",
        "MaxConcurrency",
        "MaxConcurrencyPath",
        "ToleratedFailurePercentage",
        "ToleratedFailurePercentagePath",
        "ToleratedFailureCount",
        "ToleratedFailureCountPath",
        "Label",
        "Next",
        "End",
        "InputPath",
        "OutputPath",
        "ResultPath",
        "ResultSelector",
        "Retry",
        "Catch",
        "Assign",
        "Output",
    },
}
JSONPATH_ONLY = {
    "Result",
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "ItemsPath",
    "SecondsPath",
    "TimestampPath",
    "ErrorPath",
    "CausePath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "MaxConcurrencyPath",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCountPath",
}
JSONATA_ONLY = {"Arguments", "Output", "Items"}
TOP_FIELDS = {"Comment", "StartAt", "States", "Version", "TimeoutSeconds", "QueryLanguage"}
RETRY_FIELDS = {
    "ErrorEquals",
    "IntervalSeconds",
    "MaxAttempts",
    "BackoffRate",
    "MaxDelaySeconds",
    "JitterStrategy",
    "Comment",
}
CATCH_FIELDS = {"ErrorEquals", "Next", "ResultPath", "Output", "Assign", "Comment"}
TERMINAL_TYPES = {"Succeed", "Fail"}


class InvalidDefinition(ValueError):
    """A definition that does not validate; ``diagnostics`` holds the ERROR diagnostics."""

    def __init__(self, diagnostics: list[dict[str, str]]) -> None:
        self.diagnostics = diagnostics
        parts = [f"{d['code']}: {d['message']} at {d.get('location', 'null')}" for d in diagnostics]
        super().__init__("Invalid State Machine Definition: '" + ", ".join(parts) + "'")


@dataclass
class _Checker:
    top_language: str = JSONPATH
    diagnostics: list[dict[str, str]] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    check_resource: Callable[[str], str | None] | None = None

    def add(self, code: str, message: str, location: str | None, severity: str = ERROR) -> None:
        d = {"severity": severity, "code": code, "message": message}
        if location is not None:
            d["location"] = location
        self.diagnostics.append(d)


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    duplicates = []
    for k, v in pairs:
        if k in out:
            duplicates.append(k)
        out[k] = v
    if duplicates:
        out["\x00duplicates"] = duplicates
    return out


def parse(definition: str | dict[str, Any]) -> tuple[dict[str, Any] | None, list[dict[str, str]]]:
    """The definition as a dict, or None with the diagnostics explaining why it cannot be read."""
    if isinstance(definition, dict):
        return definition, []
    if not definition or not definition.strip():
        return None, [{"severity": ERROR, "code": "MISSING_DESCRIPTION", "message": "The definition is empty"}]
    try:
        value = json.loads(definition, object_pairs_hook=_object_pairs)
    except ValueError as err:
        return None, [{"severity": ERROR, "code": "INVALID_JSON_DESCRIPTION", "message": str(err)}]
    if not isinstance(value, dict):
        return None, [
            {"severity": ERROR, "code": "INVALID_JSON_DESCRIPTION", "message": "The definition must be a JSON object"}
        ]
    return value, []


def validate(
    definition: str | dict[str, Any], *, check_resource: Callable[[str], str | None] | None = None
) -> dict[str, Any]:
    """ValidateStateMachineDefinition's response for ``definition``.

    ``check_resource(arn)`` may return why a Task resource is not supported (an INVALID_RESOURCE diagnostic).
    """
    parsed, diagnostics = parse(definition)
    if parsed is not None:
        diagnostics = _diagnose(parsed, check_resource)
        _strip_markers(parsed)
    result = "FAIL" if any(d["severity"] == ERROR for d in diagnostics) else "OK"
    return {"result": result, "diagnostics": diagnostics, "truncated": False}


def load(
    definition: str | dict[str, Any], *, check_resource: Callable[[str], str | None] | None = None
) -> dict[str, Any]:
    """The parsed definition; raises InvalidDefinition when it has ERROR diagnostics."""
    parsed, diagnostics = parse(definition)
    if parsed is not None:
        diagnostics = _diagnose(parsed, check_resource)
        _strip_markers(parsed)
    errors = [d for d in diagnostics if d["severity"] == ERROR]
    if errors or parsed is None:
        raise InvalidDefinition(errors)
    return parsed


def _strip_markers(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("\x00duplicates", None)
        for v in node.values():
            _strip_markers(v)
    elif isinstance(node, list):
        for v in node:
            _strip_markers(v)


def _diagnose(definition: dict[str, Any], check_resource: Callable[[str], str | None] | None) -> list[dict[str, str]]:
    lang = definition.get("QueryLanguage", JSONPATH)
    checker = _Checker(top_language=JSONATA if lang == JSONATA else JSONPATH, check_resource=check_resource)
    if "QueryLanguage" in definition and lang not in (JSONPATH, JSONATA):
        checker.add(SCHEMA, f"The QueryLanguage must be one of [JSONPath, JSONata], got {lang!r}", "/QueryLanguage")
    for key in definition:
        if key not in TOP_FIELDS and not key.startswith("\x00"):
            checker.add(SCHEMA, f"Field '{key}' is not supported", "")
    timeout = definition.get("TimeoutSeconds")
    if "TimeoutSeconds" in definition and not _positive_int(timeout):
        checker.add(SCHEMA, "The value of 'TimeoutSeconds' must be a positive integer", "/TimeoutSeconds")
    _container(checker, definition, "", 0)
    return checker.diagnostics


_RETRY_RANGES = (("MaxAttempts", 0, 99999999), ("IntervalSeconds", 1, 99999999), ("MaxDelaySeconds", 1, 31622400))
"""The integer members of a Retrier and their ranges, as ValidateStateMachineDefinition checks them."""


def _positive_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _non_negative_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _container(c: _Checker, node: dict[str, Any], where: str, depth: int) -> None:
    """Check a StartAt/States object (the definition, a branch or an ItemProcessor)."""
    if depth > MAX_NESTING:
        c.add("TOO_DEEPLY_NESTED", "The states are too deeply nested", where or "/")
        return
    missing = [k for k in ("StartAt", "States") if k not in node]
    if missing:
        c.add(SCHEMA, f"These fields are required: [{', '.join(missing)}]", where or "/")
        return
    states = node["States"]
    if not isinstance(states, dict) or not states:
        c.add(SCHEMA, "The field 'States' must be a non-empty object", f"{where}/States")
        return
    for dup in states.get("\x00duplicates", []):
        c.add("DUPLICATE_STATE_NAME", f"Duplicate State name: {dup}", f"{where}/States/{dup}")
    names = [n for n in states if not n.startswith("\x00")]
    for name in names:
        loc = f"{where}/States/{name}"
        if len(name) > MAX_STATE_NAME or not name:
            c.add("INVALID_STATE_NAME", f"State name '{name}' must be 1 to {MAX_STATE_NAME} characters", loc)
        if name in c.names:
            c.add("DUPLICATE_STATE_NAME", f"Duplicate State name: {name}", loc)
        c.names[name] = loc
        state = states[name]
        if not isinstance(state, dict):
            c.add(SCHEMA, "A state must be a JSON object", loc)
            continue
        _state(c, name, state, loc, depth)
    _graph(c, node, states, names, where)


def _transitions(state: dict[str, Any], loc: str) -> Iterator[tuple[str, str]]:
    if isinstance(state.get("Next"), str):
        yield state["Next"], f"{loc}/Next"
    if isinstance(state.get("Default"), str):
        yield state["Default"], f"{loc}/Default"
    for key in ("Choices", "Catch"):
        for i, rule in enumerate(state.get(key) or []):
            if isinstance(rule, dict) and isinstance(rule.get("Next"), str):
                yield rule["Next"], f"{loc}/{key}[{i}]/Next"


def _graph(c: _Checker, node: dict[str, Any], states: dict[str, Any], names: list[str], where: str) -> None:
    start = node["StartAt"]
    if start not in states:
        c.add("MISSING_TRANSITION_TARGET", f"Missing 'Next' target: {start}", f"{where}/StartAt")
    for name in names:
        if isinstance(states[name], dict):
            for target, loc in _transitions(states[name], f"{where}/States/{name}"):
                if target not in states:
                    c.add("MISSING_TRANSITION_TARGET", f"Missing 'Next' target: {target}", loc)
    terminal = [
        n
        for n in names
        if isinstance(states[n], dict) and (states[n].get("Type") in TERMINAL_TYPES or states[n].get("End") is True)
    ]
    if not terminal:
        c.add("MISSING_END_STATE", "Workflow has no terminal state", None)
        return
    seen, todo = set(), [start] if start in states else []
    while todo:
        name = todo.pop()
        if name in seen or name not in states:
            continue
        seen.add(name)
        if isinstance(states[name], dict):
            todo.extend(t for t, _ in _transitions(states[name], ""))
    for name in names:
        if name not in seen:
            c.add("MISSING_TRANSITION_TARGET", f'State "{name}" is not reachable.', f"{where}/States/{name}")


def _state(c: _Checker, name: str, state: dict[str, Any], loc: str, depth: int) -> None:
    kind = state.get("Type")
    if kind not in FIELDS:
        if "Type" not in state:
            c.add(SCHEMA, "These fields are required: [Type]", loc)
        else:
            c.add(SCHEMA, f"The field 'Type' must be one of {sorted(FIELDS)}, got {kind!r}", f"{loc}/Type")
        return
    declared = state.get("QueryLanguage")
    if declared is not None and declared not in (JSONPATH, JSONATA):
        c.add(SCHEMA, f"The QueryLanguage must be one of [JSONPath, JSONata], got {declared!r}", f"{loc}/QueryLanguage")
    if declared == JSONPATH and c.top_language == JSONATA:
        c.add(SCHEMA, "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine", loc)
    lang = JSONATA if (declared or c.top_language) == JSONATA else JSONPATH
    allowed = COMMON | FIELDS[kind]
    for key in state:
        if key.startswith("\x00"):
            continue
        if key not in allowed:
            c.add(SCHEMA, f"Field '{key}' is not supported", loc)
        elif lang == JSONPATH and key in JSONATA_ONLY:
            c.add(
                SCHEMA,
                f"The QueryLanguage is set to 'JSONPath', but field '{key}' is only supported for the 'JSONata' "
                "QueryLanguage",
                loc,
            )
        elif lang == JSONATA and key in JSONPATH_ONLY:
            c.add(
                SCHEMA,
                f"The QueryLanguage is set to 'JSONata', but field '{key}' is only supported for the 'JSONPath' "
                "QueryLanguage",
                loc,
            )
    if kind not in ("Choice", "Succeed", "Fail"):
        has_next, has_end = "Next" in state, "End" in state
        if has_next and has_end:
            c.add(SCHEMA, "Only one of 'Next' or 'End' can be specified", loc)
        elif not has_next and not has_end:
            c.add(SCHEMA, "One of 'Next' or 'End' is required", loc)
        elif has_end and state["End"] is not True:
            c.add(SCHEMA, "The value of 'End' must be true", f"{loc}/End")
        elif has_next and not isinstance(state["Next"], str):
            c.add(SCHEMA, "The value of 'Next' must be a string", f"{loc}/Next")
    if lang == JSONPATH:
        _jsonpath_fields(c, state, loc)
    else:
        _jsonata_fields(c, state, loc)
    _assign_names(c, state, loc)
    _CHECKS[kind](c, state, loc, lang, depth)


def _assign_names(c: _Checker, state: dict[str, Any], loc: str) -> None:
    """Variable names: identifiers, never the reserved ``states``."""
    targets = [(state.get("Assign"), f"{loc}/Assign")]
    for key in ("Choices", "Catch"):
        for i, rule in enumerate(state.get(key) or []):
            if isinstance(rule, dict):
                targets.append((rule.get("Assign"), f"{loc}/{key}[{i}]/Assign"))
    for assign, where in targets:
        if assign is None:
            continue
        if not isinstance(assign, dict):
            c.add(SCHEMA, "The value of 'Assign' must be a JSON object", where)
            continue
        for key in assign:
            name = key[:-2] if key.endswith(".$") else key
            if key.startswith("\x00"):
                continue
            if not name.isidentifier() or name == "states" or len(name) > MAX_STATE_NAME:
                c.add(SCHEMA, f"The variable name '{name}' is not valid", f"{where}/{key}")


# ---- field checks -----------------------------------------------------------------------------------------


def _path_ok(value: Any, *, reference: bool = False) -> bool:
    if not isinstance(value, str):
        return False
    text = value
    if text.startswith("$$"):
        text = "$" + text[2:]
    else:
        m = re.match(r"\$[A-Za-z_][A-Za-z0-9_]*", text)
        if m and not reference:
            text = "$" + text[m.end() :]
    try:
        parsed = jsonpath.parse(text)
    except jsonpath.PathError:
        return False
    return parsed.is_reference if reference else True


def _jsonpath_fields(c: _Checker, state: dict[str, Any], loc: str) -> None:
    for key in ("InputPath", "OutputPath"):
        if key in state and state[key] is not None and not _path_ok(state[key]):
            c.add(SCHEMA, f"The value for the field '{key}' must be a valid JSONPath", f"{loc}/{key}")
    if "ResultPath" in state and state["ResultPath"] is not None and not _path_ok(state["ResultPath"], reference=True):
        c.add(SCHEMA, "The value for the field 'ResultPath' must be a valid ReferencePath", f"{loc}/ResultPath")
    for key in (
        "ItemsPath",
        "SecondsPath",
        "TimestampPath",
        "TimeoutSecondsPath",
        "HeartbeatSecondsPath",
        "MaxConcurrencyPath",
        "ToleratedFailurePercentagePath",
        "ToleratedFailureCountPath",
    ):
        if key in state and not _path_ok(state[key], reference=True):
            c.add(SCHEMA, f"The value for the field '{key}' must be a valid ReferencePath", f"{loc}/{key}")
    for key in ("ErrorPath", "CausePath"):
        if key in state and not (_path_ok(state[key]) or _intrinsic_ok(state[key])):
            c.add(SCHEMA, f"The value for the field '{key}' must be a valid JSONPath or intrinsic", f"{loc}/{key}")
    for key in ("Parameters", "ResultSelector", "ItemSelector", "Assign"):
        if key in state:
            _template(c, state[key], f"{loc}/{key}", static_pass=False)
    if state.get("Type") == "Pass" and "Result" in state:
        _template(c, state["Result"], f"{loc}/Result", static_pass=True)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "BOOLEAN"
    if value is None:
        return "NULL"
    if isinstance(value, dict):
        return "OBJECT"
    if isinstance(value, list):
        return "ARRAY"
    return "STRING" if isinstance(value, str) else "NUMBER"


def _intrinsic_ok(value: Any) -> bool:
    if not isinstance(value, str) or not intrinsics.is_intrinsic(value):
        return False
    try:
        intrinsics.parse(value)
    except Exception:  # any parse failure makes the field invalid
        return False
    return True


def _template(c: _Checker, node: Any, loc: str, *, static_pass: bool) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key.startswith("\x00"):
                continue
            if key.endswith(".$"):
                if static_pass:
                    c.add(
                        "PASS_RESULT_IS_STATIC",
                        "The Result of a Pass state is static: the '.$' suffix is not evaluated",
                        f"{loc}/{key}",
                        WARNING,
                    )
                elif not isinstance(value, str):
                    c.add(
                        SCHEMA,
                        f"The value for the field '{key}' must be a STRING that contains a JSONPath but was an "
                        f"{_json_type(value)}",
                        f"{loc}/{key}",
                    )
                elif not (_path_ok(value) or _intrinsic_ok(value)):
                    c.add(
                        SCHEMA,
                        f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic function call",
                        f"{loc}/{key}",
                    )
            else:
                if isinstance(value, str) and not static_pass and (value.startswith("$.") or _intrinsic_ok(value)):
                    c.add(
                        "NO_DOLLAR",
                        f"The value of the field '{key}' looks like a JSONPath or intrinsic but '{key}' does not "
                        "end with '.$'",
                        f"{loc}/{key}",
                        WARNING,
                    )
                _template(c, value, f"{loc}/{key}", static_pass=static_pass)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _template(c, value, f"{loc}[{i}]", static_pass=static_pass)


def _jsonata_fields(c: _Checker, state: dict[str, Any], loc: str) -> None:
    def walk(node: Any, where: str) -> None:
        if query.is_expression(node):
            problem = query.syntax_error(node)
            name = None if problem else query.top_level_reference(node)
            if problem:
                c.add("INVALID_JSONATA_EXPRESSION", problem, where)
            elif name is not None:
                c.add(
                    "UNSUPPORTED_JSONATA_EXPRESSION", f"Reference to '{name}' at the top level is not supported.", where
                )
        elif isinstance(node, dict):
            for k, v in node.items():
                if not k.startswith("\x00"):
                    walk(v, f"{where}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]")

    for key in (
        "Arguments",
        "Output",
        "Assign",
        "Items",
        "ItemSelector",
        "Seconds",
        "Timestamp",
        "Error",
        "Cause",
        "TimeoutSeconds",
        "HeartbeatSeconds",
        "MaxConcurrency",
        "ToleratedFailureCount",
        "ToleratedFailurePercentage",
    ):
        if key in state:
            walk(state[key], f"{loc}/{key}")
    for i, rule in enumerate(state.get("Choices") or []):
        if isinstance(rule, dict):
            walk(rule, f"{loc}/Choices[{i}]")
    for i, catcher in enumerate(state.get("Catch") or []):
        if isinstance(catcher, dict):
            walk(catcher, f"{loc}/Catch[{i}]")


def _error_handling(c: _Checker, state: dict[str, Any], loc: str, lang: str) -> None:
    for key, allowed in (("Retry", RETRY_FIELDS), ("Catch", CATCH_FIELDS)):
        rules = state.get(key)
        if rules is None:
            continue
        if not isinstance(rules, list):
            c.add(SCHEMA, f"The value of '{key}' must be an array", f"{loc}/{key}")
            continue
        for i, rule in enumerate(rules):
            where = f"{loc}/{key}[{i}]"
            if not isinstance(rule, dict):
                c.add(SCHEMA, "A retrier or catcher must be a JSON object", where)
                continue
            for field_name in rule:
                if field_name not in allowed and not field_name.startswith("\x00"):
                    c.add(SCHEMA, f"Field '{field_name}' is not supported", where)
            names = rule.get("ErrorEquals")
            if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
                c.add(SCHEMA, "These fields are required: [ErrorEquals]", where)
                continue
            if ALL in names and len(names) > 1:
                c.add(SCHEMA, f"'{ALL}' must appear alone in 'ErrorEquals'", f"{where}/ErrorEquals")
            if ALL in names and i != len(rules) - 1:
                c.add(SCHEMA, f"A {key} with '{ALL}' must be the last one", f"{where}/ErrorEquals")
            if key == "Catch":
                if not isinstance(rule.get("Next"), str):
                    c.add(SCHEMA, "These fields are required: [Next]", where)
                if lang == JSONPATH and "Output" in rule:
                    c.add(
                        SCHEMA,
                        "The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported "
                        "for the 'JSONata' QueryLanguage",
                        where,
                    )
                if lang == JSONATA and "ResultPath" in rule:
                    c.add(
                        SCHEMA,
                        "The QueryLanguage is set to 'JSONata', but field 'ResultPath' is only "
                        "supported for the 'JSONPath' QueryLanguage",
                        where,
                    )
                if (
                    "ResultPath" in rule
                    and rule["ResultPath"] is not None
                    and not _path_ok(rule["ResultPath"], reference=True)
                ):
                    c.add(
                        SCHEMA,
                        "The value for the field 'ResultPath' must be a valid ReferencePath",
                        f"{where}/ResultPath",
                    )
                continue
            for name, low, high in _RETRY_RANGES:
                value = rule.get(name)
                if name in rule and not (_non_negative_int(value) and low <= value <= high):
                    c.add(
                        SCHEMA,
                        f"The value of '{name}' must be an integer between {low} and {high}",
                        f"{where}/{name}",
                    )
            rate = rule.get("BackoffRate", 2.0)
            if isinstance(rate, bool) or not isinstance(rate, int | float) or rate < 1.0:
                c.add(
                    SCHEMA,
                    "The value of 'BackoffRate' must be a number greater than or equal to 1.0",
                    f"{where}/BackoffRate",
                )
            if "JitterStrategy" in rule and rule["JitterStrategy"] not in ("FULL", "NONE"):
                c.add(SCHEMA, "The value of 'JitterStrategy' must be one of [FULL, NONE]", f"{where}/JitterStrategy")


def _no_check(c: _Checker, state: dict[str, Any], loc: str, lang: str, depth: int) -> None:
    return None


def _check_task(c: _Checker, state: dict[str, Any], loc: str, lang: str, depth: int) -> None:
    resource = state.get("Resource")
    if not isinstance(resource, str):
        c.add(SCHEMA, "These fields are required: [Resource]", loc)
    elif not re.fullmatch(r"arn:[\w-]+:[\w-]+:[\w-]*:\d*:.+", resource):
        c.add("INVALID_RESOURCE", f"Value is not a valid resource ARN: {resource}", f"{loc}/Resource")
    elif c.check_resource is not None and (problem := c.check_resource(resource)):
        c.add("INVALID_RESOURCE", problem, f"{loc}/Resource")
    for key in ("TimeoutSeconds", "HeartbeatSeconds"):
        value = state.get(key)
        if key in state and not query.is_expression(value) and not (_positive_int(value) and value <= 99999999):
            c.add(SCHEMA, f"The value of '{key}' must be an integer between 1 and 99999999", f"{loc}/{key}")
        if key in state and key + "Path" in state:
            c.add(SCHEMA, f"Only one of '{key}' or '{key}Path' can be specified", loc)
    timeout, heartbeat = state.get("TimeoutSeconds"), state.get("HeartbeatSeconds")
    if _positive_int(timeout) and _positive_int(heartbeat) and heartbeat >= timeout:
        c.add(
            SCHEMA, "The value of 'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'", f"{loc}/HeartbeatSeconds"
        )
    _error_handling(c, state, loc, lang)


def _check_wait(c: _Checker, state: dict[str, Any], loc: str, lang: str, depth: int) -> None:
    given = [k for k in ("Seconds", "Timestamp", "SecondsPath", "TimestampPath") if k in state]
    if len(given) != 1:
        c.add(SCHEMA, "Exactly one of 'Seconds', 'Timestamp', 'SecondsPath' or 'TimestampPath' is required", loc)
        return
    value = state[given[0]]
    if query.is_expression(value) and lang == JSONATA:
        return
    if given[0] == "Seconds" and not (_non_negative_int(value) and value <= 99999999):
        c.add(SCHEMA, "The value of 'Seconds' must be an integer between 0 and 99999999", f"{loc}/Seconds")
    if given[0] == "Timestamp" and choice.parse_timestamp(value) is None:
        c.add(SCHEMA, "The value of 'Timestamp' must be an ISO 8601 timestamp", f"{loc}/Timestamp")


def _check_fail(c: _Checker, state: dict[str, Any], loc: str, lang: str, depth: int) -> None:
    for key in ("Error", "Cause"):
        if key in state and key + "Path" in state:
            c.add(SCHEMA, f"Only one of '{key}' or '{key}Path' can be specified", loc)
        if key in state and not isinstance(state[key], str):
            c.add(SCHEMA, f"The value of '{key}' must be a string", f"{loc}/{key}")


def _check_choice(c: _Checker, state: dict[str, Any], loc: str, lang: str, depth: int) -> None:
    rules = state.get("Choices")
    if not isinstance(rules, list) or not rules:
        c.add(SCHEMA, "These fields are required: [Choices]", loc)
        return
    for i, rule in enumerate(rules):
        where = f"{loc}/Choices[{i}]"
        if not isinstance(rule, dict):
            c.add(SCHEMA, "A choice rule must be a JSON object", where)
            continue
        if not isinstance(rule.get("Next"), str):
            c.add(SCHEMA, "These fields are required: [Next]", where)
        if lang == JSONATA:
            extra = [k for k in rule if k not in ("Condition", "Next", "Comment", "Assign", "Output")]
            for key in extra:
                c.add(SCHEMA, f"Field '{key}' is not supported", where)
            if "Condition" not in rule:
                c.add(SCHEMA, "These fields are required: [Condition]", where)
        else:
            if "Output" in rule or "Condition" in rule:
                key = "Output" if "Output" in rule else "Condition"
                c.add(
                    SCHEMA,
                    f"The QueryLanguage is set to 'JSONPath', but field '{key}' is only supported for "
                    "the 'JSONata' QueryLanguage",
                    where,
                )
            _choice_rule(c, rule, where, top=True)


def _choice_rule(c: _Checker, rule: dict[str, Any], where: str, *, top: bool) -> None:
    ops = choice.operator_of(rule)
    allowed = {"Variable", "Comment"} | ({"Next", "Assign"} if top else set()) | set(ops)
    for key in rule:
        if key not in allowed and not key.startswith("\x00"):
            c.add(SCHEMA, f"Field '{key}' is not supported", where)
    if len(ops) != 1:
        c.add(SCHEMA, "A choice rule must have exactly one comparison operator or combinator", where)
        return
    op = ops[0]
    if op in choice.COMBINATORS:
        subs = [rule[op]] if op == "Not" else rule[op]
        well_formed = isinstance(rule[op], dict) if op == "Not" else isinstance(subs, list) and bool(subs)
        if not well_formed:
            c.add(
                SCHEMA,
                f"The value of '{op}' must be {'a rule' if op == 'Not' else 'a non-empty array of rules'}",
                f"{where}/{op}",
            )
            return
        for j, sub in enumerate(subs):
            sub_where = f"{where}/{op}" if op == "Not" else f"{where}/{op}[{j}]"
            if isinstance(sub, dict):
                _choice_rule(c, sub, sub_where, top=False)
            else:
                c.add(SCHEMA, "A choice rule must be a JSON object", sub_where)
        return
    if not _path_ok(rule.get("Variable")):
        c.add(
            SCHEMA,
            "These fields are required: [Variable]"
            if "Variable" not in rule
            else "The value for the field 'Variable' must be a valid JSONPath",
            where,
        )
    value = rule[op]
    if op.endswith("Path"):
        ok = _path_ok(value)
    elif op in choice.TYPE_TESTS or op == "BooleanEquals":
        ok = isinstance(value, bool)
    elif op.startswith("Numeric"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif op.startswith("Timestamp"):
        ok = choice.parse_timestamp(value) is not None
    else:
        ok = isinstance(value, str)
    if not ok:
        c.add(SCHEMA, f"The value of '{op}' has the wrong type", f"{where}/{op}")


def _check_parallel(c: _Checker, state: dict[str, Any], loc: str, lang: str, depth: int) -> None:
    branches = state.get("Branches")
    if not isinstance(branches, list) or not branches:
        c.add(SCHEMA, "These fields are required: [Branches]", loc)
    else:
        for i, branch in enumerate(branches):
            if isinstance(branch, dict):
                _processor_language(c, branch, f"{loc}/Branches[{i}]")
                _container(c, branch, f"{loc}/Branches[{i}]", depth + 1)
            else:
                c.add(SCHEMA, "A branch must be a JSON object", f"{loc}/Branches[{i}]")
    _error_handling(c, state, loc, lang)


def _processor_language(c: _Checker, node: dict[str, Any], where: str) -> None:
    for key in node:
        if key not in ("StartAt", "States", "Comment", "ProcessorConfig") and not key.startswith("\x00"):
            c.add(SCHEMA, f"Field '{key}' is not supported", where)


def _check_map(c: _Checker, state: dict[str, Any], loc: str, lang: str, depth: int) -> None:
    key = "ItemProcessor" if "ItemProcessor" in state else "Iterator"
    if "ItemProcessor" in state and "Iterator" in state:
        c.add(SCHEMA, "Only one of 'ItemProcessor' or 'Iterator' can be specified", loc)
    processor = state.get(key)
    if not isinstance(processor, dict):
        c.add(SCHEMA, "These fields are required: [ItemProcessor]", loc)
    else:
        _processor_language(c, processor, f"{loc}/{key}")
        config = processor.get("ProcessorConfig", {})
        mode = config.get("Mode", "INLINE") if isinstance(config, dict) else None
        if mode not in ("INLINE", "DISTRIBUTED"):
            c.add(SCHEMA, "The value of 'Mode' must be one of [INLINE, DISTRIBUTED]", f"{loc}/{key}/ProcessorConfig")
        if mode == "INLINE":
            for field_name in ("ItemReader", "ItemBatcher", "ResultWriter", "Label"):
                if field_name in state:
                    c.add(SCHEMA, f"Field '{field_name}' is only supported in DISTRIBUTED mode", loc)
        execution_type = config.get("ExecutionType", "STANDARD") if isinstance(config, dict) else None
        if mode == "DISTRIBUTED" and execution_type not in ("STANDARD", "EXPRESS"):
            c.add(
                SCHEMA,
                "The value of 'ExecutionType' must be one of [STANDARD, EXPRESS]",
                f"{loc}/{key}/ProcessorConfig",
            )
        _container(c, processor, f"{loc}/{key}", depth + 1)
    if "ItemSelector" in state and "Parameters" in state:
        c.add(SCHEMA, "Only one of 'ItemSelector' or 'Parameters' can be specified", loc)
    for field_name in ("MaxConcurrency", "ToleratedFailureCount"):
        value = state.get(field_name)
        if (
            field_name in state
            and not (lang == JSONATA and query.is_expression(value))
            and not _non_negative_int(value)
        ):
            c.add(SCHEMA, f"The value of '{field_name}' must be a non-negative integer", f"{loc}/{field_name}")
        if field_name in state and field_name + "Path" in state:
            c.add(SCHEMA, f"Only one of '{field_name}' or '{field_name}Path' can be specified", loc)
    percentage = state.get("ToleratedFailurePercentage")
    checked = "ToleratedFailurePercentage" in state and not (lang == JSONATA and query.is_expression(percentage))
    if checked and (
        isinstance(percentage, bool) or not isinstance(percentage, int | float) or not 0 <= percentage <= 100
    ):
        c.add(
            SCHEMA,
            "The value of 'ToleratedFailurePercentage' must be a number between 0 and 100",
            f"{loc}/ToleratedFailurePercentage",
        )
    _error_handling(c, state, loc, lang)


_CHECKS: dict[str, Callable[[_Checker, dict[str, Any], str, str, int], None]] = {
    "Pass": _no_check,
    "Task": _check_task,
    "Choice": _check_choice,
    "Wait": _check_wait,
    "Succeed": _no_check,
    "Fail": _check_fail,
    "Parallel": _check_parallel,
    "Map": _check_map,
}
