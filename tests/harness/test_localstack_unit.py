"""The LocalStack plug-in without starting it: which Python builds its venv (and the clear
failure when there is none), and the loopback-only command it runs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from somastack_deploy.harness.base import Context, InstallError
from somastack_deploy.harness.services import localstack


def test_no_python_312_is_a_clear_install_error(monkeypatch, tmp_path):
    monkeypatch.setattr(localstack, "python_candidates", lambda: [sys.executable, str(tmp_path / "missing")])
    if sys.version_info >= (3, 12):
        pytest.skip("the running interpreter is >= 3.12 itself")
    with pytest.raises(InstallError) as err:
        localstack.find_python()
    text = str(err.value)
    assert "needs Python >= 3.12" in text and sys.executable in text and "SOMASTACK_LOCALSTACK_PYTHON" in text
    ctx = Context(state_dir=tmp_path / "s", cache_dir=tmp_path / "c")
    with pytest.raises(InstallError):
        localstack.LocalStack().install(ctx)
    assert not (tmp_path / "c" / "localstack").exists() or not any((tmp_path / "c" / "localstack").iterdir())


def test_a_python_312_or_newer_is_found_and_the_override_comes_first(monkeypatch):
    found = localstack.find_python()
    assert localstack._version_of(found) >= (3, 12)
    monkeypatch.setenv("SOMASTACK_LOCALSTACK_PYTHON", found)
    assert localstack.python_candidates()[0] == found


def test_command_binds_loopback_without_dns_or_analytics(tmp_path):
    ctx = Context(state_dir=tmp_path, cache_dir=tmp_path / "cache", port_offset=15000)
    spec = localstack.LocalStack()
    argv, env = spec.command(ctx)
    assert argv[1:] == ["-m", "localstack.runtime.main"] and Path(argv[0]).name == "python"
    assert env["GATEWAY_SERVER"] == "hypercorn" and env["GATEWAY_LISTEN"] == "127.0.0.1:19566"
    assert env["DNS_ADDRESS"] == "0" and env["DISABLE_EVENTS"] == "1" and env["PERSISTENCE"] == "0"
    assert env["FILESYSTEM_ROOT"].startswith(str(tmp_path))
    assert spec.endpoint_url(ctx) == "http://127.0.0.1:19566" and spec.in_topology is False
