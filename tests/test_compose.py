"""docker-compose.yaml: the services, mounts and SLUICE_* settings a Docker user relies on (no engine here)."""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def _compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yaml").read_text())


def test_services_present() -> None:
    services = _compose()["services"]
    for name in (
        "postgres", "s3", "s3-init", "spark-master", "spark-worker", "airflow-init",
        "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
    ):  # fmt: skip
        assert name in services, name
    assert "minio" not in str(services["s3"]["image"]).lower()


def test_spark_and_airflow_images_carry_the_pinned_jars_and_reach_the_s3_service() -> None:
    services = _compose()["services"]
    for name in ("spark-master", "spark-worker"):
        assert services[name]["build"]["dockerfile"] == "docker/spark.Dockerfile", name
    spark = (REPO / "docker" / "spark.Dockerfile").read_text()
    assert "FROM apache/spark:4.3.0" in spark
    assert "COPY jars/pom.xml" in spark and "dependency:copy-dependencies" in spark
    assert "/opt/spark/jars/" in spark  # Spark's own class path, for master, worker and executors
    defaults = dict(
        line.split(None, 1) for line in (REPO / "docker" / "spark-defaults.conf").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )  # fmt: skip
    endpoint = _compose()["x-sluice-env"]["SLUICE_S3_ENDPOINT_URL"]
    assert defaults["spark.hadoop.fs.s3a.endpoint"].strip() == endpoint == "http://s3:8333"
    assert defaults["spark.hadoop.fs.s3a.path.style.access"].strip() == "true"
    assert defaults["spark.hadoop.fs.s3.impl"].strip() == "org.apache.hadoop.fs.s3a.S3AFileSystem"
    airflow = (REPO / "docker" / "airflow.Dockerfile").read_text()
    assert "COPY jars/pom.xml" in airflow and "ENV SLUICE_JARS_DIR=/opt/sluice-jars" in airflow
    pom = (REPO / "jars" / "pom.xml").read_text()
    for artifact in ("hadoop-aws", "spark-hadoop-cloud_2.13", "postgresql"):
        assert f"<artifactId>{artifact}</artifactId>" in pom, artifact


def test_airflow_services_mount_the_packages_and_use_local_executor() -> None:
    services = _compose()["services"]
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"):
        service = services[name]
        mounts = {v.split(":")[0] for v in service["volumes"]}
        assert {"./dags", "./plugins", "./etl", "./catalog", "./quality"} <= mounts, name
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
        assert env["SLUICE_METADATA_URL"].startswith("postgresql+psycopg://")
        assert env["SLUICE_WAREHOUSE_URL"].startswith("postgresql+psycopg://")
        assert env["SLUICE_LAKE_ROOT"].startswith("s3://")
        assert env["SLUICE_S3_ENDPOINT_URL"] == "http://s3:8333"
        assert env["SLUICE_SPARK_MASTER"] == "spark://spark-master:7077"


def test_referenced_files_exist() -> None:
    compose = _compose()
    for service in compose["services"].values():
        build = service.get("build")
        if build:
            assert (REPO / build["context"] / build["dockerfile"]).exists()
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), source
