"""Access keys: their life cycle in the metadata DB, the secret encrypted at rest, and the CLI's IAM-shaped output."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from awsapi.keys import create_access_key, delete_access_key, list_access_keys, secret_of, set_status
from awsapi.models import AccessKeyRow
from sluice.cli import app
from sluice.context import SluiceContext
from sluice.errors import EntityNotFoundException, InvalidInputException
from sluice.settings import Settings


def test_create_list_deactivate_delete(ctx: SluiceContext) -> None:
    alice, secret = create_access_key(ctx, "alice")
    bob, _ = create_access_key(ctx, "bob")
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", alice.access_key_id)
    assert len(secret) == 40 and alice.status == "Active" and alice.user_name == "alice"
    assert alice.created.tzinfo is not None
    assert {key.access_key_id for key in list_access_keys(ctx)} == {alice.access_key_id, bob.access_key_id}
    assert list_access_keys(ctx, "bob") == [bob]
    assert secret_of(ctx, alice.access_key_id) == (alice, secret)

    set_status(ctx, alice.access_key_id, "Inactive")
    assert [key.status for key in list_access_keys(ctx, "alice")] == ["Inactive"]
    with pytest.raises(InvalidInputException):
        set_status(ctx, alice.access_key_id, "Disabled")

    delete_access_key(ctx, alice.access_key_id)
    assert list_access_keys(ctx) == [bob]
    assert secret_of(ctx, alice.access_key_id) is None
    with pytest.raises(EntityNotFoundException):
        delete_access_key(ctx, alice.access_key_id)
    with pytest.raises(EntityNotFoundException):
        set_status(ctx, alice.access_key_id, "Active")


def test_user_names_follow_iam(ctx: SluiceContext) -> None:
    with pytest.raises(InvalidInputException):
        create_access_key(ctx, "no spaces")
    with pytest.raises(InvalidInputException):
        create_access_key(ctx, "x" * 65)


def test_the_secret_is_encrypted_at_rest_with_a_private_key_file(ctx: SluiceContext) -> None:
    key, secret = create_access_key(ctx, "alice")
    key_file = ctx.settings.home / "aws" / "keys.fernet"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with ctx.session() as session:
        stored = session.get(AccessKeyRow, key.access_key_id).secret
    assert secret not in stored
    assert Fernet(key_file.read_bytes()).decrypt(stored.encode()).decode() == secret
    create_access_key(ctx, "bob")  # the key file is made once and reused
    assert Fernet(key_file.read_bytes()).decrypt(stored.encode()).decode() == secret


def test_cli_prints_iam_shaped_json(sluice_home: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(app, ["access-key", "create", "--user", "alice"])
    assert created.exit_code == 0, created.output
    key = json.loads(created.stdout)["AccessKey"]
    assert set(key) == {"AccessKeyId", "SecretAccessKey", "UserName", "Status", "CreateDate"}
    assert key["UserName"] == "alice" and key["Status"] == "Active"
    ctx = SluiceContext(Settings(home=sluice_home))
    assert secret_of(ctx, key["AccessKeyId"])[1] == key["SecretAccessKey"]

    listed = runner.invoke(app, ["access-key", "list", "--user", "alice", "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == {
        "AccessKeyMetadata": [
            {
                "UserName": "alice",
                "AccessKeyId": key["AccessKeyId"],
                "Status": "Active",
                "CreateDate": key["CreateDate"],
            }
        ]
    }
    table = runner.invoke(app, ["access-key", "list"])
    assert table.exit_code == 0 and key["AccessKeyId"] in table.stdout

    assert runner.invoke(app, ["access-key", "deactivate", "--access-key-id", key["AccessKeyId"]]).exit_code == 0
    assert list_access_keys(ctx)[0].status == "Inactive"
    assert runner.invoke(app, ["access-key", "delete", "--access-key-id", key["AccessKeyId"]]).exit_code == 0
    assert list_access_keys(ctx) == []
    missing = runner.invoke(app, ["access-key", "delete", "--access-key-id", key["AccessKeyId"]])
    assert missing.exit_code == 2 and "EntityNotFoundException" in missing.stderr
