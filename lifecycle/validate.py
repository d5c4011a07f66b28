"""Validation of a lifecycle configuration as ``PutBucketLifecycleConfiguration`` does it.

Each fault carries the code S3 answers (``MalformedXML``, ``InvalidArgument`` or
``InvalidRequest``), S3's message where it is known, the rule's ID (or ``Rules[i]``) and the
field path. The storage-class waterfall below is the User Guide's "Supported transitions".
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from datetime import datetime
from itertools import pairwise
from typing import Any

from pydantic import BaseModel

from lifecycle.config import (
    ALL_128K,
    VARIES_BY_CLASS,
    LifecycleConfiguration,
    LifecycleError,
    Rule,
    RuleFilter,
    load_config,
)
from sluice.errors import InvalidInputException

MAX_RULES = 1000
MAX_ID_LENGTH = 255
#: Largest object size a filter may name: 1,000 TiB.
MAX_FILTER_SIZE = 1_099_511_627_776_000
#: Storage classes a transition may target (the ``TransitionStorageClass`` enumeration).
TRANSITION_CLASSES = ("STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE")
#: Classes with a 30-day minimum: reached 30 days after creation at the earliest, and left no sooner than 30 days later.
IA_CLASSES = frozenset({"STANDARD_IA", "ONEZONE_IA"})
#: The classes S3 Lifecycle may move an object of a given class to (the waterfall).
WATERFALL: dict[str, frozenset[str]] = {
    "STANDARD": frozenset(TRANSITION_CLASSES),
    "REDUCED_REDUNDANCY": frozenset({"GLACIER", "DEEP_ARCHIVE"}),
    "STANDARD_IA": frozenset({"INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"}),
    "INTELLIGENT_TIERING": frozenset({"ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"}),
    "ONEZONE_IA": frozenset({"GLACIER", "DEEP_ARCHIVE"}),
    "GLACIER_IR": frozenset({"GLACIER", "DEEP_ARCHIVE"}),
    "GLACIER": frozenset({"DEEP_ARCHIVE"}),
    "DEEP_ARCHIVE": frozenset(),
}
_ACTION_TYPES = (
    ("Expiration", lambda r: r.expiration is not None),
    ("Transition", lambda r: bool(r.transitions)),
    ("NoncurrentVersionTransition", lambda r: bool(r.noncurrent_transitions)),
    ("NoncurrentVersionExpiration", lambda r: r.noncurrent_expiration is not None),
    ("AbortIncompleteMultipartUpload", lambda r: r.abort is not None),
)


class LifecycleValidationError(InvalidInputException):
    """The configuration is one S3 would refuse; ``errors`` lists every fault."""

    def __init__(self, errors: list[LifecycleError], source: str) -> None:
        self.errors = errors
        lines = "\n".join(f"  - {error}" for error in errors)
        super().__init__(f"invalid lifecycle configuration {source} ({len(errors)} error(s)):\n{lines}")


def validate(
    config: LifecycleConfiguration | Mapping[str, Any] | str | os.PathLike[str],
) -> list[LifecycleError]:
    """Every fault S3 would find in ``config`` (a parsed configuration, a dict or a JSON path)."""
    parsed = load_config(config)
    found = list(_document_errors(parsed))
    for rule in parsed.rules:
        found.extend(_rule_errors(rule))
    faulty = [problem.path for problem in parsed.problems]
    return list(parsed.problems) + [error for error in found if not any(_explained(error.path, p) for p in faulty)]


def ensure_valid(
    config: LifecycleConfiguration | Mapping[str, Any] | str | os.PathLike[str],
) -> LifecycleConfiguration:
    """Return the parsed configuration, or raise LifecycleValidationError listing every fault."""
    parsed = load_config(config)
    errors = validate(parsed)
    if errors:
        raise LifecycleValidationError(errors, parsed.source)
    return parsed


def _document_errors(config: LifecycleConfiguration) -> Iterator[LifecycleError]:
    mode = config.transition_default_minimum_object_size
    if mode not in (ALL_128K, VARIES_BY_CLASS):
        yield LifecycleError(
            "InvalidRequest",
            f"Invalid TransitionDefaultMinimumObjectSize found: {mode}",
            "",
            "TransitionDefaultMinimumObjectSize",
        )
    rules = config.rules
    if not rules:
        yield LifecycleError("InvalidRequest", "At least one lifecycle rule must be specified.", "", "Rules")
    if len(rules) > MAX_RULES:
        yield LifecycleError(
            "InvalidRequest",
            f"The number of lifecycle rules must not exceed the allowed limit of {MAX_RULES} rules.",
            "",
            "Rules",
        )
    seen: set[str] = set()
    for rule in rules:
        if rule.id and rule.id in seen:
            yield _error(rule, "InvalidArgument", "ID", "Rule ID must be unique. Found same ID for more than one rule")
        if rule.id:
            seen.add(rule.id)
    yield from _version_errors(rules)


def _version_errors(rules: tuple[Rule, ...]) -> Iterator[LifecycleError]:
    """Lifecycle V1 (rule-level Prefix) and V2 (Filter) rules cannot share a configuration."""
    shaped = [rule for rule in rules if (rule.filter is None) != (rule.legacy_prefix is None)]
    if not shaped:
        return
    v1 = shaped[0].filter is None
    for rule in shaped[1:]:
        if v1 and rule.filter is not None:
            yield _error(rule, "InvalidRequest", "Filter", "Filter element can only be used in Lifecycle V2.")
        elif not v1 and rule.legacy_prefix is not None:
            yield _error(
                rule,
                "InvalidRequest",
                "Prefix",
                "Base level prefix cannot be used in Lifecycle V2, prefixes are only supported in the Filter.",
            )
    if not v1:
        return
    legacy = [rule for rule in shaped if rule.legacy_prefix is not None]
    for action, has_action in _ACTION_TYPES:
        holders = [rule for rule in legacy if has_action(rule)]
        for i, first in enumerate(holders):
            for second in holders[i + 1 :]:
                a, b = first.prefix, second.prefix
                if a.startswith(b) or b.startswith(a):
                    yield _error(
                        second,
                        "InvalidRequest",
                        "Prefix",
                        f"Found overlapping prefixes '{a}' and '{b}' for same action type '{action}'",
                    )


def _rule_errors(rule: Rule) -> Iterator[LifecycleError]:
    if rule.status not in ("Enabled", "Disabled"):
        yield _error(rule, "MalformedXML", "Status", f"Status must be 'Enabled' or 'Disabled', not {rule.status!r}")
    if rule.id is not None and len(rule.id) > MAX_ID_LENGTH:
        yield _error(rule, "InvalidArgument", "ID", f"ID length should not exceed allowed limit of {MAX_ID_LENGTH}")
    if rule.filter is None and rule.legacy_prefix is None:
        yield _error(rule, "MalformedXML", "Filter", "a rule needs a Filter (or the deprecated rule-level Prefix)")
    if rule.filter is not None and rule.legacy_prefix is not None:
        yield _error(rule, "MalformedXML", "Prefix", "a rule cannot have both a Filter and a rule-level Prefix")
    yield from _filter_errors(rule)
    if not (
        rule.transitions or rule.expiration or rule.noncurrent_transitions or rule.noncurrent_expiration or rule.abort
    ):
        yield LifecycleError(
            "InvalidRequest", "At least one action needs to be specified in a rule", rule.label, f"Rules[{rule.index}]"
        )
    yield from _transition_errors(rule)
    yield from _expiration_errors(rule)
    yield from _noncurrent_errors(rule)
    yield from _abort_errors(rule)


def _filter_errors(rule: Rule) -> Iterator[LifecycleError]:
    rule_filter = rule.filter
    if rule_filter is None:
        return
    yield from _predicate_errors(rule, rule_filter)
    where = "Filter.And" if rule_filter.in_and else "Filter"
    keys = [tag.key for tag in rule_filter.tags]
    if len(keys) != len(set(keys)):
        yield _error(rule, "InvalidRequest", f"{where}.Tags", "Duplicate Tag Keys are not allowed.")
    low, high = rule_filter.size_greater_than, rule_filter.size_less_than
    if low is not None and not 0 <= low <= MAX_FILTER_SIZE:
        yield _error(
            rule,
            "InvalidRequest",
            f"{where}.ObjectSizeGreaterThan",
            f"'ObjectSizeGreaterThan' should be between 0 and {MAX_FILTER_SIZE}.",
        )
    if high is not None and not 1 <= high <= MAX_FILTER_SIZE:
        yield _error(
            rule,
            "InvalidRequest",
            f"{where}.ObjectSizeLessThan",
            f"'ObjectSizeLessThan' should be between 1 and {MAX_FILTER_SIZE}.",
        )
    if low is not None and high is not None and high <= low:
        yield _error(
            rule,
            "InvalidRequest",
            f"{where}.ObjectSizeLessThan",
            "'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan'.",
        )


def _predicate_errors(rule: Rule, rule_filter: RuleFilter) -> Iterator[LifecycleError]:
    """A Filter holds one predicate or an And of two or more; every tag names a Key."""
    given = _members(rule_filter)
    if len(given) > 1:
        yield _error(
            rule,
            "MalformedXML",
            "Filter",
            f"a Filter holds exactly one of Prefix, Tag, ObjectSizeGreaterThan, "
            f"ObjectSizeLessThan or And; found {', '.join(given)} (wrap several in And)",
        )
    both = rule_filter.and_
    if both is not None:
        if len([m for m in _members(both) if m != "Tags"]) + len(both.tags) < 2:
            yield _error(
                rule,
                "MalformedXML",
                "Filter.And",
                "And must combine at least two predicates; use the predicate alone in Filter",
            )
        tags = {f"Filter.And.Tags[{i}]": tag for i, tag in enumerate(both.tags)}
    else:
        tags = {"Filter.Tag": rule_filter.tag} if rule_filter.tag is not None else {}
    for field, tag in tags.items():
        if not tag.key:
            yield _error(rule, "MalformedXML", f"{field}.Key", "Key is required and must not be empty")


def _members(shape: BaseModel) -> list[str]:
    """The JSON members given in ``shape``, in schema order."""
    return [field.alias or name for name, field in type(shape).model_fields.items() if name in shape.model_fields_set]


def _transition_errors(rule: Rule) -> Iterator[LifecycleError]:
    timed: list[tuple[int, str, int]] = []
    for i, transition in enumerate(rule.transitions):
        field = f"Transitions[{i}]"
        target = transition.storage_class
        yield from _class_errors(rule, field, target)
        if (transition.days is None) == (transition.date is None):
            yield _error(rule, "InvalidArgument", field, "a Transition must specify exactly one of 'Days' or 'Date'")
            continue
        if transition.date is not None:
            yield from _midnight_errors(rule, f"{field}.Date", transition.date)
            when = _day(transition.date)
        else:
            when = transition.days or 0
            if when < 0:
                yield _error(
                    rule, "InvalidArgument", f"{field}.Days", "'Days' in Transition action must be nonnegative"
                )
            elif target in IA_CLASSES and when < 30:
                yield _error(
                    rule,
                    "InvalidArgument",
                    f"{field}.Days",
                    f"'Days' in Transition action must be greater than or equal to 30 for storageClass '{target}'",
                )
        if target in TRANSITION_CLASSES:
            timed.append((when, target, i))
    kinds = {t.date is not None for t in rule.transitions if (t.days is None) != (t.date is None)}
    expiration = rule.expiration
    if expiration is not None and (expiration.days is None) != (expiration.date is None):
        kinds.add(expiration.date is not None)
    if len(kinds) > 1:
        yield _error(
            rule,
            "InvalidRequest",
            "Transitions",
            "Found mixed 'Date' and 'Days' based Expiration and Transition actions in lifecycle rule "
            f"for filter '{_filter_text(rule)}'",
        )
        return
    yield from _sequence_errors(rule, timed, "Transitions", "Transition", "Date" if True in kinds else "Days")


def _sequence_errors(
    rule: Rule, timed: list[tuple[int, str, int]], field: str, action: str, unit: str
) -> Iterator[LifecycleError]:
    """The transitions of one rule, in time order, must walk down the waterfall."""
    seen: set[str] = set()
    for _, target, i in timed:
        if target in seen:
            yield _error(
                rule,
                "InvalidArgument",
                f"{field}[{i}].StorageClass",
                f"'StorageClass' must be different for '{action}' actions in same 'Rule' "
                f"with filter '{_filter_text(rule)}'",
            )
            return
        seen.add(target)
    ordered = sorted(timed)
    for (when_a, class_a, _), (when_b, class_b, i) in pairwise(ordered):
        path = f"{field}[{i}]"
        if class_b not in WATERFALL[class_a]:
            yield _error(
                rule,
                "InvalidArgument",
                f"{path}.StorageClass",
                f"S3 Lifecycle cannot transition objects from {class_a} to {class_b}; "
                f"transitions must follow the storage-class waterfall",
            )
        elif class_a in IA_CLASSES and when_b - when_a < 30:
            yield _error(
                rule,
                "InvalidArgument",
                f"{path}.{unit}",
                f"'{unit}' in the {action} action for StorageClass '{class_b}' for filter '{_filter_text(rule)}' "
                f"must be 30 days more than the filter '{_filter_text(rule)}' {action.lower()} for StorageClass "
                f"'{class_a}'",
            )
        elif when_b == when_a:
            yield _error(
                rule,
                "InvalidArgument",
                f"{path}.{unit}",
                f"'{unit}' in the {action} action for StorageClass '{class_b}' must be greater than "
                f"'{unit}' in the {action} action for StorageClass '{class_a}'",
            )


def _expiration_errors(rule: Rule) -> Iterator[LifecycleError]:
    expiration = rule.expiration
    if expiration is None:
        return
    days, date, marker = expiration.days, expiration.date, expiration.expired_object_delete_marker
    if days is None and date is None and marker is None:
        yield _error(rule, "MalformedXML", "Expiration", "Expiration needs Days, Date or ExpiredObjectDeleteMarker")
        return
    if marker is not None and (days is not None or date is not None):
        yield _error(
            rule,
            "MalformedXML",
            "Expiration.ExpiredObjectDeleteMarker",
            "ExpiredObjectDeleteMarker cannot be specified with Days or Date in a Lifecycle Expiration Policy",
        )
    if days is not None and date is not None:
        yield _error(rule, "MalformedXML", "Expiration", "Expiration cannot specify both Days and Date")
        return
    if marker and rule.filter is not None and rule.filter.tags:
        yield _error(
            rule,
            "InvalidRequest",
            "Expiration.ExpiredObjectDeleteMarker",
            "ExpiredObjectDeleteMarker cannot be specified with Tags.",
        )
    if marker and rule.filter is not None and rule.filter.has_size:
        yield _error(
            rule,
            "InvalidRequest",
            "Expiration.ExpiredObjectDeleteMarker",
            "ExpiredObjectDeleteMarker cannot be specified with Object Size.",
        )
    transition_days = [t.days for t in rule.transitions if t.days is not None and t.date is None]
    transition_dates = [t.date for t in rule.transitions if t.date is not None and t.days is None]
    if days is not None:
        if days <= 0:
            yield _error(
                rule, "InvalidArgument", "Expiration.Days", "'Days' for Expiration action must be a positive integer"
            )
        elif transition_days and days <= max(transition_days):
            yield _error(
                rule,
                "InvalidArgument",
                "Expiration.Days",
                f"'Days' in the Expiration action for filter '{_filter_text(rule)}' must be greater than "
                "'Days' in the Transition action",
            )
    if date is not None:
        yield from _midnight_errors(rule, "Expiration.Date", date)
        if transition_dates and date <= max(transition_dates):
            yield _error(
                rule,
                "InvalidArgument",
                "Expiration.Date",
                f"'Date' in the Expiration action for filter '{_filter_text(rule)}' must be later than "
                "'Date' in the Transition action",
            )


def _noncurrent_errors(rule: Rule) -> Iterator[LifecycleError]:
    timed: list[tuple[int, str, int]] = []
    for i, transition in enumerate(rule.noncurrent_transitions):
        field = f"NoncurrentVersionTransitions[{i}]"
        target = transition.storage_class
        yield from _class_errors(rule, field, target)
        yield from _newer_errors(rule, field, "NoncurrentVersionTransition", transition.newer_noncurrent_versions)
        days = transition.noncurrent_days
        if days is None:
            yield _error(rule, "MalformedXML", f"{field}.NoncurrentDays", "NoncurrentDays is required")
            continue
        if days < 0:
            yield _error(
                rule,
                "InvalidArgument",
                f"{field}.NoncurrentDays",
                "'NoncurrentDays' in NoncurrentVersionTransition action must be nonnegative",
            )
        elif target in IA_CLASSES and days < 30:
            yield _error(
                rule,
                "InvalidArgument",
                f"{field}.NoncurrentDays",
                "'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal to 30 "
                f"for storageClass '{target}'",
            )
        if target in TRANSITION_CLASSES:
            timed.append((days, target, i))
    yield from _sequence_errors(
        rule, timed, "NoncurrentVersionTransitions", "NoncurrentVersionTransition", "NoncurrentDays"
    )
    expiration = rule.noncurrent_expiration
    if expiration is None:
        return
    field = "NoncurrentVersionExpiration"
    yield from _newer_errors(rule, field, field, expiration.newer_noncurrent_versions)
    days = expiration.noncurrent_days
    if days is None:
        yield _error(rule, "MalformedXML", f"{field}.NoncurrentDays", "NoncurrentDays is required")
    elif days <= 0:
        yield _error(
            rule,
            "InvalidArgument",
            f"{field}.NoncurrentDays",
            "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer",
        )
    elif timed and days <= max(when for when, _, _ in timed):
        yield _error(
            rule,
            "InvalidArgument",
            f"{field}.NoncurrentDays",
            f"'NoncurrentDays' in the NoncurrentVersionExpiration action for filter '{_filter_text(rule)}' "
            "must be greater than 'NoncurrentDays' in the NoncurrentVersionTransition action",
        )


def _newer_errors(rule: Rule, field: str, action: str, newer: int | None) -> Iterator[LifecycleError]:
    if newer is None:
        return
    path = f"{field}.NewerNoncurrentVersions"
    if rule.legacy_prefix is not None:
        yield _error(rule, "InvalidRequest", path, "NewerNoncurrentVersions element can only be used in Lifecycle V2.")
    elif newer <= 0:
        yield _error(
            rule, "InvalidArgument", path, f"'NewerNoncurrentVersions' in {action} action must be a positive integer"
        )


def _abort_errors(rule: Rule) -> Iterator[LifecycleError]:
    if rule.abort is None:
        return
    field = "AbortIncompleteMultipartUpload"
    if rule.abort_days is None:
        yield _error(rule, "MalformedXML", f"{field}.DaysAfterInitiation", "DaysAfterInitiation is required")
    elif rule.abort_days <= 0:
        yield _error(
            rule,
            "InvalidArgument",
            f"{field}.DaysAfterInitiation",
            f"'DaysAfterInitiation' for {field} action must be a positive integer",
        )
    if rule.filter is not None and rule.filter.tags:
        yield _error(rule, "InvalidRequest", field, f"{field} cannot be specified with Tags.")
    if rule.filter is not None and rule.filter.has_size:
        yield _error(rule, "InvalidRequest", field, f"{field} cannot be specified with Object Size.")


def _class_errors(rule: Rule, field: str, target: str | None) -> Iterator[LifecycleError]:
    if target is None:
        yield _error(rule, "MalformedXML", f"{field}.StorageClass", "StorageClass is required")
    elif target not in TRANSITION_CLASSES:
        yield _error(
            rule,
            "MalformedXML",
            f"{field}.StorageClass",
            f"unknown transition storage class {target!r}; expected one of {', '.join(TRANSITION_CLASSES)}",
        )


def _midnight_errors(rule: Rule, field: str, when: datetime) -> Iterator[LifecycleError]:
    if (when.hour, when.minute, when.second, when.microsecond) != (0, 0, 0, 0):
        yield _error(rule, "InvalidArgument", field, "'Date' must be at midnight GMT")


def _explained(path: str, fault: str) -> bool:
    """True when a schema fault at ``fault`` already explains an error at ``path``.

    That is when the error lies inside the faulty field, or on the field that directly holds it.
    """
    if path == fault or (path.startswith(fault) and path[len(fault)] in ".["):
        return True
    rest = fault[len(path) :]
    return fault.startswith(path) and rest[:1] in (".", "[") and not any(c in rest[1:] for c in ".[")


def _error(rule: Rule, code: str, field: str, message: str) -> LifecycleError:
    return LifecycleError(code, message, rule.label, f"Rules[{rule.index}].{field}")


def _filter_text(rule: Rule) -> str:
    return f"(prefix={rule.prefix})"


def _day(when: datetime) -> int:
    return int(when.timestamp() // 86400)
