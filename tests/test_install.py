"""The installed stack is whole: PySpark's Python side matches the JVM it starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest


def test_no_second_wheel_writes_into_the_pyspark_package() -> None:
    # pyspark-client (a dependency of the Spark provider) installs into the same folder as pyspark;
    # pyproject.toml overrides it away, because mixed files break Python UDFs.
    with pytest.raises(PackageNotFoundError):
        version("pyspark-client")


@pytest.mark.spark
def test_pyspark_python_and_jvm_agree(spark) -> None:
    assert spark.version == version("pyspark")
    # mapInArrow builds a Python UDF on the JVM: the call that fails when the two sides differ.
    assert spark.range(5).mapInArrow(lambda batches: batches, "id long").count() == 5


def test_every_module_imports_on_its_own() -> None:
    # Each module is imported first, with no other Sluice module loaded: an import cycle shows up here.
    script = """
import importlib, json, pkgutil, sys
packages = ["catalog", "etl", "quality", "sluice", "sluice_airflow"]
names = []
for package in packages:
    module = importlib.import_module(package)
    names += [package] + [m.name for m in pkgutil.walk_packages(module.__path__, package + ".")]
failed = []
for name in names:
    for loaded in [m for m in sys.modules if m.split(".")[0] in packages]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print(json.dumps({"modules": len(names), "failed": failed}))
"""
    plugins = str(Path(__file__).resolve().parents[1] / "plugins")
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": plugins},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])  # Airflow's modules may log to stdout first
    assert report["modules"] > 100 and report["failed"] == []
