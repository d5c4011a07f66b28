"""``sluice job …``: run job scripts under spark-submit, and Glue's job-run and bookmark verbs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from sluice.console import friendly_errors, print_json, print_table

app = typer.Typer(
    help="Run Spark jobs and inspect runs and bookmarks (mirrors `aws glue` job verbs).", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print Glue's JSON response shape.")]
JobName = Annotated[str, typer.Option("--job-name", help="Job name (--JOB_NAME of its runs).")]


def spark_submit_command(script: str, args: list[str], master: str | None = None) -> list[str]:
    """The spark-submit command line for a job script, with Sluice's settings.

    A bare script name resolves to ``etl/jobs/<name>``; the jars ``make jars`` fetched (S3A, cloud committers,
    JDBC drivers) go on the driver's and executors' class paths, and ``--JOB_NAME`` names the Spark application.
    """
    from sluice.settings import get_settings
    from sparkio.session import jar_classpath

    path = Path(script)
    if not path.exists():
        bundled = Path(__file__).parent / "jobs" / script
        path = bundled if bundled.exists() else path
    spark_submit = Path(sys.executable).parent / "spark-submit"
    command = [str(spark_submit), "--master", master or get_settings().spark_master]
    classpath = jar_classpath()
    if classpath:  # on the JVMs' class paths, not --jars: nothing is copied to each executor
        command += ["--driver-class-path", classpath, "--conf", f"spark.executor.extraClassPath={classpath}"]
    if "--JOB_NAME" in args[:-1]:
        command += ["--name", args[args.index("--JOB_NAME") + 1]]
    return [*command, str(path), *args]


@app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@friendly_errors
def run(
    ctx: typer.Context,
    script: Annotated[str, typer.Argument(help="A job script, e.g. etl/jobs/raw_to_curated.py or raw_to_curated.py.")],
    master: Annotated[str | None, typer.Option("--master", help="Spark master (default SLUICE_SPARK_MASTER).")] = None,
) -> None:
    """spark-submit a job script with the project's settings; the remaining arguments go to the job."""
    from sparkio.session import spark_env

    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {**os.environ, "PATH": path, **spark_env()}
    command = spark_submit_command(script, list(ctx.args), master)
    raise typer.Exit(subprocess.call(command, env=env))


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
    if json_:
        print_json(response)
        return
    print_table(f"Run {run_id}", ["Field", "Value"], response["JobRun"].items())


@app.command("get-job-bookmark")
@friendly_errors
def get_job_bookmark(job_name: JobName, json_: JsonOpt = False) -> None:
    """A job's bookmark (Glue GetJobBookmark)."""
    from service import jobs as glue
    from sluice.context import SluiceContext

    entry = glue.get_job_bookmark(SluiceContext.from_env(), JobName=job_name)
    if json_:
        print_json(entry)
        return
    print_table(f"Bookmark of {job_name}", ["Field", "Value"], entry["JobBookmarkEntry"].items())


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
