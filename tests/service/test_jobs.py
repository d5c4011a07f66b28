"""Job-run and bookmark operations through ``invoke``, on runs a JobContext recorded under the explicit context."""

from __future__ import annotations

import pytest

from etl.args import JobArguments
from etl.context import JobContext
from sluice.context import SluiceContext
from sluice.errors import EntityNotFoundException


def committed(ctx: SluiceContext) -> str:
    job = JobContext(JobArguments(job_name="j", bookmark_option="job-bookmark-enable"), ctx=ctx)
    job.commit()
    return job.run_id


def test_job_runs(glue, ctx: SluiceContext) -> None:
    first, second = committed(ctx), committed(ctx)
    runs = glue("GetJobRuns", {"JobName": "j"})["JobRuns"]
    assert [r["Id"] for r in runs] == [second, first]
    assert glue("GetJobRuns", {"JobName": "j", "MaxResults": 1})["JobRuns"] == runs[:1]
    assert glue("GetJobRun", {"JobName": "j", "RunId": first, "PredecessorsIncluded": True})["JobRun"] == runs[1]
    with pytest.raises(EntityNotFoundException, match="Job run jr_missing of job j not found"):
        glue("GetJobRun", {"JobName": "j", "RunId": "jr_missing"})


def test_bookmarks_read_reset_and_rewind(glue, ctx: SluiceContext) -> None:
    first, second = committed(ctx), committed(ctx)
    entry = glue("GetJobBookmark", {"JobName": "j"})["JobBookmarkEntry"]
    assert (entry["RunId"], entry["PreviousRunId"], entry["Version"]) == (second, first, 3)
    rewound = glue("ResetJobBookmark", {"JobName": "j", "RunId": first})["JobBookmarkEntry"]
    assert (rewound["RunId"], rewound["Version"]) == (first, 4)
    assert "RunId" not in glue("ResetJobBookmark", {"JobName": "j"})["JobBookmarkEntry"]
    with pytest.raises(EntityNotFoundException, match="Continuation for job nope not found"):
        glue("GetJobBookmark", {"JobName": "nope"})
