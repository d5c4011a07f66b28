"""Lifecycle configuration parsing and validation: S3's error codes, with the rule and field named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lifecycle import LifecycleValidationError, ensure_valid, load_config, validate
from sluice.errors import InvalidInputException


def _rule(rule_id: str = "r1", **fields: Any) -> dict[str, Any]:
    return {"ID": rule_id, "Status": "Enabled", "Filter": {"Prefix": "logs/"}, **fields}


def _errors(*rules: dict[str, Any], **top: Any) -> list[tuple[str, str, str]]:
    return [(e.code, e.rule, e.path) for e in validate({"Rules": list(rules), **top})]


GLACIER_30 = {"Transitions": [{"Days": 30, "StorageClass": "GLACIER"}]}

# Every configuration of the User Guide's lifecycle pages that S3 accepts, in put-bucket-lifecycle-configuration JSON.
DOC_EXAMPLES = {
    # Examples of S3 Lifecycle configurations, Example 1: Specifying a filter (tax/ to Glacier, expire at 10 years).
    "ex1-prefix": {
        "Rules": [
            {
                "ID": "Transition and Expiration Rule",
                "Filter": {"Prefix": "tax/"},
                "Status": "Enabled",
                "Transitions": [{"Days": 365, "StorageClass": "GLACIER"}],
                "Expiration": {"Days": 3650},
            }
        ]
    },
    # Example 1: "Archive all object same-day upon creation" (empty prefix, Days 0).
    "ex1-same-day": {
        "Rules": [
            {
                "ID": "Archive all object same-day upon creation",
                "Filter": {"Prefix": ""},
                "Status": "Enabled",
                "Transitions": [{"Days": 0, "StorageClass": "GLACIER"}],
            }
        ]
    },
    # Example 1: a prefix and two tags combined with And.
    "ex1-and": {
        "Rules": [
            {
                "ID": "tax-tagged",
                "Status": "Enabled",
                "Filter": {
                    "And": {
                        "Prefix": "tax/",
                        "Tags": [{"Key": "key1", "Value": "value1"}, {"Key": "key2", "Value": "value2"}],
                    }
                },
                "Transitions": [{"Days": 365, "StorageClass": "GLACIER"}],
            }
        ]
    },
    # Example 3: Tiering down storage class over an object's lifetime.
    "ex3-tiering": {
        "Rules": [
            {
                "ID": "example-id",
                "Filter": {"Prefix": "logs/"},
                "Status": "Enabled",
                "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 90, "StorageClass": "GLACIER"}],
                "Expiration": {"Days": 365},
            }
        ]
    },
    # Example 6: Specifying a lifecycle rule for a versioning-enabled bucket.
    "ex6-versioned": {
        "Rules": [
            {
                "ID": "sample-rule",
                "Filter": {"Prefix": ""},
                "Status": "Enabled",
                "Transitions": [{"Days": 90, "StorageClass": "STANDARD_IA"}],
                "NoncurrentVersionTransitions": [{"NoncurrentDays": 30, "StorageClass": "GLACIER"}],
                "NoncurrentVersionExpiration": {"NewerNoncurrentVersions": 5, "NoncurrentDays": 365},
            }
        ]
    },
    # Example 7: Removing expired object delete markers.
    "ex7-markers": {
        "Rules": [
            {
                "ID": "Rule 1",
                "Filter": {"Prefix": "logs/"},
                "Status": "Enabled",
                "Expiration": {"ExpiredObjectDeleteMarker": True},
                "NoncurrentVersionExpiration": {"NewerNoncurrentVersions": 10, "NoncurrentDays": 30},
            }
        ]
    },
    # Example 8: Lifecycle configuration to abort multipart uploads.
    "ex8-mpu": {
        "Rules": [
            {
                "ID": "sample-rule",
                "Filter": {"Prefix": "SomeKeyPrefix/"},
                "Status": "Enabled",
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
            }
        ]
    },
    # Example 9: size-based rules (prefix and ObjectSizeGreaterThan; a 500-64000 byte range).
    "ex9-size": {
        "Rules": [
            {
                "ID": "Transition with a prefix and based on size",
                "Filter": {"And": {"Prefix": "tax/", "ObjectSizeGreaterThan": 500}},
                "Status": "Enabled",
                "Transitions": [{"Days": 365, "StorageClass": "GLACIER"}],
            },
            {
                "ID": "range",
                "Filter": {"And": {"ObjectSizeGreaterThan": 500, "ObjectSizeLessThan": 64000}},
                "Status": "Enabled",
                "Transitions": [{"Days": 365, "StorageClass": "GLACIER"}],
            },
        ]
    },
    # PutBucketLifecycleConfiguration API reference, Example 1 (documents/ to Glacier, logs/ expire).
    "api-example-1": {
        "Rules": [
            {
                "ID": "id1",
                "Filter": {"Prefix": "documents/"},
                "Status": "Enabled",
                "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}],
            },
            {"ID": "id2", "Filter": {"Prefix": "logs/"}, "Status": "Enabled", "Expiration": {"Days": 365}},
        ]
    },
    # "Example: Allowing objects smaller than 128 KB to be transitioned" (varies_by_storage_class).
    "small-objects": {
        "TransitionDefaultMinimumObjectSize": "varies_by_storage_class",
        "Rules": [{"ID": "deep", "Filter": {}, "Status": "Enabled", **GLACIER_30}],
    },
}


@pytest.mark.parametrize("name", sorted(DOC_EXAMPLES))
def test_documentation_examples_are_valid(name: str) -> None:
    assert validate(DOC_EXAMPLES[name]) == []


def test_legacy_rule_level_prefix_is_accepted() -> None:
    # GetBucketLifecycleConfiguration's sample: a rule-level Prefix (Lifecycle V1).
    config = load_config({"Rules": [{"ID": "v1", "Prefix": "projectdocs/", "Status": "Enabled", **GLACIER_30}]})
    assert validate(config) == []
    assert config.rules[0].prefix == "projectdocs/"


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # Status: required, exactly Enabled or Disabled (s3-tests test_lifecycle_invalid_status).
        ({"ID": "r1", "Filter": {}, **GLACIER_30}, ("MalformedXML", "r1", "Rules[0].Status")),
        (_rule(Status="enabled", **GLACIER_30), ("MalformedXML", "r1", "Rules[0].Status")),
        # ID over 255 characters (s3-tests test_lifecycle_id_too_long).
        (_rule("x" * 256, **GLACIER_30), ("InvalidArgument", "x" * 256, "Rules[0].ID")),
        # More than one predicate outside And.
        (
            _rule(Filter={"Prefix": "a/", "Tag": {"Key": "k", "Value": "v"}}, **GLACIER_30),
            ("MalformedXML", "r1", "Rules[0].Filter"),
        ),
        (
            _rule(Filter={"Prefix": "a/", "ObjectSizeGreaterThan": 10}, **GLACIER_30),
            ("MalformedXML", "r1", "Rules[0].Filter"),
        ),
        # An And of a single predicate.
        (_rule(Filter={"And": {"Prefix": "a/"}}, **GLACIER_30), ("MalformedXML", "r1", "Rules[0].Filter.And")),
        # Days mixed with Date across transitions and expiration.
        (
            _rule(Transitions=[{"Days": 30, "StorageClass": "GLACIER"}], Expiration={"Date": "2030-01-01T00:00:00Z"}),
            ("InvalidRequest", "r1", "Rules[0].Transitions"),
        ),
        # Dates not at midnight UTC.
        (
            _rule(Transitions=[{"Date": "2030-01-01T10:00:00Z", "StorageClass": "GLACIER"}]),
            ("InvalidArgument", "r1", "Rules[0].Transitions[0].Date"),
        ),
        (
            _rule(Expiration={"Date": "2030-01-01T00:00:00+02:00"}),
            ("InvalidArgument", "r1", "Rules[0].Expiration.Date"),
        ),
        # Standard-IA and One Zone-IA need 30 days.
        (
            _rule(Transitions=[{"Days": 29, "StorageClass": "STANDARD_IA"}]),
            ("InvalidArgument", "r1", "Rules[0].Transitions[0].Days"),
        ),
        (
            _rule(Transitions=[{"Days": 0, "StorageClass": "ONEZONE_IA"}]),
            ("InvalidArgument", "r1", "Rules[0].Transitions[0].Days"),
        ),
        (
            _rule(Transitions=[{"Days": -1, "StorageClass": "GLACIER"}]),
            ("InvalidArgument", "r1", "Rules[0].Transitions[0].Days"),
        ),
        # Expiration days must be positive (s3-tests test_lifecycle_expiration_days0).
        (_rule(Expiration={"Days": 0}), ("InvalidArgument", "r1", "Rules[0].Expiration.Days")),
        # The waterfall: nothing goes back up, and nothing leaves Deep Archive.
        (
            _rule(Transitions=[{"Days": 30, "StorageClass": "GLACIER"}, {"Days": 120, "StorageClass": "STANDARD_IA"}]),
            ("InvalidArgument", "r1", "Rules[0].Transitions[1].StorageClass"),
        ),
        (
            _rule(Transitions=[{"Days": 10, "StorageClass": "DEEP_ARCHIVE"}, {"Days": 200, "StorageClass": "GLACIER"}]),
            ("InvalidArgument", "r1", "Rules[0].Transitions[1].StorageClass"),
        ),
        (
            _rule(
                Transitions=[
                    {"Days": 0, "StorageClass": "INTELLIGENT_TIERING"},
                    {"Days": 60, "StorageClass": "STANDARD_IA"},
                ]
            ),
            ("InvalidArgument", "r1", "Rules[0].Transitions[1].StorageClass"),
        ),
        (
            _rule(Transitions=[{"Days": 30, "StorageClass": "ONEZONE_IA"}, {"Days": 90, "StorageClass": "GLACIER_IR"}]),
            ("InvalidArgument", "r1", "Rules[0].Transitions[1].StorageClass"),
        ),
        # 30 days in Standard-IA / One Zone-IA before the next transition of the same rule.
        (
            _rule(Transitions=[{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 45, "StorageClass": "GLACIER"}]),
            ("InvalidArgument", "r1", "Rules[0].Transitions[1].Days"),
        ),
        (
            _rule(
                Transitions=[{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 59, "StorageClass": "ONEZONE_IA"}]
            ),
            ("InvalidArgument", "r1", "Rules[0].Transitions[1].Days"),
        ),
        (
            _rule(Transitions=[{"Days": 30, "StorageClass": "GLACIER"}, {"Days": 60, "StorageClass": "GLACIER"}]),
            ("InvalidArgument", "r1", "Rules[0].Transitions[1].StorageClass"),
        ),
        # ExpiredObjectDeleteMarker cannot go with Days or Date, nor with a tag or size filter.
        (
            _rule(Expiration={"Days": 30, "ExpiredObjectDeleteMarker": True}),
            ("MalformedXML", "r1", "Rules[0].Expiration.ExpiredObjectDeleteMarker"),
        ),
        (
            _rule(Filter={"Tag": {"Key": "k", "Value": "v"}}, Expiration={"ExpiredObjectDeleteMarker": True}),
            ("InvalidRequest", "r1", "Rules[0].Expiration.ExpiredObjectDeleteMarker"),
        ),
        (_rule(Expiration={}), ("MalformedXML", "r1", "Rules[0].Expiration")),
        # Expiration after the last transition.
        (
            _rule(Transitions=[{"Days": 90, "StorageClass": "GLACIER"}], Expiration={"Days": 90}),
            ("InvalidArgument", "r1", "Rules[0].Expiration.Days"),
        ),
        (
            _rule(
                Transitions=[{"Date": "2030-06-01T00:00:00Z", "StorageClass": "GLACIER"}],
                Expiration={"Date": "2030-01-01T00:00:00Z"},
            ),
            ("InvalidArgument", "r1", "Rules[0].Expiration.Date"),
        ),
        (
            _rule(
                NoncurrentVersionTransitions=[{"NoncurrentDays": 60, "StorageClass": "GLACIER"}],
                NoncurrentVersionExpiration={"NoncurrentDays": 30},
            ),
            ("InvalidArgument", "r1", "Rules[0].NoncurrentVersionExpiration.NoncurrentDays"),
        ),
        # A rule without any action.
        (_rule(), ("InvalidRequest", "r1", "Rules[0]")),
        # Unknown storage class.
        (
            _rule(Transitions=[{"Days": 30, "StorageClass": "COLD"}]),
            ("MalformedXML", "r1", "Rules[0].Transitions[0].StorageClass"),
        ),
        # Size bounds.
        (
            _rule(Filter={"And": {"ObjectSizeGreaterThan": 1000, "ObjectSizeLessThan": 1000}}, **GLACIER_30),
            ("InvalidRequest", "r1", "Rules[0].Filter.And.ObjectSizeLessThan"),
        ),
        (
            _rule(Filter={"ObjectSizeLessThan": 0}, **GLACIER_30),
            ("InvalidRequest", "r1", "Rules[0].Filter.ObjectSizeLessThan"),
        ),
        (
            _rule(Filter={"And": {"Tags": [{"Key": "k", "Value": "a"}, {"Key": "k", "Value": "b"}]}}, **GLACIER_30),
            ("InvalidRequest", "r1", "Rules[0].Filter.And.Tags"),
        ),
        # AbortIncompleteMultipartUpload: positive days, prefix-only filters.
        (
            _rule(AbortIncompleteMultipartUpload={"DaysAfterInitiation": 0}),
            ("InvalidArgument", "r1", "Rules[0].AbortIncompleteMultipartUpload.DaysAfterInitiation"),
        ),
        (
            _rule(
                Filter={"Tag": {"Key": "k", "Value": "v"}}, AbortIncompleteMultipartUpload={"DaysAfterInitiation": 7}
            ),
            ("InvalidRequest", "r1", "Rules[0].AbortIncompleteMultipartUpload"),
        ),
        # Noncurrent versions.
        (
            _rule(NoncurrentVersionTransitions=[{"NoncurrentDays": 29, "StorageClass": "STANDARD_IA"}]),
            ("InvalidArgument", "r1", "Rules[0].NoncurrentVersionTransitions[0].NoncurrentDays"),
        ),
        (
            _rule(NoncurrentVersionExpiration={"NoncurrentDays": 0}),
            ("InvalidArgument", "r1", "Rules[0].NoncurrentVersionExpiration.NoncurrentDays"),
        ),
        (
            _rule(NoncurrentVersionExpiration={"NoncurrentDays": 30, "NewerNoncurrentVersions": 0}),
            ("InvalidArgument", "r1", "Rules[0].NoncurrentVersionExpiration.NewerNoncurrentVersions"),
        ),
        (
            _rule(NoncurrentVersionExpiration={"NewerNoncurrentVersions": 3}),
            ("MalformedXML", "r1", "Rules[0].NoncurrentVersionExpiration.NoncurrentDays"),
        ),
        # A rule needs a Filter or a rule-level Prefix, not both.
        ({"ID": "r1", "Status": "Enabled", **GLACIER_30}, ("MalformedXML", "r1", "Rules[0].Filter")),
        (_rule(Prefix="logs/", **GLACIER_30), ("MalformedXML", "r1", "Rules[0].Prefix")),
        # Schema faults: an unknown field and a wrong type.
        (_rule(Transition={"Days": 30, "StorageClass": "GLACIER"}), ("MalformedXML", "r1", "Rules[0].Transition")),
        (
            _rule(Transitions=[{"Days": "30", "StorageClass": "GLACIER"}]),
            ("MalformedXML", "r1", "Rules[0].Transitions[0].Days"),
        ),
    ],
)
def test_rule_errors(rule: dict[str, Any], expected: tuple[str, str, str]) -> None:
    assert _errors(rule) == [expected]


@pytest.mark.parametrize(
    ("transitions", "valid"),
    [
        # Days 0 is allowed for the Glacier classes and Intelligent-Tiering (API Transition.Days).
        ([{"Days": 0, "StorageClass": "GLACIER"}], True),
        ([{"Days": 0, "StorageClass": "DEEP_ARCHIVE"}], True),
        ([{"Days": 0, "StorageClass": "GLACIER_IR"}], True),
        ([{"Days": 0, "StorageClass": "INTELLIGENT_TIERING"}], True),
        ([{"Days": 30, "StorageClass": "STANDARD_IA"}], True),
        # Exactly 30 days after Standard-IA is enough.
        ([{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 60, "StorageClass": "GLACIER"}], True),
        ([{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 60, "StorageClass": "INTELLIGENT_TIERING"}], True),
        ([{"Days": 0, "StorageClass": "GLACIER_IR"}, {"Days": 90, "StorageClass": "DEEP_ARCHIVE"}], True),
        ([{"Days": 0, "StorageClass": "GLACIER"}, {"Days": 0, "StorageClass": "DEEP_ARCHIVE"}], False),
    ],
)
def test_transition_days(transitions: list[dict[str, Any]], valid: bool) -> None:
    assert (validate({"Rules": [_rule(Transitions=transitions)]}) == []) is valid


def test_document_level_errors() -> None:
    assert _errors() == [("InvalidRequest", "", "Rules")]
    too_many = [_rule(f"r{i}", **GLACIER_30) for i in range(1001)]
    assert _errors(*too_many)[0] == ("InvalidRequest", "", "Rules")
    assert _errors(*too_many[:1000]) == []
    assert _errors(_rule(**GLACIER_30), TransitionDefaultMinimumObjectSize="128K") == [
        ("InvalidRequest", "", "TransitionDefaultMinimumObjectSize")
    ]
    # s3-tests test_lifecycle_same_id: the second rule with an ID is the faulty one.
    assert _errors(_rule("same", **GLACIER_30), _rule("same", Expiration={"Days": 9})) == [
        ("InvalidArgument", "same", "Rules[1].ID")
    ]


def test_rule_label_falls_back_to_index() -> None:
    assert _errors({"Status": "Enabled", "Filter": {}}) == [("InvalidRequest", "Rules[0]", "Rules[0]")]


def test_lifecycle_v1_and_v2_do_not_mix() -> None:
    v1 = {"ID": "v1", "Prefix": "a/", "Status": "Enabled", "Expiration": {"Days": 1}}
    v2 = _rule("v2", Expiration={"Days": 1})
    assert _errors(v1, v2) == [("InvalidRequest", "v2", "Rules[1].Filter")]
    assert _errors(v2, v1) == [("InvalidRequest", "v1", "Rules[1].Prefix")]
    # V1 refuses overlapping prefixes for one action type.
    overlap = {"ID": "v1b", "Prefix": "a/b", "Status": "Enabled", "Expiration": {"Days": 2}}
    assert _errors(v1, overlap) == [("InvalidRequest", "v1b", "Rules[1].Prefix")]
    newer = {**v1, "NoncurrentVersionExpiration": {"NoncurrentDays": 5, "NewerNoncurrentVersions": 2}}
    assert _errors(newer) == [("InvalidRequest", "v1", "Rules[0].NoncurrentVersionExpiration.NewerNoncurrentVersions")]


def test_every_error_is_reported_with_its_rule_and_field() -> None:
    errors = validate(
        {
            "Rules": [
                _rule("bad-status", Status="On", **GLACIER_30),
                _rule("bad-ia", Transitions=[{"Days": 1, "StorageClass": "STANDARD_IA"}]),
            ]
        }
    )
    assert [(e.code, e.rule, e.path) for e in errors] == [
        ("MalformedXML", "bad-status", "Rules[0].Status"),
        ("InvalidArgument", "bad-ia", "Rules[1].Transitions[0].Days"),
    ]
    assert str(errors[1]) == (
        "InvalidArgument at rule 'bad-ia', Rules[1].Transitions[0].Days: "
        "'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'"
    )


def test_ensure_valid_raises_invalid_input() -> None:
    with pytest.raises(LifecycleValidationError) as caught:
        ensure_valid({"Rules": [_rule("r9", Expiration={"Days": 0})]})
    assert isinstance(caught.value, InvalidInputException)
    assert [e.path for e in caught.value.errors] == ["Rules[0].Expiration.Days"]
    assert "rule 'r9', Rules[0].Expiration.Days" in str(caught.value)
    assert ensure_valid(DOC_EXAMPLES["ex3-tiering"]).rules[0].label == "example-id"


def test_load_config_from_file(tmp_path: Path) -> None:
    path = tmp_path / "lifecycle.json"
    path.write_text(json.dumps(DOC_EXAMPLES["ex3-tiering"]))
    config = load_config(f"file://{path}")
    assert config.source == str(path)
    transitions = config.rules[0].transitions
    assert [(t.days, t.storage_class) for t in transitions] == [(30, "STANDARD_IA"), (90, "GLACIER")]


def test_json_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "Rules": [\n    {"ID": "a",}\n  ]\n}\n')
    with pytest.raises(InvalidInputException, match=rf"{path}:3:16: invalid JSON"):
        load_config(path)
    with pytest.raises(InvalidInputException, match="cannot read lifecycle configuration"):
        load_config(tmp_path / "missing.json")


def test_dates_parse_to_midnight_utc() -> None:
    config = load_config({"Rules": [_rule(Expiration={"Date": "2030-01-01"})]})
    expiration = config.rules[0].expiration
    assert expiration is not None and expiration.date is not None
    assert expiration.date.isoformat() == "2030-01-01T00:00:00+00:00"
    assert validate(config) == []


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        # An unknown member deep in a rule: the message lists the members S3 knows there.
        (
            [_rule(Expiration={"Days": 9, "Day": 9})],
            (
                "r1",
                "Rules[0].Expiration.Day",
                "unknown field 'Day'; expected one of Date, Days, ExpiredObjectDeleteMarker",
            ),
        ),
        (
            [_rule(Filter={"And": {"Prefix": "a/", "Tags": [{"Key": "k", "Valeu": "v"}]}}, **GLACIER_30)],
            ("r1", "Rules[0].Filter.And.Tags[0].Valeu", "unknown field 'Valeu'; expected one of Key, Value"),
        ),
        # A rule without an ID is named by its index.
        (
            [_rule(**GLACIER_30), {"Status": "Enabled", "Filter": {}, "Expiration": {"Days": True}}],
            ("Rules[1]", "Rules[1].Expiration.Days", "must be an integer, not True"),
        ),
        ([_rule(**GLACIER_30), "r2"], ("Rules[1]", "Rules[1]", "must be an object, not 'r2'")),
        ([_rule(Transitions={"Days": 30})], ("r1", "Rules[0].Transitions", "must be a list, not dict")),
        (
            [_rule(Expiration={"Date": "next year"})],
            (
                "r1",
                "Rules[0].Expiration.Date",
                "must be an ISO 8601 timestamp such as 2026-01-01T00:00:00Z, not 'next year'",
            ),
        ),
        (
            [_rule(NoncurrentVersionExpiration={"NoncurrentDays": 5, "NewerNoncurrentVersions": "2"})],
            ("r1", "Rules[0].NoncurrentVersionExpiration.NewerNoncurrentVersions", "must be an integer, not '2'"),
        ),
        (
            [_rule(Filter={"Tag": {"Key": "", "Value": "v"}}, Expiration={"Days": 9})],
            ("r1", "Rules[0].Filter.Tag.Key", "must not be empty"),
        ),
        (
            [_rule(Filter={"And": {"Prefix": "a/", "Tags": [{"Value": "v"}]}}, Expiration={"Days": 9})],
            ("r1", "Rules[0].Filter.And.Tags[0].Key", "Key is required and must not be empty"),
        ),
        (
            [_rule(Status=1, Expiration={"Days": 9})],
            ("r1", "Rules[0].Status", "must be a string, not 1"),
        ),
    ],
)
def test_malformed_input_names_rule_and_field(rules: list[Any], expected: tuple[str, str, str]) -> None:
    errors = validate({"Rules": rules})
    assert [(e.code, e.rule, e.path, e.message) for e in errors] == [("MalformedXML", *expected)]


def test_malformed_document_is_reported_as_a_whole() -> None:
    assert [(e.code, e.path) for e in validate(["Rules"])] == [
        ("MalformedXML", "LifecycleConfiguration"),
        ("InvalidRequest", "Rules"),
    ]
    assert [(e.path, e.message) for e in validate({"Rules": [], "Rule": []})] == [
        ("Rule", "unknown field 'Rule'; expected one of Rules, TransitionDefaultMinimumObjectSize"),
        ("Rules", "At least one lifecycle rule must be specified."),
    ]


def test_schema_and_semantic_faults_are_reported_together(tmp_path: Path) -> None:
    path = tmp_path / "lifecycle.json"
    rules = [
        _rule("typo", Transitions=[{"Days": 30, "StorageClas": "GLACIER"}, {"Days": "60", "StorageClass": "GLACIER"}]),
        _rule("short", Transitions=[{"Days": 1, "StorageClass": "ONEZONE_IA"}]),
    ]
    path.write_text(json.dumps({"Rules": rules}))
    with pytest.raises(LifecycleValidationError) as caught:
        ensure_valid(path)
    assert [(e.code, e.rule, e.path) for e in caught.value.errors] == [
        ("MalformedXML", "typo", "Rules[0].Transitions[0].StorageClas"),
        ("MalformedXML", "typo", "Rules[0].Transitions[1].Days"),
        ("MalformedXML", "typo", "Rules[0].Transitions[0].StorageClass"),
        ("InvalidArgument", "short", "Rules[1].Transitions[0].Days"),
    ]
    message = str(caught.value)
    assert message.startswith(f"invalid lifecycle configuration {path} (4 error(s)):")
    assert "MalformedXML at rule 'typo', Rules[0].Transitions[1].Days: must be an integer, not '60'" in message
