"""What the in-process check's start-up replaced behaves as before: ``Settings`` read from ``SLUICE_*`` variables
without pydantic-settings, and the catalog's partial index declared without loading the PostgreSQL dialect."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sluice.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_settings_come_from_the_environment_below_explicit_values(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SLUICE_LAKE_ROOT", str(tmp_path / "lake"))
    monkeypatch.setenv("sluice_dq_inprocess_max_rows", "5000")  # any case, as pydantic-settings matched
    monkeypatch.setenv("SLUICE_TIER_ROOTS", json.dumps({"GLACIER": "/cold"}))
    monkeypatch.setenv("SLUICE_NOT_A_SETTING", "ignored")
    settings = Settings(home=tmp_path / "explicit")
    assert settings.home == tmp_path / "explicit" and settings.lake_root == str(tmp_path / "lake")
    assert settings.dq_inprocess_max_rows == 5000 and settings.tier_roots == {"GLACIER": "/cold"}
    assert Settings(lake_root="/given").lake_root == "/given"
    assert Settings.model_validate({"home": str(tmp_path)}).lake_root == str(tmp_path / "lake")
    monkeypatch.setenv("SLUICE_DQ_INPROCESS_MAX_ROWS", "many")
    with pytest.raises(ValueError, match="dq_inprocess_max_rows"):
        Settings()


def test_defaults_are_validated(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("SLUICE_HOME")
    monkeypatch.chdir(tmp_path)
    assert Settings().home == tmp_path / ".sluice"  # the relative default made absolute, as before
    assert Settings().tier_roots == {}


def test_the_partial_index_keeps_its_condition_without_loading_postgresql_at_import() -> None:
    code = (
        "import sys\nimport catalog.models\nprint('sqlalchemy.dialects.postgresql' in sys.modules)\n"
        "from sqlalchemy.dialects import postgresql, sqlite\nfrom sqlalchemy.schema import CreateIndex\n"
        "index = next(i for i in catalog.models.PartitionRow.__table__.indexes if i.name.endswith('_unindexed'))\n"
        "print(CreateIndex(index).compile(dialect=postgresql.dialect()))\n"
        "print(CreateIndex(index).compile(dialect=sqlite.dialect()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    ddl = "CREATE INDEX ix_catalog_partitions_unindexed ON catalog_partitions (table_id) WHERE"
    assert out.stdout.splitlines() == ["False", f"{ddl} NOT values_indexed", f"{ddl} values_indexed = 0"]
