"""Plan and apply on the moto S3 server: copy_object transitions, deletes, delete markers, uploads, restore, push."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from lifecycle.executors import Executor
from lifecycle.journal import APPLIED, actions_of, pending
from lifecycle.listing import open_listing
from lifecycle.push import push
from lifecycle.report import report
from lifecycle.restore import restore
from lifecycle.run import plan_or_apply
from sluice.errors import InvalidInputException
from tests.lifecycle.conftest import KIB, RULES, later

pytestmark = pytest.mark.s3

ABORT = {
    "ID": "uploads",
    "Status": "Enabled",
    "Filter": {"Prefix": ""},
    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
}
VERSIONED = {
    "Rules": [
        {
            "ID": "logs",
            "Status": "Enabled",
            "Filter": {"Prefix": "logs/"},
            "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}],
            "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
        },
        {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 7}},
        {
            "ID": "markers",
            "Status": "Enabled",
            "Filter": {"Prefix": "gone/"},
            "Expiration": {"ExpiredObjectDeleteMarker": True},
        },
    ]
}


def _put(client: Any, bucket: str, key: str, size: int) -> dict[str, Any]:
    return client.put_object(Bucket=bucket, Key=key, Body=b"x" * size)


def _state(client: Any, bucket: str, key: str) -> tuple[str, str]:
    head = client.head_object(Bucket=bucket, Key=key)
    return head.get("StorageClass", "STANDARD"), head["ETag"]


def test_apply_on_a_bucket(s3: tuple[Any, str]) -> None:
    client, bucket = s3
    _put(client, bucket, "logs/d=1/a.csv", 200 * KIB)
    _put(client, bucket, "logs/d=1/small.csv", 10 * KIB)
    _put(client, bucket, "tmp/x.csv", 50)
    _put(client, bucket, "keep/c.csv", 200 * KIB)
    upload = client.create_multipart_upload(Bucket=bucket, Key="logs/big.bin")["UploadId"]
    kept = {key: _state(client, bucket, key) for key in ("logs/d=1/small.csv", "keep/c.csv")}
    rules = {"Rules": [*RULES["Rules"], ABORT]}
    planned = plan_or_apply(rules, f"s3://{bucket}", now=later())
    assert {(a["Key"], a["Action"], a["StorageClass"]) for a in planned["Actions"]} == {
        ("logs/d=1/a.csv", "TRANSITION", "GLACIER"),
        ("tmp/x.csv", "EXPIRE", "STANDARD"),
        ("logs/big.bin", "ABORT_MULTIPART", None),
    }
    assert _state(client, bucket, "logs/d=1/a.csv")[0] == "STANDARD"  # plan changed nothing

    result = plan_or_apply(rules, f"s3://{bucket}", apply=True, now=later())
    assert result["Summary"]["Applied"] == 3 and result["Summary"]["Failed"] == 0
    assert _state(client, bucket, "logs/d=1/a.csv")[0] == "GLACIER"
    assert "Contents" not in client.list_objects_v2(Bucket=bucket, Prefix="tmp/")
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert {key: _state(client, bucket, key) for key in kept} == kept  # out of scope: same class and ETag
    journal = {row.key: row for row in actions_of(result["Summary"]["PlanId"])}
    assert journal["logs/d=1/a.csv"].before["StorageClass"] == "STANDARD"
    assert journal["logs/d=1/a.csv"].after["StorageClass"] == "GLACIER"
    assert journal["logs/big.bin"].after == {"Aborted": True, "UploadId": upload}
    assert plan_or_apply(rules, f"s3://{bucket}", now=later())["Actions"] == []  # idempotent
    found = {item.obj.key: item for item in open_listing(f"s3://{bucket}").found()}
    assert found["logs/d=1/a.csv"].state is not None  # the copy's row applies: ages still count from creation
    assert found["logs/d=1/a.csv"].obj.last_modified < found["logs/d=1/a.csv"].state.class_since

    # restore of the GLACIER object: unreadable before, readable after
    with pytest.raises(ClientError, match="InvalidObjectState"):
        client.get_object(Bucket=bucket, Key="logs/d=1/a.csv")
    done = restore(f"s3://{bucket}/logs/d=1/a.csv", days=1, tier="Expedited")
    assert done["StorageClass"] == "GLACIER" and done["RetrievalCost"] > 0
    assert 'ongoing-request="false"' in client.head_object(Bucket=bucket, Key="logs/d=1/a.csv")["Restore"]
    assert len(client.get_object(Bucket=bucket, Key="logs/d=1/a.csv")["Body"].read()) == 200 * KIB
    with pytest.raises(InvalidInputException, match="only GLACIER and DEEP_ARCHIVE"):
        restore(f"s3://{bucket}/keep/c.csv", days=1)

    totals = {row["StorageClass"]: row["Objects"] for row in report(f"s3://{bucket}")["StorageClasses"]}
    assert totals == {"GLACIER": 1, "STANDARD": 2}


def test_tier_folders_leave_a_bucket_in_place_and_a_repeated_transition_is_recognised(
    s3: tuple[Any, str], cold: Any
) -> None:
    """SLUICE_TIER_ROOTS is local disk's: a bucket's object still changes class in place, and the transition
    repeated (as a resumed apply repeats a step carried out but not journaled) finds the copy done."""
    client, bucket = s3
    _put(client, bucket, "logs/d=1/a.csv", 200 * KIB)
    plan_id = plan_or_apply(RULES, f"s3://{bucket}", now=later())["Summary"]["PlanId"]
    (step,) = pending(plan_id)
    executor = Executor(open_listing(f"s3://{bucket}"))
    first, again = executor.execute(step, later()), executor.execute(step, later())
    assert first.status == again.status == APPLIED
    assert again.state is not None and again.state["location"] == f"s3://{bucket}/logs/d=1/a.csv"
    assert _state(client, bucket, "logs/d=1/a.csv")[0] == "GLACIER" and not cold.exists()


def test_versioned_bucket(s3: tuple[Any, str]) -> None:
    client, bucket = s3
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    old = _put(client, bucket, "logs/a.csv", 200 * KIB)["VersionId"]
    _put(client, bucket, "logs/a.csv", 300 * KIB)
    _put(client, bucket, "tmp/x.csv", 50)
    _put(client, bucket, "gone/y.csv", 50)
    client.delete_object(Bucket=bucket, Key="gone/y.csv")
    only = client.list_object_versions(Bucket=bucket, Prefix="gone/")["Versions"][0]["VersionId"]
    client.delete_object(Bucket=bucket, Key="gone/y.csv", VersionId=only)  # leaves an expired delete marker
    result = plan_or_apply(VERSIONED, f"s3://{bucket}", apply=True, now=later())
    outcomes = {(a["Key"], a["Action"], a["Status"]) for a in result["Actions"]}
    assert outcomes == {
        ("logs/a.csv", "TRANSITION", "APPLIED"),
        ("logs/a.csv", "EXPIRE_NONCURRENT", "APPLIED"),
        ("tmp/x.csv", "DELETE_MARKER", "APPLIED"),
        ("gone/y.csv", "REMOVE_EXPIRED_DELETE_MARKER", "APPLIED"),
    }
    listing = client.list_object_versions(Bucket=bucket)
    versions = {(v["Key"], v.get("StorageClass"), v["IsLatest"]) for v in listing["Versions"]}
    assert versions == {("logs/a.csv", "STANDARD_IA", True), ("tmp/x.csv", "STANDARD", False)}
    assert old not in {v["VersionId"] for v in listing["Versions"]}
    assert [(m["Key"], m["IsLatest"]) for m in listing.get("DeleteMarkers", [])] == [("tmp/x.csv", True)]
    assert client.head_object(Bucket=bucket, Key="logs/a.csv")["ContentLength"] == 300 * KIB
    assert plan_or_apply(VERSIONED, f"s3://{bucket}", now=later())["Actions"] == []


def test_push_puts_the_configuration_on_the_bucket(s3: tuple[Any, str]) -> None:
    client, bucket = s3
    result = push(RULES, f"s3://{bucket}")
    assert [rule["ID"] for rule in result["Rules"]] == ["logs-tiering", "tmp-expire", "keep-disabled"]
    stored = client.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert stored[0]["Transitions"][1] == {"Days": 90, "StorageClass": "GLACIER"}
    with pytest.raises(InvalidInputException, match="whole bucket"):
        push(RULES, f"s3://{bucket}/raw")
    with pytest.raises(InvalidInputException, match="must be unique"):
        push({"Rules": [RULES["Rules"][1], RULES["Rules"][1]]}, f"s3://{bucket}")


def test_a_relative_uri_resolves_under_an_s3_lake_root(s3: tuple[Any, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from sluice.lake.paths import resolve
    from sluice.settings import get_settings

    _, bucket = s3
    monkeypatch.setenv("SLUICE_LAKE_ROOT", f"s3://{bucket}/lake")
    get_settings.cache_clear()
    assert resolve("raw") == resolve("raw/") == f"s3://{bucket}/lake/raw"  # not s3:/… from normpath
    assert resolve(f"s3a://{bucket}/x") == f"s3://{bucket}/x"
    assert plan_or_apply(RULES, "raw", apply=False)["Actions"] == []  # an empty prefix is a folder on S3
