"""JobContext runs without Spark: concurrency slots, reclaiming killed runs, run states and bookmark counters."""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from multiprocessing.synchronize import Event
from pathlib import Path

import pytest
from sqlalchemy import update

from etl import runs
from etl.args import JobArguments
from etl.bookmarks.store import get_job_bookmark
from etl.context import JobContext, JobStopped, RunReclaimed
from etl.models import JobRunRow
from sluice.clock import utcnow
from sluice.db import reset_engines, session_scope
from sluice.errors import AlreadyExistsException, ConcurrentRunsExceededException

ENABLE = "job-bookmark-enable"
REPO = Path(__file__).resolve().parents[2]


def start(job: str = "j", **kwargs: object) -> JobContext:
    return JobContext(JobArguments(job_name=job, bookmark_option=kwargs.pop("option", ENABLE), **kwargs))


def run_state(run_id: str) -> tuple[str, str | None]:
    with session_scope() as s:
        row = s.get(JobRunRow, run_id)
        assert row is not None
        return row.state, row.error_message


def age_heartbeat(run_id: str, seconds: float) -> None:
    """Pretend the run's process died ``seconds`` ago."""
    with session_scope() as s:
        s.execute(
            update(JobRunRow).where(JobRunRow.id == run_id).values(heartbeat=utcnow() - timedelta(seconds=seconds))
        )


def test_a_second_start_is_refused_until_the_first_ends() -> None:
    first = start()
    with pytest.raises(ConcurrentRunsExceededException, match=rf"already has 1 running run\(s\).*{first.run_id}"):
        start()
    second = start(max_concurrent_runs=2)
    second.commit()
    first.commit()
    start().commit()


def _race(queue: multiprocessing.Queue, release: Event) -> None:
    reset_engines()
    try:
        run = runs.start_run("race", {}, max_concurrent_runs=1)
        queue.put(run.id)
        release.wait(30)  # the run's driver lives on while the other start looks at it
    except ConcurrentRunsExceededException as exc:
        queue.put(type(exc).__name__)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
@pytest.mark.parametrize("locked", [True, False], ids=["locked", "without-the-lock"])
def test_two_processes_starting_at_once_take_one_slot(
    backend: str, locked: bool, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """Both processes read the slots inside a widened window; only the start lock keeps the second out."""
    if backend == "postgresql":
        from sluice.settings import get_settings

        monkeypatch.setenv("SLUICE_METADATA_URL", request.getfixturevalue("pg_url"))
        get_settings.cache_clear()
    if not locked:  # the control: without the lock both starts see a free slot
        monkeypatch.setattr(runs, "_lock_job", lambda s, job: None)
    live_runs = runs._live_runs
    monkeypatch.setattr(runs, "_live_runs", lambda *a: (live_runs(*a), time.sleep(1.0))[0])
    runs.get_job_runs("race")  # migrate the metadata DB before the race
    reset_engines()  # no pooled connection crosses the fork
    fork = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue = fork.Queue()
    release = fork.Event()
    procs = [fork.Process(target=_race, args=(queue, release)) for _ in range(2)]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=30) for _ in procs]
    release.set()
    for proc in procs:
        proc.join(30)
    started = [r for r in results if r.startswith("jr_")]
    assert len(started) == (1 if locked else 2)
    assert sorted(results) == sorted(started + ["ConcurrentRunsExceededException"] * (2 - len(started)))
    assert len(runs.get_job_runs("race")) == len(started)


def test_a_run_of_another_host_is_reclaimed_once_its_heartbeat_is_stale() -> None:
    start().commit()
    killed = start()
    killed._lease.stop()  # its host is lost: no more heartbeats
    with session_scope() as s:
        s.execute(update(JobRunRow).where(JobRunRow.id == killed.run_id).values(host="elsewhere", pid=1))
    age_heartbeat(killed.run_id, 30)
    with pytest.raises(ConcurrentRunsExceededException, match=r"\(elsewhere, pid 1\)"):
        start()
    age_heartbeat(killed.run_id, runs.STALE_AFTER.total_seconds() + 1)
    retry = start()
    state, error = run_state(killed.run_id)
    assert state == "FAILED" and error.startswith("Reclaimed: no heartbeat from host elsewhere, pid 1 since")
    assert retry.run.attempt == 1
    assert get_job_bookmark("j")["JobBookmarkEntry"]["Attempt"] == 1  # the killed run was a failed attempt
    retry.commit()
    with pytest.raises(RunReclaimed, match="nothing was committed"):
        killed.commit()
    assert get_job_bookmark("j")["JobBookmarkEntry"]["RunId"] == retry.run_id


