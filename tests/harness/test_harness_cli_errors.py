"""``somastack-services`` failure paths with real binaries: exit 1, one line, the log to read."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from somastack_deploy.harness.process import port_free


def cli(state_dir, offset: int, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "somastack_deploy.harness.cli", "--state-dir", str(state_dir), "--port-offset", str(offset), *args],
        capture_output=True, text=True, timeout=300,
    )


def _offset(*bases: int) -> int:
    for offset in range(14700, 40000, 1000):
        if all(port_free("127.0.0.1", b + offset) for b in bases):
            return offset
    raise RuntimeError("no free offset")


def test_port_taken_is_exit_1_naming_the_port(tmp_path):
    offset = _offset(6379)
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind(("127.0.0.1", 6379 + offset))
    blocker.listen()
    try:
        proc = cli(tmp_path, offset, "up", "redis")
    finally:
        blocker.close()
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and f"redis: port {6379 + offset} on 127.0.0.1 is already in use" in lines[0]


def test_server_that_exits_is_exit_1_with_its_log(tmp_path):
    offset = _offset(5432)
    pgdata = tmp_path / "data" / "postgres" / "pgdata"
    pgdata.mkdir(parents=True)
    (pgdata / "PG_VERSION").write_text("99\n")  # a broken data dir: no postgresql.conf
    proc = cli(tmp_path, offset, "up", "postgres")
    assert proc.returncode == 1
    line = proc.stderr.strip()
    assert "\n" not in line and "postgres: exited with code" in line
    log = Path(line.rsplit("log: ", 1)[1])
    assert log == tmp_path / "logs" / "postgres.log" and "postgresql.conf" in log.read_text()
    status = cli(tmp_path, offset, "status", "--json")
    assert status.returncode == 0 and '"alive": false' in status.stdout
    assert cli(tmp_path, offset, "down").returncode == 0


def test_commands_without_port_offset_act_on_the_running_stack(tmp_path):
    offset = _offset(6379)
    assert cli(tmp_path, offset, "up", "redis").returncode == 0
    try:
        plain = [sys.executable, "-m", "somastack_deploy.harness.cli", "--state-dir", str(tmp_path)]
        status = subprocess.run([*plain, "status"], capture_output=True, text=True, timeout=60)
        assert status.returncode == 0 and f"redis={6379 + offset}" in status.stdout
        down = subprocess.run([*plain, "down"], capture_output=True, text=True, timeout=120)
        assert down.returncode == 0 and "stopped redis" in down.stdout
        assert port_free("127.0.0.1", 6379 + offset)
    finally:
        cli(tmp_path, offset, "down")
