"""Hard-kill clean-up without servers: relative state dirs become absolute once in
``Context``; ``kill_group`` returns only when the whole process group is gone; a lock/PID
file is removed only when the PID it names no longer runs (gone, zombie or recycled); the
exit reason of a server names its last log line with credentials masked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from somastack_deploy.harness import process
from somastack_deploy.harness.base import Context
from somastack_deploy.harness.manager import Harness, _last_log_line
from somastack_deploy.harness.registry import load_spec


def test_relative_state_and_cache_dirs_become_absolute_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ctx = Context(state_dir=Path(".somastack/services"), cache_dir=Path("cache"))
    assert ctx.state_dir == tmp_path.resolve() / ".somastack" / "services"
    assert ctx.cache_dir == tmp_path.resolve() / "cache"
    assert ctx.data_dir("redis").is_absolute() and ctx.log_path("redis").is_absolute()
    redis = load_spec("redis")
    argv, _ = redis.command(ctx)
    # the server runs with its data dir as cwd: a relative conf path there would be joined twice
    assert Path(argv[-1]).is_absolute() and Path(argv[-1]).parent == ctx.data_dir("redis")
    # milvus' declared environment (compared by drift with /proc/PID/environ) is absolute
    milvus = load_spec("milvus")
    env = milvus.command(ctx)[1]
    assert env["MILVUS_RUN_DIR"] == str(tmp_path.resolve() / ".somastack/services/data/milvus/run")
    monkeypatch.chdir("/")
    assert ctx.data_dir("redis") == tmp_path.resolve() / ".somastack/services/data/redis"  # cwd no longer matters


def test_home_relative_dirs_are_expanded(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    ctx = Context(state_dir=Path("~/stack"), cache_dir=Path("~/cache"))
    assert ctx.state_dir == tmp_path.resolve() / "stack" and ctx.cache_dir == tmp_path.resolve() / "cache"


def test_kill_group_returns_when_every_member_is_gone():
    # a leader with two children in its group (like a postmaster with backends)
    leader = subprocess.Popen(["sh", "-c", "sleep 60 & sleep 60 & wait"], start_new_session=True)
    try:
        rec = process.ProcRecord(leader.pid, psutil.Process(leader.pid).create_time())
        deadline = time.monotonic() + 5
        while len(process.group_members(rec)) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        members = [p.pid for p in process.group_members(rec)]
        assert len(members) == 3
        assert process.kill_group(rec, leader) is True
        assert process.group_members(rec) == []
        for pid in members:
            assert not process.pid_running(pid)
        assert leader.returncode == -signal.SIGKILL
    finally:
        if leader.poll() is None:
            os.killpg(leader.pid, signal.SIGKILL)
            leader.wait()


def _zombie() -> subprocess.Popen:
    """A child that has exited and is not reaped (a zombie until ``wait``)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while psutil.Process(child.pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return child


def test_pid_running_counts_a_zombie_as_gone():
    child = _zombie()
    try:
        assert psutil.pid_exists(child.pid)  # kill(pid, 0) succeeds: what PostgreSQL checks
        assert not process.pid_running(child.pid)
        assert process.pid_running(os.getpid())
    finally:
        child.wait()
    assert not process.pid_running(child.pid)


def test_stale_pid_file_is_removed_only_when_its_owner_no_longer_runs(tmp_path):
    lock = tmp_path / ".s.PGSQL.5432.lock"
    # a live owner (this process): kept
    lock.write_text(f"{os.getpid()}\n/tmp\n")
    assert process.remove_stale_pid_file(lock) is None and lock.exists()
    # an unreaped zombie (a SIGKILLed postmaster whose parent never reaps it): removed
    child = _zombie()
    try:
        lock.write_text(f"{child.pid}\n/data\n1700000000\n5432\n")
        assert process.remove_stale_pid_file(lock) == child.pid
        assert not lock.exists()
    finally:
        child.wait()
    # a PID that is gone: removed
    lock.write_text(f"{child.pid}\n")
    assert process.remove_stale_pid_file(lock) == child.pid and not lock.exists()
    # our recorded leader's PID now belongs to another (live) process: removed
    lock.write_text(f"{os.getpid()}\n")
    recycled = process.ProcRecord(os.getpid(), psutil.Process().create_time() - 100.0)
    assert process.remove_stale_pid_file(lock, recycled) == os.getpid() and not lock.exists()
    # same live PID and it is still our leader: kept
    lock.write_text(f"{os.getpid()}\n")
    ours = process.ProcRecord(os.getpid(), psutil.Process().create_time())
    assert process.remove_stale_pid_file(lock, ours) is None and lock.exists()
    # missing or unreadable files are left alone
    assert process.remove_stale_pid_file(tmp_path / "missing.pid") is None
    (tmp_path / "junk.pid").write_text("not a pid\n")
    assert process.remove_stale_pid_file(tmp_path / "junk.pid") is None and (tmp_path / "junk.pid").exists()


def test_postgres_lists_postmaster_pid_and_socket_lock(tmp_path):
    ctx = Context(state_dir=tmp_path, cache_dir=tmp_path / "cache", port_offset=7)
    pg = load_spec("postgres")
    files = pg.stale_files(ctx)
    assert files[0] == ctx.data_dir("postgres") / "pgdata" / "postmaster.pid"
    assert files[1] == pg.socket_dir(ctx) / ".s.PGSQL.5439.lock"
    # services whose locks are OS locks released at process death list nothing
    for name in ("redis", "kafka", "keycloak", "spicedb", "opa", "milvus", "vault"):
        assert load_spec(name).stale_files(ctx) == []


def test_last_log_line_is_the_servers_own_with_credentials_masked(tmp_path):
    log = tmp_path / "svc.log"
    log.write_text("\n=== harness start 2026-01-01T00:00:00Z ===\nold run\n"
                   "\n=== harness start 2026-01-01T00:01:00Z ===\nstarting\n"
                   "FATAL: password s3cr3t-value rejected\n\n")
    h = Harness(Context(state_dir=tmp_path / "stack", cache_dir=tmp_path / "cache"))
    h.ctx.set_credential("postgres", "password", "s3cr3t-value")
    assert _last_log_line(log, h.mask_credentials) == "FATAL: password **** rejected"
    log.write_text("\n=== harness start 2026-01-01T00:01:00Z ===\n")
    assert _last_log_line(log, str) == ""
    log.write_text("\n=== harness start x ===\n" + "y" * 500 + "\n")
    assert len(_last_log_line(log, str)) == 200
    assert _last_log_line(tmp_path / "none.log", str) == ""


def test_stop_group_falls_back_to_sigkill_for_the_whole_group():
    # the leader and its child ignore SIGTERM: after the timeout the group is SIGKILLed
    leader = subprocess.Popen(["sh", "-c", "trap '' TERM; sh -c \"trap '' TERM; sleep 60\" & sleep 60 & wait"],
                              start_new_session=True)
    try:
        rec = process.ProcRecord(leader.pid, psutil.Process(leader.pid).create_time())
        deadline = time.monotonic() + 5
        while len(process.group_members(rec)) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        t0 = time.monotonic()
        assert process.stop_group(rec, signal.SIGTERM, 0.3, leader) is False
        assert time.monotonic() - t0 < 5
        assert process.group_members(rec) == [] and leader.returncode == -signal.SIGKILL
    finally:
        if leader.poll() is None:
            os.killpg(leader.pid, signal.SIGKILL)
            leader.wait()
