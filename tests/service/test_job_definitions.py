"""Job definitions and StartJobRun through ``invoke``: Glue's shapes, argument merging, and a real detached run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from etl import runs
from service.jobs import merge_arguments
from sluice.context import AwsIdentity, SluiceContext
from sluice.errors import (
    AlreadyExistsException,
    ConcurrentRunsExceededException,
    EntityNotFoundException,
    InvalidInputException,
)
from sluice.settings import Settings
from tests.service.conftest import check_response

COMMAND = {"Name": "glueetl", "ScriptLocation": "/opt/jobs/j.py", "PythonVersion": "3"}


def test_create_get_update_delete(glue) -> None:
    request = {"Name": "j", "Role": "r", "Command": COMMAND, "DefaultArguments": {"--a": "1"}, "Tags": {"t": "v"}}
    assert glue("CreateJob", request) == {"Name": "j"}
    with pytest.raises(AlreadyExistsException, match="Job j already exists"):
        glue("CreateJob", request)
    job = glue("GetJob", {"JobName": "j"})["Job"]
    assert (job["Command"], job["DefaultArguments"], job["ExecutionProperty"]) == (
        COMMAND,
        {"--a": "1"},
        {"MaxConcurrentRuns": 1},
    )
    update = {"Role": "r2", "Command": {"ScriptLocation": "/opt/jobs/k.py"}, "Timeout": 5}
    assert glue("UpdateJob", {"JobName": "j", "JobUpdate": update}) == {"JobName": "j"}
    replaced = glue("GetJob", {"JobName": "j"})["Job"]
    assert "DefaultArguments" not in replaced  # replaced as a whole, as Glue does
    assert (replaced["Role"], replaced["Timeout"], replaced["CreatedOn"]) == ("r2", 5, job["CreatedOn"])
    with pytest.raises(InvalidInputException, match="Command is required"):
        glue("UpdateJob", {"JobName": "j", "JobUpdate": {"Role": "r"}})
    assert glue("DeleteJob", {"JobName": "j"}) == {"JobName": "j"}
    assert glue("DeleteJob", {"JobName": "j"}) == {"JobName": "j"}  # a missing job deletes too
    with pytest.raises(EntityNotFoundException, match="Job j not found"):
        glue("GetJob", {"JobName": "j"})
    with pytest.raises(EntityNotFoundException, match="Job nope not found"):
        glue("UpdateJob", {"JobName": "nope", "JobUpdate": update})


def test_get_jobs_pages_by_name(glue) -> None:
    for name in ("c", "a", "b"):
        glue("CreateJob", {"Name": name, "Role": "r", "Command": COMMAND})
    first = glue("GetJobs", {"MaxResults": 2})
    assert [j["Name"] for j in first["Jobs"]] == ["a", "b"]
    rest = glue("GetJobs", {"MaxResults": 2, "NextToken": first["NextToken"]})
    assert [j["Name"] for j in rest["Jobs"]] == ["c"] and "NextToken" not in rest
    assert [j["Name"] for j in glue("GetJobs", {})["Jobs"]] == ["a", "b", "c"]


def test_arguments_merge_as_glue_does() -> None:
    merged = merge_arguments({"--a": "d", "--b": "d"}, {"--c": "n"}, {"--b": "r", "--e": "r"})
    assert merged == {"--a": "d", "--b": "r", "--c": "n", "--e": "r"}
    with pytest.raises(InvalidInputException, match="--c cannot be overridden"):
        merge_arguments({}, {"--c": "n"}, {"--c": "r"})
    with pytest.raises(InvalidInputException, match="--JOB_RUN_ID"):
        merge_arguments({}, {}, {"--JOB_RUN_ID": "jr_x"})


def test_start_job_run_of_a_missing_job(glue) -> None:
    with pytest.raises(EntityNotFoundException, match="Job nope not found"):
        glue("StartJobRun", {"JobName": "nope"})


SCRIPT = """\
import sys
from etl.context import JobContext

