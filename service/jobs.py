"""Glue's job operations over ``etl``: job definitions (``etl.definitions``), StartJobRun, runs and bookmarks.

A job's ``Command`` is a ``glueetl`` script run by ``spark-submit`` on this host (Sluice's Spark master);
``Role``, ``MaxRetries``, ``WorkerType``, ``NumberOfWorkers`` and ``GlueVersion`` are stored and shown, not
acted on. Runs are also recorded by scripts started elsewhere (``sluice job run``, the Airflow Spark
operator): a run needs no definition, and its job is known by its ``--JOB_NAME``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from etl import definitions, runs
from etl.bookmarks import store as bookmarks
from etl.submit import spark_submit_command
from service.launching import launch
from sluice.context import SluiceContext
from sluice.errors import InvalidInputException, SluiceError
from sluice.lake import fs
from sluice.lake.paths import resolve
from sluice.launch import Caller, Work

__all__ = [
    "batch_stop_job_run",
    "create_job",
    "delete_job",
    "get_job",
    "get_job_bookmark",
    "get_job_run",
    "get_job_runs",
    "get_jobs",
    "reset_job_bookmark",
    "start_job_run",
    "update_job",
]

ACTED_ON = ("Role", "Command", "ExecutionProperty", "DefaultArguments", "NonOverridableArguments", "Timeout")
"""The members of a job definition Sluice acts on (Role only as required); the others are stored and shown."""
DEFINITION = (
    "Description",
    *ACTED_ON,
    "JobMode",
    "JobRunQueuingEnabled",
    "LogUri",
    "Connections",
    "MaxRetries",
    "AllocatedCapacity",
    "MaxCapacity",
    "SecurityConfiguration",
    "NotificationProperty",
    "GlueVersion",
    "WorkerType",
    "NumberOfWorkers",
    "ExecutionClass",
    "SourceControlDetails",
    "MaintenanceWindow",
)
"""The members of Glue's Job that Sluice stores (JobUpdate's, and CreateJob's but Name and Tags)."""
_DEFAULTS: dict[str, Any] = {"ExecutionProperty": {"MaxConcurrentRuns": 1}, "MaxRetries": 0, "Timeout": 2880}
_GIVEN_BY_SLUICE = ("--JOB_NAME", "--JOB_RUN_ID")


def _definition(members: dict[str, Any]) -> dict[str, Any]:
    """A stored definition from CreateJob's members or a JobUpdate: Glue's defaults, a ``glueetl`` script."""
    unsupported = sorted(set(members) - set(DEFINITION))
    if unsupported:
        raise InvalidInputException(f"JobUpdate: Sluice does not support {', '.join(unsupported)}.")
    for name in ("Role", "Command"):
        if members.get(name) is None:
            raise InvalidInputException(f"{name} is required: a job definition is replaced as a whole.")
    command = {"Name": "glueetl", **members["Command"]}
    if command["Name"] != "glueetl" or not command.get("ScriptLocation"):
        raise InvalidInputException("Command: Sluice runs glueetl jobs, and needs their ScriptLocation.")
    for name in ("DefaultArguments", "NonOverridableArguments"):
        _check_keys(name, members.get(name) or {})
    given = {k: v for k, v in members.items() if v is not None}
    return _DEFAULTS | given | {"Command": command}


def _check_keys(member: str, arguments: dict[str, str]) -> None:
    bad = [k for k in arguments if not k.startswith("--") or k in _GIVEN_BY_SLUICE]
    if bad:
        raise InvalidInputException(
            f"{member}: {', '.join(bad)}: argument names start with --, and {' and '.join(_GIVEN_BY_SLUICE)} "
            "are set by the run."
        )


