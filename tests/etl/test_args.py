"""Glue's getResolvedOptions and Sluice's typed JobArguments."""

from __future__ import annotations

import pytest

from etl.args import JobArguments, get_resolved_options
from sluice.errors import InvalidInputException

SCRIPT = "s3://scripts/job.py"


def test_glue_documented_example() -> None:
    """The start_job_run example of "Accessing parameters using getResolvedOptions"."""
    argv = [
        SCRIPT,
        "--JOB_NAME",
        "my_test_Job",
        "--day_partition_key",
        "partition_0",
        "--hour_partition_key",
        "partition_1",
        "--day_partition_value",
        "2024-01-02",
        "--hour_partition_value",
        "07",
    ]
    args = get_resolved_options(
        argv, ["JOB_NAME", "day_partition_key", "hour_partition_key", "day_partition_value", "hour_partition_value"]
    )
    assert args["JOB_NAME"] == "my_test_Job"
    assert args["day_partition_key"] == "partition_0"
    assert args["hour_partition_value"] == "07"
    assert args["job_bookmark_option"] == "job-bookmark-disable"  # Glue's default
    for key in ("job_bookmark_from", "job_bookmark_to", "JOB_ID", "JOB_RUN_ID", "TempDir", "RedshiftTempDir"):
        assert args[key] is None


