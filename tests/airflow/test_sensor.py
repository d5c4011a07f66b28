"""The deferrable new-objects sensor: its trigger's async run, for real, on a local lake and on S3 (moto)."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from pathlib import Path

import boto3
import pytest
import requests
from airflow.sdk.exceptions import AirflowException, TaskDeferred
from sluice_airflow.sensors import SluiceNewObjectsSensor, epoch
from sluice_airflow.triggers import NewObjectsTrigger, new_objects

from sluice.settings import get_settings


async def _first_event(trigger: NewObjectsTrigger, arrive: object, after: float = 0.3) -> dict:
    """Run the trigger; ``arrive()`` (blocking) drops objects in after ``after`` seconds, in a thread."""

    async def later() -> None:
        await asyncio.sleep(after)
        await asyncio.to_thread(arrive)

    dropper = asyncio.create_task(later())
    event = await asyncio.wait_for(anext(trigger.run()), timeout=30)
    await dropper
    return event.payload


def test_trigger_fires_when_a_local_object_arrives(tmp_path: Path) -> None:
    prefix = tmp_path / "landing"
    (prefix / "_staging").mkdir(parents=True)
    old = prefix / "old.csv"
    old.write_text("a\n1\n")
    os.utime(old, (1_000, 1_000))
    since = time.time() - 1

    def arrive() -> None:
        (prefix / "_staging" / "part.csv").write_text("hidden\n")  # staging is not data: never counts
        (prefix / "day=1").mkdir()
        (prefix / "day=1" / "new.csv").write_text("a\n2\n")

    trigger = NewObjectsTrigger(str(prefix), since, min_objects=1, poke_interval=0.1)
    payload = asyncio.run(_first_event(trigger, arrive))

    assert payload["status"] == "success"
    assert [o["uri"] for o in payload["objects"]] == [str(prefix / "day=1" / "new.csv")]


@pytest.mark.s3
def test_trigger_fires_when_s3_objects_arrive(s3: tuple) -> None:
    client, bucket = s3
    client.put_object(Bucket=bucket, Key="lake/raw/before.csv", Body=b"a\n")
    since = float(int(time.time()) + 1)  # S3 LastModified has one-second resolution: only later objects are new

    def arrive() -> None:
        time.sleep(max(0.0, since + 1.05 - time.time()))
        for key in ("lake/raw/x/1.csv", "lake/raw/x/2.csv", "lake/other/3.csv"):
            client.put_object(Bucket=bucket, Key=key, Body=b"a\n")

    endpoint = get_settings().s3_endpoint_url
    trigger = NewObjectsTrigger(
        f"s3://{bucket}/lake/raw", since, min_objects=2, poke_interval=0.2, endpoint_url=endpoint
    )
    payload = asyncio.run(_first_event(trigger, arrive, after=0))

    assert payload["status"] == "success"
    assert sorted(o["uri"] for o in payload["objects"]) == [
        f"s3://{bucket}/lake/raw/x/1.csv",
        f"s3://{bucket}/lake/raw/x/2.csv",
    ]


@pytest.mark.s3
def test_trigger_reports_a_missing_bucket(s3: tuple) -> None:
    trigger = NewObjectsTrigger("s3://no-such-bucket/raw", 0.0, endpoint_url=get_settings().s3_endpoint_url)
    payload = asyncio.run(asyncio.wait_for(anext(trigger.run()), timeout=30)).payload
    assert payload["status"] == "error"
    assert "no-such-bucket" in payload["message"]


CONN_KEY = "AKIACONNECTIONKEY01"
NO_AWS_ENV = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
    "SLUICE_S3_ENDPOINT_URL",
)  # fmt: skip


@pytest.mark.s3
@pytest.mark.parametrize(
    "connection",
    [
        {"login": CONN_KEY, "password": "connection-secret", "extra": {"region_name": "eu-west-1"}},
        {"extra": {"aws_access_key_id": CONN_KEY, "aws_secret_access_key": "connection-secret"}},
    ],
    ids=["login-password", "extra-keys"],
)
def test_trigger_lists_s3_with_the_connections_keys_and_endpoint(
    moto_server: str, connection: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No AWS credentials nor S3 endpoint in the environment: the trigger gets both from its connection."""
    bucket = f"conn-{uuid.uuid4().hex[:8]}"
    admin = boto3.client(
        "s3", endpoint_url=moto_server, region_name="us-east-1", aws_access_key_id="admin", aws_secret_access_key="x"
    )
    admin.create_bucket(Bucket=bucket)
    for key in ("raw/a.csv", "raw/b/c.csv", "other/d.csv"):
        admin.put_object(Bucket=bucket, Key=key, Body=b"a\n")
    for var in NO_AWS_ENV:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # boto3's chain ends fast, without credentials
    get_settings.cache_clear()
    extra = {**connection["extra"], "s3_endpoint_url": moto_server}
    monkeypatch.setenv("AIRFLOW_CONN_SLUICE_TEST", json.dumps({"conn_type": "sluice", **connection, "extra": extra}))

    recorder = f"{moto_server}/moto-api/recorder"
    requests.post(f"{recorder}/reset-recording", timeout=10)
    requests.post(f"{recorder}/start-recording", timeout=10)
    environ = dict(os.environ)

    trigger = NewObjectsTrigger(
        f"s3://{bucket}/raw", 0.0, min_objects=2, poke_interval=0.1, sluice_conn_id="sluice_test"
    )
    try:
        payload = asyncio.run(asyncio.wait_for(anext(trigger.run()), timeout=30)).payload
    finally:
        requests.post(f"{recorder}/stop-recording", timeout=10)
    # The moto server's own record of what reached it (the listing goes through pyarrow's C++ client).
    lines = requests.get(f"{recorder}/download-recording", timeout=10).text.splitlines()
    sent = [json.loads(line)["headers"].get("Authorization", "") for line in lines if line.strip()]

    assert payload["status"] == "success", payload
    assert sorted(o["uri"] for o in payload["objects"]) == [f"s3://{bucket}/raw/a.csv", f"s3://{bucket}/raw/b/c.csv"]
    assert sent, "no request reached the connection's endpoint"
    assert all(f"Credential={CONN_KEY}/" in auth for auth in sent), sent
    assert dict(os.environ) == environ  # the trigger read its connection, it wrote no environment


