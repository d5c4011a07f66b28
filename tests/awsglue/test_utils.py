"""getResolvedOptions with Glue's semantics."""

from __future__ import annotations

import pytest

from awsglue.utils import GlueArgumentError, getResolvedOptions


def test_both_spellings_and_glue_arguments() -> None:
    argv = ["script.py", "--JOB_NAME", "j", "--day=2024-01-01", "--extra", "x", "--TempDir", "/tmp/t"]
    args = getResolvedOptions(argv, ["JOB_NAME", "day"])
    assert (args["JOB_NAME"], args["day"]) == ("j", "2024-01-01")
    assert args["job_bookmark_option"] == "job-bookmark-disable"
    assert args["TempDir"] == args["RedshiftTempDir"] == "/tmp/t"
    assert args["JOB_RUN_ID"] is None and "extra" not in args


def test_missing_abbreviated_and_reserved_names_raise() -> None:
    with pytest.raises(GlueArgumentError, match="--day"):
        getResolvedOptions(["s.py", "--JOB_NAME", "j"], ["JOB_NAME", "day"])
    with pytest.raises(GlueArgumentError, match="--JOB_NAME"):  # no abbreviations, as Glue 5
        getResolvedOptions(["s.py", "--JOB", "j"], ["JOB_NAME"])
    with pytest.raises(GlueArgumentError, match="reserved"):
        getResolvedOptions(["s.py", "--job-bookmark-option", "job-bookmark-enable"], ["job-bookmark-option"])