@pytest.mark.parametrize(
    ("argv", "options", "expected"),
    [
        ([SCRIPT, "--JOB_NAME=j", "--x=a=b"], ["JOB_NAME", "x"], {"JOB_NAME": "j", "x": "a=b"}),
        ([SCRIPT, "--extra", "1", "--JOB_NAME", "j", "--flag"], ["JOB_NAME"], {"JOB_NAME": "j"}),  # extras ignored
        ([SCRIPT, "--JOB_NAME", "a", "--JOB_NAME", "b"], ["JOB_NAME"], {"JOB_NAME": "b"}),  # last one wins
        ([SCRIPT, "--offset", "-5"], ["offset"], {"offset": "-5"}),
        ([SCRIPT, "--my-arg", "v"], ["my-arg"], {"my_arg": "v"}),  # hyphens become underscores, as in Glue
        ([SCRIPT, "--job-bookmark-option", "job-bookmark-enable"], [], {"job_bookmark_option": "job-bookmark-enable"}),
        ([SCRIPT, "--TempDir", "s3://t/"], [], {"TempDir": "s3://t/", "RedshiftTempDir": "s3://t/"}),
        ([SCRIPT, "--RedshiftTempDir", "s3://r/"], ["TempDir"], {"TempDir": "s3://r/", "RedshiftTempDir": "s3://r/"}),
        (
            [
                SCRIPT,
                "--job-bookmark-option",
                "job-bookmark-pause",
                "--job-bookmark-from",
                "jr_1",
                "--job-bookmark-to",
                "jr_2",
            ],
            [],
            {"job_bookmark_option": "job-bookmark-pause", "job_bookmark_from": "jr_1", "job_bookmark_to": "jr_2"},
        ),
        # Glue only rejects a range outside pause when both halves are given.
        ([SCRIPT, "--job-bookmark-from", "jr_1"], [], {"job_bookmark_from": "jr_1"}),
        ([SCRIPT, "--JOB_RUN_ID", "jr_9", "--JOB_ID", "j_1"], [], {"JOB_RUN_ID": "jr_9", "JOB_ID": "j_1"}),
    ],
)
def test_get_resolved_options(argv: list[str], options: list[str], expected: dict[str, str]) -> None:
    args = get_resolved_options(argv, options)
    assert {key: args[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("argv", "options", "message"),
    [
        (
            [SCRIPT, "--JOB_NAME", "j", "--other", "1"],
            ["JOB_NAME", "day", "hour"],
            r"Missing required job argument\(s\) --day, --hour; arguments given: --JOB_NAME, --other",
        ),
        ([SCRIPT], ["JOB_NAME"], "Missing required job argument.* --JOB_NAME; arguments given: none"),
        ([SCRIPT, "--JOB_NAME"], ["JOB_NAME"], "--JOB_NAME: expected one argument"),
        ([SCRIPT], ["job-bookmark-option"], r"reserved argument\(s\) --job-bookmark-option"),
        ([SCRIPT], ["JOB_RUN_ID", "job-bookmark-to"], r"reserved argument\(s\) --JOB_RUN_ID, --job-bookmark-to"),
        (
            [SCRIPT, "--job-bookmark-option", "on"],
            [],
            "invalid choice: 'on' .*job-bookmark-enable.*job-bookmark-pause.*job-bookmark-disable",
        ),
        (
            [SCRIPT, "--job-bookmark-option", "job-bookmark-pause", "--job-bookmark-from", "jr_1"],
            [],
            "Missing option or value for --job-bookmark-to",
        ),
        (
            [SCRIPT, "--job-bookmark-from", "jr_1", "--job-bookmark-to", "jr_2"],
            [],
            "only valid with job-bookmark-pause",
        ),
    ],
)
def test_get_resolved_options_errors(argv: list[str], options: list[str], message: str) -> None:
    with pytest.raises(InvalidInputException, match=message):
        get_resolved_options(argv, options)


def test_job_arguments_defaults() -> None:
    assert JobArguments.from_argv([SCRIPT, "--JOB_NAME", "orders"]) == JobArguments(
        job_name="orders",
        job_run_id=None,
        bookmark_option="job-bookmark-disable",
        bookmark_from=None,
        bookmark_to=None,
        bookmark_mode="mtime",
        max_bad_records=0,
        bounded_files=None,
        bounded_size=None,
        max_concurrent_runs=1,
        extra={},
    )


def test_job_arguments_all_fields_and_extras() -> None:
    args = JobArguments.from_argv(
        [
            SCRIPT,
            "--JOB_NAME=orders",
            "--JOB_RUN_ID",
            "jr_3",
            "--job-bookmark-option",
            "job-bookmark-pause",
            "--job-bookmark-from",
            "jr_1",
            "--job-bookmark-to=jr_2",
            "--bookmark-mode",
            "manifest",
            "--max-bad-records",
            "10",
            "--bounded-size",
            "1000000000",
            "--max-concurrent-runs",
            "3",
            "--source_path",
            "s3://in/",
            "--enable-metrics",
            "--offset",
            "-1",
        ]
    )
    assert args == JobArguments(
        job_name="orders",
        job_run_id="jr_3",
        bookmark_option="job-bookmark-pause",
        bookmark_from="jr_1",
        bookmark_to="jr_2",
        bookmark_mode="manifest",
        max_bad_records=10,
        bounded_files=None,
        bounded_size=1_000_000_000,
        max_concurrent_runs=3,
        extra={"source_path": "s3://in/", "enable-metrics": "", "offset": "-1"},
    )


@pytest.mark.parametrize(
    ("extra_argv", "message"),
    [
        ([], "--JOB_NAME is required"),
        (["--JOB_NAME"], "--JOB_NAME needs a value"),
        (
            ["--JOB_NAME", "j", "--job-bookmark-option", "enable"],
            "--job-bookmark-option must be one of job-bookmark-enable, job-bookmark-pause, job-bookmark-disable, "
            "got 'enable'",
        ),
        (
            ["--JOB_NAME", "j", "--bookmark-mode", "exact"],
            "--bookmark-mode must be one of mtime, manifest, got 'exact'",
        ),
        (["--JOB_NAME", "j", "--bounded-files", "many"], "--bounded-files must be an integer, got 'many'"),
        (["--JOB_NAME", "j", "--bounded-files", "0"], "--bounded-files must be an integer >= 1, got 0"),
        (["--JOB_NAME", "j", "--bounded-size", "-3"], "--bounded-size must be an integer >= 1, got -3"),
        (["--JOB_NAME", "j", "--max-bad-records", "-1"], "--max-bad-records must be an integer >= 0, got -1"),
        (["--JOB_NAME", "j", "--max-concurrent-runs", "0"], "--max-concurrent-runs must be an integer >= 1, got 0"),
        (["--JOB_NAME", "j", "--bounded-files", "5", "--bounded-size", "9"], "only one of --bounded-files or"),
        (
            ["--JOB_NAME", "j", "--job-bookmark-from", "jr_1", "--job-bookmark-to", "jr_2"],
            "only valid with --job-bookmark-option job-bookmark-pause",
        ),
        (
            ["--JOB_NAME", "j", "--job-bookmark-option", "job-bookmark-pause", "--job-bookmark-to", "jr_2"],
            "must be given together",
        ),
        (["--JOB_NAME", "j", "stray"], "Unexpected job argument 'stray'"),
        (["--JOB_NAME", "j", "--", "x"], "Unexpected job argument '--'"),
    ],
)
def test_job_arguments_errors(extra_argv: list[str], message: str) -> None:
    with pytest.raises(InvalidInputException, match=message):
        JobArguments.from_argv([SCRIPT, *extra_argv])


def test_job_arguments_validate_direct_construction() -> None:
    with pytest.raises(InvalidInputException, match="--bookmark-mode must be one of"):
        JobArguments(job_name="j", bookmark_mode="sometimes")
