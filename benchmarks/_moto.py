"""A moto S3 server on a free loopback port, shared by the benchmarks that need an S3 API."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    """Start ``moto.server`` and return the process and its endpoint URL once it accepts connections."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the moto server did not start")


def moto_home(prefix: str) -> tuple[subprocess.Popen[bytes], str]:
    """Start moto and point this process at it (endpoint, dummy AWS keys); returns it and a fresh ``SLUICE_HOME``."""
    proc, endpoint = start_moto()
    home = tempfile.mkdtemp(prefix=prefix)
    os.environ.update(
        SLUICE_HOME=home,
        SLUICE_S3_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
    )
    return proc, home
