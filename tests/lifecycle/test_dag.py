"""The daily ``lake_lifecycle`` DAG: plan → dry-run gate → apply, over the raw zone's configuration."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lifecycle.rulesets import validate_any

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.airflow


def test_lake_lifecycle_dag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(REPO / "plugins"))
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags" / "lake_lifecycle.py"))
    assert bag.import_errors == {}
    dag = bag.dags["lake_lifecycle"]
    assert dag.schedule == "@daily"
    plan, gate, apply = (dag.get_task(name) for name in ("plan", "should_apply", "apply"))
    assert plan.downstream_task_ids == {"should_apply"} and gate.downstream_task_ids == {"apply"}
    assert plan.dry_run is True and apply.dry_run is False
    assert validate_any(plan.config) == [] and plan.config == apply.config
    assert gate.python_callable(params={"dry_run": True}) is False
    assert gate.python_callable(params={"dry_run": False}) is True
    assert "sluice_airflow" in sys.modules
