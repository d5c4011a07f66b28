"""lake_lifecycle: every day, plan the raw zone's lifecycle rules, then apply them.

Trigger with conf ``{"dry_run": true}`` to stop at the plan. Each step's result (the plan or the
outcomes, in the shape of ``sluice lifecycle plan --json``) is its XCom; every action is journaled.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from airflow.sdk import DAG, Param, task
from sluice_airflow.operators import SluiceLifecycleOperator

CONFIG = str(Path(__file__).parent / "lifecycle" / "raw_zone.json")
URI = "raw"

with DAG(
    dag_id="lake_lifecycle",
    description="Plan, then apply, the lake's S3 lifecycle rules (conf dry_run=true stops at the plan).",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    params={"dry_run": Param(False, type="boolean", description="Stop after the plan.")},
    tags=["sluice", "lifecycle"],
) as dag:
    plan = SluiceLifecycleOperator(task_id="plan", config=CONFIG, uri=URI, dry_run=True)

    @task.short_circuit
    def should_apply(params: dict | None = None) -> bool:
        """Skip the apply when the run asked for a dry run."""
        return not (params or {}).get("dry_run", False)

    apply = SluiceLifecycleOperator(task_id="apply", config=CONFIG, uri=URI, dry_run=False)

    plan >> should_apply() >> apply
