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
packages = ["awsapi", "awsglue", "awsgluedq", "catalog", "etl", "lifecycle", "quality", "service", "sluice",
            "sluice_airflow", "sparkio", "warehouse", "workflow"]
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


def test_the_pinned_jars_match_pyspark_and_a_second_fetch_downloads_nothing(spark, tmp_path: Path) -> None:
    """jars/pom.xml pins hadoop-aws at the Hadoop version pyspark bundles; mvn resolves it offline once fetched."""
    import re

    import pyspark

    from sluice.settings import get_settings

    bundled = {p.name for p in (Path(pyspark.__file__).parent / "jars").glob("hadoop-client-api-*.jar")}
    pom = (Path(__file__).parents[1] / "jars" / "pom.xml").read_text()
    hadoop = re.search(r"<hadoop.version>(.+?)</hadoop.version>", pom).group(1)
    assert bundled == {f"hadoop-client-api-{hadoop}.jar"}
    assert (get_settings().jars_dir / f"hadoop-aws-{hadoop}.jar").exists()
    offline = subprocess.run(  # -o: Maven may not reach any registry, so this passes only from the local cache
        ["mvn", "-o", "-q", "-B", "-f", "jars/pom.xml", "dependency:build-classpath", "-Dmdep.includeScope=runtime",
         f"-Dmdep.outputFile={tmp_path / 'classpath'}"],
        capture_output=True, text=True, timeout=300, cwd=Path(__file__).parents[1],
    )  # fmt: skip
    assert offline.returncode == 0, offline.stdout + offline.stderr
    assert {Path(j).name for j in (tmp_path / "classpath").read_text().strip().split(":")} == {
        p.name for p in get_settings().jars_dir.glob("*.jar")
    }
    # The one builder hands the JVM the connector: S3A's class loads in the test session's driver.
    assert spark.sparkContext._jvm.java.lang.Class.forName("org.apache.hadoop.fs.s3a.S3AFileSystem")


def test_spark_starts_with_a_key_id_but_no_secret_in_the_environment(monkeypatch) -> None:
    """A half-set AWS environment must not stop a local job: S3 access fails later, with the reason logged."""
    from sluice.context import SluiceContext

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "only-the-id")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    access = SluiceContext.from_env().s3_access()
    assert access.access_key is None and access.secret_key is None
