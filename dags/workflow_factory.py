"""The workflow factory: every ``dags/workflows/*.yaml`` file becomes a DAG (its ``name`` is the DAG id).

Files are validated first; an invalid one makes this file's import error list each problem as
``FILE:LINE: where: problem`` (the same lines as ``sluice workflow validate FILE``).
"""

from __future__ import annotations

from pathlib import Path

from sluice_airflow.workflows import build_dag

from workflow.language import load_workflows

for _workflow in load_workflows(Path(__file__).parent / "workflows"):
    globals()[_workflow.name] = build_dag(_workflow)
