"""One lease for job runs, crawlers and lifecycle applies: who holds it, whether they still live, and renewal.

A lease is a row with an *owner* (host, pid, boot id, process start time) and a *heartbeat* timestamp.

* Same host, same boot: the owner lives iff its pid exists (``os.kill(pid, 0)``; EPERM counts) and, when
  both sides know it, the process started when the owner says (a reused pid has another start time). A
  SIGKILLed owner is thus seen dead at once, with no wait for its heartbeat to go stale.
* Same host, another boot: dead at once (the machine rebooted since).
* Another host: its pids mean nothing here, so the heartbeat decides: alive while fresher than ``ttl``.
* No owner recorded (rows older than leases): the heartbeat decides, as for another host.

The process start time is field 22 of ``/proc/<pid>/stat`` (clock ticks since boot). Where it cannot be
read (no ``/proc``: macOS, BSD), it is ``None`` and pid existence alone decides on the same host; the boot
id is ``/proc/sys/kernel/random/boot_id``, else ``btime`` from ``/proc/stat``, else ``None`` (a reboot then
goes unnoticed, and pid existence decides). "Host" is ``socket.gethostname()``: processes that share a
hostname must share a pid namespace too (so no two containers with one fixed hostname).

:func:`decide` is pure (the pid probe and clock are injected); :func:`judge` applies it to this machine;
:class:`Renewer` beats a lease's heartbeat on a thread and notices when it was lost.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from sluice.clock import utcnow

log = logging.getLogger("sluice.lease")

_PROC = Path("/proc")


class ProcessStatus(NamedTuple):
    """What a pid probe saw: whether the process exists, and its start time when known."""

    exists: bool
    started: int | None = None


GONE = ProcessStatus(False)
PidProbe = Callable[[int], ProcessStatus]


@dataclass(frozen=True)
class Owner:
    """Who holds a lease: a process named by host, pid, boot id and start time (clock ticks since boot)."""

    host: str
    pid: int
    boot_id: str | None = None
    started: int | None = None

    def describe(self) -> str:
        """``host H, pid P`` for messages."""
        return f"host {self.host}, pid {self.pid}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``{"Host", "Pid", "BootId", "PidStarted"}``."""
        return {"Host": self.host, "Pid": self.pid, "BootId": self.boot_id, "PidStarted": self.started}

    @classmethod
    def from_dict(cls, value: Any) -> Owner | None:
        """The owner from :meth:`to_dict` (older rows: only Host and Pid); None when there is none."""
        if not isinstance(value, dict):
            return None
        return cls.of(value.get("Host"), value.get("Pid"), value.get("BootId"), value.get("PidStarted"))

    @classmethod
    def of(cls, host: Any, pid: Any, boot_id: Any = None, started: Any = None) -> Owner | None:
        """An owner from stored columns; None unless host is a string and pid an int."""
        if not isinstance(host, str) or not isinstance(pid, int) or isinstance(pid, bool):
            return None
        return cls(
            host,
            pid,
            boot_id if isinstance(boot_id, str) else None,
            started if isinstance(started, int) and not isinstance(started, bool) else None,
        )


@dataclass(frozen=True)
class Verdict:
    """Whether a lease's owner is alive, and why (for messages such as a reclaimed run's error)."""

    alive: bool
    reason: str


def decide(
    owner: Owner | None,
    heartbeat_at: datetime | None,
    now: datetime,
    *,
    ttl: timedelta,
    this_host: str,
    this_boot: str | None,
    probe: PidProbe,
) -> Verdict:
    """Whether the lease held by ``owner`` (last renewed at ``heartbeat_at``) is alive at ``now``; pure.

    Times must be timezone-aware. ``probe`` tells whether a pid exists on this host (see :func:`probe_process`).
    """
    for moment in (now, heartbeat_at):
        if moment is not None and moment.tzinfo is None:
            raise ValueError(f"naive datetime {moment!r}: leases compare timezone-aware UTC times")
    fresh = heartbeat_at is not None and now - heartbeat_at <= ttl
    beat = "never" if heartbeat_at is None else heartbeat_at.isoformat()
    if owner is None:
        return Verdict(fresh, f"{'last' if fresh else 'no'} heartbeat {'at' if fresh else 'since'} {beat}")
    who = owner.describe()
    if owner.host != this_host:
        if fresh:
            return Verdict(True, f"{who} heartbeat at {beat}")
        return Verdict(False, f"no heartbeat from {who} since {beat}")
    if owner.boot_id is not None and this_boot is not None and owner.boot_id != this_boot:
        return Verdict(False, f"{who} is gone: the host rebooted since")
    seen = probe(owner.pid)
    if not seen.exists:
        return Verdict(False, f"{who} is gone")
    if owner.started is not None and seen.started is not None and owner.started != seen.started:
        return Verdict(False, f"{who} is gone (the pid now belongs to another process)")
    return Verdict(True, f"{who} is running")


