"""The AWS endpoint over real HTTP: boto3, botocore's signer and the AWS CLI against uvicorn on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
import uvicorn
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from fastapi import FastAPI

from awsapi.app import authenticated_only, create_app, is_read
from awsapi.keys import create_access_key
from awsapi.sigv4 import AwsError
from sluice.context import SluiceContext
from sluice.settings import Settings
from tests.conftest import free_port

REGION = "us-east-1"
TABLE = {
    "Name": "trips",
    "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"}], "Location": "/lake/trips"},
    "PartitionKeys": [{"Name": "dt", "Type": "string"}, {"Name": "n", "Type": "int"}],
}


@dataclass(frozen=True)
class Endpoint:
    """A running endpoint: its URL, its context and an active access key."""

    url: str
    ctx: SluiceContext
    key_id: str
    secret: str

    def client(self, **kwargs: Any) -> Any:
        credentials = {"aws_access_key_id": self.key_id, "aws_secret_access_key": self.secret} | kwargs
        return boto3.client("glue", endpoint_url=self.url, region_name=REGION, **credentials)

    def post(self, target: str, body: bytes, secret: str | None = None) -> requests.Response:
        """POST ``body`` as Glue's ``target`` operation, signed by botocore's SigV4Auth."""
        headers = {"X-Amz-Target": f"AWSGlue.{target}", "Content-Type": "application/x-amz-json-1.1"}
        request = AWSRequest(method="POST", url=f"{self.url}/", data=body, headers=headers)
        SigV4Auth(Credentials(self.key_id, secret or self.secret), "glue", REGION).add_auth(request)
        return requests.post(f"{self.url}/", data=body, headers=dict(request.headers), timeout=30)


def serve(app: Any) -> Iterator[str]:
    """Run ``app`` with uvicorn in a thread on a free loopback port; yield its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def ctx(tmp_path: Path) -> SluiceContext:
    """A context of its own home (not the test's SLUICE_HOME): the app must use the context it is given."""
    return SluiceContext(Settings(home=tmp_path / "explicit"))


def endpoint_of(ctx: SluiceContext, mount: Callable[[Any], Any]) -> Iterator[Endpoint]:
    key, secret = create_access_key(ctx, "tester")
    for url in serve(mount(create_app(lambda: ctx, authenticated_only))):
        yield Endpoint(url, ctx, key.access_key_id, secret)


@pytest.fixture
def endpoint(ctx: SluiceContext) -> Iterator[Endpoint]:
    yield from endpoint_of(ctx, lambda app: app)


@pytest.fixture
def glue(endpoint: Endpoint) -> Any:
    return endpoint.client()


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = exc.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_databases_and_tables_round_trip_through_boto3(glue: Any) -> None:
    glue.create_database(DatabaseInput={"Name": "raw", "Description": "landing"})
    database = glue.get_database(Name="raw")["Database"]
    assert database["Description"] == "landing"
    assert isinstance(database["CreateTime"], datetime) and database["CreateTime"].tzinfo is not None
    assert [d["Name"] for d in glue.get_databases()["DatabaseList"]] == ["raw"]

    glue.create_table(DatabaseName="raw", TableInput=TABLE)
    table = glue.get_table(DatabaseName="raw", Name="trips")["Table"]
    assert table["StorageDescriptor"]["Columns"] == [{"Name": "id", "Type": "bigint"}]
    assert isinstance(table["CreateTime"], datetime)
    assert [t["Name"] for t in glue.get_tables(DatabaseName="raw")["TableList"]] == ["trips"]

    glue.delete_table(DatabaseName="raw", Name="trips")
    with pytest.raises(glue.exceptions.EntityNotFoundException) as missing:
        glue.get_table(DatabaseName="raw", Name="trips")
    assert error(missing)[0] == "EntityNotFoundException" and "trips" in error(missing)[1]
    with pytest.raises(glue.exceptions.AlreadyExistsException):
        glue.create_database(DatabaseInput={"Name": "raw"})


