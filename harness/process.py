"""Tracked server processes: spawn in a new process group, liveness, stop, resident memory.

Only processes this harness started are ever signalled: a record holds the leader's PID and
its kernel start time (``psutil.Process.create_time``, s since the epoch), so a recycled PID is
never mistaken for ours. Linux only (``/proc`` via psutil).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil


@dataclass
class ProcRecord:
    """A started server: leader ``pid`` (also its process group id) and ``create_time`` (s)."""

    pid: int
    create_time: float

    def to_json(self) -> dict:
        return {"pid": self.pid, "create_time": self.create_time}

    @classmethod
    def from_json(cls, data: dict) -> "ProcRecord":
        return cls(int(data["pid"]), float(data["create_time"]))


def spawn(argv: list[str], env: dict[str, str], cwd: Path, log_path: Path) -> tuple[subprocess.Popen, ProcRecord]:
    """Start ``argv`` in its own session/process group, stdin from /dev/null, stdout+stderr
    appended to ``log_path``. Raises ``OSError`` when the executable cannot be run."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        log.write(f"\n=== harness start {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} ===\n".encode())
        log.flush()
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            cwd=str(cwd), env=env, start_new_session=True, close_fds=True,
        )
    try:
        ctime = psutil.Process(proc.pid).create_time()
    except psutil.Error:
        ctime = 0.0
    return proc, ProcRecord(proc.pid, ctime)


def _leader(rec: ProcRecord) -> psutil.Process | None:
    try:
        p = psutil.Process(rec.pid)
        if abs(p.create_time() - rec.create_time) > 0.05:
            return None  # recycled PID: not ours
        return p
    except psutil.Error:
        return None


def leader_alive(rec: ProcRecord) -> bool:
    """True when the tracked leader process runs (a zombie counts as dead)."""
    p = _leader(rec)
    if p is None:
        return False
    try:
        return p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def group_members(rec: ProcRecord, *, zombies: bool = False) -> list[psutil.Process]:
    """Live processes of the tracked process group (leader included), zombies excluded
    unless ``zombies``. Empty when the group id now belongs to someone else (a recycled
    leader PID)."""
    try:
        other = psutil.Process(rec.pid)
        if abs(other.create_time() - rec.create_time) > 0.05:
            return []  # PID reused by a foreign process: never touch that group
    except psutil.Error:
        pass
    members = []
    for p in psutil.process_iter():
        try:
            if os.getpgid(p.pid) == rec.pid and (zombies or p.status() != psutil.STATUS_ZOMBIE):
                members.append(p)
        except (OSError, psutil.Error):
            continue
    return members


def _signal_group(rec: ProcRecord, sig: int) -> None:
    if not group_members(rec):
        return
    try:
        os.killpg(rec.pid, sig)
    except ProcessLookupError:
        pass


def _wait_reaped(rec: ProcRecord, popen: subprocess.Popen | None, timeout_s: float = 5.0) -> None:
    """Reap ``popen`` (our child) or wait for init to reap the group's zombies, so that a
    server checking its old PID file (PostgreSQL) does not see a dead PID as running."""
    if popen is not None:
        try:
            popen.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            pass
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            leader = psutil.Process(rec.pid)
            if abs(leader.create_time() - rec.create_time) > 0.05:
                return  # PID already reused
            if popen is None and leader.status() == psutil.STATUS_ZOMBIE and leader.ppid() != os.getpid():
                return  # not our child: only its parent (init) can reap it, waiting gains nothing
        except psutil.Error:
            return  # leader reaped
        time.sleep(0.02)


def stop_group(rec: ProcRecord, sig: int, timeout_s: float, popen: subprocess.Popen | None = None) -> bool:
    """Send ``sig`` to the group, wait up to ``timeout_s`` s, then SIGKILL what is left.

    Returns True when the group stopped before the timeout. Reaps ``popen`` if given."""
    _signal_group(rec, sig)
    deadline = time.monotonic() + timeout_s
    while group_members(rec):
        if popen is not None:
            popen.poll()
        if time.monotonic() > deadline:
            kill_group(rec, popen)
            return False
        time.sleep(0.05)
    _wait_reaped(rec, popen)
    return True


