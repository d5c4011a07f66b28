"""The S3 ``LifecycleConfiguration`` JSON, exactly as given to ``put-bucket-lifecycle-configuration``.

:func:`load_config` reads a dict or a JSON file into frozen pydantic models whose aliases are
S3's member names. Only unreadable JSON raises; whatever S3 would refuse is kept, and what does
not fit the schema at all (an unknown member, a string where S3 wants an integer) is recorded in
``LifecycleConfiguration.problems`` as ``MalformedXML`` and left out, so that
:func:`lifecycle.validate.validate` can report every fault at once. Every member is optional
here: which ones a rule needs is a check of :mod:`lifecycle.validate`.
"""

from __future__ import annotations

import json
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from sluice.clock import as_utc
from sluice.errors import InvalidInputException

ALL_128K = "all_storage_classes_128K"
VARIES_BY_CLASS = "varies_by_storage_class"

#: What a schema fault's pydantic error type says the value must be.
_EXPECTED = {
    "int_type": "an integer",
    "string_type": "a string",
    "bool_type": "true or false",
    "model_type": "an object",
    "tuple_type": "a list",
}


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


def _timestamp(value: Any) -> datetime:
    """An ISO 8601 ``Date`` as an aware UTC datetime (a date alone is midnight UTC)."""
    try:
        return as_utc(datetime.fromisoformat(value))
    except (TypeError, ValueError):
        example = "2026-01-01T00:00:00Z"
        raise PydanticCustomError(
            "timestamp",
            "must be an ISO 8601 timestamp such as {example}, not {shown}",
            {"example": example, "shown": repr(value)},
        ) from None


Timestamp = Annotated[datetime, PlainValidator(_timestamp)]


class _Shape(BaseModel):
    """A JSON object of the configuration: S3 refuses unknown members."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Tag(_Shape):
    """An object tag a filter requires; a missing ``Value`` matches only an empty value."""

    key: StrictStr | None = Field(None, alias="Key", min_length=1)
    value: StrictStr = Field("", alias="Value")


class AndOperator(_Shape):
    """A filter's ``And``: every predicate given must hold."""

    prefix: StrictStr | None = Field(None, alias="Prefix")
    tags: tuple[Tag, ...] = Field((), alias="Tags")
    object_size_greater_than: StrictInt | None = Field(None, alias="ObjectSizeGreaterThan")
    object_size_less_than: StrictInt | None = Field(None, alias="ObjectSizeLessThan")


class RuleFilter(_Shape):
    """A rule's ``Filter``: one predicate, or ``And`` of several; the properties read either alike."""

    prefix: StrictStr | None = Field(None, alias="Prefix")
    tag: Tag | None = Field(None, alias="Tag")
    object_size_greater_than: StrictInt | None = Field(None, alias="ObjectSizeGreaterThan")
    object_size_less_than: StrictInt | None = Field(None, alias="ObjectSizeLessThan")
    and_: AndOperator | None = Field(None, alias="And")

    @property
    def in_and(self) -> bool:
        """True when the predicates are combined in ``And``."""
        return self.and_ is not None

    @property
    def key_prefix(self) -> str | None:
        """The key prefix the filter requires, if any."""
        return self.and_.prefix if self.and_ is not None else self.prefix

    @property
    def tags(self) -> tuple[Tag, ...]:
        """The tags an object must carry (those with a ``Key``)."""
        tags = self.and_.tags if self.and_ is not None else (self.tag,) if self.tag else ()
        return tuple(tag for tag in tags if tag.key)

    @property
    def size_greater_than(self) -> int | None:
        """``ObjectSizeGreaterThan``, alone or in ``And``."""
        return (self.and_ or self).object_size_greater_than

    @property
    def size_less_than(self) -> int | None:
        """``ObjectSizeLessThan``, alone or in ``And``."""
        return (self.and_ or self).object_size_less_than

    @property
    def has_size(self) -> bool:
        """True when the filter bounds the object size (``ObjectSizeGreaterThan``/``LessThan``)."""
        return self.size_greater_than is not None or self.size_less_than is not None


class Transition(_Shape):
    """A ``Transitions`` entry: move current versions to ``storage_class`` by age or by date."""

    storage_class: StrictStr | None = Field(None, alias="StorageClass")
    days: StrictInt | None = Field(None, alias="Days")
    date: Timestamp | None = Field(None, alias="Date")


class Expiration(_Shape):
    """The ``Expiration`` action of current versions, or the cleanup of expired delete markers."""

    days: StrictInt | None = Field(None, alias="Days")
    date: Timestamp | None = Field(None, alias="Date")
    expired_object_delete_marker: StrictBool | None = Field(None, alias="ExpiredObjectDeleteMarker")


class NoncurrentTransition(_Shape):
    """A ``NoncurrentVersionTransitions`` entry."""

    storage_class: StrictStr | None = Field(None, alias="StorageClass")
    noncurrent_days: StrictInt | None = Field(None, alias="NoncurrentDays")
    newer_noncurrent_versions: StrictInt | None = Field(None, alias="NewerNoncurrentVersions")


class NoncurrentExpiration(_Shape):
    """The ``NoncurrentVersionExpiration`` action."""

    noncurrent_days: StrictInt | None = Field(None, alias="NoncurrentDays")
    newer_noncurrent_versions: StrictInt | None = Field(None, alias="NewerNoncurrentVersions")