def test_partitions_filtered_and_paginated_by_boto3s_paginator(glue: Any) -> None:
    glue.create_database(DatabaseInput={"Name": "raw"})
    glue.create_table(DatabaseName="raw", TableInput=TABLE)
    values = [[f"2024-01-{day:02d}", str(n)] for day in range(1, 26) for n in range(10)]
    inputs = [{"Values": v, "StorageDescriptor": {"Location": f"/lake/trips/dt={v[0]}/n={v[1]}"}} for v in values]
    for start in range(0, len(inputs), 100):  # Glue takes at most 100 partitions a call
        assert (
            glue.batch_create_partition(
                DatabaseName="raw", TableName="trips", PartitionInputList=inputs[start : start + 100]
            )["Errors"]
            == []
        )

    paginator = glue.get_paginator("get_partitions")
    pages = list(paginator.paginate(DatabaseName="raw", TableName="trips", MaxResults=100))
    assert [len(page["Partitions"]) for page in pages] == [100, 100, 50]
    assert sorted(p["Values"] for page in pages for p in page["Partitions"]) == sorted(values)
    assert isinstance(pages[0]["Partitions"][0]["CreationTime"], datetime)

    late = paginator.paginate(
        DatabaseName="raw", TableName="trips", Expression="dt >= '2024-01-20' AND n < 3", MaxResults=100
    ).build_full_result()["Partitions"]
    assert sorted(p["Values"] for p in late) == sorted(v for v in values if v[0] >= "2024-01-20" and int(v[1]) < 3)


def test_wrong_secret_is_rejected_and_changes_nothing(endpoint: Endpoint, glue: Any) -> None:
    forged = endpoint.client(aws_secret_access_key="x" * 40)
    with pytest.raises(ClientError) as rejected:
        forged.create_database(DatabaseInput={"Name": "raw"})
    code, message, status = error(rejected)
    assert (code, status) == ("InvalidSignatureException", 400)
    assert message.startswith("The request signature we calculated does not match")
    assert glue.get_databases()["DatabaseList"] == []


def test_unsigned_request_is_an_unrecognized_client(endpoint: Endpoint) -> None:
    anonymous = boto3.client(
        "glue", endpoint_url=endpoint.url, region_name=REGION, config=Config(signature_version=UNSIGNED)
    )
    with pytest.raises(ClientError) as rejected:
        anonymous.get_databases()
    assert error(rejected)[::2] == ("UnrecognizedClientException", 400)


def test_malformed_json_is_a_serialization_error(endpoint: Endpoint) -> None:
    response = endpoint.post("GetDatabases", b'{"CatalogId": ')
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/x-amz-json-1.1"
    assert response.headers["x-amzn-ErrorType"] == "SerializationException"
    assert response.json()["__type"] == "SerializationException"
    assert "x-amzn-RequestId" in response.headers


def test_unknown_operation(endpoint: Endpoint) -> None:
    response = endpoint.post("GetEverything", b"{}")
    assert response.status_code == 400
    assert response.json()["__type"] == "UnknownOperationException"
    assert "GetEverything" in response.json()["Message"]


def test_wrong_member_type_names_the_member(endpoint: Endpoint) -> None:
    response = endpoint.post("GetDatabase", json.dumps({"Name": 123}).encode())
    assert response.status_code == 400
    body = response.json()
    assert body["__type"] in ("InvalidInputException", "ValidationException")
    assert "'name'" in body["Message"] and "string" in body["Message"]


