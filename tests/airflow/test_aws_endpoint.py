"""The AWS-compatible endpoint inside Airflow's api-server at ``/aws/``: boto3, SigV4 keys bound to Airflow
users, and each call authorized by Airflow's auth manager (the viewer reads, only the admin writes)."""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from awsapi.keys import create_access_key
from sluice.context import SluiceContext
from sluice.settings import Settings
from tests.airflow.server import VENV_BIN, AirflowServer


def _glue(server: AirflowServer, user: str, path: str = "/aws/") -> Any:
    key, secret = create_access_key(SluiceContext(Settings(home=server.sluice_home)), user)
    return boto3.client(
        "glue",
        endpoint_url=f"{server.url}{path}",
        region_name="us-east-1",
        aws_access_key_id=key.access_key_id,
        aws_secret_access_key=secret,
    )


@pytest.mark.airflow
def test_boto3_reaches_the_endpoint_and_the_auth_manager_decides_each_call(airflow_server: AirflowServer) -> None:
    admin, viewer = _glue(airflow_server, "admin"), _glue(airflow_server, "viewer")
    with pytest.raises(ClientError) as refused:
        viewer.create_database(DatabaseInput={"Name": "aws_by_viewer"})
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "edit access to DAGs" in refused.value.response["Error"]["Message"]
    admin.create_database(DatabaseInput={"Name": "aws_by_admin", "Description": "through /aws"})
    names = {d["Name"] for d in viewer.get_databases()["DatabaseList"]}
    assert "aws_by_admin" in names and "aws_by_viewer" not in names  # the refused call changed nothing
    assert viewer.get_database(Name="aws_by_admin")["Database"]["Description"] == "through /aws"
    with pytest.raises(viewer.exceptions.EntityNotFoundException):
        viewer.get_table(DatabaseName="aws_by_admin", Name="missing")


@pytest.mark.airflow
def test_a_key_of_a_user_airflow_does_not_know_is_denied(airflow_server: AirflowServer) -> None:
    with pytest.raises(ClientError) as refused:
        _glue(airflow_server, "nobody").get_databases()
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"


@pytest.mark.airflow
def test_the_profile_standalone_writes_serves_the_aws_cli_and_boto3(
    airflow_server: AirflowServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws = airflow_server.sluice_home / "aws"
    profile = {
        "AWS_CONFIG_FILE": str(aws / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(aws / "credentials"),
        "AWS_PROFILE": "sluice",
    }
    log = airflow_server.log.read_text(errors="replace")
    for name, value in profile.items():
        assert f"export {name}={value}" in log
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(aws / "credentials")
    assert parser["sluice"]["aws_secret_access_key"] not in log  # only the paths are printed

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | profile
    cli = subprocess.run(
        [str(VENV_BIN / "aws"), "glue", "get-databases"], env=env, capture_output=True, text=True, timeout=120
    )
    assert cli.returncode == 0, cli.stderr
    assert isinstance(json.loads(cli.stdout)["DatabaseList"], list)

    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    for name, value in profile.items():
        monkeypatch.setenv(name, value)
    glue = boto3.Session(profile_name="sluice").client("glue")
    databases = glue.get_databases()["DatabaseList"]
    assert [d["Name"] for d in databases] == [d["Name"] for d in json.loads(cli.stdout)["DatabaseList"]]

    # aws glue start-crawler, then get-tables, with the written profile
    events = airflow_server.sluice_home / "lake" / "raw" / "cli_events"
    events.mkdir(parents=True)
    (events / "part-0.json").write_text('{"id": 1, "kind": "a"}\n{"id": 2, "kind": "b"}\n')
    targets = {"S3Targets": [{"Path": "raw/cli_events"}]}
    glue.create_crawler(Name="cli_crawler", Role="sluice", DatabaseName="cli_db", Targets=targets)

    def aws(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(VENV_BIN / "aws"), "glue", *args], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done

    aws("start-crawler", "--name", "cli_crawler")
    deadline = time.monotonic() + 180
    while glue.get_crawler(Name="cli_crawler")["Crawler"]["State"] != "READY" and time.monotonic() < deadline:
        time.sleep(1)
    tables = json.loads(aws("get-tables", "--database-name", "cli_db").stdout)["TableList"]
    assert [(t["Name"], t["Parameters"]["classification"]) for t in tables] == [("cli_events", "json")]