def kill_group(rec: ProcRecord, popen: subprocess.Popen | None = None, timeout_s: float = 10.0) -> bool:
    """SIGKILL the whole group at once (fault injection), wait up to ``timeout_s`` s until no
    member of the group is left running, and reap the leader when it is our child.

    Returns True when the whole group is gone. A member that is a zombie counts as gone: it
    holds no memory, file, lock, socket or shared-memory attachment any more, only its PID
    entry until its parent reaps it, and a leader orphaned by an earlier ``somastack-services``
    process is reparented to PID 1, which may never reap it (see :func:`pid_running`)."""
    _signal_group(rec, signal.SIGKILL)
    deadline = time.monotonic() + timeout_s
    while group_members(rec):
        if popen is not None:
            popen.poll()
        if time.monotonic() > deadline:
            break
        time.sleep(0.02)
    _wait_reaped(rec, popen)
    return not group_members(rec)


def pid_running(pid: int) -> bool:
    """True when ``pid`` is a process that runs (exists and is not a zombie).

    Servers that guard a lock file with ``kill(pid, 0)`` (PostgreSQL) count a zombie as
    running; a killed server whose parent never reaps it would then block every later start.
    This is the check the harness uses instead."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def remove_stale_pid_file(path: Path, rec: ProcRecord | None = None) -> int | None:
    """Remove ``path`` (a lock/PID file whose first line is the owner's PID) when that owner
    no longer runs: the PID is gone or a zombie, or it is ``rec``'s leader PID and ``rec``'s
    leader is gone (the PID now belongs to another process). Returns the stale PID when the
    file was removed, None when it was kept (missing, unreadable, or its owner runs)."""
    try:
        pid = int(path.read_text().splitlines()[0].strip())
    except (OSError, ValueError, IndexError):
        return None
    reused = rec is not None and pid == rec.pid and not leader_alive(rec)
    if pid_running(pid) and not reused:
        return None
    try:
        path.unlink()
    except FileNotFoundError:
        return None
    return pid


def group_rss_bytes(rec: ProcRecord) -> int:
    """Resident set size (bytes) summed over the live processes of the group."""
    total = 0
    for p in group_members(rec):
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total


def port_free(host: str, port: int) -> bool:
    """True when ``host:port`` can be bound now (nothing listens on it)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


def non_root_prefix() -> list[str]:
    """argv prefix that runs a server refusing root (PostgreSQL) as an unprivileged uid.

    When the harness runs as root it returns ``unshare --user --map-user=N --map-group=N``
    (``N`` = uid/gid of ``nobody``): inside the new user namespace the process is uid ``N``,
    outside it keeps root's identity, so it can still read ``~root/.cache`` and 0700 state
    dirs. ``unshare`` execs the server (same PID, tracked as usual). Empty when not root."""
    if os.geteuid() != 0:
        return []
    import pwd

    try:
        entry = pwd.getpwnam("nobody")
        uid, gid = entry.pw_uid, entry.pw_gid
    except KeyError:
        uid = gid = 65534
    return ["unshare", "--user", f"--map-user={uid}", f"--map-group={gid}"]


#: Linux's default ephemeral (local) port range, used when the kernel's cannot be read.
DEFAULT_EPHEMERAL_RANGE = (32768, 60999)


def ephemeral_port_range(path: str = "/proc/sys/net/ipv4/ip_local_port_range") -> tuple[int, int]:
    """``(low, high)``: the ports the kernel hands out for outgoing connections
    (``net.ipv4.ip_local_port_range``; :data:`DEFAULT_EPHEMERAL_RANGE` when unreadable). A
    service listening there can find its port taken by any client socket of the machine,
    e.g. a JVM's own connections (why an offset of +30000 failed Keycloak at 50880)."""
    try:
        low, high = (int(part) for part in Path(path).read_text().split())
    except (OSError, ValueError):
        return DEFAULT_EPHEMERAL_RANGE
    return low, high
