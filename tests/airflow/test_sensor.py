"""The deferrable new-objects sensor: its trigger's async run, for real, on a local lake and on S3 (moto)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
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


def test_trigger_serializes_to_its_arguments() -> None:
    path, kwargs = NewObjectsTrigger("s3://b/raw", 5.0, 3, 2.0, "http://e").serialize()
    assert path == "sluice_airflow.triggers.NewObjectsTrigger"
    assert NewObjectsTrigger(**kwargs).serialize() == (path, kwargs)


def test_sensor_defers_until_objects_arrive_and_returns_them(sluice_home: Path) -> None:
    lake = Path(get_settings().lake)
    sensor = SluiceNewObjectsSensor(task_id="wait", prefix="landing", newer_than="", poke_interval=5, timeout=60)
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({})
    trigger = deferred.value.trigger
    assert isinstance(trigger, NewObjectsTrigger)
    assert trigger.uri == str(lake / "landing") and trigger.poke_interval == 5

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
