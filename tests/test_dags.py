"""DAG files: no import errors, and parsing one imports only what DAG files need at top level.

Each file is parsed by Airflow's ``DagBag`` in a fresh interpreter, so nothing another file (or the test
process) imported hides what this one costs. Two deterministic checks replace a wall-clock budget:

* ``sys.modules`` after the parse: none of Sluice's runtime modules (stores, engines, the job runtime) and
  none of the heavy libraries that Airflow itself never loads (Spark, pandas, Arrow, GX);
* the imports Sluice code itself ran during the parse (recorded by an ``__import__`` hook, whoever imported
  the module first): none of the libraries Airflow loads on its own (SQLAlchemy, boto3), which therefore
  cannot be judged from ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DAG_FILES = sorted((REPO / "dags").glob("*.py"))
SLUICE_PACKAGES = (
    "sluice",
    "etl",
    "catalog",
    "quality",
    "lifecycle",
    "warehouse",
    "workflow",
    "sparkio",
    "service",
    "awsapi",
)
# What DAG files need from Sluice's own packages while parsing: the workflow factory validates the YAML files,
# and the Spark job operator finds bundled job scripts next to the (empty) ``etl`` package.
SLUICE_ALLOWED = {"sluice", "sluice.errors", "workflow", "workflow.language", "etl"}
HEAVY = {"pyspark", "pandas", "numpy", "pyarrow", "great_expectations", "py4j"}  # Airflow loads none of them
STORE_LIBRARIES = {"sqlalchemy", "psycopg", "boto3", "botocore", "s3transfer", "fastapi"}  # Airflow loads some

PROBE = r"""
import builtins, importlib.util, json, sys
from pathlib import Path

repo, dag_file = Path(sys.argv[1]), sys.argv[2]
sys.path.insert(0, str(repo / "plugins"))
ours = (dag_file, *(f"{repo / p}/" for p in ("dags", "plugins", *sys.argv[3].split(","))))
imported = set()  # modules that Sluice code (DAG files, plugins, Sluice packages) imported while parsing
real_import = builtins.__import__


def tracking_import(name, globals=None, locals=None, fromlist=(), level=0):
    module = real_import(name, globals, locals, fromlist, level)
    if (globals or {}).get("__file__", "").startswith(ours):
        full = importlib.util.resolve_name("." * level + name, globals.get("__package__")) if level else name
        imported.add(full)
        imported.update(f"{full}.{item}" for item in fromlist or () if f"{full}.{item}" in sys.modules)
    return module


from airflow.dag_processing.dagbag import DagBag

builtins.__import__ = tracking_import
bag = DagBag(dag_folder=dag_file)
builtins.__import__ = real_import
print("RESULT" + json.dumps({
    "errors": {k: str(v) for k, v in bag.import_errors.items()},
    "dags": sorted(bag.dag_ids),
    "modules": sorted(sys.modules),
    "imported": sorted(imported),
}))
"""


def _parse(path: Path, home: Path) -> dict:
    env = {
        "PATH": str(Path(sys.executable).parent),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "SLUICE_HOME": str(home / "sluice"),
    }
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(REPO), str(path), ",".join(SLUICE_PACKAGES)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT")), None)
    assert line, proc.stdout + proc.stderr
    return json.loads(line[len("RESULT") :])


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Each DAG file's parse result, from its own interpreter."""
    home = tmp_path_factory.mktemp("airflow")
    with ThreadPoolExecutor(2) as pool:
        results = pool.map(lambda path: _parse(path, home), DAG_FILES)
        return {path.name: result for path, result in zip(DAG_FILES, results, strict=True)}


def _roots(modules: list[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


@pytest.mark.airflow
def test_dag_files_have_no_import_errors(parsed: dict) -> None:
    assert parsed, "no DAG files found"
    for name, result in parsed.items():
        assert result["errors"] == {}, name
        assert result["dags"], f"{name} defines no DAG"
    assert "flights_daily" in {dag for r in parsed.values() for dag in r["dags"]}


@pytest.mark.airflow
def test_dag_files_load_no_sluice_runtime_module(parsed: dict) -> None:
    for name, result in parsed.items():
        loaded = {m for m in result["modules"] if m.split(".")[0] in SLUICE_PACKAGES} - SLUICE_ALLOWED
        assert not loaded, f"parsing {name} imports {sorted(loaded)}"
        assert "sluice_airflow.ui" not in result["modules"], f"parsing {name} builds the Sluice UI"


@pytest.mark.airflow
def test_dag_files_load_nothing_heavy(parsed: dict) -> None:
    for name, result in parsed.items():
        assert not HEAVY & _roots(result["modules"]), (
            f"parsing {name} imports {sorted(HEAVY & _roots(result['modules']))}"
        )
        used = STORE_LIBRARIES & _roots(result["imported"])
        assert not used, f"parsing {name} runs Sluice code that imports {sorted(used)}"
        assert result["imported"], f"no import of {name} was recorded"  # the hook saw the DAG file's own imports
