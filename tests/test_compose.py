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
    assert services["spark-master"]["image"].startswith("apache/spark:")
    assert "minio" not in str(services["s3"]["image"]).lower()


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
