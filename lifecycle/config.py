"""The S3 ``LifecycleConfiguration`` JSON, exactly as given to ``put-bucket-lifecycle-configuration``.

:func:`load_config` reads a dict or a JSON file into frozen dataclasses. Only unreadable JSON
raises; whatever S3 would refuse is kept, and what does not fit the schema at all (an unknown
field, a string where S3 wants an integer, two predicates in one ``Filter``) is recorded in
``LifecycleConfiguration.problems`` with the code S3 answers, so that
:func:`lifecycle.validate.validate` can report every fault at once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sluice.errors import InvalidInputException

ALL_128K = "all_storage_classes_128K"
VARIES_BY_CLASS = "varies_by_storage_class"

_TOP_KEYS = frozenset({"Rules", "TransitionDefaultMinimumObjectSize"})
_RULE_KEYS = frozenset(
    {
        "ID",
        "Status",
        "Filter",
        "Prefix",
        "Transitions",
        "Expiration",
        "NoncurrentVersionTransitions",
        "NoncurrentVersionExpiration",
        "AbortIncompleteMultipartUpload",
    }
)
_FILTER_KEYS = frozenset({"Prefix", "Tag", "ObjectSizeGreaterThan", "ObjectSizeLessThan", "And"})
_AND_KEYS = frozenset({"Prefix", "Tags", "ObjectSizeGreaterThan", "ObjectSizeLessThan"})
_TAG_KEYS = frozenset({"Key", "Value"})
_TRANSITION_KEYS = frozenset({"Days", "Date", "StorageClass"})
_EXPIRATION_KEYS = frozenset({"Days", "Date", "ExpiredObjectDeleteMarker"})
_NC_TRANSITION_KEYS = frozenset({"NoncurrentDays", "StorageClass", "NewerNoncurrentVersions"})
_NC_EXPIRATION_KEYS = frozenset({"NoncurrentDays", "NewerNoncurrentVersions"})
_ABORT_KEYS = frozenset({"DaysAfterInitiation"})


@dataclass(frozen=True, slots=True)
class LifecycleError:
    """One fault S3 would answer to the configuration: its error code, message, rule and field."""

    code: str
    message: str
    rule: str
    path: str

    def __str__(self) -> str:
        where = f"rule {self.rule!r}, {self.path}" if self.rule else self.path
        return f"{self.code} at {where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Tag:
    """An object tag a filter requires; a missing ``Value`` matches only an empty value."""

    key: str
    value: str


@dataclass(frozen=True, slots=True)
class RuleFilter:
    """A rule's ``Filter``, with ``And`` flattened: every predicate given must hold."""

    prefix: str | None = None
    tags: tuple[Tag, ...] = ()
    size_greater_than: int | None = None
    size_less_than: int | None = None
    in_and: bool = False

    @property
    def has_size(self) -> bool:
        """True when the filter bounds the object size (``ObjectSizeGreaterThan``/``LessThan``)."""
        return self.size_greater_than is not None or self.size_less_than is not None


@dataclass(frozen=True, slots=True)
class Transition:
    """A ``Transitions`` entry: move current versions to ``storage_class`` by age or by date."""

    storage_class: str | None
    days: int | None = None
    date: datetime | None = None


@dataclass(frozen=True, slots=True)
class Expiration:
    """The ``Expiration`` action of current versions, or the cleanup of expired delete markers."""

    days: int | None = None
    date: datetime | None = None
    expired_object_delete_marker: bool | None = None


@dataclass(frozen=True, slots=True)
class NoncurrentTransition:
    """A ``NoncurrentVersionTransitions`` entry."""

    storage_class: str | None
    noncurrent_days: int | None
    newer_noncurrent_versions: int | None = None


@dataclass(frozen=True, slots=True)
class NoncurrentExpiration:
    """The ``NoncurrentVersionExpiration`` action."""

    noncurrent_days: int | None
    newer_noncurrent_versions: int | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """One lifecycle rule. ``legacy_prefix`` is the deprecated rule-level ``Prefix`` (Lifecycle V1)."""

    index: int
    id: str | None
    status: str | None
    filter: RuleFilter | None = None
    legacy_prefix: str | None = None
    transitions: tuple[Transition, ...] = ()
    expiration: Expiration | None = None
    noncurrent_transitions: tuple[NoncurrentTransition, ...] = ()
    noncurrent_expiration: NoncurrentExpiration | None = None
    abort_days: int | None = None
    has_abort: bool = False

    @property
    def label(self) -> str:
        """The rule's ID, or ``Rules[i]`` when it has none (S3 would generate one)."""
        return self.id if self.id else f"Rules[{self.index}]"

    @property
    def enabled(self) -> bool:
        """True when ``Status`` is ``Enabled``."""
        return self.status == "Enabled"

    @property
    def prefix(self) -> str:
        """The key prefix the rule selects; empty for every key."""
        if self.filter is not None:
            return self.filter.prefix or ""
        return self.legacy_prefix or ""


