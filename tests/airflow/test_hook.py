"""SluiceHook: settings from the ``sluice_default`` connection (AIRFLOW_CONN_SLUICE_DEFAULT), env as fallback."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sluice_airflow.hooks import AWS_KEYS, SETTING_KEYS, SluiceHook

from sluice.settings import get_settings

VARS = (*(f"SLUICE_{k.upper()}" for k in SETTING_KEYS if k != "home"), *AWS_KEYS.values())


@pytest.fixture(autouse=True)
def restored_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """configure() writes os.environ; monkeypatch remembers the originals and puts them back.

    Each variable is set before it is deleted: monkeypatch records only what it changes, and a variable that
    did not exist would otherwise keep configure()'s value for the rest of the session.
    """
    for var in (*VARS, "AIRFLOW_CONN_SLUICE_DEFAULT"):
        monkeypatch.setenv(var, "")
        monkeypatch.delenv(var)
    monkeypatch.setenv("SLUICE_HOME", os.environ["SLUICE_HOME"])


def test_connection_extra_overrides_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_LAKE_ROOT", str(tmp_path / "env-lake"))
    extra = {
        "metadata_url": f"sqlite:///{tmp_path / 'meta.db'}",
        "warehouse_url": f"sqlite:///{tmp_path / 'wh.db'}",
        "lake_root": "s3://bucket/lake",
        "s3_endpoint_url": "http://127.0.0.1:9",
        "aws_access_key_id": "key-from-connection",
    }
    monkeypatch.setenv("AIRFLOW_CONN_SLUICE_DEFAULT", json.dumps({"conn_type": "sluice", "extra": extra}))

    applied = SluiceHook().configure()

    settings = get_settings()
    assert settings.metadata_database_url == extra["metadata_url"]
    assert settings.warehouse_database_url == extra["warehouse_url"]
    assert settings.lake == "s3://bucket/lake"
    assert settings.s3_endpoint_url == "http://127.0.0.1:9"
    assert applied["AWS_ACCESS_KEY_ID"] == "key-from-connection"


def test_keys_the_connection_lacks_keep_their_environment_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLUICE_LAKE_ROOT", str(tmp_path / "env-lake"))
    monkeypatch.setenv(
        "AIRFLOW_CONN_SLUICE_DEFAULT", json.dumps({"conn_type": "sluice", "extra": {"warehouse_url": "sqlite://"}})
    )

    assert SluiceHook().configure() == {"SLUICE_WAREHOUSE_URL": "sqlite://"}
    assert get_settings().lake == str(tmp_path / "env-lake")


def test_without_the_connection_the_environment_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_LAKE_ROOT", str(tmp_path / "env-lake"))
    assert SluiceHook().configure() == {}
    assert get_settings().lake == str(tmp_path / "env-lake")


def test_a_named_connection_in_uri_form(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection id works; the URI form's query string is the extra."""
    lake = tmp_path / "uri-lake"
    monkeypatch.setenv("AIRFLOW_CONN_SLUICE_PROD", f"sluice://?lake_root={lake}&spark_master=local%5B1%5D")
    SluiceHook("sluice_prod").configure()
    assert get_settings().lake == str(lake)
    assert get_settings().spark_master == "local[1]"