DRIVER = """
import sys, time
from etl import runs
run = runs.start_run("j", {"--job-bookmark-option": "job-bookmark-enable"})
print(run.id, flush=True)
time.sleep(60)
"""


def test_a_sigkilled_driver_on_this_host_is_reclaimed_at_once() -> None:
    """No wait for its heartbeat to go stale: the run records host and pid, and that pid is gone."""
    start().commit()
    driver = subprocess.Popen([sys.executable, "-c", DRIVER], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        killed = driver.stdout.readline().strip()
        assert killed.startswith("jr_"), "the driver never started its run"
        with pytest.raises(ConcurrentRunsExceededException, match=rf"{killed} \(.*, pid {driver.pid}\)"):
            start()  # its driver lives: the slot is taken
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait(10)
        driver.stdout.close()
    retry = start()  # at once: the heartbeat is still fresh, but the pid is gone
    state, error = run_state(killed)
    assert state == "FAILED"
    assert error == f"Reclaimed: host {socket.gethostname()}, pid {driver.pid} is gone (process killed?)."
    assert retry.run.attempt == 1
    retry.commit()
    assert [r["JobRunState"] for r in runs.get_job_runs("j")] == ["SUCCEEDED", "FAILED", "SUCCEEDED"]


def test_bookmark_and_run_counters_follow_glue() -> None:
    def entry() -> dict:
        return get_job_bookmark("j")["JobBookmarkEntry"]

    first = start()
    first.commit()
    assert (entry()["Version"], entry()["Run"], entry()["Attempt"]) == (2, 2, 0)
    with pytest.raises(ValueError), start() as failing:
        raise ValueError("boom")
    assert run_state(failing.run_id) == ("FAILED", "ValueError: boom")
    assert (entry()["Version"], entry()["Run"], entry()["Attempt"]) == (3, 2, 1)
    retry = start()
    assert retry.run.attempt == 1
    retry.commit()
    assert entry() | {"JobBookmark": None} == {
        "JobName": "j",
        "Version": 4,
        "Run": 3,
        "Attempt": 0,
        "PreviousRunId": first.run_id,
        "RunId": retry.run_id,
        "JobBookmark": None,
    }
    start(option="job-bookmark-pause").commit()
    start(option="job-bookmark-disable").commit()
    assert entry()["Version"] == 4  # pause and disable never update the bookmark


def test_a_run_that_never_commits_fails_and_commit_runs_once() -> None:
    with start() as job:
        pass
    assert run_state(job.run_id) == ("FAILED", "RuntimeError: the job ended without calling commit()")
    done = start()
    done.commit()
    with pytest.raises(Exception, match="commit\\(\\) runs once"):
        done.commit()


def test_sigterm_stops_the_run_and_restores_the_handler() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(JobStopped), start() as job:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    assert run_state(job.run_id) == ("STOPPED", f"Job run {job.run_id} stopped by signal SIGTERM.")
    assert signal.getsignal(signal.SIGTERM) is before


def test_timeout_ends_the_run_as_timeout() -> None:
    started = time.monotonic()
    with pytest.raises(JobStopped), start(timeout=0.01) as job:
        time.sleep(10)
    assert time.monotonic() - started < 5
    assert run_state(job.run_id) == ("TIMEOUT", "Job run timed out after --timeout 0.01 minute(s).")


def test_job_run_id_argument_names_the_run() -> None:
    job = JobContext.from_argv(["job.py", "--JOB_NAME", "j", "--JOB_RUN_ID", "jr_given", "--custom", "1"])
    assert job.run_id == "jr_given"
    job.commit()
    assert runs.get_job_run("j", "jr_given")["Arguments"] == {
        "--JOB_NAME": "j",
        "--job-bookmark-option": "job-bookmark-disable",
        "--JOB_RUN_ID": "jr_given",
        "--custom": "1",
    }
    with pytest.raises(AlreadyExistsException):
        JobContext.from_argv(["job.py", "--JOB_NAME", "j", "--JOB_RUN_ID", "jr_given"])