def is_alive(
    owner: Owner | None,
    heartbeat_at: datetime | None,
    now: datetime,
    *,
    ttl: timedelta,
    this_host: str,
    this_boot: str | None,
    probe: PidProbe,
) -> bool:
    """:func:`decide` as a bool."""
    return decide(owner, heartbeat_at, now, ttl=ttl, this_host=this_host, this_boot=this_boot, probe=probe).alive


# --- this machine --------------------------------------------------------------------------------------------


def _read_stat(pid: int) -> tuple[str, int] | None:
    """State letter and start time (field 22) from ``/proc/<pid>/stat``; None when unreadable."""
    try:
        data = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = data[data.rfind(")") + 2 :].split()  # the command name (field 2) may hold spaces and parentheses
    try:
        return fields[0], int(fields[19])
    except (IndexError, ValueError):
        return None


def probe_process(pid: int) -> ProcessStatus:
    """Whether ``pid`` runs on this host (EPERM counts; a zombie does not), with its start time when known."""
    if pid <= 0:
        return GONE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return GONE
    except PermissionError:
        pass  # it exists, under another user
    stat = _read_stat(pid)
    if stat is None:
        # /proc exists but the pid's entry went: it exited since the kill; no /proc at all: start time unknown
        return GONE if (_PROC / "self" / "stat").exists() else ProcessStatus(True)
    state, started = stat
    return GONE if state in ("Z", "X", "x") else ProcessStatus(True, started)


def boot_id() -> str | None:
    """This boot's id (Linux ``boot_id``, else ``btime:<boot time>``), or None where neither can be read."""
    with contextlib.suppress(OSError):
        value = (_PROC / "sys" / "kernel" / "random" / "boot_id").read_text().strip()
        if value:
            return value
    with contextlib.suppress(OSError):
        for line in (_PROC / "stat").read_text().splitlines():
            if line.startswith("btime "):
                return "btime:" + line.split()[1]
    return None


def this_host() -> str:
    """The host name owners are compared by."""
    return socket.gethostname()


_current: dict[int, Owner] = {}


def current_owner() -> Owner:
    """This process as a lease owner (recomputed in a forked child)."""
    pid = os.getpid()
    owner = _current.get(pid)
    if owner is None:
        stat = _read_stat(pid)
        owner = _current[pid] = Owner(this_host(), pid, boot_id(), stat[1] if stat else None)
    return owner


def judge(
    owner: Owner | None, heartbeat_at: datetime | None, *, ttl: timedelta, now: datetime | None = None
) -> Verdict:
    """:func:`decide` on this machine: its host name, boot id, live pids and clock."""
    return decide(
        owner,
        heartbeat_at,
        now or utcnow(),
        ttl=ttl,
        this_host=this_host(),
        this_boot=boot_id(),
        probe=probe_process,
    )


# --- renewal -------------------------------------------------------------------------------------------------


class Renewer:
    """Calls ``renew`` every ``every`` seconds on a daemon thread until stopped or the lease is lost.

    ``renew`` updates the heartbeat column and returns False when the row is no longer this owner's
    (another process reclaimed it); :attr:`lost` then turns True and beats stop. An exception from
    ``renew`` (the database busy or away) is logged and the next beat retries: a missed beat only
    matters after the lease's ttl.
    """

    def __init__(self, renew: Callable[[], bool], *, every: float, name: str = "sluice-lease") -> None:
        self._renew = renew
        self._every = every
        self._done = threading.Event()
        self._lost = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    @property
    def lost(self) -> bool:
        """True once a renewal found the lease taken by someone else."""
        return self._lost.is_set()

    def start(self) -> Renewer:
        """Start beating; returns self."""
        self._thread.start()
        return self

    def stop(self, *, wait: bool = True) -> None:
        """Stop beating; with ``wait``, until a beat in progress has ended."""
        self._done.set()
        if wait and self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def beat(self) -> bool:
        """Renew once now; False (and :attr:`lost`) when the lease was lost."""
        if not self._renew():
            self._lost.set()
            self._done.set()
            return False
        return True

    def __enter__(self) -> Renewer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._done.wait(self._every):
            try:
                self.beat()
            except Exception:
                log.debug("lease renewal failed; retrying", exc_info=True)
