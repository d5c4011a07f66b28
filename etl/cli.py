"""``sluice job …``: run job scripts under spark-submit, and Glue's job, job-run and bookmark verbs."""

from __future__ import annotations

import json
import subprocess
from typing import Annotated, Any

import typer

from etl.submit import spark_submit_command
from sluice.console import friendly_errors, print_json, print_record, print_table

app = typer.Typer(
    help="Define and run Spark jobs, inspect runs and bookmarks (mirrors `aws glue` job verbs).",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print Glue's JSON response shape.")]
JobName = Annotated[str, typer.Option("--job-name", help="Job name (--JOB_NAME of its runs).")]
JsonArg = Annotated[str | None, typer.Option(help="JSON, as `aws glue` takes it.")]


def _json(option: str, value: str | None) -> Any:
    """A JSON option's value (None when not given); InvalidInputException naming the option when malformed."""
    from sluice.errors import InvalidInputException

    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError as exc:
        raise InvalidInputException(f"{option}: not JSON ({exc}).") from None


@app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@friendly_errors
def run(
    ctx: typer.Context,
    script: Annotated[str, typer.Argument(help="A job script, e.g. etl/jobs/raw_to_curated.py or raw_to_curated.py.")],
    master: Annotated[str | None, typer.Option("--master", help="Spark master (default SLUICE_SPARK_MASTER).")] = None,
) -> None:
    """spark-submit a job script with the project's settings; the remaining arguments go to the job.

    With the ``sluice`` profile of ``sluice airflow standalone`` in SLUICE_HOME, the script's own
    ``boto3.client("glue")`` reaches Sluice's Glue endpoint (``AWS_ENDPOINT_URL_GLUE``) with that profile's key."""
    from awsapi.profiles import profile_caller
    from service.jobs import script_env
    from sluice.context import SluiceContext

    context = SluiceContext.from_env()
    command = spark_submit_command(script, list(ctx.args), master, ctx=context)
    raise typer.Exit(subprocess.call(command, env=script_env(context, profile_caller(context))))


@app.command("get-job-runs")
@friendly_errors
def get_job_runs(job_name: JobName, json_: JsonOpt = False) -> None:
    """A job's runs, newest first (Glue GetJobRuns)."""
    from service import jobs as glue
    from sluice.context import SluiceContext

    response = glue.get_job_runs(SluiceContext.from_env(), JobName=job_name)
    if json_:
        print_json(response)
        return
    job_runs = response["JobRuns"]
    columns = ["Id", "State", "Attempt", "StartedOn", "Seconds", "Read", "Written", "Bad", "Error"]
    print_table(f"Runs of {job_name}", columns, [
        (r["Id"], r["JobRunState"], r["Attempt"], r["StartedOn"], r["ExecutionTime"], r["Metrics"].get("recordsRead"),
         r["Metrics"].get("recordsWritten"), r["Metrics"].get("badRecords"), (r.get("ErrorMessage") or "")[:80])
        for r in job_runs
    ])  # fmt: skip


@app.command("get-job-run")
@friendly_errors
def get_job_run(job_name: JobName, run_id: Annotated[str, typer.Option("--run-id")], json_: JsonOpt = False) -> None:
    """One run (Glue GetJobRun)."""
    from service import jobs as glue
    from sluice.context import SluiceContext

    response = glue.get_job_run(SluiceContext.from_env(), JobName=job_name, RunId=run_id)
    print_record(response, "JobRun", f"Run {run_id}", json_)


@app.command("get-job-bookmark")
@friendly_errors
def get_job_bookmark(job_name: JobName, json_: JsonOpt = False) -> None:
    """A job's bookmark (Glue GetJobBookmark)."""
    from service import jobs as glue
    from sluice.context import SluiceContext

    entry = glue.get_job_bookmark(SluiceContext.from_env(), JobName=job_name)
    print_record(entry, "JobBookmarkEntry", f"Bookmark of {job_name}", json_)


@app.command("reset-job-bookmark")
@friendly_errors
def reset_job_bookmark(
    job_name: JobName,
    run_id: Annotated[str | None, typer.Option("--run-id", help="Rewind to the state after this run.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Reset a job's bookmark, or rewind it to the state after a run (Glue ResetJobBookmark)."""
    from service import jobs as glue
    from sluice.context import SluiceContext

    entry = glue.reset_job_bookmark(SluiceContext.from_env(), JobName=job_name, RunId=run_id)
    if json_:
        print_json(entry)
    else:
        typer.echo(f"Reset the bookmark of {job_name}" + (f" to run {run_id}." if run_id else "."))


@app.command("create-job")
@friendly_errors
def create_job(
    name: Annotated[str, typer.Option("--name", help="Job name.")],
    role: Annotated[str, typer.Option("--role", help="IAM role (stored; runs use Sluice's identity).")],
    command: Annotated[str, typer.Option("--command", help='JSON: {"Name": "glueetl", "ScriptLocation": …}.')],
    description: Annotated[str | None, typer.Option("--description")] = None,
    default_arguments: JsonArg = None,
    non_overridable_arguments: JsonArg = None,
    execution_property: JsonArg = None,
    max_retries: Annotated[int | None, typer.Option("--max-retries")] = None,
    timeout: Annotated[int | None, typer.Option("--timeout", help="Minutes (default 2880).")] = None,
    glue_version: Annotated[str | None, typer.Option("--glue-version")] = None,
    worker_type: Annotated[str | None, typer.Option("--worker-type")] = None,
    number_of_workers: Annotated[int | None, typer.Option("--number-of-workers")] = None,
    tags: JsonArg = None,
) -> None:
    """Define a job (Glue CreateJob); prints {"Name": …}."""
    from service import jobs as glue
    from sluice.context import SluiceContext

    print_json(glue.create_job(
        SluiceContext.from_env(), Name=name, Role=role, Command=_json("--command", command), Description=description,
        DefaultArguments=_json("--default-arguments", default_arguments),
        NonOverridableArguments=_json("--non-overridable-arguments", non_overridable_arguments),
        ExecutionProperty=_json("--execution-property", execution_property), MaxRetries=max_retries,
        Timeout=timeout, GlueVersion=glue_version, WorkerType=worker_type, NumberOfWorkers=number_of_workers,
        Tags=_json("--tags", tags),
    ))  # fmt: skip


@app.command("get-job")
@friendly_errors
def get_job(job_name: JobName, json_: JsonOpt = False) -> None:
    """A job's definition (Glue GetJob)."""
    from service import jobs as glue
    from sluice.context import SluiceContext

    print_record(glue.get_job(SluiceContext.from_env(), JobName=job_name), "Job", f"Job {job_name}", json_)


@app.command("get-jobs")
@friendly_errors
def get_jobs(
    max_results: Annotated[int | None, typer.Option("--max-results", help="One page of at most N (1-1000).")] = None,
    next_token: Annotated[str | None, typer.Option("--next-token", help="Continue after the page it ended.")] = None,
    json_: JsonOpt = False,
) -> None:
    """The jobs, by name (Glue GetJobs): every page by default, as the AWS CLI does; with --max-results or
    --next-token, one page and its NextToken."""
    from service import jobs as glue
    from sluice.context import SluiceContext

    ctx, token, jobs = SluiceContext.from_env(), next_token, []
    while True:
        page = glue.get_jobs(ctx, NextToken=token, **({} if max_results is None else {"MaxResults": max_results}))
        jobs += page["Jobs"]
        token = page.get("NextToken")
        if token is None or max_results is not None or next_token is not None:
            break
    if json_:
        print_json({"Jobs": jobs, **({"NextToken": token} if token else {})})
        return
    print_table("Jobs", ["Name", "ScriptLocation", "MaxConcurrentRuns", "LastModifiedOn"], [
        (j["Name"], j["Command"]["ScriptLocation"], j["ExecutionProperty"]["MaxConcurrentRuns"], j["LastModifiedOn"])
        for j in jobs
    ])  # fmt: skip
    if token:
        typer.echo(f"NextToken: {token}")


@app.command("delete-job")
@friendly_errors
def delete_job(job_name: JobName) -> None:
    """Delete a job's definition; its runs and bookmark stay (Glue DeleteJob); prints {"JobName": …}."""
    from service import jobs as glue
    from sluice.context import SluiceContext

    print_json(glue.delete_job(SluiceContext.from_env(), JobName=job_name))


@app.command("start-job-run")
@friendly_errors
def start_job_run(
    job_name: JobName,
    arguments: JsonArg = None,
    timeout: Annotated[int | None, typer.Option("--timeout", help="Minutes (default: the job's).")] = None,
) -> None:
    """Start a run of a defined job, detached (Glue StartJobRun); prints {"JobRunId": …}."""
    from service import jobs as glue
    from sluice.context import SluiceContext

    response = glue.start_job_run(
        SluiceContext.from_env(), JobName=job_name, Arguments=_json("--arguments", arguments), Timeout=timeout
    )
    print_json(response)