def test_response_headers_and_request_id(endpoint: Endpoint) -> None:
    response = endpoint.post("GetDatabases", b"{}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-amz-json-1.1"
    assert response.headers["x-amzn-RequestId"]
    assert response.json() == {"DatabaseList": []}


def test_mounted_under_a_prefix_verifies_the_full_signed_path(ctx: SluiceContext) -> None:
    """As Airflow's api-server mounts plugin apps (``app.mount(url_prefix, subapp)``): the client signs
    ``/aws/``, and the app must verify that path, not its own ``/``. A mount matches only below its prefix,
    so the endpoint URL ends in a slash (without it botocore posts to ``/aws`` and gets a redirect)."""

    def mount(app: Any) -> FastAPI:
        parent = FastAPI()
        parent.mount("/aws", app)
        return parent

    for endpoint in endpoint_of(ctx, mount):
        glue = boto3.client(
            "glue",
            endpoint_url=f"{endpoint.url}/aws/",
            region_name=REGION,
            aws_access_key_id=endpoint.key_id,
            aws_secret_access_key=endpoint.secret,
        )
        glue.create_database(DatabaseInput={"Name": "mounted"})
        assert [d["Name"] for d in glue.get_databases()["DatabaseList"]] == ["mounted"]


def test_aws_cli_v1_lists_databases(endpoint: Endpoint, glue: Any, tmp_path: Path) -> None:
    glue.create_database(DatabaseInput={"Name": "raw"})
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {
        "AWS_ACCESS_KEY_ID": endpoint.key_id,
        "AWS_SECRET_ACCESS_KEY": endpoint.secret,
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
    }
    aws = Path(sys.executable).parent / "aws"
    proc = subprocess.run(
        [str(aws), "glue", "get-databases", "--endpoint-url", endpoint.url, "--region", REGION, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    databases = json.loads(proc.stdout)["DatabaseList"]
    assert [d["Name"] for d in databases] == ["raw"]
    assert abs(databases[0]["CreateTime"] - time.time()) < 600  # CLI v1 prints timestamps as received: epoch


def test_unexpected_error_is_a_500_without_its_traceback() -> None:
    def broken() -> SluiceContext:
        raise RuntimeError("secret internals")

    for url in serve(create_app(broken, authenticated_only)):
        response = requests.post(f"{url}/", data=b"{}", headers={"X-Amz-Target": "AWSGlue.GetDatabases"}, timeout=30)
        assert response.status_code == 500
        assert response.json()["__type"] == "InternalServiceException"
        assert "secret internals" not in response.text and "Traceback" not in response.text


def read_only(key: Any, operation: str) -> None:
    """An authorizer that lets the key of user ``viewer`` only read."""
    if key.user_name == "viewer" and not is_read(operation):
        raise AwsError("AccessDeniedException", f"User: {key.user_name} is not authorized to perform: glue:{operation}")


def test_an_unauthorized_call_is_refused_before_it_runs_and_changes_nothing(ctx: SluiceContext) -> None:
    admin_key, admin_secret = create_access_key(ctx, "admin")
    viewer_key, viewer_secret = create_access_key(ctx, "viewer")
    for url in serve(create_app(lambda: ctx, read_only)):

        def client(key_id: str, secret: str, url: str = url) -> Any:
            return boto3.client(
                "glue", endpoint_url=url, region_name=REGION, aws_access_key_id=key_id, aws_secret_access_key=secret
            )

        viewer = client(viewer_key.access_key_id, viewer_secret)
        with pytest.raises(ClientError) as refused:
            viewer.create_database(DatabaseInput={"Name": "not_made"})
        assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
        assert viewer.get_databases()["DatabaseList"] == []  # reads are allowed, and nothing was created
        client(admin_key.access_key_id, admin_secret).create_database(DatabaseInput={"Name": "made"})
        assert [d["Name"] for d in viewer.get_databases()["DatabaseList"]] == ["made"]


def test_reads_are_the_get_list_search_and_batch_get_operations() -> None:
    assert all(is_read(op) for op in ("GetTable", "GetPartitions", "ListCrawls", "SearchTables", "BatchGetPartition"))
    assert not any(is_read(op) for op in ("CreateTable", "BatchCreatePartition", "StartJobRun", "ResetJobBookmark"))