class AbortIncompleteMultipartUpload(_Shape):
    """The ``AbortIncompleteMultipartUpload`` action."""

    days_after_initiation: StrictInt | None = Field(None, alias="DaysAfterInitiation")


class Rule(_Shape):
    """One lifecycle rule. ``legacy_prefix`` is the deprecated rule-level ``Prefix`` (Lifecycle V1)."""

    id: StrictStr | None = Field(None, alias="ID")
    status: StrictStr | None = Field(None, alias="Status")
    filter: RuleFilter | None = Field(None, alias="Filter")
    legacy_prefix: StrictStr | None = Field(None, alias="Prefix")
    transitions: tuple[Transition, ...] = Field((), alias="Transitions")
    expiration: Expiration | None = Field(None, alias="Expiration")
    noncurrent_transitions: tuple[NoncurrentTransition, ...] = Field((), alias="NoncurrentVersionTransitions")
    noncurrent_expiration: NoncurrentExpiration | None = Field(None, alias="NoncurrentVersionExpiration")
    abort: AbortIncompleteMultipartUpload | None = Field(None, alias="AbortIncompleteMultipartUpload")
    _index: int = PrivateAttr(0)

    @property
    def index(self) -> int:
        """The rule's position in ``Rules``."""
        return self._index

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
            return self.filter.key_prefix or ""
        return self.legacy_prefix or ""

    @property
    def abort_days(self) -> int | None:
        """``AbortIncompleteMultipartUpload.DaysAfterInitiation``."""
        return self.abort.days_after_initiation if self.abort is not None else None


class _Document(_Shape):
    """The top-level JSON object."""

    rules: tuple[Rule, ...] = Field((), alias="Rules")
    transition_default_minimum_object_size: StrictStr = Field(ALL_128K, alias="TransitionDefaultMinimumObjectSize")

    @model_validator(mode="after")
    def _number_rules(self) -> _Document:
        for index, rule in enumerate(self.rules):
            rule._index = index
        return self


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
        return _parse("<dict>", source)
    path, data = read_json(source)
    return _parse(path, data)


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


def _parse(source: str, data: Any) -> LifecycleConfiguration:
    """Validate ``data``; on schema faults, record them, drop the faulty values and read the rest."""
    data = _plain(data)
    problems: list[LifecycleError] = []
    try:
        document = _Document.model_validate(data)
    except ValidationError as exc:
        faults = exc.errors()
        problems = [_problem(data, fault) for fault in faults]
        for fault in faults:
            data = _without(data, fault["loc"])
        # Every member is optional, so what is left once the faulty values are gone always validates.
        document = _Document.model_validate(data)
    return LifecycleConfiguration(
        rules=document.rules,
        transition_default_minimum_object_size=document.transition_default_minimum_object_size,
        problems=tuple(problems),
        source=source,
    )


def _plain(value: Any) -> Any:
    """A mutable copy of a JSON-like value (mappings as dicts, sequences as lists)."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _without(data: Any, loc: tuple[int | str, ...]) -> Any:
    """``data`` with the value at ``loc`` removed; a faulty list item becomes ``{}`` to keep the indexes."""
    if not loc:
        return {}
    holder = data
    for part in loc[:-1]:
        holder = holder[part]
    if isinstance(holder, dict):
        holder.pop(loc[-1], None)
    else:
        holder[loc[-1]] = {}
    return data


def _problem(data: Any, fault: ErrorDetails) -> LifecycleError:
    """A schema fault as the ``MalformedXML`` S3 answers, naming the rule (ID or index) and the field."""
    loc = fault["loc"]
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
    rule = ""
    if len(loc) > 1 and loc[0] == "Rules" and isinstance(loc[1], int):
        raw = data["Rules"][loc[1]]
        rule_id = raw.get("ID") if isinstance(raw, dict) else None
        rule = rule_id if isinstance(rule_id, str) and rule_id else f"Rules[{loc[1]}]"
    return LifecycleError("MalformedXML", _message(fault), rule, path or "LifecycleConfiguration")


def _message(fault: ErrorDetails) -> str:
    kind, value = fault["type"], fault["input"]
    if kind == "extra_forbidden":
        members = sorted(field.alias or name for name, field in _model_at(fault["loc"][:-1]).model_fields.items())
        return f"unknown field {fault['loc'][-1]!r}; expected one of {', '.join(members)}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind in _EXPECTED:
        shown = type(value).__name__ if isinstance(value, dict | list) else repr(value)
        return f"must be {_EXPECTED[kind]}, not {shown}"
    return fault["msg"]


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel]:
    """The model that reads the JSON object at ``loc``."""
    model: type[BaseModel] = _Document
    for part in loc:
        if isinstance(part, str):
            field = next(f for f in model.model_fields.values() if f.alias == part)
            model = _inner_model(field.annotation)
    return model


def _inner_model(annotation: Any) -> type[BaseModel]:
    """The model inside a field's annotation (``X | None``, ``tuple[X, ...]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        if arg is not Ellipsis and arg is not types.NoneType:
            return _inner_model(arg)
    raise TypeError(f"no model in {annotation!r}")
