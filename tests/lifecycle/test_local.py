"""Plan and apply on a local lake: tier folders, recorded classes, the journal, the catalog, restore and reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog import Catalog
from lifecycle.access import access_tier
from lifecycle.journal import actions_of, plan_row
from lifecycle.report import report
from lifecycle.restore import restore
from lifecycle.run import plan_or_apply
from sluice.db import session_scope
from sluice.errors import InvalidInputException
from sluice.lake.guard import InvalidObjectStateException, ObjectStateRow, before_read
from tests.lifecycle.conftest import KIB, RULES, digest, later, write


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): digest(p) for p in sorted(root.rglob("*")) if p.is_file()}


def _classes() -> dict[str, str]:
    with session_scope() as s:
        return {row.key: row.storage_class for row in s.scalars(select(ObjectStateRow))}


def test_plan_is_the_default_and_changes_nothing(raw: Path, cold: Path) -> None:
    before = _tree(raw)
    result = plan_or_apply(RULES, "raw", now=later())
    actions = {(a["Key"], a["Action"], a["StorageClass"], a["RuleId"]) for a in result["Actions"]}
    assert actions == {
        ("logs/d=2026-01-01/a.csv", "TRANSITION", "GLACIER", "logs-tiering"),
        ("logs/d=2026-01-01/b.csv", "TRANSITION", "GLACIER", "logs-tiering"),
        ("tmp/x.csv", "EXPIRE", "STANDARD", "tmp-expire"),
    }  # small.csv is under 128 KiB; keep/ has only a disabled rule
    assert all(a["AgeDays"] >= 399 for a in result["Actions"])
    assert result["Summary"]["Mode"] == "PLAN" and result["Summary"]["Actions"] == {"EXPIRE": 1, "TRANSITION": 2}
    assert _tree(raw) == before and not cold.exists() and _classes() == {}
    assert plan_row(result["Summary"]["PlanId"]).status == "PLANNED"
    assert {row.status for row in actions_of(result["Summary"]["PlanId"])} == {"PLANNED"}


def test_apply_tiers_expires_journals_and_is_idempotent(raw: Path, cold: Path) -> None:
    kept = {key: value for key, value in _tree(raw).items() if not key.startswith(("logs/d=2026-01-01", "tmp"))}
    moved = {key: digest(raw / key) for key in ("logs/d=2026-01-01/a.csv", "logs/d=2026-01-01/b.csv")}
    result = plan_or_apply(RULES, "raw", apply=True, now=later())
    assert result["Summary"]["Status"] == "APPLIED" and result["Summary"]["Applied"] == 3
    assert {a["Status"] for a in result["Actions"]} == {"APPLIED"}
    # out-of-scope objects are byte-for-byte unchanged; tiered bytes moved intact; the expired file is gone
    assert _tree(raw) == kept
    for key, value in moved.items():
        assert digest(cold / str(raw / key).lstrip("/")) == value
    classes = _classes()
    assert classes == {str(raw / key): "GLACIER" for key in moved}
    rows = {row.key: row for row in actions_of(result["Summary"]["PlanId"])}
    row = rows["logs/d=2026-01-01/a.csv"]
    assert row.before["StorageClass"] == "STANDARD" and row.before["Location"] == str(raw / "logs/d=2026-01-01/a.csv")
    assert row.after == {
        "StorageClass": "GLACIER",
        "Location": str(cold / str(raw).lstrip("/") / "logs/d=2026-01-01/a.csv"),
    }
    assert rows["tmp/x.csv"].after == {"Deleted": True}
    # a re-plan right after apply is empty, and a second apply changes nothing
    assert plan_or_apply(RULES, "raw", now=later())["Actions"] == []
    again = plan_or_apply(RULES, "raw", apply=True, now=later())
    assert again["Actions"] == [] and again["Summary"]["Status"] == "APPLIED"
    assert _tree(raw) == kept and _classes() == classes


def test_classes_without_a_tier_folder_are_recorded_in_place(raw: Path) -> None:
    rules = {"Rules": [{**RULES["Rules"][0], "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}]}]}
    before = _tree(raw)
    plan_or_apply(rules, "raw", apply=True, now=later())
    assert _tree(raw) == before
    assert set(_classes().values()) == {"STANDARD_IA"} and len(_classes()) == 2
    listed = report("raw", now=later())
    by_class = {row["StorageClass"]: row for row in listed["StorageClasses"]}
    assert by_class["STANDARD_IA"]["Objects"] == 2 and by_class["STANDARD"]["Objects"] == 3
    assert by_class["STANDARD_IA"]["Bytes"] == 500 * KIB
    assert listed["Total"]["MonthlyCost"] == pytest.approx(sum(r["MonthlyCost"] for r in listed["StorageClasses"]))


def test_partition_locations_and_parameters_follow_the_bytes(raw: Path, cold: Path) -> None:
    catalog = Catalog()
    catalog.create_database("raw")
    catalog.create_table(
        "raw",
        {
            "Name": "logs",
            "StorageDescriptor": {"Columns": [{"Name": "v", "Type": "string"}], "Location": str(raw / "logs")},
            "PartitionKeys": [{"Name": "d", "Type": "string"}],
        },
    )
    days = ("2026-01-01", "2026-01-02")
    catalog.batch_create_partition(
        "raw",
        "logs",
        [{"Values": [d], "StorageDescriptor": {"Location": str(raw / f"logs/d={d}")}} for d in days],
    )
    result = plan_or_apply(RULES, "raw", apply=True, now=later())
    assert result["Summary"]["PartitionsMoved"] == ["raw.logs['2026-01-01']"]
    moved = catalog.get_partition("raw", "logs", ["2026-01-01"])
    assert moved["StorageDescriptor"]["Location"] == str(cold / str(raw).lstrip("/") / "logs/d=2026-01-01")
    assert moved["Parameters"]["lifecycle_storage_class"] == "GLACIER"
    stayed = catalog.get_partition("raw", "logs", ["2026-01-02"])
    assert stayed["StorageDescriptor"]["Location"] == str(raw / "logs/d=2026-01-02")


def test_archived_objects_are_unreadable_until_restored(raw: Path, cold: Path) -> None:
    plan_or_apply(RULES, "raw", apply=True, now=later())
    location = cold / str(raw).lstrip("/") / "logs/d=2026-01-01"
    with pytest.raises(InvalidObjectStateException) as refused:
        before_read([str(location)])
    assert "GLACIER" in refused.value.message and "sluice lifecycle restore" in (refused.value.hint or "")
    before_read([str(raw / "keep")])  # STANDARD objects read freely
    with pytest.raises(InvalidInputException, match="only GLACIER and DEEP_ARCHIVE"):
        restore(str(raw / "keep/c.csv"), days=1)
    with pytest.raises(InvalidInputException, match="--tier"):
        restore(str(raw / "logs/d=2026-01-01/a.csv"), days=1, tier="Fast")
    done = restore("raw/logs/d=2026-01-01/a.csv", days=2, tier="Bulk")
    assert done["StorageClass"] == "GLACIER" and done["RestoreExpiryDate"].endswith("T00:00:00+00:00")
    before_read([str(location / "a.csv")])  # the restored object reads
    with pytest.raises(InvalidObjectStateException):
        before_read([str(location)])  # b.csv is still archived
    assert plan_row(done["PlanId"]).status == "APPLIED"
    assert [row.action for row in actions_of(done["PlanId"])] == ["RESTORE"]


def test_table_rules_tier_whole_partitions_by_their_values(sluice_home: Path, cold: Path) -> None:
    table = sluice_home / "lake" / "curated" / "flights"
    catalog = Catalog()
    catalog.create_database("curated")
    catalog.create_table(
        "curated",
        {
            "Name": "flights",
            "StorageDescriptor": {"Columns": [{"Name": "v", "Type": "string"}], "Location": str(table)},
            "PartitionKeys": [{"Name": "year", "Type": "string"}, {"Name": "month", "Type": "string"}],
        },
    )
    months = {("2013", "01"): 400, ("2024", "01"): 400, ("2024", "02"): 10, ("2026", "11"): 400}  # new files
    for (year, month), size in months.items():
        write(table, f"year={year}/month={month}/part-0.parquet", size * KIB)
    catalog.batch_create_partition(
        "curated",
        "flights",
        [{"Values": [y, m], "StorageDescriptor": {"Location": str(table / f"year={y}/month={m}")}} for y, m in months],
    )
    rules = {
        "TableRules": [
            {
                "ID": "flights-archive",
                "Status": "Enabled",
                "Database": "curated",
                "Table": "flights",
                "PartitionDate": {"Keys": ["year", "month"]},
                "Transitions": [{"Days": 365, "StorageClass": "GLACIER"}],
                "Expiration": {"Days": 4000},
            }
        ]
    }
    result = plan_or_apply(rules, "curated", apply=True)
    assert result["Summary"]["Kind"] == "TABLES"
    assert sorted((a["Key"], a["Action"]) for a in result["Actions"]) == [
        ("flights/year=2013/month=01/part-0.parquet", "EXPIRE"),
        ("flights/year=2024/month=01/part-0.parquet", "TRANSITION"),
        ("flights/year=2024/month=02/part-0.parquet", "TRANSITION"),  # 10 KiB, moved with its partition
    ]
    assert result["Summary"]["PartitionsDeleted"] == ["curated.flights['2013', '01']"]
    partitions = {tuple(p["Values"]): p for p in catalog.get_partitions("curated", "flights")}
    assert set(partitions) == {("2024", "01"), ("2024", "02"), ("2026", "11")}
    for month in ("01", "02"):
        moved = partitions[("2024", month)]
        assert moved["StorageDescriptor"]["Location"] == str(cold / str(table).lstrip("/") / f"year=2024/month={month}")
        assert moved["Parameters"]["lifecycle_storage_class"] == "GLACIER"
    assert partitions[("2026", "11")]["StorageDescriptor"]["Location"] == str(table / "year=2026/month=11")
    assert not (table / "year=2013").exists()
    assert plan_or_apply(rules, "curated")["Actions"] == []


def test_objects_rewritten_after_the_plan_are_left_alone(raw: Path) -> None:
    from lifecycle.run import drive

    planned = plan_or_apply(RULES, "raw", now=later())
    path = raw / "tmp/x.csv"
    path.write_bytes(b"rewritten")
    results, final = drive(_interrupted(planned))
    assert final["Failed"] == 1 and path.read_bytes() == b"rewritten"
    failed = next(out for step, out in results if step.action.key == "tmp/x.csv")
    assert "changed or disappeared since it was planned" in failed.after["Error"]


def test_intelligent_tiering_follows_reads(raw: Path) -> None:
    rules = {"Rules": [{**RULES["Rules"][0], "Transitions": [{"Days": 0, "StorageClass": "INTELLIGENT_TIERING"}]}]}
    plan_or_apply(rules, "raw", apply=True, now=later())  # class_since is that apply's time
    tiers = {}
    for days in (10, 40, 100):
        listed = report("raw", now=later() + timedelta(days=days))
        tiers[days] = {row["AccessTier"]: row["Objects"] for row in listed["IntelligentTieringAccessTiers"]}
    assert tiers == {10: {"FREQUENT": 2}, 40: {"INFREQUENT": 2}, 100: {"ARCHIVE_INSTANT": 2}}
    cheaper = report("raw", now=later() + timedelta(days=100))["StorageClasses"]
    dearer = report("raw", now=later() + timedelta(days=10))["StorageClasses"]
    cost = {row["StorageClass"]: row["MonthlyCost"] for row in cheaper}
    assert (
        cost["INTELLIGENT_TIERING"] < {row["StorageClass"]: row["MonthlyCost"] for row in dearer}["INTELLIGENT_TIERING"]
    )
    before_read([str(raw / "logs/d=2026-01-01/a.csv")])  # a read brings it back to Frequent
    back = report("raw", now=datetime.now(UTC) + timedelta(days=1))["IntelligentTieringAccessTiers"]
    assert {row["AccessTier"]: row["Objects"] for row in back} == {"FREQUENT": 2}


@pytest.mark.parametrize(
    ("idle", "tier"),
    [(0, "FREQUENT"), (29, "FREQUENT"), (30, "INFREQUENT"), (89, "INFREQUENT"), (90, "ARCHIVE_INSTANT")],
)
def test_access_tiers(idle: int, tier: str) -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    assert access_tier(now - timedelta(days=idle), None, now) == tier
    assert access_tier(None, now - timedelta(days=idle), now) == tier


@pytest.mark.postgres
def test_apply_restore_and_reads_on_postgresql(
    raw: Path, cold: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sluice.db import reset_engines
    from sluice.settings import get_settings

    monkeypatch.setenv("SLUICE_METADATA_URL", pg_url)
    get_settings.cache_clear()
    reset_engines()
    result = plan_or_apply(RULES, "raw", apply=True, now=later())
    assert result["Summary"]["Applied"] == 3
    assert set(_classes().values()) == {"GLACIER"}
    with pytest.raises(InvalidObjectStateException):
        before_read([str(cold)])
    restore(str(raw / "logs/d=2026-01-01/a.csv"), days=1)
    restore(str(raw / "logs/d=2026-01-01/b.csv"), days=1)
    before_read([str(cold)])
    assert plan_or_apply(RULES, "raw", apply=True, now=later())["Actions"] == []


def _interrupted(planned: dict, **changes: object) -> str:
    """Turn a journaled PLAN into an APPLY that a process left half done (optionally editing the plan row)."""
    from lifecycle.models import LifecyclePlanRow

    plan_id = planned["Summary"]["PlanId"]
    with session_scope() as s:
        row = s.get(LifecyclePlanRow, plan_id)
        row.status = "APPLYING"
        for name, value in changes.items():
            setattr(row, name, value)
    return plan_id


def test_apply_never_acts_outside_an_enabled_rule(raw: Path) -> None:
    from lifecycle.run import drive

    planned = plan_or_apply(RULES, "raw", now=later())
    disabled = {"Rules": [{**rule, "Status": "Disabled"} for rule in RULES["Rules"]]}
    before = _tree(raw)
    results, final = drive(_interrupted(planned, config=disabled))
    assert final["Failed"] == 3 and _tree(raw) == before
    assert {out.after["Error"] for _, out in results} == {"outside every enabled rule's filter: left alone"}


def test_a_running_apply_is_not_resumed_under_it(raw: Path) -> None:
    import socket
    import subprocess
    import sys

    from sluice.errors import ConcurrentRunsExceededException

    planned = plan_or_apply(RULES, "raw", now=later())
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as other:
        try:
            owner = {**planned["Summary"], "Owner": {"Host": socket.gethostname(), "Pid": other.pid}}
            _interrupted(planned, summary=owner)
            with pytest.raises(ConcurrentRunsExceededException, match="still running"):
                plan_or_apply(RULES, "raw", apply=True, now=later())
        finally:
            other.kill()
    other.wait()
    resumed = plan_or_apply(RULES, "raw", apply=True, now=later())  # its process is gone: finished now
    assert resumed["Summary"]["Resumed"][0]["Applied"] == 3 and resumed["Actions"] == []
