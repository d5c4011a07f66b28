"""Started runs, carried out: :func:`run` does the work that ``service.launching.launch`` handed on.

Inside Airflow a runner DAG's task calls :func:`run`; elsewhere ``service.launching.LocalLauncher`` starts
``python -m service.runner`` detached on this host, which calls it too. So a run is carried out the same
way wherever it runs:

* a job run: ``spark-submit`` of the job's script, attached (its output is this process's log), with the
  starting caller's endpoint and key (:func:`service.jobs.caller_env`); a script that ends without recording its end
  (it crashed before ``JobContext``, or never used one) is ended here from its exit status;
* a crawl: the crawl the start claimed, taken over by this process;
* a data-quality evaluation run: ``service.quality.run_evaluation``;
* a state machine execution: ``stepfunctions.durable.run_execution`` (its id is the execution's ARN).
* a batch of an execution's dispatched Task calls (Map iterations, Parallel branches): each made in turn, then any
  left without an outcome failed (``stepfunctions.dispatched``).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable

from sluice.context import SluiceContext
from sluice.launch import Work

log = logging.getLogger("sluice.runner")

SUCCEEDED = "SUCCEEDED"
"""The final state of a run that succeeded, of each kind (the runner task fails on any other)."""
STOP_GRACE_SECONDS = 30.0
"""How long a job's driver may take to end after BatchStopJobRun before its process group is killed."""
WATCH_SECONDS = 2.0
"""How often a job's runner reads its run's state (to kill a script that does not stop by itself)."""


class JobProcess:
    """A job run's ``spark-submit``, attached: started, its output logged, stopped on request, and ended."""

    def __init__(self, ctx: SluiceContext, work: Work) -> None:
        self.ctx, self.work = ctx, work
        self.process: subprocess.Popen[bytes] | None = None

    def run(self) -> str:
        """Run the job's script to its end; the run's final state."""
        from etl import runs
        from service.jobs import job_run_command, script_env

        command = job_run_command(self.ctx, self.work.run_id)
        env = script_env(self.ctx, self.work.caller)
        tail: deque[str] = deque(maxlen=40)
        self.process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        runs.hand_over(self.work.run_id, self.process.pid, ctx=self.ctx)
        done = threading.Event()
        watcher = threading.Thread(target=self._watch, args=(done,), name="sluice-job-watch", daemon=True)
        watcher.start()
        assert self.process.stdout is not None
        try:
            for raw in self.process.stdout:
                line = raw.decode(errors="replace").rstrip()
                tail.append(line)
                log.info("%s", line)
            code = self.process.wait()
        finally:
            done.set()
        return self._end(code, list(tail))

    def _watch(self, done: threading.Event) -> None:
        """Kill the script when its run was stopped and it does not end by itself: at once when it was stopped
        while STARTING (no driver took it), after :data:`STOP_GRACE_SECONDS` when it stays STOPPING."""
        from etl import runs

        stopping_for, last = 0.0, "STARTING"
        while not done.wait(WATCH_SECONDS):
            found = runs.run_state(self.work.run_id, ctx=self.ctx)
            state = found[0] if found else "STOPPED"
            stopping_for = stopping_for + WATCH_SECONDS if state == "STOPPING" else 0.0
            stopped_unstarted, last = last == "STARTING" and state == "STOPPED", state
            if stopped_unstarted or stopping_for >= STOP_GRACE_SECONDS:
                log.warning("Job run %s was stopped; ending its process group.", self.work.run_id)
                self.kill()
                return

    def _end(self, code: int, tail: list[str]) -> str:
        """The run's final state; a run its script left STARTING or RUNNING ends here from the exit status."""
        from etl import runs

        with self.ctx.session() as s:
            message = _error_line(tail) or f"spark-submit exited with status {code}."
            if code == 0:
                runs.finish(s, self.work.run_id, "SUCCEEDED", was="STARTING")  # a script without JobContext
                ended = "The script ended without committing its run (JobContext.commit() or Job.commit())."
                runs.finish(s, self.work.run_id, "FAILED", error=ended, was="RUNNING")
            else:
                runs.finish(s, self.work.run_id, "FAILED", error=message, was=("STARTING", "RUNNING"))
            runs.finish(s, self.work.run_id, "STOPPED", error="Stopped (BatchStopJobRun).", was="STOPPING")
        state = runs.run_state(self.work.run_id, ctx=self.ctx)
        return state[0] if state else "FAILED"

    def kill(self) -> None:
        """End the script's whole process group now (the runner task itself was killed)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def _error_line(tail: list[str]) -> str | None:
    """The last exception line of a Python traceback in ``tail`` (``ValueError: …``), if there is one."""
    for line in reversed(tail):
        head = line.split(":", 1)[0].strip()
        if head and " " not in head and (head.endswith(("Error", "Exception")) or head == "KeyboardInterrupt"):
            return line.strip()
    return None


def run(ctx: SluiceContext, work: Work, *, on_start: Callable[[JobProcess], None] | None = None) -> str:
    """Carry out ``work`` to its end: its final state (``SUCCEEDED`` for success). ``on_start`` sees a job's
    process, so that whoever runs this can kill it (Airflow's ``on_kill``)."""
    if work.kind == "job":
        process = JobProcess(ctx, work)
        if on_start is not None:
            on_start(process)
        return process.run()
    if work.kind == "crawler":
        from service.crawlers import run_claimed_crawl

        return run_claimed_crawl(ctx, work.name, work.run_id)
    if work.kind == "execution":
        from stepfunctions.durable import run_execution

        return run_execution(ctx, work.run_id)
    if work.kind == "tasks":  # a batch of dispatched Task calls, made one after another in this process
        from stepfunctions.dispatched import batch_keys, make_call, settle

        for key in batch_keys(ctx, work.run_id):
            make_call(ctx, key)
        return SUCCEEDED if not settle(ctx, work.run_id) else "FAILED"
    from service.quality import run_evaluation

    return run_evaluation(ctx, work.run_id)


def main(argv: list[str] | None = None) -> int:
    """``python -m service.runner CONF``: carry out the work of a runner conf (JSON) in this process."""
    args = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    work = Work.from_conf(json.loads(args[0]))
    state = run(SluiceContext.from_env(), work)
    log.info("%s run %s ended %s", work.kind, work.run_id, state)
    return 0 if state == SUCCEEDED else 1


if __name__ == "__main__":
    sys.exit(main())