@dataclass(frozen=True, slots=True)
class LifecycleConfiguration:
    """A parsed lifecycle configuration and the schema faults found while reading it."""

    rules: tuple[Rule, ...]
    transition_default_minimum_object_size: str = ALL_128K
    problems: tuple[LifecycleError, ...] = ()
    source: str = "<dict>"


def load_config(source: LifecycleConfiguration | Mapping[str, Any] | str | os.PathLike[str]) -> LifecycleConfiguration:
    """Read a configuration from a dict or a JSON file (a ``file://`` prefix is accepted).

    Raises InvalidInputException naming the file, line and column when the JSON cannot be read.
    """
    if isinstance(source, LifecycleConfiguration):
        return source
    if not isinstance(source, str | os.PathLike):
        return _Reader("<dict>").document(source)
    path, data = read_json(source)
    return _Reader(path).document(data)


def as_utc(when: datetime | None = None) -> datetime:
    """``when`` as an aware UTC datetime (a naive one is taken as UTC); the current time when None."""
    if when is None:
        return datetime.now(UTC)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def read_json(source: str | os.PathLike[str]) -> tuple[str, Any]:
    """The path and JSON document of a lifecycle configuration file (a ``file://`` prefix is accepted)."""
    path = Path(str(source).removeprefix("file://"))
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInputException(f"cannot read lifecycle configuration {path}: {exc.strerror}") from exc
    try:
        return str(path), json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputException(
            f"{path}:{exc.lineno}:{exc.colno}: invalid JSON in lifecycle configuration: {exc.msg}"
        ) from exc


