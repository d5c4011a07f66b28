"""``dags/state_machines/*.asl.json`` become DAGs (``dags/state_machine_factory.py``): ``airflow dags test`` of one
runs an execution durably, its conf the input, and the Step Functions API reads it back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from service import STATES, invoke
from sluice.context import SluiceContext
from sluice.settings import Settings


@pytest.mark.airflow
def test_a_state_machine_file_is_a_dag_whose_run_is_an_execution(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLUICE_", "AIRFLOW"))}
    env |= {"SLUICE_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    conf = json.dumps({"name": "Ada", "items": [1, 2, 3]})
    command = [str(Path(sys.executable).parent / "sluice"), "airflow", "dags-test", "hello_retry", "--conf", conf]
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]

    ctx = SluiceContext(Settings(home=home))
    (machine,) = invoke(ctx, "ListStateMachines", {}, api=STATES)["stateMachines"]
    assert machine["name"] == "hello_retry"
    (execution,) = invoke(ctx, "ListExecutions", {"stateMachineArn": machine["stateMachineArn"]}, api=STATES)[
        "executions"
    ]
    described = invoke(ctx, "DescribeExecution", {"executionArn": execution["executionArn"]}, api=STATES)
    assert described["status"] == "SUCCEEDED" and json.loads(described["input"]) == json.loads(conf)
    output = json.loads(described["output"])
    assert output["greeting"] == {"greeting": "Hello, Ada!", "count": 3}
    assert output["caught"] == {"Error": "Oops", "Cause": "on purpose"}
    history = invoke(ctx, "GetExecutionHistory", {"executionArn": execution["executionArn"]}, api=STATES)["events"]
    types = [e["type"] for e in history]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded"
    assert "WaitStateEntered" in types and "ParallelStateFailed" in types
