"""Job runs started through the service, carried out by ``service.runner`` on this host: a failing script
ends FAILED with its error, BatchStopJobRun stops a running driver and a script that never started one, and
a launcher that cannot start leaves the run FAILED, not STARTING."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import pytest

from sluice.context import SluiceContext
from sluice.errors import SluiceError
from sluice.launch import Work

FAILING = """\
import sys
from etl.context import JobContext

with JobContext.from_argv(sys.argv) as job:
    raise ValueError("no rows for day " + job.args.extra["day"])
"""

CRASHING = """\
raise RuntimeError("the script broke before its job started")
"""

LONG = """\
import sys, time
from etl.context import JobContext

with JobContext.from_argv(sys.argv) as job:
    time.sleep(600)
    job.commit()
"""

PLAIN_LONG = """\
import time
time.sleep(600)
"""


def define(glue: Any, tmp_path: Path, name: str, script: str, **members: Any) -> None:
    path = tmp_path / f"{name}.py"
    path.write_text(script)
    glue("CreateJob", {"Name": name, "Role": "r", "Command": {"ScriptLocation": str(path)}, **members})


def wait_for(glue: Any, name: str, run_id: str, states: set[str], timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run = glue("GetJobRun", {"JobName": name, "RunId": run_id})["JobRun"]
        if run["JobRunState"] in states or time.monotonic() > deadline:
            return run
        time.sleep(0.5)


def test_a_failing_script_ends_failed_with_its_error(glue: Any, tmp_path: Path) -> None:
    define(glue, tmp_path, "failing", FAILING, DefaultArguments={"--day": "2013-01-01"})
    define(glue, tmp_path, "crashing", CRASHING)
    failing = glue("StartJobRun", {"JobName": "failing"})["JobRunId"]
    crashing = glue("StartJobRun", {"JobName": "crashing"})["JobRunId"]
    run = wait_for(glue, "failing", failing, {"SUCCEEDED", "FAILED"})
    assert (run["JobRunState"], run["ErrorMessage"]) == ("FAILED", "ValueError: no rows for day 2013-01-01")
    run = wait_for(glue, "crashing", crashing, {"SUCCEEDED", "FAILED"})
    assert run["JobRunState"] == "FAILED"  # it never recorded its start: the runner ends it from its exit
    assert run["ErrorMessage"] == "RuntimeError: the script broke before its job started"


def test_batch_stop_job_run_stops_a_driver_and_a_plain_script(glue: Any, ctx: SluiceContext, tmp_path: Path) -> None:
    define(glue, tmp_path, "long", LONG)
    define(glue, tmp_path, "plain", PLAIN_LONG)
    long_run = glue("StartJobRun", {"JobName": "long"})["JobRunId"]
    plain_run = glue("StartJobRun", {"JobName": "plain"})["JobRunId"]
    assert wait_for(glue, "long", long_run, {"RUNNING"})["JobRunState"] == "RUNNING"
    time.sleep(2)  # the plain script's process runs, its run stays STARTING (nothing takes it over)

    stopped = glue("BatchStopJobRun", {"JobName": "long", "JobRunIds": [long_run, "jr_missing"]})
    assert stopped["SuccessfulSubmissions"] == [{"JobName": "long", "JobRunId": long_run}]
    assert [(e["JobRunId"], e["ErrorDetail"]["ErrorCode"]) for e in stopped["Errors"]] == [
        ("jr_missing", "EntityNotFoundException")
    ]
    assert glue("BatchStopJobRun", {"JobName": "plain", "JobRunIds": [plain_run]})["Errors"] == []
    assert glue("GetJobRun", {"JobName": "plain", "RunId": plain_run})["JobRun"]["JobRunState"] == "STOPPED"

    run = wait_for(glue, "long", long_run, {"STOPPED", "FAILED", "SUCCEEDED"}, timeout=60)
    assert run["JobRunState"] == "STOPPED", run
    log, deadline = ctx.settings.home / "runs" / f"{plain_run}.log", time.monotonic() + 30
    while "ended STOPPED" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert "ended STOPPED" in log.read_text()  # the sleeping script was killed; its runner has ended
    again = glue("BatchStopJobRun", {"JobName": "long", "JobRunIds": [long_run]})
    assert again["Errors"][0]["ErrorDetail"]["ErrorCode"] == "InvalidInputException"


class Refusing:
    def launch(self, ctx: SluiceContext, work: Work) -> None:
        raise SluiceError("no executor")


def test_a_run_the_launcher_cannot_start_ends_failed(glue: Any, ctx: SluiceContext, tmp_path: Path) -> None:
    from service import invoke

    define(glue, tmp_path, "long", LONG)
    refusing = dataclasses.replace(ctx, launcher=Refusing())
    with pytest.raises(SluiceError, match="no executor"):
        invoke(refusing, "StartJobRun", {"JobName": "long"})
    (run,) = glue("GetJobRuns", {"JobName": "long"})["JobRuns"]
    assert (run["JobRunState"], run["ErrorMessage"]) == ("FAILED", "The run could not be started: no executor")


def test_timeout_ends_the_run_timeout(glue: Any, tmp_path: Path) -> None:
    """StartJobRun's Timeout (minutes, as Glue counts it) ends a run that takes longer TIMEOUT."""
    define(glue, tmp_path, "slow", LONG, Timeout=30)
    run_id = glue("StartJobRun", {"JobName": "slow", "Timeout": 1})["JobRunId"]
    run = wait_for(glue, "slow", run_id, {"TIMEOUT", "FAILED", "SUCCEEDED", "STOPPED"}, timeout=150)
    assert (run["JobRunState"], run["ErrorMessage"]) == ("TIMEOUT", "Job run timed out after --timeout 1.0 minute(s).")
    assert 60 <= run["ExecutionTime"] < 120
