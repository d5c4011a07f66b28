"""Plan what S3 Lifecycle would do to a lake's objects at one moment (pure: no I/O).

An action falls due ``Days`` after the object's creation (or, for noncurrent versions, after
its successor's creation), rounded up to the next midnight UTC; a ``Date`` action falls due on
and after that midnight. Each object gets at most one action, the one S3 would take that day:

* permanent deletion beats transition, and transition beats creating a delete marker;
* the shortest expiration wins; among transitions Deep Archive, then Glacier Flexible
  Retrieval, then Intelligent-Tiering win, then the lower-cost class;
* an object is never moved against the storage-class waterfall, and objects under 128 KiB are
  not transitioned unless a size filter in the rule says otherwise
  (``TransitionDefaultMinimumObjectSize``; ``varies_by_storage_class`` lets them reach
  GLACIER and DEEP_ARCHIVE).

Rules are compiled once and looked up by key prefix, so planning is linear in the objects.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lifecycle.config import VARIES_BY_CLASS, LifecycleConfiguration, Rule
from lifecycle.prices import PriceTable, load_prices
from lifecycle.validate import WATERFALL, ensure_valid

DAY = 86_400
#: How many distinct key heads (the key cut to the longest rule prefix) keep their candidate rules.
_HEAD_CACHE = 1 << 16
#: Objects smaller than this are not transitioned by default (S3's "128 KB").
SMALL_OBJECT = 128 * 1024
ARCHIVE_CLASSES = frozenset({"GLACIER", "DEEP_ARCHIVE"})
#: The winner when several transitions fall due together ("How Amazon S3 handles conflicts").
PRECEDENCE = {
    "STANDARD_IA": 1,
    "ONEZONE_IA": 2,
    "GLACIER_IR": 3,
    "INTELLIGENT_TIERING": 4,
    "GLACIER": 5,
    "DEEP_ARCHIVE": 6,
}

TRANSITION = "TRANSITION"
EXPIRE = "EXPIRE"
DELETE_MARKER = "DELETE_MARKER"
TRANSITION_NONCURRENT = "TRANSITION_NONCURRENT"
EXPIRE_NONCURRENT = "EXPIRE_NONCURRENT"
REMOVE_EXPIRED_DELETE_MARKER = "REMOVE_EXPIRED_DELETE_MARKER"
ABORT_MULTIPART = "ABORT_MULTIPART"


@dataclass(slots=True)
class LakeObject:
    """One object (or one version of it) in the lake.

    ``version_id`` None means an unversioned bucket. ``noncurrent_since`` defaults to the
    creation of the next newer version; ``storage_class_since`` (when the object entered its
    class, for early-deletion fees) defaults to ``last_modified``. Naive datetimes are UTC.
    """

    key: str
    size: int
    last_modified: datetime
    storage_class: str = "STANDARD"
    tags: Mapping[str, str] = field(default_factory=dict)
    version_id: str | None = None
    is_latest: bool = True
    is_delete_marker: bool = False
    noncurrent_since: datetime | None = None
    storage_class_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class MultipartUpload:
    """An incomplete multipart upload; ``size`` is the bytes of its parts, when known."""

    key: str
    upload_id: str
    initiated: datetime
    size: int = 0


@dataclass(slots=True)
class Action:
    """One planned lifecycle action.

    ``storage_class`` is a transition's target, else the object's current class (None for delete
    markers and uploads). ``age_days`` counts whole days since creation; for a noncurrent version,
    since it became noncurrent; for an upload, since it was initiated.
    """

    key: str
    action: str
    storage_class: str | None
    rule_id: str
    size: int
    age_days: int
    version_id: str | None = None
    upload_id: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The action with AWS-style keys."""
        return {
            "Key": self.key,
            "Action": self.action,
            "StorageClass": self.storage_class,
            "RuleId": self.rule_id,
            "Size": self.size,
            "AgeDays": self.age_days,
            "VersionId": self.version_id,
            "UploadId": self.upload_id,
            "Warnings": list(self.warnings),
        }


