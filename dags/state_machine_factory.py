"""state_machine_factory: each ``dags/state_machines/*.asl.json`` becomes a DAG whose runs are executions.

The folder is ``$SLUICE_STATE_MACHINES`` when that is set. Its ``lambdas.yaml``, when there is one, is the Lambda
registry of their Tasks (function name → ``module:callable`` or ``file.py:callable``, relative to it), unless
``$SLUICE_LAMBDA_REGISTRY`` names another (``Settings.lambda_registry_file``, resolved when a run starts: executions
started with StartExecution, run by ``sluice_state_machine``, get the same registry).

A DAG run's conf is the execution's input, so the Airflow UI, ``POST /api/v2/dags/{id}/dagRuns`` and
``sluice airflow trigger`` all start executions; the execution is named after the DAG run and is read back
with the Step Functions API (DescribeExecution, GetExecutionHistory) on Sluice's endpoint. The DAGs are not
paused on creation (they have no schedule: a run is an execution someone started). The execution's task defers
to the triggerer whenever it waits (Wait states, ``.sync`` jobs, callback Tasks, and the Tasks of Map iterations
and Parallel branches, which the mapped task of ``sluice_state_tasks`` DAG runs carries out). Only the file names
are read here: definitions are loaded and validated when a run starts, so this file stays import-light.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from airflow.sdk import DAG
from sluice_airflow.operators import SluiceStateMachineOperator

FOLDER = Path(os.environ.get("SLUICE_STATE_MACHINES") or Path(__file__).parent / "state_machines")

for path in sorted(FOLDER.glob("*.asl.json")):
    name = path.name.removesuffix(".asl.json")
    with DAG(
        dag_id=name,
        description=f"The state machine {path.name}: a DAG run is an execution, its conf the input.",
        schedule=None,
        start_date=datetime(2024, 1, 1),
        catchup=False,
        is_paused_upon_creation=False,
        tags=["sluice", "stepfunctions"],
    ):
        SluiceStateMachineOperator(
            task_id="execute",
            definition=str(path),
            state_machine_name=name,
        )
