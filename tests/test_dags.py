"""DAG files: no import errors, each parses in under 0.5 s, and none imports a heavy package at top level."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HEAVY = {"pyspark", "pandas", "great_expectations", "boto3", "botocore", "pyarrow"}

PROBE = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1] + "/plugins")
import airflow  # warm Airflow's own imports: they are not the DAG file's cost
# Airflow loads every provider's Asset URI handlers (amazon's pulls in boto3) on the first Asset with a URI;
# the DAG processor pays that once per process, not per DAG file.
from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime
ProvidersManagerTaskRuntime().asset_uri_handlers
from airflow.dag_processing.dagbag import DagBag
files = sorted(p for p in __import__("pathlib").Path(sys.argv[1], "dags").glob("*.py"))
out = {}
for path in files:
    before = set(sys.modules)
    start = time.perf_counter()
    bag = DagBag(dag_folder=str(path))
    seconds = time.perf_counter() - start
    new = sorted({m.split(".")[0] for m in set(sys.modules) - before})
    out[path.name] = {"seconds": seconds, "errors": {k: str(v) for k, v in bag.import_errors.items()},
                      "dags": sorted(bag.dag_ids), "modules": new}
print("RESULT" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    home = tmp_path_factory.mktemp("airflow")
    env = {
        "PATH": str(Path(sys.executable).parent),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "SLUICE_HOME": str(home / "sluice"),
    }
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(REPO)], capture_output=True, text=True, env=env, timeout=300, check=False
    )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT")), None)
    assert line, proc.stdout + proc.stderr
    return json.loads(line[len("RESULT") :])


@pytest.mark.airflow
def test_dag_files_have_no_import_errors(parsed: dict) -> None:
    assert parsed, "no DAG files found"
    for name, result in parsed.items():
        assert result["errors"] == {}, name
    assert "flights_daily" in {dag for r in parsed.values() for dag in r["dags"]}


@pytest.mark.airflow
def test_each_dag_file_parses_in_under_half_a_second(parsed: dict) -> None:
    for name, result in parsed.items():
        assert result["seconds"] < 0.5, f"{name} took {result['seconds']:.2f} s to parse"


@pytest.mark.airflow
def test_dag_files_import_nothing_heavy(parsed: dict) -> None:
    for name, result in parsed.items():
        assert not HEAVY & set(result["modules"]), f"{name} imports {sorted(HEAVY & set(result['modules']))}"
