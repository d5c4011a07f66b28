"""The environment Airflow runs in for Sluice: this repo's dags/ and plugins/, SLUICE_* and Spark settings."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from sluice.settings import get_settings

REPO = Path(__file__).resolve().parents[1]


def airflow_home() -> Path:
    """``$SLUICE_HOME/airflow`` unless ``AIRFLOW_HOME`` is set."""
    return Path(os.environ.get("AIRFLOW_HOME") or get_settings().home / "airflow")


def airflow_env(port: int = 8080) -> dict[str, str]:
    """A copy of ``os.environ`` set up to run Airflow over this repository."""
    settings = get_settings()
    venv_bin = str(Path(sys.executable).parent)
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(airflow_home()),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": env.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO"),
            "SLUICE_HOME": str(settings.home),
            "PATH": venv_bin + os.pathsep + env.get("PATH", ""),
            "AIRFLOW_CONN_SPARK_DEFAULT": json.dumps(
                {"conn_type": "spark", "host": settings.spark_master, "extra": {"spark-binary": "spark-submit"}}
            ),
        }
    )
    # A loaded machine answers the Execution API slowly: a task must not fail on the default 5 s timeout.
    env.setdefault("AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT", "60")
    from sparkio.session import spark_env

    for key, value in spark_env().items():
        env.setdefault(key, value)
    airflow_home().mkdir(parents=True, exist_ok=True)
    return env


def admin_password_file() -> Path:
    """Where SimpleAuthManager keeps its passwords: the configured file, or the one ``airflow standalone`` writes."""
    configured = os.environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE")
    return Path(configured) if configured else airflow_home() / "simple_auth_manager_passwords.json.generated"
