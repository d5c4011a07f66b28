"""Shared fixtures: isolated SLUICE_HOME, one SparkSession, PostgreSQL, and a moto S3 server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["tests.airflow.server"]  # the session's Airflow, for the tests of every folder that run on it

# The tests' JVMs (spark-submit, PySpark's gateway, Spark under Airflow) are short-lived drivers on small data:
# the client compiler alone and the serial collector start them faster (about 12% off a corpus script's run).
os.environ.setdefault("SPARK_SUBMIT_OPTS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")

PG_ADMIN_URL = os.environ.get("SLUICE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def sluice_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own SLUICE_HOME with embedded SQLite metadata and warehouse."""
    from sluice.db import reset_engines
    from sluice.settings import get_settings

    home = tmp_path / "sluice-home"
    monkeypatch.setenv("SLUICE_HOME", str(home))
    for var in ("SLUICE_METADATA_URL", "SLUICE_WAREHOUSE_URL", "SLUICE_LAKE_ROOT", "SLUICE_TIER_ROOTS"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    reset_engines()
    yield home
    reset_engines()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession for the whole test session."""
    os.environ.setdefault("SLUICE_SPARK_MASTER", "local[2]")
    from sparkio.session import get_spark

    session = get_spark("sluice-tests", master="local[2]")
    yield session
    session.stop()


def _pg_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """URL of the PostgreSQL test database; fails under CI=true when the server is unreachable."""
    if not _pg_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL on 127.0.0.1:5432 is unreachable, and CI=true requires it")
        pytest.skip("PostgreSQL on 127.0.0.1:5432 is unreachable")
    return PG_ADMIN_URL


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL schema for one test, dropped afterwards; the URL selects it by search_path."""
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(pg_admin_url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{pg_admin_url}?options=-csearch_path%3D{schema}"
    yield url
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto S3 server on a free loopback port, for the whole session; its request recorder (which tests
    read through ``/moto-api/recorder``) writes in a temporary folder, not the checkout."""
    port = free_port()
    recording = tmp_path_factory.mktemp("moto") / "recording.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "MOTO_RECORDER_FILEPATH": str(recording)},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("moto server did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def s3(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[object, str]]:
    """A boto3 S3 client on the moto server and a fresh bucket; sets SLUICE_S3_ENDPOINT_URL."""
    from sluice.settings import get_settings

    monkeypatch.setenv("SLUICE_S3_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    get_settings.cache_clear()
    from sluice.context import SluiceContext

    client = SluiceContext.from_env().s3_client()
    bucket = f"lake-{uuid.uuid4().hex[:8]}"
    client.create_bucket(Bucket=bucket)
    yield client, bucket
