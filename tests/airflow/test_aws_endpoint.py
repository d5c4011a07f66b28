"""The AWS-compatible endpoint inside Airflow's api-server at ``/aws/``: boto3, SigV4 keys bound to Airflow
users, and each call authorized by Airflow's auth manager (the viewer reads, only the admin writes)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from awsapi.keys import create_access_key
from sluice.context import SluiceContext
from sluice.settings import Settings
from tests.airflow.conftest import AirflowServer


def _glue(server: AirflowServer, user: str) -> Any:
    key, secret = create_access_key(SluiceContext(Settings(home=server.sluice_home)), user)
    return boto3.client(
        "glue",
        endpoint_url=f"{server.url}/aws/",
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
