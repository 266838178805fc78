"""Every harness service, run as a user runs it: a stack started by ``somastack-services``
with the RELATIVE state dir ``.somastack/services`` (from a temporary working directory,
port offset ``SOMASTACK_TEST_PORT_OFFSET`` + 500), each command a process of its own.

- ``drift --harness-state .somastack/services`` on the fresh stack reports no drift (the
  declared ``MILVUS_RUN_DIR`` once was relative and the live one absolute);
- each service is SIGKILLed (``kill``) and started again (``start``) five times in a row and
  always comes back: ``kill`` returns once the whole process group is gone, ``start`` clears
  what the killed server left (PostgreSQL's ``postmaster.pid`` and socket lock file name a
  PID that PID 1 here never reaps: a zombie, which PostgreSQL's own ``kill(pid, 0)`` check
  takes for a running server). Keycloak gets 2 rounds, not 5: one restart of its JVM takes
  ~65 s on 2 cores (five would add ~3.5 min to CI), and what a kill leaves behind does not
  change from round to round (its H2 file lock is an OS lock released at process death);
- ``resilience --harness-state .somastack/services --hard`` restarts the stack (once the
  path was joined twice: ``data/redis/.somastack/services/data/redis/redis.conf``) and
  removes its ledger at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import psutil
import pytest

from somastack_deploy.harness.base import Context
from somastack_deploy.harness.manager import Harness, default_cache_dir
from somastack_deploy.harness.process import port_free
from somastack_deploy.harness.registry import load_spec

ALL = ("postgres", "redis", "vault", "opa", "spicedb", "kafka", "milvus", "keycloak")
ROUNDS = {name: 5 for name in ALL} | {"keycloak": 2}
STATE = ".somastack/services"
pytestmark = pytest.mark.services(*ALL)


def _free_offset() -> int:
    """SOMASTACK_TEST_PORT_OFFSET + 500 (else 10500), the next +1000 while a port is taken."""
    base = int(os.environ.get("SOMASTACK_TEST_PORT_OFFSET", "10000")) + 500
    for offset in range(base, base + 20000, 1000):
        ctx = Context(state_dir="/nonexistent", cache_dir=default_cache_dir(), port_offset=offset)
        if all(port_free(ctx.host, p) for name in ALL for p in load_spec(name).loopback_ports(ctx)):
            return offset
    raise RuntimeError("no free port offset")


class Stack:
    """The CLI-driven stack in ``cwd`` (every start/kill a new process, relative paths); status
    is read in this process (it only probes, never starts or signals anything)."""

    def __init__(self, cwd, offset: int):
        self.cwd, self.offset = cwd, offset
        self.h = Harness(Context(state_dir=cwd / STATE, cache_dir=default_cache_dir(), port_offset=offset))

    def services(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "somastack_deploy.harness.cli", "--state-dir", STATE,
                               "--port-offset", str(self.offset), *args],
                              cwd=self.cwd, capture_output=True, text=True, timeout=timeout)

    def deploy(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "somastack_deploy", *args], cwd=self.cwd,
                              capture_output=True, text=True, timeout=timeout)

    def status(self) -> dict:
        return {name: st.to_json() for name, st in self.h.status().items()}

    def log(self, name: str) -> str:
        return (self.cwd / STATE / "logs" / f"{name}.log").read_text(errors="replace")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("relative-stack"), _free_offset())
    up = s.services("up", *ALL)
    try:
        assert up.returncode == 0, up.stderr
        yield s
    finally:
        s.services("down", timeout=300)


def test_fresh_stack_with_relative_state_dir_has_no_drift(stack):
    assert (stack.cwd / STATE / "topology.json").is_file()
    out = stack.deploy("drift", "--harness-state", STATE, "--format", "json")
    assert "Traceback" not in out.stderr
    doc = json.loads(out.stdout)
    assert out.returncode == 0, (doc, out.stderr)
    assert doc["drift"] is False and not doc.get("items")
    assert "MILVUS_RUN_DIR" not in out.stdout


def _live_members(pgid: int) -> list[int]:
    left = []
    for p in psutil.process_iter():
        try:
            if os.getpgid(p.pid) == pgid and p.status() != psutil.STATUS_ZOMBIE:
                left.append(p.pid)
        except (OSError, psutil.Error):
            continue
    return left


@pytest.mark.parametrize("name", ALL)
def test_sigkill_and_start_again_five_times_in_a_row(stack, name):
    timings = []
    for n in range(1, ROUNDS[name] + 1):
        before = stack.status()[name]
        assert before["alive"] and before["ready"], (name, n, before)
        killed = stack.services("kill", name)
        assert killed.returncode == 0, (name, n, killed.stderr)
        assert _live_members(before["pid"]) == [], (name, n)  # the whole group is gone on return
        after_kill = stack.status()[name]
        assert not after_kill["alive"] and not after_kill["ready"]
        zombie = psutil.pid_exists(before["pid"])  # orphaned leader, unreaped by PID 1
        t0 = time.monotonic()
        started = stack.services("start", name)
        timings.append(time.monotonic() - t0)
        assert started.returncode == 0, (name, n, started.stderr, stack.log(name)[-2000:])
        now = stack.status()[name]
        assert now["alive"] and now["ready"] and now["pid"] != before["pid"], (name, n, now)
        if name == "postgres" and zombie:
            port = 5432 + stack.offset
            assert f".s.PGSQL.{port}.lock left by PID {before['pid']}" in stack.log(name), n
    print(f"{name}: {len(timings)} SIGKILL restarts, start s: {', '.join(f'{t:.1f}' for t in timings)}")


def test_hard_resilience_cycle_with_relative_state_dir(stack):
    services = "postgres,redis,vault,opa,spicedb"  # the others' restarts from this dir: above
    out = stack.deploy("resilience", "--harness-state", STATE, "--hard", "--cycles", "2", "--services", services,
                       "--cycle-deadline", "120", "--timeout", "10", "--format", "json", "--no-progress")
    assert "Traceback" not in out.stderr, out.stderr
    doc = json.loads(out.stdout)
    assert out.returncode == 0, [c["failures"] for c in doc["cycles"]]
    assert doc["passed"] and len(doc["cycles"]) == 2
    assert doc["ledger_cleanup"]["left"] == [] and len(doc["ledger_cleanup"]["removed"]) == len(doc["ledger"])
    assert stack.status()["redis"]["ready"]