@dataclass(slots=True)
class Plan:
    """The actions due at ``summary["Now"]`` and their totals."""

    actions: list[Action]
    summary: dict[str, Any]


def plan(
    config: LifecycleConfiguration | Mapping[str, Any] | str | os.PathLike[str],
    objects: Iterable[LakeObject],
    *,
    uploads: Iterable[MultipartUpload] = (),
    now: datetime | None = None,
    prices: PriceTable | None = None,
) -> Plan:
    """Plan the actions due at ``now`` (default: the current time); raises on an invalid configuration."""
    planner = _Planner(ensure_valid(config), now or datetime.now(UTC), prices or load_prices())
    # Planning allocates one Action per due object and no reference cycles: pausing the cyclic
    # collector keeps it from rescanning every object held so far (about 40% of the time at 1M).
    collecting = gc.isenabled()
    gc.disable()
    try:
        for obj in objects:
            planner.add(obj)
        for upload in uploads:
            planner.abort(upload)
        return planner.finish()
    finally:
        if collecting:
            gc.enable()


@dataclass(slots=True)
class _Rule:
    """An enabled rule compiled for matching: day numbers instead of dates, transitions latest first."""

    order: int
    rule_id: str
    tags: tuple[tuple[str, str], ...]
    size_gt: int | None
    size_lt: int | None
    floor_exempt: bool
    expire_days: int | None
    expire_day: int | None
    expire_markers: bool
    transitions: tuple[tuple[int, bool, int, str], ...]
    nc_transitions: tuple[tuple[int, bool, int, str], ...]
    nc_expire_days: int | None
    nc_expire_newer: int
    abort_days: int | None
    unconditional: bool = False

    def matches(self, size: int, tags: Mapping[str, str]) -> bool:
        if self.size_gt is not None and size <= self.size_gt:
            return False
        if self.size_lt is not None and size >= self.size_lt:
            return False
        if self.tags:
            for key, value in self.tags:
                if tags.get(key) != value:
                    return False
        return True


def _compile(rule: Rule) -> _Rule:
    rule_filter = rule.filter
    expiration = rule.expiration
    # Steps are (days after the start, or a day number when dated; dated; newer versions to keep; class).
    transitions = sorted(
        (
            (_day(t.date), True, 0, t.storage_class or "") if t.date else (t.days or 0, False, 0, t.storage_class or "")
            for t in rule.transitions
        ),
        reverse=True,
    )
    nc_transitions = sorted(
        (
            (t.noncurrent_days or 0, False, t.newer_noncurrent_versions or 0, t.storage_class or "")
            for t in rule.noncurrent_transitions
        ),
        reverse=True,
    )
    nc_expiration = rule.noncurrent_expiration
    return _Rule(
        order=rule.index,
        rule_id=rule.label,
        tags=tuple((tag.key or "", tag.value) for tag in rule_filter.tags) if rule_filter else (),
        size_gt=rule_filter.size_greater_than if rule_filter else None,
        size_lt=rule_filter.size_less_than if rule_filter else None,
        floor_exempt=bool(rule_filter and rule_filter.has_size),
        expire_days=expiration.days if expiration else None,
        expire_day=_day(expiration.date) if expiration and expiration.date else None,
        expire_markers=bool(expiration and expiration.expired_object_delete_marker),
        transitions=tuple(transitions),
        nc_transitions=tuple(nc_transitions),
        nc_expire_days=nc_expiration.noncurrent_days if nc_expiration else None,
        nc_expire_newer=(nc_expiration.newer_noncurrent_versions or 0) if nc_expiration else 0,
        abort_days=rule.abort_days,
        unconditional=not (rule_filter and (rule_filter.tags or rule_filter.has_size)),
    )


