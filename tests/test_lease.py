"""The lease decision table (pure: injected pid probe and clock), this machine's probe, and the renewer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sluice import lease
from sluice.lease import GONE, Owner, ProcessStatus, Renewer, decide, is_alive

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TTL = timedelta(seconds=60)
FRESH = NOW - timedelta(seconds=5)
STALE = NOW - timedelta(seconds=61)
HERE, BOOT = "here", "boot-1"


class Probe:
    """A fake pid probe: the processes that exist, with their start times; records what it was asked."""

    def __init__(self, processes: dict[int, int | None]) -> None:
        self.processes, self.asked = processes, []

    def __call__(self, pid: int) -> ProcessStatus:
        self.asked.append(pid)
        return ProcessStatus(True, self.processes[pid]) if pid in self.processes else GONE


def alive(owner: Owner | None, heartbeat: datetime | None, probe: Probe, this_boot: str | None = BOOT) -> bool:
    return is_alive(owner, heartbeat, NOW, ttl=TTL, this_host=HERE, this_boot=this_boot, probe=probe)


@pytest.mark.parametrize(
    ("owner", "heartbeat", "processes", "expected"),
    [
        pytest.param(Owner(HERE, 42, BOOT, 1000), FRESH, {42: 1000}, True, id="same-host-pid-alive"),
        pytest.param(Owner(HERE, 42, BOOT, 1000), STALE, {42: 1000}, True, id="same-host-alive-heartbeat-stale"),
        pytest.param(Owner(HERE, 42, BOOT, 1000), FRESH, {}, False, id="same-host-pid-gone-heartbeat-fresh"),
        pytest.param(Owner(HERE, 42, BOOT, 1000), FRESH, {42: 2000}, False, id="same-host-pid-reused"),
        pytest.param(Owner(HERE, 42, BOOT, None), FRESH, {42: 2000}, True, id="same-host-owner-start-unknown"),
        pytest.param(Owner(HERE, 42, BOOT, 1000), FRESH, {42: None}, True, id="same-host-probe-start-unknown"),
        pytest.param(Owner(HERE, 42, "boot-0", 1000), FRESH, {42: 1000}, False, id="same-host-other-boot"),
        pytest.param(Owner("there", 42, BOOT, 1000), FRESH, {}, True, id="other-host-fresh"),
        pytest.param(Owner("there", 42, BOOT, 1000), NOW - TTL, {}, True, id="other-host-exactly-ttl"),
        pytest.param(Owner("there", 42, BOOT, 1000), STALE, {42: 1000}, False, id="other-host-stale"),
        pytest.param(Owner("there", 42, BOOT, 1000), None, {}, False, id="other-host-never-beat"),
        pytest.param(None, FRESH, {}, True, id="no-owner-fresh"),
        pytest.param(None, STALE, {}, False, id="no-owner-stale"),
    ],
)
def test_decision_table(owner: Owner | None, heartbeat: datetime | None, processes: dict, expected: bool) -> None:
    assert alive(owner, heartbeat, Probe(processes)) is expected


def test_the_probe_is_asked_only_about_pids_of_this_host_and_boot() -> None:
    probe = Probe({42: 1000})
    alive(Owner("there", 42, BOOT, 1000), FRESH, probe)
    alive(Owner(HERE, 42, "boot-0", 1000), FRESH, probe)
    assert probe.asked == []
    alive(Owner(HERE, 42, BOOT, 1000), FRESH, probe)
    assert probe.asked == [42]


def test_an_unknown_boot_on_either_side_leaves_the_pid_to_decide() -> None:
    assert alive(Owner(HERE, 42, None, 1000), STALE, Probe({42: 1000}))
    assert alive(Owner(HERE, 42, "boot-0", 1000), STALE, Probe({42: 1000}), this_boot=None)
    assert not alive(Owner(HERE, 42, None, 1000), FRESH, Probe({}))


def test_the_verdict_says_why() -> None:
    def reason(owner: Owner | None, heartbeat: datetime | None, processes: dict) -> str:
        verdict = decide(owner, heartbeat, NOW, ttl=TTL, this_host=HERE, this_boot=BOOT, probe=Probe(processes))
        return verdict.reason

    assert reason(Owner(HERE, 42, BOOT, 1), FRESH, {}) == "host here, pid 42 is gone"
    assert reason(Owner(HERE, 42, BOOT, 1), FRESH, {42: 2}).endswith("(the pid now belongs to another process)")
    assert reason(Owner(HERE, 42, "b0", 1), FRESH, {}) == "host here, pid 42 is gone: the host rebooted since"
    assert reason(Owner("x", 7), STALE, {}) == f"no heartbeat from host x, pid 7 since {STALE.isoformat()}"
    assert reason(Owner(HERE, 42, BOOT, 1), FRESH, {42: 1}) == "host here, pid 42 is running"


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        alive(Owner("there", 1), FRESH.replace(tzinfo=None), Probe({}))
    with pytest.raises(ValueError, match="naive"):
        is_alive(None, FRESH, NOW.replace(tzinfo=None), ttl=TTL, this_host=HERE, this_boot=BOOT, probe=Probe({}))


def test_owner_json_round_trips_and_reads_older_rows() -> None:
    owner = Owner("h", 5, "b", 99)
    assert Owner.from_dict(owner.to_dict()) == owner
    assert Owner.from_dict({"Host": "h", "Pid": 5}) == Owner("h", 5)  # recorded before leases had boot and start
    assert Owner.from_dict({}) is None and Owner.from_dict(None) is None
    assert Owner.of("h", True) is None and Owner.of(None, 5) is None


# --- this machine ------------------------------------------------------------------------------------------


def test_this_process_is_alive_with_its_start_time() -> None:
    me = lease.current_owner()
    assert me.pid == os.getpid()
    assert lease.probe_process(me.pid) == ProcessStatus(True, me.started)
    assert lease.judge(me, None, ttl=TTL).alive
    assert lease.probe_process(0) == GONE and lease.probe_process(-1) == GONE


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_killed_child_is_gone_even_before_it_is_reaped() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert lease.probe_process(child.pid).exists
        os.kill(child.pid, signal.SIGKILL)
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # dead but not reaped: a zombie
        assert lease.probe_process(child.pid) == GONE
    finally:
        child.kill()
        child.wait()
    assert lease.probe_process(child.pid) == GONE


def test_the_start_time_is_read_past_a_command_name_with_parentheses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = ["S", *["0"] * 18, "123456", "0"]  # field 3 (state) … field 22 (start time) …
    (tmp_path / "77").mkdir()
    (tmp_path / "77" / "stat").write_text(f"77 (odd) name (x) {' '.join(fields)}\n")
    monkeypatch.setattr(lease, "_PROC", tmp_path)
    assert lease._read_stat(77) == ("S", 123456)
    assert lease._read_stat(78) is None


def test_boot_id_is_stable() -> None:
    assert lease.boot_id() == lease.boot_id()


# --- renewal -----------------------------------------------------------------------------------------------


def test_the_renewer_beats_until_stopped() -> None:
    beats = threading.Semaphore(0)

    def renew() -> bool:
        beats.release()
        return True

    with Renewer(renew, every=0.001) as renewer:
        assert all(beats.acquire(timeout=5) for _ in range(3))
    assert not renewer.lost and not renewer._thread.is_alive()


def test_the_renewer_reports_a_lost_lease_and_stops_beating() -> None:
    calls: list[int] = []
    lost = threading.Event()

    def renew() -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("database away")  # retried at the next beat
        if len(calls) == 2:
            return True
        lost.set()
        return False

    renewer = Renewer(renew, every=0.001).start()
    assert lost.wait(5)
    renewer._thread.join(5)
    assert renewer.lost and len(calls) == 3
    renewer.stop()
