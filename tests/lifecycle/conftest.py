"""Lifecycle fixtures: a small local lake with a cold tier folder, and helpers to hash and date it."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

#: Plans are made as if it were this long after the files were written.
LATER = timedelta(days=400)
KIB = 1024


def later() -> datetime:
    """A ``--now`` 400 days from today: every file written by the test is 400 days old."""
    return datetime.now(UTC) + LATER


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write(root: Path, key: str, size: int) -> Path:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))
    return path


@pytest.fixture
def cold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SLUICE_TIER_ROOTS maps GLACIER and DEEP_ARCHIVE to a cold folder outside the lake."""
    from sluice.settings import get_settings

    folder = tmp_path / "cold"
    monkeypatch.setenv("SLUICE_TIER_ROOTS", json.dumps({"GLACIER": str(folder), "DEEP_ARCHIVE": str(folder)}))
    get_settings.cache_clear()
    return folder


@pytest.fixture
def raw(sluice_home: Path, cold: Path) -> Path:
    """lake/raw with logs (tiered), tmp (expired) and keep (out of every rule) files."""
    root = sluice_home / "lake" / "raw"
    write(root, "logs/d=2026-01-01/a.csv", 200 * KIB)
    write(root, "logs/d=2026-01-01/b.csv", 300 * KIB)
    write(root, "logs/d=2026-01-02/small.csv", 10 * KIB)
    write(root, "tmp/x.csv", 50)
    write(root, "keep/c.csv", 200 * KIB)
    return root


RULES = {
    "Rules": [
        {
            "ID": "logs-tiering",
            "Status": "Enabled",
            "Filter": {"Prefix": "logs/"},
            "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 90, "StorageClass": "GLACIER"}],
        },
        {"ID": "tmp-expire", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 7}},
        {"ID": "keep-disabled", "Status": "Disabled", "Filter": {"Prefix": "keep/"}, "Expiration": {"Days": 1}},
    ]
}
