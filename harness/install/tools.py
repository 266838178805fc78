"""Run the build tools that install the JVM and Go services into the harness cache.

- :func:`run`: one build command with a timeout; failures become :class:`InstallError` naming
  the command and its last error line (never a traceback).
- :func:`maven`: ``mvn -B -q`` with the local repository in ``<cache>/m2`` (Maven Central only).
- :func:`go_env`: environment for ``go install``/``go build`` from the Go module proxy with the
  installed toolchain (``GOTOOLCHAIN=local``: no toolchain download).
- :func:`staged_dir`: build into a temporary sibling directory and rename it into place, so a
  half-finished install is never taken for a complete one (installs are idempotent).
- :func:`assets_dir`: the declared service assets (``assets/``, package data located by
  :mod:`somastack_deploy.packagedata`; read-only at run time, never built in).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from somastack_deploy import packagedata

from ..base import Context, InstallError


def assets_dir() -> Path:
    """The declared assets (repo ``assets/``, package ``somastack_deploy.assets``): Kafka
    topics, Keycloak realm, OPA policies, SpiceDB schema."""
    return packagedata.assets_dir()


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    return lines[-1][:400] if lines else ""


def run(cmd: list[str], *, what: str, env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout_s: float = 1800, mask: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """Run a build step; return the completed process (stdout/stderr as text).

    ``what`` names the step in errors (e.g. ``"go build spicedb"``). ``env`` is merged into the
    current environment (pass secrets there, never in ``cmd``: ``cmd`` is quoted in errors).
    Raises :class:`InstallError` (``"<what>: `<cmd>` failed (exit N): <last error line>"``) when
    the command is missing, fails or runs longer than ``timeout_s`` seconds; every value in
    ``mask`` is replaced by ``***`` in that message.
    """
    full_env = dict(os.environ)
    full_env.update(env or {})
    shown = " ".join(cmd)
    try:
        proc = subprocess.run(cmd, env=full_env, cwd=str(cwd) if cwd else None, capture_output=True,
                              text=True, timeout=timeout_s)
    except FileNotFoundError:
        raise InstallError(f"{what}: `{cmd[0]}` not found on PATH") from None
    except subprocess.TimeoutExpired:
        raise InstallError(f"{what}: `{shown}` timed out after {timeout_s:.0f} s") from None
    if proc.returncode != 0:
        message = f"{what}: `{shown}` failed (exit {proc.returncode}): {_last_line(proc.stderr) or _last_line(proc.stdout)}"
        for value in mask:
            if value:
                message = message.replace(value, "***")
        raise InstallError(message)
    return proc


def maven(ctx: Context, args: list[str], *, what: str, cwd: Path | None = None,
          timeout_s: float = 1200) -> subprocess.CompletedProcess:
    """``mvn -B -q -Dmaven.repo.local=<cache>/m2 ARGS`` (Maven Central). Raises InstallError
    when Maven is missing (Debian package ``maven``) or the goal fails."""
    if shutil.which("mvn") is None:
        raise InstallError(f"{what}: `mvn` not found on PATH (Debian: apt-get install maven)")
    repo = ctx.cache_dir / "m2"
    return run(["mvn", "-B", "-q", f"-Dmaven.repo.local={repo}", *args], what=what, cwd=cwd, timeout_s=timeout_s)


def go_env(ctx: Context) -> dict[str, str]:
    """Environment for Go builds from the module proxy with the local toolchain only.

    ``GOTOOLCHAIN=local`` (never download a toolchain), ``GOFLAGS=-mod=mod`` (resolve the
    module graph, updating go.sum in the build copy), ``CGO_ENABLED=0`` (static binaries),
    ``GOMODCACHE``/``GOCACHE`` under ``<cache>/go`` (the whole install lives in the harness
    cache, so caching that one directory also caches the Go builds), ``GOPROXY`` as configured
    (default ``https://proxy.golang.org``)."""
    return {"GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod -buildvcs=false", "CGO_ENABLED": "0",
            "GOMODCACHE": str(ctx.cache_dir / "go" / "mod"), "GOCACHE": str(ctx.cache_dir / "go" / "build")}


def require_go(what: str) -> str:
    """Path of the ``go`` command; InstallError when Go is not installed."""
    go = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
    if go is None:
        raise InstallError(f"{what}: `go` not found on PATH (install Go >= 1.26 from go.dev/dl)")
    return go


@contextlib.contextmanager
def staged_dir(dest: Path) -> Iterator[Path]:
    """Yield an empty temporary sibling of ``dest``; on success rename it to ``dest``.

    On error the temporary directory is removed and ``dest`` is untouched. If ``dest``
    appeared meanwhile (a concurrent install), the new copy is discarded."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f"{dest.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        os.replace(tmp, dest)
    except OSError:
        if not dest.exists():
            raise
        shutil.rmtree(tmp, ignore_errors=True)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 (files that carry generated secrets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(path, 0o600)
