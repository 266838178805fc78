"""Harness core without servers: CLI input errors (exit 2, one line), option parsing, PID safety
(a recycled PID is never signalled), dependency ordering, topology of an empty stack."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from somastack_deploy.config_contract.errors import InputError
from somastack_deploy.harness import cli, process
from somastack_deploy.harness.base import Context, ServiceSpec
from somastack_deploy.harness.registry import ALL_SERVICES, load_spec, resolve_order


def run_cli(*args: str, state_dir) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "somastack_deploy.harness.cli", "--state-dir", str(state_dir), *args],
        capture_output=True, text=True, timeout=120,
    )


def test_unknown_service_is_exit_2_one_line(tmp_path):
    proc = run_cli("up", "postgress", state_dir=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "postgress" in lines[0] and "unknown service" in lines[0]


@pytest.mark.parametrize("args, needle", [
    (["--port-offset", "x", "status"], "--port-offset"),
    (["--port-offset", "50000", "status"], "--port-offset"),
    (["-o", "redis", "status"], "SVC.KEY=VALUE"),
    (["-o", "nosuch.x=1", "status"], "unknown service"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_input_exit_2(tmp_path, args, needle):
    proc = run_cli(*args, state_dir=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr


def test_status_of_empty_stack(tmp_path):
    proc = run_cli("status", "--json", state_dir=tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip() == "{}"


def test_logs_of_never_started_service_is_exit_2(tmp_path):
    proc = run_cli("logs", "redis", state_dir=tmp_path)
    assert proc.returncode == 2 and "never started" in proc.stderr


def test_option_values_parse_as_json_or_string():
    assert cli._parse_options(["redis.persistence=none", "redis.x=3", "vault.flag=true"]) == {
        "redis": {"persistence": "none", "x": 3}, "vault": {"flag": True},
    }
    with pytest.raises(InputError):
        cli._parse_options(["redis=3"])


def test_every_registered_plugin_of_this_area_loads():
    for name in ("postgres", "redis", "vault", "milvus"):
        spec = load_spec(name)
        assert isinstance(spec, ServiceSpec) and spec.name == name
    assert set(ALL_SERVICES) >= {"postgres", "redis", "vault", "milvus"}


def test_dependency_levels_put_dependencies_first():
    class A(ServiceSpec):
        name, depends_on = "postgres", ()
    class B(ServiceSpec):
        name, depends_on = "spicedb", ("postgres",)
    for cls in (A, B):
        cls.__abstractmethods__ = frozenset()
    specs = {"postgres": A(), "spicedb": B()}
    assert resolve_order(["spicedb"], specs) == [["postgres"], ["spicedb"]]


def test_port_offset_mismatch_on_a_running_state_dir_is_input_error(tmp_path):
    from somastack_deploy.harness.manager import Harness

    (tmp_path / "state.json").write_text('{"port_offset": 5, "services": {"redis": {"proc": null}}}')
    with pytest.raises(InputError):
        Harness(Context(state_dir=tmp_path, cache_dir=tmp_path / "c", port_offset=0))


def test_recycled_pid_is_never_signalled():
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        real = process.ProcRecord(victim.pid, process.psutil.Process(victim.pid).create_time())
        stale = process.ProcRecord(victim.pid, real.create_time - 100.0)  # "our" old process
        assert process.group_members(stale) == []
        process.kill_group(stale)
        process.stop_group(stale, signal.SIGTERM, 0.2)
        time.sleep(0.2)
        assert victim.poll() is None, "a process we did not start was signalled"
        assert process.leader_alive(real)
        process.kill_group(real, victim)
        assert victim.poll() == -signal.SIGKILL
        assert not process.leader_alive(real)
    finally:
        if victim.poll() is None:
            os.killpg(victim.pid, signal.SIGKILL)
            victim.wait()


def test_credentials_file_is_0600(tmp_path):
    ctx = Context(state_dir=tmp_path, cache_dir=tmp_path / "c")
    value = ctx.credential("redis", "password")
    assert (ctx.credentials_path.stat().st_mode & 0o777) == 0o600
    assert ctx.credential("redis", "password") == value
    ctx.set_credential("vault", "root_token", "s.planted")
    assert (ctx.credentials_path.stat().st_mode & 0o777) == 0o600
    assert ctx.credentials() == {"redis": {"password": value}, "vault": {"root_token": "s.planted"}}
    assert ctx.credential_ref("redis", "password").endswith("credentials.json#redis.password")


def test_ephemeral_port_range_is_read_from_the_kernel_file_or_defaults(tmp_path):
    from somastack_deploy.harness.process import DEFAULT_EPHEMERAL_RANGE, ephemeral_port_range

    good = tmp_path / "range"
    good.write_text("40000\t50000\n")
    assert ephemeral_port_range(str(good)) == (40000, 50000)
    bad = tmp_path / "bad"
    bad.write_text("nonsense\n")
    assert ephemeral_port_range(str(bad)) == DEFAULT_EPHEMERAL_RANGE
    assert ephemeral_port_range(str(tmp_path / "missing")) == DEFAULT_EPHEMERAL_RANGE


def test_an_explicit_port_offset_in_the_ephemeral_range_is_a_usage_error(monkeypatch):
    from somastack_deploy.harness import pytest_plugin

    monkeypatch.setattr(pytest_plugin, "ephemeral_port_range", lambda: (32768, 60999))
    monkeypatch.setenv("SOMASTACK_TEST_PORT_OFFSET", "30000")
    with pytest.raises(pytest.UsageError, match=r"SOMASTACK_TEST_PORT_OFFSET=30000: ports .*50880 .*32768-60999"):
        pytest_plugin._port_offset()
    monkeypatch.setenv("SOMASTACK_TEST_PORT_OFFSET", "11000")
    assert pytest_plugin._port_offset() == 11000


def test_the_chosen_port_offset_keeps_every_port_below_the_ephemeral_range(monkeypatch):
    from somastack_deploy.harness import pytest_plugin

    monkeypatch.delenv("SOMASTACK_TEST_PORT_OFFSET", raising=False)
    monkeypatch.setattr(pytest_plugin, "ephemeral_port_range", lambda: (32768, 60999))
    tried = []
    monkeypatch.setattr(pytest_plugin, "_ports_free", lambda offset: tried.append(offset) or False)
    assert pytest_plugin._port_offset() == 10000  # all taken: the first candidate
    assert tried == [10000, 11000] + [1000 * k for k in range(9, 0, -1)]
    assert all(max(pytest_plugin._loopback_ports(offset)[1]) < 32768 for offset in tried)
    monkeypatch.setattr(pytest_plugin, "_ports_free", lambda offset: offset == 9000)
    assert pytest_plugin._port_offset() == 9000


def test_ephemeral_port_range_reads_the_kernel_setting_by_default():
    from somastack_deploy.harness.process import ephemeral_port_range

    kernel = "/proc/sys/net/ipv4/ip_local_port_range"
    if not os.path.exists(kernel):
        pytest.skip("no /proc ip_local_port_range on this system")
    with open(kernel) as fh:
        assert ephemeral_port_range() == tuple(int(part) for part in fh.read().split())


def test_ephemeral_ports_include_both_ends_of_the_range(monkeypatch):
    from somastack_deploy.harness import pytest_plugin

    monkeypatch.setattr(pytest_plugin, "ephemeral_port_range", lambda: (15432, 16379))
    assert pytest_plugin._ephemeral_ports(10000) == [15432, 16379]  # postgres and redis at +10000


def test_the_usage_error_lists_every_clashing_port(monkeypatch):
    from somastack_deploy.harness import pytest_plugin

    monkeypatch.setattr(pytest_plugin, "ephemeral_port_range", lambda: (32768, 60999))
    monkeypatch.setenv("SOMASTACK_TEST_PORT_OFFSET", "30000")
    with pytest.raises(pytest.UsageError) as raised:
        pytest_plugin._port_offset()
    assert "ports 34566, 35432, 36379, 36443, 38200, 38201, 39092, 39093, 50051, 50181, 50880 fall" in str(raised.value)
    monkeypatch.setenv("SOMASTACK_TEST_PORT_OFFSET", "ten")
    with pytest.raises(pytest.UsageError, match=r"SOMASTACK_TEST_PORT_OFFSET: not an integer: 'ten'"):
        pytest_plugin._port_offset()


@pytest.mark.parametrize("worker, count, expected", [
    ("gw0", "2", [10000, 9000, 7000, 5000, 3000, 1000]),
    ("gw1", "2", [11000, 8000, 6000, 4000, 2000]),
    ("gw1", "", [11000, 9000, 8000, 7000, 6000, 5000, 4000, 3000, 2000, 1000]),  # count unset: one worker
    ("", "", [10000, 11000, 9000, 8000, 7000, 6000, 5000, 4000, 3000, 2000, 1000]),
])
def test_xdist_workers_share_the_candidate_offsets(monkeypatch, worker, count, expected):
    from somastack_deploy.harness import pytest_plugin

    monkeypatch.delenv("SOMASTACK_TEST_PORT_OFFSET", raising=False)
    monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", count)
    monkeypatch.setattr(pytest_plugin, "ephemeral_port_range", lambda: (32768, 60999))
    tried = []
    monkeypatch.setattr(pytest_plugin, "_ports_free", lambda offset: tried.append(offset) or False)
    assert pytest_plugin._port_offset() == expected[0]
    assert tried == expected


def test_ports_free_is_false_when_one_service_port_is_bound():
    import socket

    from somastack_deploy.harness import pytest_plugin

    offset = next((o for o in range(1000, 12000, 1000) if pytest_plugin._ports_free(o)), None)
    if offset is None:
        pytest.skip("every candidate offset has a port in use on this machine")
    host, ports = pytest_plugin._loopback_ports(offset)
    with socket.socket() as sock:
        sock.bind((host, ports[-1]))
        sock.listen()
        assert not pytest_plugin._ports_free(offset)
    assert pytest_plugin._ports_free(offset)