def create_job(
    ctx: SluiceContext | None,
    *,
    Name: str,
    Role: str,
    Command: dict[str, str],
    Description: str | None = None,
    ExecutionProperty: dict[str, int] | None = None,
    DefaultArguments: dict[str, str] | None = None,
    NonOverridableArguments: dict[str, str] | None = None,
    MaxRetries: int | None = None,
    Timeout: int | None = None,
    GlueVersion: str | None = None,
    WorkerType: str | None = None,
    NumberOfWorkers: int | None = None,
    JobMode: str | None = None,
    JobRunQueuingEnabled: bool | None = None,
    LogUri: str | None = None,
    Connections: dict[str, list[str]] | None = None,
    AllocatedCapacity: int | None = None,
    MaxCapacity: float | None = None,
    SecurityConfiguration: str | None = None,
    NotificationProperty: dict[str, int] | None = None,
    ExecutionClass: str | None = None,
    SourceControlDetails: dict[str, str] | None = None,
    MaintenanceWindow: str | None = None,
    Tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Glue CreateJob. Of the definition, Sluice acts on :data:`ACTED_ON`; capacity, worker, connection and
    notification members are stored and shown by GetJob, as a job moved from Glue carries them."""
    members = {k: v for k, v in locals().items() if k in DEFINITION}
    definitions.create_job(Name, _definition(members), Tags, ctx=ctx)
    return {"Name": Name}


def update_job(ctx: SluiceContext | None, *, JobName: str, JobUpdate: dict[str, Any]) -> dict[str, Any]:
    """Glue UpdateJob: ``JobUpdate`` replaces the definition as a whole (members left out take their defaults)."""
    definitions.update_job(JobName, _definition(JobUpdate), ctx=ctx)
    return {"JobName": JobName}


def get_job(ctx: SluiceContext | None, *, JobName: str) -> dict[str, Any]:
    """Glue GetJob."""
    return {"Job": definitions.get_job(JobName, ctx=ctx)}


def get_jobs(ctx: SluiceContext | None, *, NextToken: str | None = None, MaxResults: int = 100) -> dict[str, Any]:
    """Glue GetJobs, by name, one page of ``MaxResults``; ``NextToken`` is the name the page ends at."""
    jobs, token = definitions.get_jobs(limit=MaxResults, after=NextToken, ctx=ctx)
    return {"Jobs": jobs, **({"NextToken": token} if token else {})}


def delete_job(ctx: SluiceContext | None, *, JobName: str) -> dict[str, Any]:
    """Glue DeleteJob: a job that does not exist is deleted too. Its runs and bookmark stay."""
    definitions.delete_job(JobName, ctx=ctx)
    return {"JobName": JobName}


def merge_arguments(default: dict[str, str], non_overridable: dict[str, str], run: dict[str, str]) -> dict[str, str]:
    """A run's arguments as Glue merges them: the run's over the defaults, the non-overridable ones over both.

    A run argument naming a non-overridable one is refused (InvalidInputException), not dropped.
    """
    _check_keys("Arguments", run)
    clash = sorted(set(run) & set(non_overridable))
    if clash:
        raise InvalidInputException(f"Arguments: {', '.join(clash)} cannot be overridden (NonOverridableArguments).")
    return default | run | non_overridable


def _script_source(location: str, ctx: SluiceContext) -> str:
    """Where the job's script is: the local path as given, else its lake or ``s3://`` URI; InvalidInputException
    when there is no script there."""
    if Path(location).exists():
        return location
    uri = resolve(location, ctx=ctx)
    if fs.size_of(uri, ctx=ctx) is None:
        raise InvalidInputException(f"Command.ScriptLocation {location!r}: there is no script at {uri}.")
    return uri


def _script(location: str, folder: Path, ctx: SluiceContext) -> str:
    """A local path to the job's script: the path itself, or a copy of a lake or ``s3://`` object in ``folder``."""
    source = _script_source(location, ctx)
    return source if source == location and Path(location).exists() else fs.local_copy(source, folder, ctx=ctx)


def start_job_run(
    ctx: SluiceContext | None,
    *,
    JobName: str,
    Arguments: dict[str, str] | None = None,
    Timeout: int | None = None,
) -> dict[str, Any]:
    """Glue StartJobRun: the run is recorded STARTING and handed to the context's launcher; returns at once.

    The launcher (an Airflow DAG run of ``sluice_glue_job``, or a process on this host) runs the script
    with ``spark-submit`` (``service.runner``); its driver (``JobContext``) takes the run over as RUNNING and
    ends it, and GetJobRun follows it. ``ExecutionProperty.MaxConcurrentRuns`` is checked here
    (ConcurrentRunsExceededException) and again by the driver (``--max-concurrent-runs``); ``Timeout``
    (minutes) ends the run TIMEOUT.
    """
    ctx = SluiceContext.resolve(ctx)
    job = definitions.get_job(JobName, ctx=ctx)
    merged = merge_arguments(job.get("DefaultArguments", {}), job.get("NonOverridableArguments", {}), Arguments or {})
    _script_source(job["Command"]["ScriptLocation"], ctx)  # refused now, not when the run starts
    slots = job["ExecutionProperty"].get("MaxConcurrentRuns", 1)
    run_id = runs.new_run_id()
    argv = {
        "--JOB_NAME": JobName,
        "--JOB_RUN_ID": run_id,
        **merged,
        "--max-concurrent-runs": str(slots),
        "--timeout": str(Timeout or job["Timeout"]),
    }
    runs.record_starting(JobName, run_id, argv, max_concurrent_runs=slots, ctx=ctx)

    def failed(message: str) -> None:
        with ctx.session() as s:
            runs.finish(s, run_id, "FAILED", error=message, was="STARTING")

    launch(ctx, Work("job", run_id, JobName, ctx.caller), failed)
    return {"JobRunId": run_id}


def job_run_command(ctx: SluiceContext, run_id: str) -> list[str]:
    """The ``spark-submit`` command of a STARTING run: its job's script (a local copy of a lake or ``s3://``
    one, in ``<home>/job-runs/<run id>/``) with the arguments StartJobRun recorded."""
    run = runs.get_run(run_id, ctx=ctx)
    job = definitions.get_job(run["JobName"], ctx=ctx)
    folder = ctx.settings.home / "job-runs" / run_id
    folder.mkdir(parents=True, exist_ok=True)
    script = _script(job["Command"]["ScriptLocation"], folder, ctx)
    return spark_submit_command(script, [token for pair in run["Arguments"].items() for token in pair], ctx=ctx)


def batch_stop_job_run(ctx: SluiceContext | None, *, JobName: str, JobRunIds: list[str]) -> dict[str, Any]:
    """Glue BatchStopJobRun: each run STARTING ends STOPPED, each RUNNING one goes STOPPING and its driver
    ends it STOPPED within a heartbeat (or its process is killed); a run that is not running is an error
    entry, not a failure of the call."""
    stopped, errors = [], []
    for run_id in JobRunIds:
        try:
            runs.stop_run(JobName, run_id, ctx=ctx)
            stopped.append({"JobName": JobName, "JobRunId": run_id})
        except SluiceError as exc:
            detail = {"ErrorCode": type(exc).__name__, "ErrorMessage": exc.message}
            errors.append({"JobName": JobName, "JobRunId": run_id, "ErrorDetail": detail})
    return {"SuccessfulSubmissions": stopped, "Errors": errors}


def get_job_run(
    ctx: SluiceContext | None, *, JobName: str, RunId: str, PredecessorsIncluded: bool = False
) -> dict[str, Any]:
    """Glue GetJobRun. Sluice's runs have no predecessors (no triggers start them)."""
    return {"JobRun": runs.get_job_run(JobName, RunId, ctx=ctx)}


def get_job_runs(ctx: SluiceContext | None, *, JobName: str | None, MaxResults: int = 100) -> dict[str, Any]:
    """Glue GetJobRuns, newest first: the latest ``MaxResults``. ``JobName=None`` (Sluice's) lists every job's."""
    return {"JobRuns": runs.get_job_runs(JobName, limit=MaxResults, ctx=ctx)}


def get_job_bookmark(ctx: SluiceContext | None, *, JobName: str) -> dict[str, Any]:
    """Glue GetJobBookmark."""
    return bookmarks.get_job_bookmark(JobName, ctx=ctx)


def reset_job_bookmark(ctx: SluiceContext | None, *, JobName: str, RunId: str | None = None) -> dict[str, Any]:
    """Glue ResetJobBookmark; with ``RunId``, rewind to the state that run committed."""
    return bookmarks.reset_job_bookmark(JobName, RunId, ctx=ctx)


def caller_env(ctx: SluiceContext, caller: Caller | None) -> dict[str, str]:
    """The variables that point a job script's own AWS clients at Sluice, as ``caller``: the Glue endpoint,
    the S3 endpoint when Sluice has one, and the caller's key (none when the key is gone or inactive)."""
    if caller is None:
        return {}
    from awsapi.keys import secret_of

    env = {"AWS_ENDPOINT_URL_GLUE": caller.endpoint_url}
    if ctx.settings.s3_endpoint_url:
        env["AWS_ENDPOINT_URL_S3"] = ctx.settings.s3_endpoint_url
    found = secret_of(ctx, caller.access_key_id)
    if found is not None and found[0].status == "Active":
        env |= {"AWS_ACCESS_KEY_ID": caller.access_key_id, "AWS_SECRET_ACCESS_KEY": found[1]}
    return env


def script_env(ctx: SluiceContext, caller: Caller | None) -> dict[str, str]:
    """The environment of a job script's ``spark-submit``: ``ctx``'s, plus :func:`caller_env` for ``caller``."""
    from sparkio.session import spark_submit_env

    env, extra = spark_submit_env(ctx), caller_env(ctx, caller)
    if "AWS_ACCESS_KEY_ID" in extra:  # the worker's session token belongs to its own key, not the caller's
        env.pop("AWS_SESSION_TOKEN", None)
    env |= extra
    env.setdefault("AWS_DEFAULT_REGION", ctx.aws.region or "us-east-1")  # as a Glue job has one
    return env