job = JobContext.from_argv(sys.argv)
assert job.args.extra["day"] == "run" and job.args.extra["env"] == "fixed", job.args.extra
job.commit()
"""


class TestStartJobRun:
    @pytest.fixture
    def ctx(self, moto_server: str, tmp_path: Path) -> SluiceContext:
        """The explicit context, with the moto server's S3 (the script's store)."""
        return SluiceContext(
            Settings(home=tmp_path / "explicit", s3_endpoint_url=moto_server),
            AwsIdentity("testing", "testing", region="us-east-1"),
        )

    def test_fetches_and_runs_the_script_detached(self, glue, ctx: SluiceContext, s3) -> None:
        """The script is an S3 object, fetched into the run's folder; the run is found STARTING or RUNNING at
        once, then SUCCEEDED, under the JobRunId StartJobRun returned, with the merged arguments."""
        client, bucket = s3
        client.put_object(Bucket=bucket, Key="scripts/tiny.py", Body=SCRIPT.encode())
        glue("CreateJob", {
            "Name": "tiny", "Role": "r", "Command": {"ScriptLocation": f"s3://{bucket}/scripts/tiny.py"},
            "DefaultArguments": {"--day": "default"}, "NonOverridableArguments": {"--env": "fixed"},
        })  # fmt: skip
        run_id = glue("StartJobRun", {"JobName": "tiny", "Arguments": {"--day": "run"}})["JobRunId"]
        assert run_id.startswith("jr_")
        states = [glue("GetJobRun", {"JobName": "tiny", "RunId": run_id})["JobRun"]["JobRunState"]]
        assert states[0] in {"STARTING", "RUNNING"}  # recorded before its driver starts
        deadline = time.monotonic() + 180
        while states[-1] not in {"SUCCEEDED", "FAILED", "TIMEOUT"} and time.monotonic() < deadline:
            time.sleep(1)
            states.append(glue("GetJobRun", {"JobName": "tiny", "RunId": run_id})["JobRun"]["JobRunState"])
        assert states[-1] == "SUCCEEDED", (ctx.settings.home / "runs" / f"{run_id}.log").read_text()[-3000:]
        assert (ctx.settings.home / "job-runs" / run_id / "tiny.py").read_text() == SCRIPT
        run = glue("GetJobRun", {"JobName": "tiny", "RunId": run_id})["JobRun"]
        assert (run["Arguments"]["--day"], run["Arguments"]["--env"], run["Arguments"]["--max-concurrent-runs"]) == (
            "run",
            "fixed",
            "1",
        )


def test_starting_runs_take_a_slot_and_their_driver_takes_them_over(ctx: SluiceContext) -> None:
    """A STARTING run counts against MaxConcurrentRuns, its driver's start_run makes it RUNNING under the same
    id, and a STARTING run whose process is gone is reclaimed as FAILED."""
    runs.record_starting("j", "jr_a", {}, ctx=ctx)
    with pytest.raises(ConcurrentRunsExceededException, match=r"jr_a \(STARTING, pid None\)"):
        runs.record_starting("j", "jr_b", {}, ctx=ctx)
    with pytest.raises(ConcurrentRunsExceededException):
        runs.start_run("j", {}, ctx=ctx)  # another driver
    row = runs.start_run("j", {"--JOB_NAME": "j"}, run_id="jr_a", ctx=ctx)
    assert (row.id, row.state, row.pid) == ("jr_a", "RUNNING", os.getpid())
    with ctx.session() as s:
        assert runs.finish(s, "jr_a", "SUCCEEDED")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    runs.record_starting("j", "jr_c", {}, ctx=ctx)
    runs.hand_over("jr_c", gone.pid, ctx=ctx)
    runs.record_starting("j", "jr_d", {}, ctx=ctx)  # jr_c's process is gone: reclaimed
    failed = runs.get_job_run("j", "jr_c", ctx=ctx)
    assert failed["JobRunState"] == "FAILED" and "Reclaimed" in failed["ErrorMessage"]


def test_cli_job_verbs_print_glue_shapes() -> None:
    """``sluice job create-job / get-job / get-jobs / delete-job`` (on the environment's context)."""
    from typer.testing import CliRunner

    from etl.cli import app

    def cli(*args: str) -> dict:
        result = CliRunner().invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    command = json.dumps({"ScriptLocation": "/opt/jobs/j.py"})
    assert cli("create-job", "--name", "j", "--role", "r", "--command", command, "--timeout", "7") == {"Name": "j"}
    job = cli("get-job", "--job-name", "j", "--json")
    check_response("GetJob", job)
    assert (job["Job"]["Command"]["Name"], job["Job"]["Timeout"]) == ("glueetl", 7)
    jobs = cli("get-jobs", "--json")
    check_response("GetJobs", jobs)
    assert [j["Name"] for j in jobs["Jobs"]] == ["j"]
    assert cli("delete-job", "--job-name", "j") == {"JobName": "j"}
    bad = CliRunner().invoke(app, ["create-job", "--name", "k", "--role", "r", "--command", "{"])
    assert bad.exit_code != 0 and "--command: not JSON" in bad.output
