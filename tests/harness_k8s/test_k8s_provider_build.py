"""The pulumi-kubernetes provider build script's contract without building: a matching stamp
makes it a no-op (no Go needed), a missing toolchain fails in one line, and the CLI's install
step reports "cached" (0 s) for a current stamp."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from somastack_deploy.harness.cli import PROVIDER_KUBERNETES_BUILD, install_pulumi_kubernetes
from somastack_deploy.harness.manager import HarnessError

SRC = PROVIDER_KUBERNETES_BUILD.parent / "provider-kubernetes"


def _stamp() -> str:
    text = (SRC / "go.mod").read_bytes() + (SRC / "main.go").read_bytes() + PROVIDER_KUBERNETES_BUILD.read_bytes()
    version = next(line.split("=", 1)[1] for line in PROVIDER_KUBERNETES_BUILD.read_text().splitlines()
                   if line.startswith("PROVIDER_VERSION="))
    return f"{version} {hashlib.sha256(text).hexdigest()[:16]}"


def _cached(cache: Path, stamp: str) -> Path:
    bin_dir = cache / "pulumi" / "bin"
    bin_dir.mkdir(parents=True)
    plugin = bin_dir / "pulumi-resource-kubernetes"
    plugin.write_text("#!/bin/sh\n")
    plugin.chmod(0o755)
    (bin_dir / ".stamp-kubernetes").write_text(stamp + "\n")
    return plugin


def _run(cache: Path, path: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(PROVIDER_KUBERNETES_BUILD), str(cache)], capture_output=True, text=True,
                          env={**os.environ, "PATH": path}, timeout=60)


def test_a_current_stamp_is_a_no_op_without_go(tmp_path: Path):
    _cached(tmp_path, _stamp())
    proc = _run(tmp_path, "/usr/bin:/bin")  # no Go on PATH: it must not be needed
    assert proc.returncode == 0 and proc.stderr == ""
    assert install_pulumi_kubernetes(tmp_path) == 0.0


def test_a_stale_stamp_rebuilds_and_without_go_fails_in_one_line(tmp_path: Path):
    _cached(tmp_path, "0.0.0 stale")
    proc = _run(tmp_path, "/usr/bin:/bin")
    if Path("/usr/bin/go").exists() or Path("/bin/go").exists():
        pytest.fail("this test needs a PATH without go; /usr/bin/go exists here", pytrace=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "pulumi-resource-kubernetes build: `go` not found on PATH (install Go >= 1.25)"


def test_the_cli_step_names_the_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    _cached(tmp_path, "0.0.0 stale")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    with pytest.raises(HarnessError) as err:
        install_pulumi_kubernetes(tmp_path)
    assert str(err.value).startswith("pulumi-resource-kubernetes build: `go` not found")
