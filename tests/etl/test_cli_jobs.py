"""``sluice job …`` verbs print the JSON shapes of ``aws glue get-job-runs / get-job-run / get-job-bookmark /
reset-job-bookmark``; the spark-submit command line ``sluice job run`` builds."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from typer.testing import CliRunner

from etl.args import JobArguments
from etl.cli import app
from etl.context import JobContext
from etl.submit import spark_submit_command
from sluice.settings import get_settings

runner = CliRunner()
JOB_RUN_KEYS = {"Id", "Attempt", "JobName", "StartedOn", "LastModifiedOn", "CompletedOn", "JobRunState", "Arguments",
                "ExecutionTime", "Metrics"}  # fmt: skip
METRICS = {"filesRead", "recordsRead", "recordsWritten", "bytesRead", "badRecords"}


def cli(*args: str) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def committed(option: str = "job-bookmark-enable") -> str:
    job = JobContext(JobArguments(job_name="j", bookmark_option=option))
    job.commit()
    return job.run_id


def test_job_run_verbs_print_glue_shapes() -> None:
    first, second = committed(), committed()
    job_runs = cli("get-job-runs", "--job-name", "j")["JobRuns"]
    assert [r["Id"] for r in job_runs] == [second, first]  # newest first, as Glue lists them
    assert set(job_runs[0]) == JOB_RUN_KEYS and set(job_runs[0]["Metrics"]) == METRICS
    assert job_runs[0]["JobRunState"] == "SUCCEEDED"
    assert job_runs[0]["Arguments"] == {"--JOB_NAME": "j", "--job-bookmark-option": "job-bookmark-enable"}
    assert cli("get-job-run", "--job-name", "j", "--run-id", first)["JobRun"] == job_runs[1]


def test_bookmark_verbs_print_glue_shapes_and_rewind() -> None:
    first, second = committed(), committed()
    entry = cli("get-job-bookmark", "--job-name", "j")["JobBookmarkEntry"]
    assert entry == {"JobName": "j", "Version": 3, "Run": 3, "Attempt": 0, "PreviousRunId": first, "RunId": second,
                     "JobBookmark": "{}"}  # fmt: skip
    rewound = cli("reset-job-bookmark", "--job-name", "j", "--run-id", first)["JobBookmarkEntry"]
    assert (rewound["RunId"], rewound["Version"]) == (first, 4) and "PreviousRunId" not in rewound
    reset = cli("reset-job-bookmark", "--job-name", "j")["JobBookmarkEntry"]
    assert reset == {"JobName": "j", "Version": 5, "Run": 3, "Attempt": 0, "JobBookmark": "{}"}


def test_unknown_job_and_run_exit_2_with_glue_errors() -> None:
    result = runner.invoke(app, ["get-job-bookmark", "--job-name", "nope", "--json"])
    assert result.exit_code == 2 and "EntityNotFoundException" in result.output
    committed()
    result = runner.invoke(app, ["get-job-run", "--job-name", "j", "--run-id", "jr_missing"])
    assert result.exit_code == 2 and "Job run jr_missing of job j not found" in result.output


def test_spark_submit_command_resolves_bundled_scripts() -> None:
    command = spark_submit_command("raw_to_curated.py", ["--JOB_NAME", "flights", "--x", "1"], "local[2]")
    assert command[:3] == [str(Path(sys.executable).parent / "spark-submit"), "--master", "local[2]"]
    assert command[command.index("--name") + 1] == "flights"
    assert command[-5:] == [str(Path("etl/jobs/raw_to_curated.py").resolve()), "--JOB_NAME", "flights", "--x", "1"]
    jars = get_settings().jars_dir
    classpath = command[command.index("--driver-class-path") + 1]  # the jars `make jars` fetched
    assert classpath == f"{jars}/*" and f"spark.executor.extraClassPath={classpath}" in command
    names = {p.name for p in jars.glob("*.jar")}
    assert {"hadoop-aws-3.5.0.jar", "spark-hadoop-cloud_2.13-4.1.1.jar"} <= names
    assert any(name.startswith(("postgresql-", "bundle-2.")) for name in names)
