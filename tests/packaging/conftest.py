"""Fixtures of the packaging tests: the built wheel and two fresh virtualenvs holding it,
installed non-editable, as a user gets it.

- ``wheel``: ``pip wheel --no-deps`` of a clean copy of the checkout (no ``build/`` left over,
  nothing written into the checkout), built once per session.
- ``base_env``: a fresh venv with ``pip install WHEEL`` (the base install; its five runtime
  dependencies come from the package index through pip's cache).
- ``full_env``: a fresh venv with the wheel installed ``--no-deps``; the extras' packages are
  the ones this test run itself uses (the dev venv's site-packages appended to ``sys.path`` by a
  ``.pth`` file, after the venv's own, so the installed wheel, not the checkout, is what
  imports as ``somastack_deploy``). ``SOMASTACK_PACKAGING_FULL=1`` instead runs a real
  ``pip install 'WHEEL[pulumi,checks]'`` (slow cold: pulumi, grpcio, pymilvus …).

Each env is a :class:`Env`: ``run(*argv, cwd=...)`` runs one of its console scripts with a
clean environment (no ``PYTHONPATH``, HOME kept for pip's and the harness's caches).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
IGNORE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".somastack",
                                ".hypothesis", ".pytest_cache", "reports-out", "tests", "benchmarks", "docs")


@dataclass
class Env:
    """A virtualenv holding the installed wheel: ``root``, ``bin``, ``site`` (its
    site-packages)."""

    root: Path
    bin: Path
    site: Path

    def run(self, *argv: str, cwd: Path, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
        """Run ``argv`` (its first item a console script or ``python`` of this env) in ``cwd``."""
        exe = self.bin / argv[0]
        clean = {k: v for k, v in os.environ.items()
                 if k not in ("PYTHONPATH", "VIRTUAL_ENV", "SOMASTACK_STATE_DIR", "PYTHONHOME")}
        clean.update(env or {})
        return subprocess.run([str(exe), *argv[1:]], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              env=clean)


def _venv(root: Path) -> Env:
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, capture_output=True, timeout=300)
    py = root / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    return Env(root=root, bin=root / "bin", site=Path(site))


def _pip(env: Env, *args: str) -> None:
    proc = subprocess.run([str(env.bin / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", *args],
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-2000:]


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """The built wheel (path)."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    shutil.copytree(REPO, src, ignore=IGNORE)
    out = work / "dist"
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--disable-pip-version-check",
                           "-w", str(out), str(src)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (whl,) = out.glob("somastack_deploy-*.whl")
    return whl


@pytest.fixture(scope="session")
def base_env(wheel, tmp_path_factory) -> Env:
    """A fresh venv with the base install of the wheel."""
    env = _venv(tmp_path_factory.mktemp("venv-base") / "v")
    _pip(env, str(wheel))
    return env


@pytest.fixture(scope="session")
def full_env(wheel, tmp_path_factory) -> Env:
    """A fresh venv with the wheel and the ``pulumi`` and ``checks`` extras (see module doc)."""
    env = _venv(tmp_path_factory.mktemp("venv-full") / "v")
    if os.environ.get("SOMASTACK_PACKAGING_FULL"):
        _pip(env, "--upgrade", "pip")  # as scripts/setup.sh: the venv's bundled pip backtracks into old sdists
        _pip(env, f"{wheel}[pulumi,checks]")
    else:
        _pip(env, "--no-deps", str(wheel))
        (env.site / "zz_dev_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return env


@pytest.fixture()
def outside(tmp_path) -> Path:
    """A working directory outside the checkout."""
    assert REPO not in tmp_path.parents
    return tmp_path