class _Planner:
    """Holds the compiled rules and the running totals of one plan."""

    def __init__(self, config: LifecycleConfiguration, now: datetime, prices: PriceTable) -> None:
        self.now = now if now.tzinfo else now.replace(tzinfo=UTC)
        self.now_ts = self.now.timestamp()
        self.today = int(self.now_ts // DAY)
        self.mode = config.transition_default_minimum_object_size
        self.small_to_archive = self.mode == VARIES_BY_CLASS
        self.by_prefix: dict[str, list[_Rule]] = {}
        for rule in config.rules:
            if rule.enabled:
                self.by_prefix.setdefault(rule.prefix, []).append(_compile(rule))
        self.lengths = sorted({len(prefix) for prefix in self.by_prefix})
        self.head = max(self.lengths, default=0)
        self.heads: dict[str, list[_Rule]] = {}
        self.prices = prices
        self.min_days = {name: price.min_storage_days for name, price in prices.classes.items()}
        self.billing = {
            name: (price.min_billable_bytes, price.overhead_bytes, price.standard_overhead_bytes)
            for name, price in prices.classes.items()
        }
        self.actions: list[Action] = []
        self.groups: dict[str, list[LakeObject]] = {}
        self.counts: dict[str, int] = {}
        self.action_bytes: dict[str, int] = {}
        self.by_class: dict[str, int] = {}
        self.before: dict[str, int] = {}
        self.after: dict[str, int] = {}
        self.unpriced: set[str] = set()
        self.objects = 0
        self.uploads = 0
        self.warnings = 0

    # -- input -------------------------------------------------------------------------------

    def add(self, obj: LakeObject) -> None:
        self.objects += 1
        if obj.version_id is None:
            self.current(obj, versioned=False)
            return
        group = self.groups.get(obj.key)
        if group is None:
            self.groups[obj.key] = [obj]
        else:
            group.append(obj)

    def abort(self, upload: MultipartUpload) -> None:
        self.uploads += 1
        start = _ts(upload.initiated)
        base = ceil_day(start)
        best: tuple[int, int] | None = None
        chosen: _Rule | None = None
        for rule in self.match(upload.key, 0, {}):
            days = rule.abort_days
            if days is not None and base + days <= self.today and (best is None or (days, rule.order) < best):
                best, chosen = (days, rule.order), rule
        if chosen is not None:
            self.emit(upload.key, ABORT_MULTIPART, None, chosen, upload.size, start, upload_id=upload.upload_id)

    def finish(self) -> Plan:
        for versions in self.groups.values():
            versions.sort(key=lambda obj: (not obj.is_latest, -_ts(obj.last_modified)))
            has_current = versions[0].is_latest
            for i, obj in enumerate(versions):
                if i == 0 and has_current:
                    if obj.is_delete_marker:
                        self.marker(obj, alone=len(versions) == 1)
                    else:
                        self.current(obj, versioned=True)
                    continue
                since = obj.noncurrent_since or (versions[i - 1].last_modified if i else obj.last_modified)
                self.noncurrent(obj, newer=i - 1 if has_current else i, since=since)
        return Plan(self.actions, self.summary())

    # -- decisions ---------------------------------------------------------------------------

    def match(self, key: str, size: int, tags: Mapping[str, str]) -> list[_Rule]:
        """The enabled rules whose filter selects the object."""
        head = key[: self.head]
        by_prefix = self.heads.get(head)
        if by_prefix is None:
            by_prefix = [rule for length in self.lengths for rule in self.by_prefix.get(head[:length], ())]
            if len(self.heads) < _HEAD_CACHE:
                self.heads[head] = by_prefix
        return [rule for rule in by_prefix if rule.unconditional or rule.matches(size, tags)]

    def current(self, obj: LakeObject, *, versioned: bool) -> None:
        size, storage_class = obj.size, obj.storage_class
        self.bill(self.before, size, storage_class)
        rules = self.match(obj.key, size, obj.tags)
        if rules:
            start = _ts(obj.last_modified)
            base = ceil_day(start)
            expiry = self.expiry(rules, base)
            if expiry is not None and not versioned:
                self.emit(obj.key, EXPIRE, storage_class, expiry, size, start, obj=obj)
                return
            target, rule = self.transition(rules, storage_class, size, base)
            if rule is not None:
                self.emit(obj.key, TRANSITION, target, rule, size, start, obj=obj)
                self.bill(self.after, size, target)
                return
            if expiry is not None:
                self.emit(obj.key, DELETE_MARKER, storage_class, expiry, size, start, obj=obj)
        self.bill(self.after, size, storage_class)

    def expiry(self, rules: list[_Rule], base: int) -> _Rule | None:
        """The expiration that fell due first, if any."""
        best: tuple[int, int] | None = None
        chosen: _Rule | None = None
        for rule in rules:
            if rule.expire_days is not None:
                due = base + rule.expire_days
            elif rule.expire_day is not None:
                due = rule.expire_day
            else:
                continue
            if due <= self.today and (best is None or (due, rule.order) < best):
                best, chosen = (due, rule.order), rule
        return chosen

    def transition(
        self, rules: list[_Rule], storage_class: str, size: int, base: int, newer: int | None = None
    ) -> tuple[str, _Rule | None]:
        """The winning due transition: each rule's latest reachable step, then precedence.

        ``newer`` is the number of newer noncurrent versions when planning a noncurrent version.
        """
        allowed = WATERFALL.get(storage_class, frozenset())
        small = size < SMALL_OBJECT
        best: tuple[int, int, int] | None = None
        winner: tuple[str, _Rule | None] = ("", None)
        for rule in rules:
            for value, dated, keep, target in rule.transitions if newer is None else rule.nc_transitions:
                due = value if dated else base + value
                if due > self.today or target not in allowed or (newer is not None and newer < keep):
                    continue
                if small and not rule.floor_exempt and not (self.small_to_archive and target in ARCHIVE_CLASSES):
                    continue
                rank = (PRECEDENCE[target], -due, -rule.order)
                if best is None or rank > best:
                    best, winner = rank, (target, rule)
                break
        return winner

    def marker(self, obj: LakeObject, *, alone: bool) -> None:
        """A current delete marker goes once no noncurrent version is left (an expired delete marker)."""
        if not alone:
            return
        start = _ts(obj.last_modified)
        base = ceil_day(start)
        best: tuple[int, int] | None = None
        chosen: _Rule | None = None
        for rule in self.match(obj.key, 0, {}):
            if rule.expire_markers:
                due = 0
            elif rule.expire_days is not None and base + rule.expire_days <= self.today:
                due = base + rule.expire_days
            else:
                continue
            if best is None or (due, rule.order) < best:
                best, chosen = (due, rule.order), rule
        if chosen is not None:
            self.emit(obj.key, REMOVE_EXPIRED_DELETE_MARKER, None, chosen, 0, start, obj=obj)

    def noncurrent(self, obj: LakeObject, *, newer: int, since: datetime) -> None:
        size, storage_class, is_marker = obj.size, obj.storage_class, obj.is_delete_marker
        if not is_marker:
            self.bill(self.before, size, storage_class)
        rules = self.match(obj.key, size, obj.tags)
        start = _ts(since)
        base = ceil_day(start)
        best: tuple[int, int] | None = None
        expiry: _Rule | None = None
        for rule in rules:
            days = rule.nc_expire_days
            if days is None or base + days > self.today or newer < rule.nc_expire_newer:
                continue
            if best is None or (days, rule.order) < best:
                best, expiry = (days, rule.order), rule
        if expiry is not None:
            self.emit(obj.key, EXPIRE_NONCURRENT, None if is_marker else storage_class, expiry, size, start, obj=obj)
            return
        if is_marker:
            return
        target, chosen = self.transition(rules, storage_class, size, base, newer)
        if chosen is not None:
            self.emit(obj.key, TRANSITION_NONCURRENT, target, chosen, size, start, obj=obj)
            storage_class = target
        self.bill(self.after, size, storage_class)

    # -- output ------------------------------------------------------------------------------

    def emit(
        self,
        key: str,
        action: str,
        storage_class: str | None,
        rule: _Rule,
        size: int,
        start: float,
        *,
        obj: LakeObject | None = None,
        upload_id: str | None = None,
    ) -> None:
        warnings = self.fees(obj, action, storage_class) if obj is not None and not obj.is_delete_marker else []
        self.warnings += len(warnings)
        version_id = obj.version_id if obj is not None else None
        age = int((self.now_ts - start) // DAY)
        self.actions.append(
            Action(key, action, storage_class, rule.rule_id, size, age, version_id, upload_id, warnings)
        )
        self.counts[action] = self.counts.get(action, 0) + 1
        self.action_bytes[action] = self.action_bytes.get(action, 0) + size
        if action in (TRANSITION, TRANSITION_NONCURRENT) and storage_class:
            self.by_class[storage_class] = self.by_class.get(storage_class, 0) + 1

    def fees(self, obj: LakeObject, action: str, target: str | None) -> list[str]:
        """Early-deletion and minimum-size charges the action incurs."""
        warnings: list[str] = []
        if action == DELETE_MARKER:
            return warnings
        current = obj.storage_class
        minimum = self.min_days.get(current, 0)
        if minimum:
            held = int((self.now_ts - _ts(obj.storage_class_since or obj.last_modified)) // DAY)
            if held < minimum:
                verb = "transitioned" if action in (TRANSITION, TRANSITION_NONCURRENT) else "deleted"
                warnings.append(
                    f"early deletion fee: {verb} after {held} days in {current}, whose minimum storage duration "
                    f"is {minimum} days; the remaining {minimum - held} days are charged"
                )
        if target is not None and action in (TRANSITION, TRANSITION_NONCURRENT):
            floor = self.billing.get(target, (0, 0, 0))[0]
            if obj.size < floor:
                warnings.append(f"minimum billable size: {obj.size} bytes are billed as {floor} bytes in {target}")
        return warnings

    def bill(self, into: dict[str, int], size: int, storage_class: str) -> None:
        spec = self.billing.get(storage_class)
        if spec is None:
            self.unpriced.add(storage_class)
            return
        floor, overhead, standard_overhead = spec
        into[storage_class] = into.get(storage_class, 0) + max(size, floor) + overhead
        if standard_overhead:
            into["STANDARD"] = into.get("STANDARD", 0) + standard_overhead

    def summary(self) -> dict[str, Any]:
        before = sum(self.prices.monthly_cost(self.before).values())
        after = sum(self.prices.monthly_cost(self.after).values())
        return {
            "Now": self.now.isoformat(),
            "TransitionDefaultMinimumObjectSize": self.mode,
            "ObjectsScanned": self.objects,
            "UploadsScanned": self.uploads,
            "Actions": dict(sorted(self.counts.items())),
            "ActionBytes": dict(sorted(self.action_bytes.items())),
            "TransitionsByClass": dict(sorted(self.by_class.items())),
            "Warnings": self.warnings,
            "BillableBytesBefore": dict(sorted(self.before.items())),
            "BillableBytesAfter": dict(sorted(self.after.items())),
            "MonthlyStorageCostBefore": round(before, 6),
            "MonthlyStorageCostAfter": round(after, 6),
            "Currency": self.prices.currency,
            "UnpricedStorageClasses": sorted(self.unpriced),
        }


def _ts(when: datetime) -> float:
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def ceil_day(timestamp: float) -> int:
    """Day number of the first midnight UTC at or after ``timestamp``."""
    return -int(-timestamp // DAY)


def _day(when: datetime) -> int:
    return int(_ts(when) // DAY)
