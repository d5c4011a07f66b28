"""``sparkio.session.get_spark`` in a fresh process: it leaves ``os.environ`` alone and still runs Python workers
on this venv's interpreter, through Spark's ``spark.pyspark.python`` conf rather than ``PYSPARK_PYTHON``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.spark, pytest.mark.slow]

# SparkContext itself exports these two to its own process (pyspark/core/context.py); Sluice sets nothing.
PYSPARK_OWN = {"SPARK_AUTH_SOCKET_TIMEOUT", "SPARK_BUFFER_SIZE"}

SCRIPT = """
import json, os, sys
before = dict(os.environ)
from pyspark.sql import functions as F
from sparkio.session import get_spark
spark = get_spark("env-check", master="local[1]")
worker = spark.range(1).select(F.udf(lambda _: sys.executable)("id")).first()[0]
after = dict(os.environ)
changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
print(json.dumps({"changed": changed, "worker": worker}))
spark.stop()
"""


def test_get_spark_writes_no_environment_and_uses_this_python() -> None:
    venv_bin = os.path.dirname(sys.executable)
    env = {k: v for k, v in os.environ.items() if k not in {"SPARK_HOME", "PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON"}}
    # Without the venv on PATH, PySpark's fallback ("python3" from PATH) is not this interpreter.
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p and p != venv_bin)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(report["changed"]) <= PYSPARK_OWN
    assert report["worker"] == sys.executable
