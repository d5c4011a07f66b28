"""An apply killed mid-way (SIGKILL) is finished by the next apply: nothing redone, nothing lost; a live one is not."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from lifecycle import journal
from lifecycle.journal import actions_of, counts, plan_row, unfinished
from lifecycle.models import LifecyclePlanRow
from lifecycle.run import plan_or_apply
from sluice.clock import utcnow
from sluice.db import session_scope
from sluice.errors import ConcurrentRunsExceededException
from tests.lifecycle.conftest import KIB, RULES, digest, later, write

REPO = Path(__file__).resolve().parents[2]
# Apply one action per journal batch; stall after carrying out the third, so that the kill comes mid-way.
SLOW_APPLY = """
import json, sys, time
from datetime import datetime
from lifecycle import run
from lifecycle.executors import Executor

real = Executor.execute
done = []
def slow(self, step, now):
    outcome = real(self, step, now)
    done.append(step)
    time.sleep(0.2 if len(done) < 3 else 10)  # the third is carried out but not journaled when the kill comes
    return outcome
Executor.execute = slow
run.BATCH = 1
run.journal.HEARTBEAT_SECONDS = 0.05
run.plan_or_apply(json.loads(sys.argv[1]), "raw", apply=True,
                  now=datetime.fromisoformat(sys.argv[2]))
"""


def test_killed_apply_resumes_from_its_journal(raw: Path, cold: Path) -> None:
    for i in range(6):
        write(raw, f"logs/d=2026-01-03/part-{i}.csv", 150 * KIB)
    files = {p: digest(p) for p in raw.joinpath("logs").rglob("*.csv") if p.stat().st_size >= 128 * KIB}

    now = later()
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_APPLY, json.dumps(RULES), now.isoformat()], cwd=REPO, env=dict(os.environ)
    )
    try:
        deadline = time.monotonic() + 120
        plan_id = None
        while time.monotonic() < deadline:
            rows = unfinished(str(raw))
            if rows and counts(rows[0].id).get("APPLIED", 0) >= 2:
                plan_id = rows[0].id
                break
            time.sleep(0.05)
        assert plan_id, "the apply never got going"
        beat = plan_row(plan_id).heartbeat
        time.sleep(0.5)
        assert plan_row(plan_id).heartbeat > beat  # the applying process renews its lease
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    done = counts(plan_id)
    assert done["APPLIED"] == 2 and done["PLANNED"] == 7
    assert plan_row(plan_id).status == "APPLYING"

    result = plan_or_apply(RULES, "raw", apply=True, now=now)
    assert [r["PlanId"] for r in result["Summary"]["Resumed"]] == [plan_id]
    assert result["Summary"]["Resumed"][0]["Status"] == "APPLIED"
    assert result["Actions"] == []  # the resumed apply did it all; the new plan found nothing left
    assert counts(plan_id) == {"APPLIED": 9}
    assert plan_row(plan_id).status == "APPLIED"
    assert len({row.key for row in actions_of(plan_id)}) == 9
    for path, value in files.items():  # every tiered file is in the cold folder exactly once, intact
        assert not path.exists()
        assert digest(cold / str(path).lstrip("/")) == value
    assert not (raw / "tmp/x.csv").exists()
    assert plan_or_apply(RULES, "raw", now=now)["Actions"] == []


def _applying_elsewhere(planned: dict, heartbeat: datetime) -> str:
    """Turn a journaled PLAN into an APPLY owned by a process on another host, last heartbeat at ``heartbeat``.

    Its pid is one alive here, so only the heartbeat can tell whether that apply still runs.
    """
    plan_id = planned["Summary"]["PlanId"]
    with session_scope() as s:
        row = s.get(LifecyclePlanRow, plan_id)
        row.status = "APPLYING"
        row.summary = {
            **row.summary,
            "Owner": {"Host": "elsewhere", "Pid": os.getpid(), "BootId": "b", "PidStarted": 1},
        }
        row.heartbeat = heartbeat
    return plan_id


def test_a_live_apply_on_another_host_is_not_resumed_until_its_heartbeat_is_stale(raw: Path, cold: Path) -> None:
    now = later()
    plan_id = _applying_elsewhere(plan_or_apply(RULES, "raw", now=now), utcnow() - timedelta(seconds=5))
    with pytest.raises(ConcurrentRunsExceededException, match=r"still running \(host elsewhere, pid \d+ heartbeat"):
        plan_or_apply(RULES, "raw", apply=True, now=now)
    assert counts(plan_id) == {"PLANNED": 3} and plan_row(plan_id).status == "APPLYING"

    with session_scope() as s:  # that host goes quiet
        stale = utcnow() - journal.STALE_AFTER - timedelta(seconds=1)
        s.execute(update(LifecyclePlanRow).where(LifecyclePlanRow.id == plan_id).values(heartbeat=stale))
    result = plan_or_apply(RULES, "raw", apply=True, now=now)
    assert [r["PlanId"] for r in result["Summary"]["Resumed"]] == [plan_id]
    assert counts(plan_id) == {"APPLIED": 3} and plan_row(plan_id).status == "APPLIED"
    assert plan_row(plan_id).summary["Owner"]["Host"] == socket.gethostname()  # taken over by this process