def test_trigger_serializes_to_its_arguments() -> None:
    path, kwargs = NewObjectsTrigger("s3://b/raw", 5.0, 3, 2.0, "http://e", sluice_conn_id="sluice_prod").serialize()
    assert path == "sluice_airflow.triggers.NewObjectsTrigger"
    assert kwargs["sluice_conn_id"] == "sluice_prod"
    assert NewObjectsTrigger(**kwargs).serialize() == (path, kwargs)


def test_sensor_defers_until_objects_arrive_and_returns_them(sluice_home: Path) -> None:
    lake = Path(get_settings().lake)
    sensor = SluiceNewObjectsSensor(task_id="wait", prefix="landing", newer_than="", poke_interval=5, timeout=60)
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({})
    trigger = deferred.value.trigger
    assert isinstance(trigger, NewObjectsTrigger)
    assert trigger.uri == str(lake / "landing") and trigger.poke_interval == 5
    assert trigger.sluice_conn_id == "sluice_default"

    (lake / "landing").mkdir(parents=True)
    (lake / "landing" / "a.csv").write_text("a\n")
    found = sensor.execute({})  # objects already there: no deferral
    assert [o["uri"] for o in found] == [str(lake / "landing" / "a.csv")]
    assert sensor.execute_complete({}, {"status": "success", "objects": found}) == found
    with pytest.raises(AirflowException, match=r"Listing .* failed"):
        sensor.execute_complete({}, {"status": "error", "message": "Listing s3://x failed: boom"})


def test_sensor_pokes_when_not_deferrable(sluice_home: Path) -> None:
    lake = Path(get_settings().lake)
    (lake / "in").mkdir(parents=True)
    sensor = SluiceNewObjectsSensor(task_id="wait", prefix="in", newer_than=time.time() - 60, deferrable=False)
    assert sensor.poke({}).is_done is False
    (lake / "in" / "b.json").write_text("{}\n")
    assert sensor.poke({}).is_done is True


def test_newer_than_accepts_iso_text_epoch_and_empty() -> None:
    assert epoch("") == 0.0 and epoch(None) == 0.0 and epoch("None") == 0.0
    assert epoch("2024-01-01T00:00:00+00:00") == epoch("2024-01-01T00:00:00") == 1704067200.0
    assert epoch("1704067200") == 1704067200.0
    assert new_objects("/nonexistent/prefix", 0.0) == []
