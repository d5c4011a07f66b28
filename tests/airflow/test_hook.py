"""SluiceHook: a SluiceContext from the ``sluice_default`` connection (AIRFLOW_CONN_SLUICE_DEFAULT), env as fallback."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sluice_airflow.hooks import SETTING_KEYS, SluiceHook

from sluice.settings import get_settings

AWS_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION")
VARS = (*(f"SLUICE_{k.upper()}" for k in SETTING_KEYS if k != "home"), *AWS_VARS)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No SLUICE_*/AWS_* variable but SLUICE_HOME, and no connection, unless a test sets one."""
    for var in (*VARS, "AIRFLOW_CONN_SLUICE_DEFAULT"):
        monkeypatch.setenv(var, "")
        monkeypatch.delenv(var)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_connection_extra_overrides_the_environment_and_writes_no_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLUICE_LAKE_ROOT", str(tmp_path / "env-lake"))
    extra = {
        "metadata_url": f"sqlite:///{tmp_path / 'meta.db'}",
        "warehouse_url": f"sqlite:///{tmp_path / 'wh.db'}",
        "lake_root": "s3://bucket/lake",
        "s3_endpoint_url": "http://127.0.0.1:9",
        "aws_access_key_id": "key-from-connection",
        "aws_secret_access_key": "secret-from-connection",
        "region_name": "eu-west-1",
        "state_machines": str(tmp_path / "machines"),
        "lambda_registry": str(tmp_path / "lambdas.yaml"),
    }
    monkeypatch.setenv("AIRFLOW_CONN_SLUICE_DEFAULT", json.dumps({"conn_type": "sluice", "extra": extra}))
    before = dict(os.environ)

    ctx = SluiceHook().get_conn()

    assert dict(os.environ) == before
    assert ctx.settings.metadata_database_url == extra["metadata_url"]
    assert ctx.settings.warehouse_database_url == extra["warehouse_url"]
    assert ctx.settings.lake == "s3://bucket/lake"
    assert ctx.settings.s3_endpoint_url == "http://127.0.0.1:9"
    assert ctx.settings.state_machines == tmp_path / "machines"
    assert ctx.settings.lambda_registry_file() == tmp_path / "lambdas.yaml"
    assert (ctx.aws.access_key_id, ctx.aws.secret_access_key) == ("key-from-connection", "secret-from-connection")
    assert ctx.aws.region == "eu-west-1"
    assert "secret-from-connection" not in repr(ctx)
    # The process-wide fallback is untouched: another task in this process still sees the environment.
    assert get_settings().lake == str(tmp_path / "env-lake")
    # A child process (spark-submit) gets the context through its own environment, not this one's.
    child = ctx.child_env()
    assert child["SLUICE_LAKE_ROOT"] == "s3://bucket/lake"
    assert child["AWS_SECRET_ACCESS_KEY"] == "secret-from-connection"
    assert child["AWS_DEFAULT_REGION"] == "eu-west-1"


def test_keys_the_connection_lacks_keep_their_environment_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLUICE_LAKE_ROOT", str(tmp_path / "env-lake"))
    monkeypatch.setenv(
        "AIRFLOW_CONN_SLUICE_DEFAULT", json.dumps({"conn_type": "sluice", "extra": {"warehouse_url": "sqlite://"}})
    )
    ctx = SluiceHook().get_conn()
    assert ctx.settings.warehouse_url == "sqlite://"
    assert ctx.settings.lake == str(tmp_path / "env-lake")
    assert not ctx.aws.has_keys


def test_half_a_key_pair_is_no_keys_and_login_password_are_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    conn = {"conn_type": "sluice", "login": "AKIALOGIN", "password": "pw", "extra": {"aws_access_key_id": "only-id"}}
    monkeypatch.setenv("AIRFLOW_CONN_SLUICE_DEFAULT", json.dumps(conn))
    aws = SluiceHook().get_conn().aws
    assert (aws.access_key_id, aws.secret_access_key) == ("AKIALOGIN", "pw")


def test_without_the_connection_the_environment_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_LAKE_ROOT", str(tmp_path / "env-lake"))
    assert SluiceHook().get_conn().settings.lake == str(tmp_path / "env-lake")


def test_a_named_connection_in_uri_form(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection id works; the URI form's query string is the extra."""
    lake = tmp_path / "uri-lake"
    monkeypatch.setenv("AIRFLOW_CONN_SLUICE_PROD", f"sluice://?lake_root={lake}&spark_master=local%5B1%5D")
    ctx = SluiceHook("sluice_prod").get_conn()
    assert ctx.settings.lake == str(lake)
    assert ctx.settings.spark_master == "local[1]"


def test_the_connection_s_metadata_db_is_the_one_library_calls_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A catalog call given the hook's context writes the connection's DB, not the environment's."""
    from catalog import Catalog

    url = f"sqlite:///{tmp_path / 'conn-meta.db'}"
    monkeypatch.setenv(
        "AIRFLOW_CONN_SLUICE_DEFAULT", json.dumps({"conn_type": "sluice", "extra": {"metadata_url": url}})
    )
    Catalog(SluiceHook().get_conn()).create_database("from_connection")
    assert [d["Name"] for d in Catalog(SluiceHook().get_conn()).get_databases()] == ["from_connection"]
    assert "from_connection" not in [d["Name"] for d in Catalog().get_databases()]
