"""One real Airflow (``sluice airflow standalone``) for the session, with SimpleAuthManager users admin and viewer;
the root conftest loads these fixtures as a plugin, so tests outside ``tests/airflow`` run on the same server.

    def test_x(airflow_server):
        token = airflow_server.token("viewer")
        httpx.get(f"{airflow_server.url}/api/v2/dags", headers={"Authorization": f"Bearer {token}"})

``airflow_started`` gives the same server without waiting for it, so slow setup (seeding data into its
``sluice_home``) can overlap Airflow's start; ``airflow_server`` waits until the api-server answers and the
scheduler reports healthy.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

VENV_BIN = Path(sys.executable).parent
USERS = {"admin": "admin-secret", "viewer": "viewer-secret"}
ROLES = {"admin": "admin", "viewer": "viewer"}
START_TIMEOUT = 300.0


@dataclass
class AirflowServer:
    """A running ``airflow standalone``: its URL, homes, users and log."""

    url: str
    sluice_home: Path
    airflow_home: Path
    log: Path
    process: subprocess.Popen[bytes]
    passwords: dict[str, str] = field(default_factory=lambda: dict(USERS))
    _tokens: dict[str, str] = field(default_factory=dict)

    def token(self, username: str = "admin") -> str:
        """A JWT from ``POST /auth/token`` (cached per user)."""
        if username not in self._tokens:
            response = httpx.post(
                f"{self.url}/auth/token",
                json={"username": username, "password": self.passwords[username]},
                timeout=30,
            )
            response.raise_for_status()
            self._tokens[username] = response.json()["access_token"]
        return self._tokens[username]

    def headers(self, username: str = "admin") -> dict[str, str]:
        """``Authorization: Bearer …`` for ``username``."""
        return {"Authorization": f"Bearer {self.token(username)}"}

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Until the api-server answers and the scheduler's heartbeat is healthy."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"airflow standalone exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                health = httpx.get(f"{self.url}/api/v2/monitor/health", timeout=5).json()
                if health.get("scheduler", {}).get("status") == "healthy":
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(1)
        pytest.fail(f"airflow standalone was not ready within {timeout:.0f} s:\n{self.log_tail()}")


def _start(root: Path, s3_endpoint: str) -> AirflowServer:
    port = free_port()
    sluice_home, airflow_home = root / "sluice-home", root / "airflow-home"
    airflow_home.mkdir(parents=True)
    passwords = airflow_home / "passwords.json"
    passwords.write_text(json.dumps(USERS))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLUICE_", "AIRFLOW"))}
    env.update(
        {
            "SLUICE_HOME": str(sluice_home),
            "SLUICE_SPARK_MASTER": "local[2]",
            # s3:// paths go to the session's moto server (moto takes any key)
            "SLUICE_S3_ENDPOINT_URL": s3_endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AIRFLOW_HOME": str(airflow_home),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{u}:{ROLES[u]}" for u in USERS),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__API__WORKERS": "1",
            # the scheduler's and triggerer's log servers: free ports, so parallel Airflows do not collide
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",  # Airflow's default: task logs hold what job scripts print
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    log = root / "airflow-standalone.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(VENV_BIN / "sluice"), "airflow", "standalone", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: teardown stops every component it started
        )
    return AirflowServer(f"http://127.0.0.1:{port}", sluice_home, airflow_home, log, process)


def _stop(server: AirflowServer) -> None:
    if server.process.poll() is not None:
        return
    os.killpg(server.process.pid, signal.SIGTERM)
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)


@pytest.fixture(scope="session")
def airflow_started(tmp_path_factory: pytest.TempPathFactory, moto_server: str) -> Iterator[AirflowServer]:
    """``sluice airflow standalone`` starting on a free loopback port with temporary SLUICE_HOME and AIRFLOW_HOME,
    its S3 endpoint the session's moto server."""
    server = _start(tmp_path_factory.mktemp("airflow"), moto_server)
    yield server
    _stop(server)


@pytest.fixture(scope="session")
def airflow_server(airflow_started: AirflowServer) -> AirflowServer:
    """The session's Airflow, ready: api-server answering, scheduler healthy."""
    airflow_started.wait_ready()
    return airflow_started
