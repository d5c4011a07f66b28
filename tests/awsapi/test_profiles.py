"""The ``sluice`` profile: INI files the AWS CLI and botocore read, a private credentials file, one key reused."""

from __future__ import annotations

import configparser
import os
import stat
from pathlib import Path

import botocore.session
import pytest

from awsapi.keys import create_access_key, list_access_keys, secret_of, set_status
from awsapi.profiles import ProfilePaths, write_profile
from sluice.context import SluiceContext


def _ini(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    assert parser.read(path)
    return parser


def test_writes_a_config_and_a_private_credentials_file(ctx: SluiceContext) -> None:
    paths = write_profile(ctx, 18080)
    assert paths == ProfilePaths(ctx.settings.home / "aws" / "config", ctx.settings.home / "aws" / "credentials")
    assert dict(_ini(paths.config)["profile sluice"]) == {
        "region": "us-east-1",
        "endpoint_url": "http://127.0.0.1:18080/aws/",
    }
    credentials = _ini(paths.credentials)["sluice"]
    assert set(credentials) == {"aws_access_key_id", "aws_secret_access_key"}
    key, secret = secret_of(ctx, credentials["aws_access_key_id"]) or pytest.fail("the key is not in the DB")
    assert (key.user_name, key.status, secret) == ("admin", "Active", credentials["aws_secret_access_key"])
    assert stat.S_IMODE(paths.credentials.stat().st_mode) == 0o600
    assert paths.exports() == [
        f"export AWS_CONFIG_FILE={paths.config}",
        f"export AWS_SHARED_CREDENTIALS_FILE={paths.credentials}",
        "export AWS_PROFILE=sluice",
    ]


def test_a_second_call_reuses_the_key_and_follows_the_port(ctx: SluiceContext) -> None:
    first = _ini(write_profile(ctx, 18080).credentials)["sluice"]["aws_access_key_id"]
    paths = write_profile(ctx, 18081)
    assert _ini(paths.credentials)["sluice"]["aws_access_key_id"] == first
    assert [key.access_key_id for key in list_access_keys(ctx)] == [first]
    assert _ini(paths.config)["profile sluice"]["endpoint_url"] == "http://127.0.0.1:18081/aws/"


def test_a_new_key_replaces_one_that_is_inactive_deleted_or_not_the_admins(ctx: SluiceContext) -> None:
    paths = write_profile(ctx, 18080)
    first = _ini(paths.credentials)["sluice"]["aws_access_key_id"]
    set_status(ctx, first, "Inactive")
    second = _ini(write_profile(ctx, 18080).credentials)["sluice"]["aws_access_key_id"]
    assert second != first
    viewer, secret = create_access_key(ctx, "viewer")
    paths.credentials.write_text(
        f"[sluice]\naws_access_key_id = {viewer.access_key_id}\naws_secret_access_key = {secret}\n"
    )
    third = _ini(write_profile(ctx, 18080).credentials)["sluice"]["aws_access_key_id"]
    assert third not in {first, second, viewer.access_key_id}
    assert stat.S_IMODE(paths.credentials.stat().st_mode) == 0o600
    paths.credentials.unlink()
    assert _ini(write_profile(ctx, 18080).credentials)["sluice"]["aws_access_key_id"] != third


def test_botocore_resolves_the_endpoint_and_the_credentials(
    ctx: SluiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = write_profile(ctx, 18080)
    expected = _ini(paths.credentials)["sluice"]
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(paths.config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(paths.credentials))
    monkeypatch.setenv("AWS_PROFILE", "sluice")
    session = botocore.session.Session(profile="sluice")
    credentials = session.get_credentials()
    assert (credentials.access_key, credentials.secret_key) == (
        expected["aws_access_key_id"],
        expected["aws_secret_access_key"],
    )
    client = session.create_client("glue")
    assert client._endpoint.host == "http://127.0.0.1:18080/aws/"
    assert client.meta.region_name == "us-east-1"
