"""The lifecycle planner against the S3 User Guide's examples, precedence, sizes, versions and dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lifecycle import LakeObject, LifecycleValidationError, MultipartUpload, plan

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
MB = 1024 * 1024
KIB = 1024


def _obj(key: str, age_days: float, size: int = MB, **fields: Any) -> LakeObject:
    return LakeObject(key, size, NOW - timedelta(days=age_days), **fields)


def _rule(rule_id: str, prefix: str = "", **fields: Any) -> dict[str, Any]:
    return {"ID": rule_id, "Status": "Enabled", "Filter": {"Prefix": prefix}, **fields}


def _actions(config: dict[str, Any], objects: list[LakeObject], now: datetime = NOW, **kw: Any) -> list[tuple]:
    return [(a.key, a.action, a.storage_class, a.rule_id) for a in plan(config, objects, now=now, **kw).actions]


def _one(config: dict[str, Any], obj: LakeObject, now: datetime = NOW) -> tuple | None:
    actions = _actions(config, [obj], now)
    assert len(actions) <= 1
    return actions[0][1:] if actions else None


# Examples of S3 Lifecycle configurations, Example 1: tax/ to Glacier after a year, deleted after ten.
TAX = {
    "Rules": [
        _rule(
            "Transition and Expiration Rule",
            "tax/",
            Transitions=[{"Days": 365, "StorageClass": "GLACIER"}],
            Expiration={"Days": 3650},
        )
    ]
}
# Example 3: Tiering down storage class over an object's lifetime.
TIERING = {
    "Rules": [
        _rule(
            "example-id",
            "logs/",
            Transitions=[{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 90, "StorageClass": "GLACIER"}],
            Expiration={"Days": 365},
        )
    ]
}
# Example 4: Specifying multiple rules.
MULTIPLE = {
    "Rules": [
        _rule(
            "ClassADocRule",
            "classA/",
            Transitions=[{"Days": 365, "StorageClass": "GLACIER"}],
            Expiration={"Days": 3650},
        ),
        _rule(
            "ClassBDocRule",
            "classB/",
            Transitions=[{"Days": 90, "StorageClass": "STANDARD_IA"}],
            Expiration={"Days": 365},
        ),
    ]
}
# Conflicts, Example 1: overlapping prefixes, no conflict (empty filter expires, logs/ goes to Standard-IA).
OVERLAP = {
    "Rules": [
        {"ID": "Rule 1", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 365}},
        _rule("Rule 2", "logs/", Transitions=[{"Days": 30, "StorageClass": "STANDARD_IA"}]),
    ]
}
# Conflicts, Example 2: expiration and transition on the same day: expiration wins.
SAME_DAY = {
    "Rules": [
        _rule("Rule 1", "logs/", Expiration={"Days": 365}),
        _rule("Rule 2", "logs/", Transitions=[{"Days": 365, "StorageClass": "STANDARD_IA"}]),
    ]
}
# Conflicts, Example 3: two transitions to Standard-IA; the earlier wins. (The guide's 10 days is refused
# by S3, which requires 30 for Standard-IA, so 30 is used.)
EARLIER = {
    "Rules": [
        _rule("Rule 1", "", Transitions=[{"Days": 30, "StorageClass": "STANDARD_IA"}]),
        _rule("Rule 2", "logs/", Transitions=[{"Days": 365, "StorageClass": "STANDARD_IA"}]),
    ]
}
# Conflicts, Example 4: tag-based filters; an object with both tags expires after 14 days.
TAGS = {
    "Rules": [
        {
            "ID": "Rule 1",
            "Filter": {"Tag": {"Key": "tag1", "Value": "value1"}},
            "Status": "Enabled",
            "Transitions": [{"Days": 365, "StorageClass": "GLACIER"}],
        },
        {
            "ID": "Rule 2",
            "Filter": {"Tag": {"Key": "tag2", "Value": "value2"}},
            "Status": "Enabled",
            "Expiration": {"Days": 14},
        },
    ]
}
# Example 9: size-based rule: tax/ objects over 500 bytes go to Glacier after a year.
SIZED = {
    "Rules": [
        {
            "ID": "Transition with a prefix and based on size",
            "Filter": {"And": {"Prefix": "tax/", "ObjectSizeGreaterThan": 500}},
            "Status": "Enabled",
            "Transitions": [{"Days": 365, "StorageClass": "GLACIER"}],
        }
    ]
}
BOTH_TAGS = {"tag1": "value1", "tag2": "value2"}


@pytest.mark.parametrize(
    ("config", "obj", "expected"),
    [
        # Example 1: tax/ objects.
        (TAX, _obj("tax/doc1.txt", 100), None),
        (TAX, _obj("tax/doc1.txt", 400), ("TRANSITION", "GLACIER", "Transition and Expiration Rule")),
        (TAX, _obj("tax/doc2.txt", 3651), ("EXPIRE", "STANDARD", "Transition and Expiration Rule")),
        (TAX, _obj("example.jpg", 4000), None),
        # Example 3: tiering down logs/.
        (TIERING, _obj("logs/a", 29), None),
        (TIERING, _obj("logs/a", 45), ("TRANSITION", "STANDARD_IA", "example-id")),
        (TIERING, _obj("logs/a", 100), ("TRANSITION", "GLACIER", "example-id")),
        (TIERING, _obj("logs/a", 100, storage_class="STANDARD_IA"), ("TRANSITION", "GLACIER", "example-id")),
        (TIERING, _obj("logs/a", 200, storage_class="GLACIER"), None),
        (TIERING, _obj("logs/a", 366, storage_class="GLACIER"), ("EXPIRE", "GLACIER", "example-id")),
        # Example 4: two rules on two prefixes.
        (MULTIPLE, _obj("classA/x", 400), ("TRANSITION", "GLACIER", "ClassADocRule")),
        (MULTIPLE, _obj("classB/x", 100), ("TRANSITION", "STANDARD_IA", "ClassBDocRule")),
        (MULTIPLE, _obj("classB/x", 400), ("EXPIRE", "STANDARD", "ClassBDocRule")),
        # Conflicts, Example 1.
        (OVERLAP, _obj("logs/x", 40), ("TRANSITION", "STANDARD_IA", "Rule 2")),
        (OVERLAP, _obj("data/x", 40), None),
        (OVERLAP, _obj("logs/x", 366, storage_class="STANDARD_IA"), ("EXPIRE", "STANDARD_IA", "Rule 1")),
        # Conflicts, Example 2.
        (SAME_DAY, _obj("logs/x", 366), ("EXPIRE", "STANDARD", "Rule 1")),
        # Conflicts, Example 3.
        (EARLIER, _obj("logs/x", 40), ("TRANSITION", "STANDARD_IA", "Rule 1")),
        # Conflicts, Example 4.
        (TAGS, _obj("t", 400, tags=BOTH_TAGS), ("EXPIRE", "STANDARD", "Rule 2")),
        (TAGS, _obj("t", 400, tags={"tag1": "value1", "other": "x"}), ("TRANSITION", "GLACIER", "Rule 1")),
        (TAGS, _obj("t", 400, tags={"tag1": "value2"}), None),
        # Example 9: the explicit size filter replaces the 128 KiB default, and bounds are exclusive.
        (
            SIZED,
            _obj("tax/small", 400, size=600),
            ("TRANSITION", "GLACIER", "Transition with a prefix and based on size"),
        ),
        (SIZED, _obj("tax/small", 400, size=500), None),
    ],
)
def test_documentation_examples(config: dict[str, Any], obj: LakeObject, expected: tuple | None) -> None:
    assert _one(config, obj) == expected


def test_disabled_rules_do_nothing() -> None:
    # Example 2: Disabling a Lifecycle rule (logs/ enabled, documents/ disabled).
    config = {
        "Rules": [
            _rule("Rule1", "logs/", Transitions=[{"Days": 0, "StorageClass": "GLACIER"}]),
            {
                **_rule("Rule2", "documents/", Transitions=[{"Days": 0, "StorageClass": "GLACIER"}]),
                "Status": "Disabled",
            },
        ]
    }
    assert _actions(config, [_obj("logs/a", 2), _obj("documents/a", 2)]) == [
        ("logs/a", "TRANSITION", "GLACIER", "Rule1")
    ]


def test_days_round_up_to_the_next_midnight_utc() -> None:
    # Lifecycle configuration elements: created 1/15/2014 10:30 UTC with a 3-day transition -> 1/19/2014 00:00 UTC.
    config = {"Rules": [_rule("r", Transitions=[{"Days": 3, "StorageClass": "GLACIER"}])]}
    obj = LakeObject("a", MB, datetime(2014, 1, 15, 10, 30, tzinfo=UTC))
    assert _one(config, obj, datetime(2014, 1, 18, 23, 59, 59, tzinfo=UTC)) is None
    assert _one(config, obj, datetime(2014, 1, 19, 0, 0, tzinfo=UTC)) == ("TRANSITION", "GLACIER", "r")


def test_one_day_expiration_of_an_object_created_after_midnight() -> None:
    # Troubleshooting lifecycle: created 00:05 UTC January 2, one day -> eligible at 00:00 UTC January 4.
    config = {"Rules": [_rule("r", Expiration={"Days": 1})]}
    obj = LakeObject("a", 10, datetime(2026, 1, 2, 0, 5, tzinfo=UTC))
    assert _one(config, obj, datetime(2026, 1, 3, 23, 0, tzinfo=UTC)) is None
    assert _one(config, obj, datetime(2026, 1, 4, 0, 0, tzinfo=UTC)) == ("EXPIRE", "STANDARD", "r")


def test_days_zero_archives_at_the_first_midnight_after_creation() -> None:
    # Example 1, "Archive all object same-day upon creation": eligible at midnight UTC following creation.
    config = {"Rules": [_rule("same-day", Transitions=[{"Days": 0, "StorageClass": "GLACIER"}])]}
    obj = LakeObject("a", MB, datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
    assert _one(config, obj, datetime(2026, 3, 1, 23, 0, tzinfo=UTC)) is None
    assert _one(config, obj, datetime(2026, 3, 2, 0, 0, tzinfo=UTC)) == ("TRANSITION", "GLACIER", "same-day")


def test_naive_datetimes_are_utc() -> None:
    config = {"Rules": [_rule("r", Expiration={"Days": 1})]}
    obj = LakeObject("a", 10, datetime(2026, 1, 2, 0, 5))
    assert _one(config, obj, datetime(2026, 1, 4)) == ("EXPIRE", "STANDARD", "r")


def test_date_rules_apply_on_and_after_the_date() -> None:
    config = {
        "Rules": [
            _rule("move", "a/", Transitions=[{"Date": "2026-03-01T00:00:00Z", "StorageClass": "GLACIER"}]),
            _rule("drop", "b/", Expiration={"Date": "2026-03-01T00:00:00.000Z"}),
        ]
    }
    before = datetime(2026, 2, 28, 23, 59, tzinfo=UTC)
    on = datetime(2026, 3, 1, tzinfo=UTC)
    objects = [_obj("a/old", 400), _obj("b/old", 400)]
    assert _actions(config, objects, before) == []
    assert _actions(config, objects, on) == [
        ("a/old", "TRANSITION", "GLACIER", "move"),
        ("b/old", "EXPIRE", "STANDARD", "drop"),
    ]
    # The date is not a one-time action: objects created after it qualify at once.
    fresh = LakeObject("b/new", 10, datetime(2026, 4, 2, 9, 0, tzinfo=UTC))
    assert _one(config, fresh, datetime(2026, 4, 2, 10, 0, tzinfo=UTC)) == ("EXPIRE", "STANDARD", "drop")


@pytest.mark.parametrize(
    ("transitions", "winner"),
    [
        # Glacier Flexible Retrieval beats Standard-IA and One Zone-IA.
        (["STANDARD_IA", "GLACIER"], "GLACIER"),
        (["GLACIER", "ONEZONE_IA"], "GLACIER"),
        # Intelligent-Tiering is favoured over everything but Glacier and Deep Archive.
        (["INTELLIGENT_TIERING", "STANDARD_IA"], "INTELLIGENT_TIERING"),
        (["GLACIER_IR", "INTELLIGENT_TIERING"], "INTELLIGENT_TIERING"),
        (["INTELLIGENT_TIERING", "GLACIER"], "GLACIER"),
        # Otherwise the lower-cost class.
        (["STANDARD_IA", "ONEZONE_IA"], "ONEZONE_IA"),
        (["ONEZONE_IA", "GLACIER_IR"], "GLACIER_IR"),
        (["DEEP_ARCHIVE", "GLACIER"], "DEEP_ARCHIVE"),
    ],
)
def test_transition_precedence(transitions: list[str], winner: str) -> None:
    config = {"Rules": [_rule(f"to-{name}", Transitions=[{"Days": 30, "StorageClass": name}]) for name in transitions]}
    assert _one(config, _obj("k", 60)) == ("TRANSITION", winner, f"to-{winner}")


def test_shortest_expiration_wins() -> None:
    config = {"Rules": [_rule("long", Expiration={"Days": 90}), _rule("short", "k", Expiration={"Days": 30})]}
    assert _one(config, _obj("k", 100)) == ("EXPIRE", "STANDARD", "short")


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("GLACIER", "STANDARD_IA"),
        ("GLACIER", "GLACIER"),
        ("DEEP_ARCHIVE", "GLACIER"),
        ("INTELLIGENT_TIERING", "STANDARD_IA"),
        ("ONEZONE_IA", "GLACIER_IR"),
        ("ONEZONE_IA", "INTELLIGENT_TIERING"),
        ("GLACIER_IR", "ONEZONE_IA"),
        ("EXPRESS_ONEZONE", "GLACIER"),
    ],
)
def test_never_transition_up_the_waterfall(current: str, target: str) -> None:
    config = {"Rules": [_rule("r", Transitions=[{"Days": 30, "StorageClass": target}])]}
    assert _one(config, _obj("k", 60, storage_class=current)) is None


def test_a_rule_moves_an_object_to_its_coldest_reachable_step() -> None:
    # Standard-IA at 30, Glacier Instant Retrieval at 60: an object put in One Zone-IA can reach neither.
    config = {
        "Rules": [
            _rule(
                "r",
                Transitions=[{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 60, "StorageClass": "GLACIER_IR"}],
            )
        ]
    }
    assert _one(config, _obj("k", 90, storage_class="ONEZONE_IA")) is None
    assert _one(config, _obj("k", 45, storage_class="STANDARD_IA")) is None
    assert _one(config, _obj("k", 90, storage_class="STANDARD_IA")) == ("TRANSITION", "GLACIER_IR", "r")


SMALL = 100 * KIB


@pytest.mark.parametrize(
    ("mode", "target", "size", "moves"),
    [
        ("all_storage_classes_128K", "GLACIER", SMALL, False),
        ("all_storage_classes_128K", "STANDARD_IA", SMALL, False),
        ("all_storage_classes_128K", "STANDARD_IA", 128 * KIB, True),
        ("all_storage_classes_128K", "GLACIER", 128 * KIB - 1, False),
        ("varies_by_storage_class", "GLACIER", SMALL, True),
        ("varies_by_storage_class", "DEEP_ARCHIVE", SMALL, True),
        ("varies_by_storage_class", "GLACIER_IR", SMALL, False),
        ("varies_by_storage_class", "INTELLIGENT_TIERING", SMALL, False),
    ],
)
def test_default_minimum_object_size(mode: str, target: str, size: int, moves: bool) -> None:
    config = {
        "TransitionDefaultMinimumObjectSize": mode,
        "Rules": [_rule("r", Transitions=[{"Days": 30, "StorageClass": target}])],
    }
    assert (_one(config, _obj("k", 60, size=size)) is not None) is moves


def test_a_size_filter_overrides_the_default_minimum() -> None:
    # "Custom filters always take precedence over the default transition behavior."
    config = {
        "Rules": [
            {
                "ID": "tiny",
                "Filter": {"ObjectSizeLessThan": 64 * KIB},
                "Status": "Enabled",
                "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}],
            }
        ]
    }
    action = plan(config, [_obj("k", 60, size=KIB)], now=NOW).actions[0]
    assert (action.action, action.storage_class) == ("TRANSITION", "STANDARD_IA")
    assert action.warnings == ["minimum billable size: 1024 bytes are billed as 131072 bytes in STANDARD_IA"]
    assert _one(config, _obj("k", 60, size=64 * KIB)) is None


def test_expiration_ignores_the_size_floor() -> None:
    config = {"Rules": [_rule("r", Expiration={"Days": 1})]}
    assert _one(config, _obj("k", 5, size=0)) == ("EXPIRE", "STANDARD", "r")


def test_filters_need_every_tag_and_match_empty_values() -> None:
    config = {
        "Rules": [
            {
                "ID": "r",
                "Filter": {"And": {"Prefix": "p/", "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b"}]}},
                "Status": "Enabled",
                "Expiration": {"Days": 1},
            }
        ]
    }
    objects = [
        _obj("p/all", 5, tags={"a": "1", "b": "", "c": "x"}),
        _obj("p/some", 5, tags={"a": "1"}),
        _obj("p/value", 5, tags={"a": "1", "b": "2"}),
        _obj("q/all", 5, tags={"a": "1", "b": ""}),
    ]
    assert [key for key, *_ in _actions(config, objects)] == ["p/all"]


# Example 6: Specifying a lifecycle rule for a versioning-enabled bucket.
VERSIONED = {
    "Rules": [
        _rule(
            "sample-rule",
            Transitions=[{"Days": 90, "StorageClass": "STANDARD_IA"}],
            NoncurrentVersionTransitions=[{"NoncurrentDays": 30, "StorageClass": "GLACIER"}],
            NoncurrentVersionExpiration={"NewerNoncurrentVersions": 5, "NoncurrentDays": 365},
        )
    ]
}


def _versions(key: str, ages: list[float], **fields: Any) -> list[LakeObject]:
    """Versions of one key, newest first, the first current; each became noncurrent when its successor was made."""
    return [_obj(key, age, version_id=f"v{len(ages) - i}", is_latest=i == 0, **fields) for i, age in enumerate(ages)]


def test_versioned_bucket_example() -> None:
    versions = _versions("doc", [100, 400, 500])
    actions = _actions(VERSIONED, versions)
    assert actions == [
        ("doc", "TRANSITION", "STANDARD_IA", "sample-rule"),
        ("doc", "TRANSITION_NONCURRENT", "GLACIER", "sample-rule"),
        ("doc", "TRANSITION_NONCURRENT", "GLACIER", "sample-rule"),
    ]
    assert [a.version_id for a in plan(VERSIONED, versions, now=NOW).actions] == ["v3", "v2", "v1"]


def test_noncurrent_days_count_from_the_successor() -> None:
    # Lifecycle configuration elements: photo.gif noncurrent since 1/2/2014 11:30 UTC, 5 days -> 1/8/2014 00:00 UTC.
    config = {"Rules": [_rule("r", NoncurrentVersionExpiration={"NoncurrentDays": 5})]}
    successor = LakeObject("photo.gif", 10, datetime(2014, 1, 2, 11, 30, tzinfo=UTC), version_id="b")
    old = LakeObject("photo.gif", 10, datetime(2013, 1, 1, tzinfo=UTC), version_id="a", is_latest=False)
    assert _actions(config, [old, successor], datetime(2014, 1, 7, 23, 0, tzinfo=UTC)) == []
    assert _actions(config, [old, successor], datetime(2014, 1, 8, tzinfo=UTC)) == [
        ("photo.gif", "EXPIRE_NONCURRENT", "STANDARD", "r")
    ]
    explicit = LakeObject(
        "photo.gif", 10, datetime(2013, 1, 1, tzinfo=UTC), version_id="a", is_latest=False,
        noncurrent_since=datetime(2014, 1, 6, tzinfo=UTC),
    )  # fmt: skip
    assert _actions(config, [explicit], datetime(2014, 1, 8, tzinfo=UTC)) == []


def test_newer_noncurrent_versions_keeps_the_newest() -> None:
    # NoncurrentVersionExpiration: both NoncurrentDays and NewerNoncurrentVersions must be exceeded.
    config = {
        "Rules": [_rule("keep2", NoncurrentVersionExpiration={"NoncurrentDays": 30, "NewerNoncurrentVersions": 2})]
    }
    versions = _versions("k", [10, 20, 100, 200, 300, 400])
    result = plan(config, versions, now=NOW).actions
    # v5 and v4 are noncurrent for 10 and 20 days; the older ones for 30 days or more. v3 has two newer
    # noncurrent versions (v5, v4), the number to keep, so it goes with v2 and v1.
    assert [(a.action, a.version_id) for a in result] == [
        ("EXPIRE_NONCURRENT", "v3"),
        ("EXPIRE_NONCURRENT", "v2"),
        ("EXPIRE_NONCURRENT", "v1"),
    ]
    kept = {"Rules": [_rule("keep3", NoncurrentVersionExpiration={"NoncurrentDays": 30, "NewerNoncurrentVersions": 3})]}
    assert [a.version_id for a in plan(kept, versions, now=NOW).actions] == ["v2", "v1"]


def test_versioned_expiration_writes_a_delete_marker() -> None:
    config = {"Rules": [_rule("r", Expiration={"Days": 30})]}
    assert _actions(config, _versions("k", [40])) == [("k", "DELETE_MARKER", "STANDARD", "r")]
    assert _actions(config, [_obj("k", 40, version_id="null")]) == [("k", "DELETE_MARKER", "STANDARD", "r")]


def test_transition_takes_precedence_over_creating_a_delete_marker() -> None:
    config = {
        "Rules": [
            _rule("move", Transitions=[{"Days": 30, "StorageClass": "GLACIER"}]),
            _rule("drop", Expiration={"Days": 60}),
        ]
    }
    assert _actions(config, _versions("k", [90])) == [("k", "TRANSITION", "GLACIER", "move")]
    archived = _versions("k", [90], storage_class="GLACIER")
    assert _actions(config, archived) == [("k", "DELETE_MARKER", "GLACIER", "drop")]
    # Without versioning the object is deleted outright instead.
    assert _actions(config, [_obj("k", 90)]) == [("k", "EXPIRE", "STANDARD", "drop")]


def test_expired_object_delete_markers() -> None:
    # Example 7: Removing expired object delete markers.
    config = {"Rules": [_rule("Rule 1", "logs/", Expiration={"ExpiredObjectDeleteMarker": True})]}
    marker = _obj("logs/a", 1, size=0, version_id="m", is_delete_marker=True)
    older = _obj("logs/a", 10, version_id="v1", is_latest=False)
    assert _actions(config, [marker]) == [("logs/a", "REMOVE_EXPIRED_DELETE_MARKER", None, "Rule 1")]
    assert _actions(config, [marker, older]) == []
    # A Days expiration also removes expired delete markers once they are old enough.
    by_days = {"Rules": [_rule("days", "logs/", Expiration={"Days": 5})]}
    assert _actions(by_days, [marker]) == []
    old_marker = _obj("logs/b", 10, size=0, version_id="m", is_delete_marker=True)
    assert _actions(by_days, [old_marker]) == [("logs/b", "REMOVE_EXPIRED_DELETE_MARKER", None, "days")]


def test_noncurrent_delete_markers_expire() -> None:
    config = {"Rules": [_rule("r", NoncurrentVersionExpiration={"NoncurrentDays": 1})]}
    current = _obj("k", 5, version_id="v2")
    marker = _obj("k", 10, size=0, version_id="m", is_latest=False, is_delete_marker=True)
    assert _actions(config, [current, marker]) == [("k", "EXPIRE_NONCURRENT", None, "r")]


def test_abort_incomplete_multipart_uploads() -> None:
    # Example 8: abort incomplete multipart uploads seven days after initiation.
    config = {
        "Rules": [_rule("sample-rule", "SomeKeyPrefix/", AbortIncompleteMultipartUpload={"DaysAfterInitiation": 7})]
    }
    uploads = [
        MultipartUpload("SomeKeyPrefix/big", "u1", NOW - timedelta(days=8), size=5 * MB),
        MultipartUpload("SomeKeyPrefix/new", "u2", NOW - timedelta(days=3)),
        MultipartUpload("Other/big", "u3", NOW - timedelta(days=30)),
    ]
    actions = plan(config, [], uploads=uploads, now=NOW).actions
    assert [(a.key, a.action, a.upload_id, a.size, a.age_days) for a in actions] == [
        ("SomeKeyPrefix/big", "ABORT_MULTIPART", "u1", 5 * MB, 8)
    ]


def test_early_deletion_warnings() -> None:
    config = {"Rules": [_rule("r", Expiration={"Days": 1}, Transitions=[])]}
    archived = _obj("k", 20, storage_class="GLACIER", storage_class_since=NOW - timedelta(days=10))
    action = plan(config, [archived], now=NOW).actions[0]
    assert action.warnings == [
        "early deletion fee: deleted after 10 days in GLACIER, whose minimum storage duration is 90 days; "
        "the remaining 80 days are charged"
    ]
    settled = _obj("k", 200, storage_class="GLACIER")
    assert plan(config, [settled], now=NOW).actions[0].warnings == []


def test_early_transition_out_of_infrequent_access_is_flagged() -> None:
    config = {"Rules": [_rule("deep", Transitions=[{"Days": 30, "StorageClass": "DEEP_ARCHIVE"}])]}
    obj = _obj("k", 40, storage_class="STANDARD_IA", storage_class_since=NOW - timedelta(days=5))
    action = plan(config, [obj], now=NOW).actions[0]
    assert action.action == "TRANSITION"
    assert action.warnings[0].startswith("early deletion fee: transitioned after 5 days in STANDARD_IA")


def test_plan_summary_and_action_dict() -> None:
    objects = [_obj("logs/a", 45), _obj("logs/b", 400), _obj("logs/c", 1), _obj("x", 1, storage_class="SNOW")]
    result = plan(TIERING, objects, now=NOW)
    summary = result.summary
    assert summary["ObjectsScanned"] == 4
    assert summary["Actions"] == {"EXPIRE": 1, "TRANSITION": 1}
    assert summary["ActionBytes"] == {"EXPIRE": MB, "TRANSITION": MB}
    assert summary["TransitionsByClass"] == {"STANDARD_IA": 1}
    assert summary["BillableBytesBefore"] == {"STANDARD": 3 * MB}
    assert summary["BillableBytesAfter"] == {"STANDARD": MB, "STANDARD_IA": MB}
    assert summary["MonthlyStorageCostBefore"] == pytest.approx(3 / 1024 * 0.023, abs=1e-6)
    assert summary["MonthlyStorageCostAfter"] == pytest.approx((0.023 + 0.0125) / 1024, abs=1e-6)
    assert summary["UnpricedStorageClasses"] == ["SNOW"]
    assert result.actions[0].to_dict() == {
        "Key": "logs/a",
        "Action": "TRANSITION",
        "StorageClass": "STANDARD_IA",
        "RuleId": "example-id",
        "Size": MB,
        "AgeDays": 45,
        "VersionId": None,
        "UploadId": None,
        "Warnings": [],
    }


def test_invalid_configuration_is_refused() -> None:
    with pytest.raises(LifecycleValidationError, match=r"rule 'r', Rules\[0\]\.Expiration\.Days"):
        plan({"Rules": [_rule("r", Expiration={"Days": 0})]}, [], now=NOW)


def test_many_prefixes_and_objects() -> None:
    rules = [_rule(f"r{i}", f"p{i:03d}/", Expiration={"Days": i + 1}) for i in range(200)]
    objects = [_obj(f"p{i % 250:03d}/o{i}", 100) for i in range(5000)]
    summary = plan({"Rules": rules}, objects, now=NOW).summary
    # Objects made 100 days ago at noon are 99 days old by S3's count: p000/ to p098/ expire (20 objects
    # each), p099/ to p199/ need more days, p200/ to p249/ have no rule.
    assert summary["Actions"] == {"EXPIRE": 99 * 20}