class _Reader:
    """Converts JSON values to the dataclasses, collecting schema faults as ``MalformedXML``."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[LifecycleError] = []
        self.rule = ""

    def fault(self, path: str, message: str) -> None:
        self.problems.append(LifecycleError("MalformedXML", message, self.rule, path))

    def mapping(self, value: Any, path: str, keys: frozenset[str]) -> dict[str, Any] | None:
        if not isinstance(value, Mapping):
            self.fault(path, f"must be an object, not {type(value).__name__}")
            return None
        for name in value:
            if name not in keys:
                self.fault(f"{path}.{name}", f"unknown field {name!r}; expected one of {', '.join(sorted(keys))}")
        return dict(value)

    def integer(self, value: Any, path: str) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fault(path, f"must be an integer, not {value!r}")
            return None
        return value

    def string(self, value: Any, path: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.fault(path, f"must be a string, not {value!r}")
            return None
        return value

    def boolean(self, value: Any, path: str) -> bool | None:
        if value is None:
            return None
        if not isinstance(value, bool):
            self.fault(path, f"must be true or false, not {value!r}")
            return None
        return value

    def date(self, value: Any, path: str) -> datetime | None:
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None:
            self.fault(path, f"must be an ISO 8601 timestamp such as 2026-01-01T00:00:00Z, not {value!r}")
            return None
        return as_utc(parsed)

    def items(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fault(path, f"must be a list, not {type(value).__name__}")
            return []
        return value

    def document(self, data: Any) -> LifecycleConfiguration:
        top = self.mapping(data, "LifecycleConfiguration", _TOP_KEYS) or {}
        mode = self.string(top.get("TransitionDefaultMinimumObjectSize"), "TransitionDefaultMinimumObjectSize")
        rules = []
        for index, raw in enumerate(self.items(top.get("Rules"), "Rules")):
            self.rule = f"Rules[{index}]"
            rules.append(self.rule_of(raw, index))
        return LifecycleConfiguration(
            rules=tuple(rules),
            transition_default_minimum_object_size=ALL_128K if mode is None else mode,
            problems=tuple(self.problems),
            source=self.source,
        )

    def rule_of(self, raw: Any, index: int) -> Rule:
        path = f"Rules[{index}]"
        if isinstance(raw, Mapping) and isinstance(raw.get("ID"), str) and raw["ID"]:
            self.rule = raw["ID"]
        body = self.mapping(raw, path, _RULE_KEYS)
        if body is None:
            return Rule(index=index, id=None, status=None)
        rule_id = self.string(body.get("ID"), f"{path}.ID")
        abort_path = f"{path}.AbortIncompleteMultipartUpload"
        abort = body.get("AbortIncompleteMultipartUpload")
        abort_body = {} if abort is None else self.mapping(abort, abort_path, _ABORT_KEYS) or {}
        return Rule(
            index=index,
            id=rule_id,
            status=self.string(body.get("Status"), f"{path}.Status"),
            filter=self.filter_of(body["Filter"], f"{path}.Filter") if "Filter" in body else None,
            legacy_prefix=self.string(body.get("Prefix"), f"{path}.Prefix"),
            transitions=tuple(
                self.transition(item, f"{path}.Transitions[{i}]")
                for i, item in enumerate(self.items(body.get("Transitions"), f"{path}.Transitions"))
            ),
            expiration=self.expiration(body["Expiration"], f"{path}.Expiration") if "Expiration" in body else None,
            noncurrent_transitions=tuple(
                self.noncurrent_transition(item, f"{path}.NoncurrentVersionTransitions[{i}]")
                for i, item in enumerate(
                    self.items(body.get("NoncurrentVersionTransitions"), f"{path}.NoncurrentVersionTransitions")
                )
            ),
            noncurrent_expiration=(
                self.noncurrent_expiration(body["NoncurrentVersionExpiration"], f"{path}.NoncurrentVersionExpiration")
                if "NoncurrentVersionExpiration" in body
                else None
            ),
            abort_days=self.integer(abort_body.get("DaysAfterInitiation"), f"{abort_path}.DaysAfterInitiation"),
            has_abort=abort is not None,
        )

    def filter_of(self, raw: Any, path: str) -> RuleFilter:
        body = self.mapping(raw, path, _FILTER_KEYS)
        if body is None:
            return RuleFilter()
        if len(body) > 1:
            self.fault(
                path,
                f"a Filter holds exactly one of Prefix, Tag, ObjectSizeGreaterThan, "
                f"ObjectSizeLessThan or And; found {', '.join(body)} (wrap several in And)",
            )
        if "And" in body:
            return self.and_of(body["And"], f"{path}.And")
        tag = self.tag(body["Tag"], f"{path}.Tag") if "Tag" in body else None
        return RuleFilter(
            prefix=self.string(body.get("Prefix"), f"{path}.Prefix"),
            tags=(tag,) if tag else (),
            size_greater_than=self.integer(body.get("ObjectSizeGreaterThan"), f"{path}.ObjectSizeGreaterThan"),
            size_less_than=self.integer(body.get("ObjectSizeLessThan"), f"{path}.ObjectSizeLessThan"),
        )

    def and_of(self, raw: Any, path: str) -> RuleFilter:
        body = self.mapping(raw, path, _AND_KEYS)
        if body is None:
            return RuleFilter()
        raw_tags = self.items(body.get("Tags"), f"{path}.Tags")
        predicates = sum(name in body for name in ("Prefix", "ObjectSizeGreaterThan", "ObjectSizeLessThan"))
        if predicates + len(raw_tags) < 2:
            self.fault(path, "And must combine at least two predicates; use the predicate alone in Filter")
        tags = (self.tag(item, f"{path}.Tags[{i}]") for i, item in enumerate(raw_tags))
        return RuleFilter(
            prefix=self.string(body.get("Prefix"), f"{path}.Prefix"),
            tags=tuple(tag for tag in tags if tag),
            size_greater_than=self.integer(body.get("ObjectSizeGreaterThan"), f"{path}.ObjectSizeGreaterThan"),
            size_less_than=self.integer(body.get("ObjectSizeLessThan"), f"{path}.ObjectSizeLessThan"),
            in_and=True,
        )

    def tag(self, raw: Any, path: str) -> Tag | None:
        body = self.mapping(raw, path, _TAG_KEYS)
        if body is None:
            return None
        key = self.string(body.get("Key"), f"{path}.Key")
        value = self.string(body.get("Value"), f"{path}.Value")
        if not key:
            self.fault(f"{path}.Key", "Key is required and must not be empty")
            return None
        return Tag(key, value or "")

    def transition(self, raw: Any, path: str) -> Transition:
        body = self.mapping(raw, path, _TRANSITION_KEYS) or {}
        return Transition(
            storage_class=self.string(body.get("StorageClass"), f"{path}.StorageClass"),
            days=self.integer(body.get("Days"), f"{path}.Days"),
            date=self.date(body.get("Date"), f"{path}.Date"),
        )

    def expiration(self, raw: Any, path: str) -> Expiration:
        body = self.mapping(raw, path, _EXPIRATION_KEYS) or {}
        return Expiration(
            days=self.integer(body.get("Days"), f"{path}.Days"),
            date=self.date(body.get("Date"), f"{path}.Date"),
            expired_object_delete_marker=self.boolean(
                body.get("ExpiredObjectDeleteMarker"), f"{path}.ExpiredObjectDeleteMarker"
            ),
        )

    def noncurrent_transition(self, raw: Any, path: str) -> NoncurrentTransition:
        body = self.mapping(raw, path, _NC_TRANSITION_KEYS) or {}
        return NoncurrentTransition(
            storage_class=self.string(body.get("StorageClass"), f"{path}.StorageClass"),
            noncurrent_days=self.integer(body.get("NoncurrentDays"), f"{path}.NoncurrentDays"),
            newer_noncurrent_versions=self.integer(
                body.get("NewerNoncurrentVersions"), f"{path}.NewerNoncurrentVersions"
            ),
        )

    def noncurrent_expiration(self, raw: Any, path: str) -> NoncurrentExpiration:
        body = self.mapping(raw, path, _NC_EXPIRATION_KEYS) or {}
        return NoncurrentExpiration(
            noncurrent_days=self.integer(body.get("NoncurrentDays"), f"{path}.NoncurrentDays"),
            newer_noncurrent_versions=self.integer(
                body.get("NewerNoncurrentVersions"), f"{path}.NewerNoncurrentVersions"
            ),
        )
