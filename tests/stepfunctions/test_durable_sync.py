"""A durable ``glue:startJobRun.sync`` wait: the job run is persisted once started, so SIGKILLing the execution's
runner while it polls, and resuming, goes on polling that run; no second run is started."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

from service import STATES, invoke
from sluice.context import SluiceContext
from sluice.settings import Settings
from stepfunctions.durable import due, resume
from tests.awsapi.test_stepfunctions_api import ROLE, Deferred, wait_for
from tests.stepfunctions.durable_runs import IN_FLIGHT_TASK, event_types, start_in_runner

SLOW_JOB = "import time\ntime.sleep(4)\nprint('done')\n"


def test_a_killed_runner_resumes_polling_the_same_job_run(tmp_path: Path) -> None:
    ctx = SluiceContext(Settings(home=tmp_path / "home"))
    script = tmp_path / "slow.py"
    script.write_text(SLOW_JOB)
    invoke(ctx, "CreateJob", {"Name": "slow", "Role": "r", "Command": {"ScriptLocation": str(script)}})
    definition = {
        "StartAt": "Run",
        "States": {
            "Run": {
                "Type": "Task",
                "Resource": "arn:aws:states:::glue:startJobRun.sync",
                "Parameters": {"JobName": "slow"},
                "ResultSelector": {"Id.$": "$.Id", "State.$": "$.JobRunState"},
                "End": True,
            }
        },
    }
    arn, runner = start_in_runner(ctx, "sync", definition, {})
    wait_for(lambda: "TaskSubmitted" in event_types(ctx, arn) and runner.poll() is None)
    runner.send_signal(signal.SIGKILL)
    runner.wait()
    (job_run,) = invoke(ctx, "GetJobRuns", {"JobName": "slow"})["JobRuns"]
    assert job_run["JobRunState"] in ("STARTING", "RUNNING")  # the job goes on without the execution's runner

    progress = resume(ctx, arn, defer_after=60, poll_seconds=0.5)  # polls in process: the job ends in time
    assert progress.status == "SUCCEEDED", invoke(ctx, "DescribeExecution", {"executionArn": arn}, STATES)
    output: dict[str, Any] = json.loads(invoke(ctx, "DescribeExecution", {"executionArn": arn}, STATES)["output"])
    assert output == {"Id": job_run["Id"], "State": "SUCCEEDED"}
    assert len(invoke(ctx, "GetJobRuns", {"JobName": "slow"})["JobRuns"]) == 1
    assert event_types(ctx, arn) == ["ExecutionStarted", *IN_FLIGHT_TASK, "ExecutionSucceeded"]


def test_a_long_wait_is_handed_back_to_be_deferred(tmp_path: Path) -> None:
    """``resume`` with ``defer_after`` returns at a Wait longer than that, the Wait persisted; it is due once its
    time comes, and resuming then finishes the execution."""
    ctx = SluiceContext(Settings(home=tmp_path / "home"), launcher=Deferred())
    definition = {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 1, "End": True}}}
    request = {"name": "nap", "definition": json.dumps(definition), "roleArn": ROLE}
    machine = invoke(ctx, "CreateStateMachine", request, STATES)["stateMachineArn"]
    arn = invoke(ctx, "StartExecution", {"stateMachineArn": machine, "input": "{}"}, STATES)["executionArn"]
    progress = resume(ctx, arn, defer_after=0.5)
    assert progress.status == "RUNNING" and progress.wake is not None
    assert not due(ctx, arn, progress.wake)
    wait_for(lambda: due(ctx, arn, progress.wake), seconds=5)
    assert resume(ctx, arn, defer_after=0.5).status == "SUCCEEDED"
