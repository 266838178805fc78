"""PostgreSQL 16 (with pgvector) from the PyPI wheel ``pgserver`` — its binaries, used directly.

- Install: the ``pgserver`` distribution of the virtualenv when it is the pinned version
  (``pyproject.toml`` extra ``checks``), else ``pip install --target <cache>/pypi/pgserver-0.1.4``.
- After a SIGKILL: ``postmaster.pid`` and the socket lock file are removed before the next
  start when the PID they name no longer runs (:meth:`Postgres.stale_files`).
- Prepare: ``initdb`` once with superuser ``soma`` and a generated password
  (``--auth=scram-sha-256``); later starts keep the data.
- Run: ``postgres -D DATA -k SOCKDIR -c listen_addresses=127.0.0.1 -p PORT`` (seed 001 §1.1
  port 5432 + offset). As root, through ``unshare --user`` (PostgreSQL refuses uid 0).
- Ready: psycopg ``SELECT 1`` with the password.
- Post-start: databases ``somaagent01 somabrain somafractalmemory keycloak spicedb`` (seed 001
  §2.2/§2.5 services) and the ``vector`` extension in the brain and memory databases.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import signal
import subprocess
import tempfile
from pathlib import Path

from somastack_deploy.config_contract.topology import Endpoint, Service

from ..base import Context, InstallError, ServiceSpec
from ..process import non_root_prefix
from ..pypi import pip_install_target, target_dir

PGSERVER_VERSION = "0.1.4"
PG_VERSION = "16.2"
SUPERUSER = "soma"
DATABASES: tuple[str, ...] = ("somaagent01", "somabrain", "somafractalmemory", "keycloak", "spicedb")
VECTOR_DATABASES: tuple[str, ...] = ("somabrain", "somafractalmemory")


def _venv_pginstall() -> Path | None:
    try:
        dist = importlib.metadata.distribution("pgserver")
    except importlib.metadata.PackageNotFoundError:
        return None
    if dist.version != PGSERVER_VERSION:
        return None
    return Path(str(dist.locate_file("pgserver/pginstall")))


class Postgres(ServiceSpec):
    """PostgreSQL 16.2 + pgvector (pgserver 0.1.4 binaries)."""

    name = "postgres"
    base_ports = {"postgresql": 5432}
    start_timeout_s = 60.0
    stop_timeout_s = 20.0
    #: SIGINT = PostgreSQL's fast shutdown (SIGTERM waits for clients to disconnect).
    stop_signal = signal.SIGINT

    def pginstall(self, ctx: Context) -> Path:
        """The ``pginstall`` directory (``bin/``, ``lib/``, ``share/``) in use."""
        venv = _venv_pginstall()
        if venv is not None and (venv / "bin" / "postgres").exists():
            return venv
        return target_dir(ctx, "pgserver", PGSERVER_VERSION) / "pgserver" / "pginstall"

    def installed(self, ctx: Context) -> bool:
        return (self.pginstall(ctx) / "bin" / "postgres").exists()

    def install(self, ctx: Context) -> None:
        pip_install_target(ctx, "pgserver", PGSERVER_VERSION)

    def pgdata(self, ctx: Context) -> Path:
        return ctx.data_dir(self.name) / "pgdata"

    def socket_dir(self, ctx: Context) -> Path:
        """A short directory for the Unix socket (paths are limited to 107 bytes)."""
        key = hashlib.sha1(f"{ctx.state_dir.resolve()}:{self.port(ctx)}".encode()).hexdigest()[:10]
        return Path(tempfile.gettempdir()) / f"soma-pg-{key}"

    def port(self, ctx: Context) -> int:
        return ctx.port(self.base_ports["postgresql"])

    def prepare(self, ctx: Context) -> None:
        sock = self.socket_dir(ctx)
        sock.mkdir(mode=0o700, exist_ok=True)
        pgdata = self.pgdata(ctx)
        if (pgdata / "PG_VERSION").exists():
            return
        password = ctx.credential(self.name, "password")
        pwfile = ctx.data_dir(self.name) / ".pwfile"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(password)
        try:
            cmd = non_root_prefix() + [
                str(self.pginstall(ctx) / "bin" / "initdb"), "-D", str(pgdata), "-U", SUPERUSER,
                "--auth=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8",
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        finally:
            pwfile.unlink(missing_ok=True)
        if proc.returncode != 0:
            lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
            raise InstallError(f"initdb failed (exit {proc.returncode}): {lines[-1] if lines else ''}")

    def command(self, ctx: Context) -> tuple[list[str], dict[str, str]]:
        argv = non_root_prefix() + [
            str(self.pginstall(ctx) / "bin" / "postgres"), "-D", str(self.pgdata(ctx)),
            "-k", str(self.socket_dir(ctx)), "-c", f"listen_addresses={ctx.host}", "-p", str(self.port(ctx)),
        ]
        return argv, {}

    def _connect(self, ctx: Context, dbname: str = "postgres", timeout: int = 2):
        import psycopg

        return psycopg.connect(
            host=ctx.host, port=self.port(ctx), user=SUPERUSER, password=ctx.credential(self.name, "password"),
            dbname=dbname, connect_timeout=timeout, autocommit=True,
        )

    def ready(self, ctx: Context) -> bool:
        try:
            with self._connect(ctx) as conn:
                return conn.execute("SELECT 1").fetchone() == (1,)
        except Exception:
            return False

    def post_start(self, ctx: Context) -> None:
        from psycopg import sql

        with self._connect(ctx, timeout=10) as conn:
            existing = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
            for db in DATABASES:
                if db not in existing:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))
        for db in VECTOR_DATABASES:
            with self._connect(ctx, dbname=db, timeout=10) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector")

    def stale_files(self, ctx: Context) -> list[Path]:
        """``postmaster.pid`` in the data directory and the Unix socket's lock file
        ``.s.PGSQL.<port>.lock``: a SIGKILLed postmaster leaves both, each naming its PID.
        PostgreSQL refuses to start while ``kill(PID, 0)`` succeeds, which it does for an
        unreaped zombie ("lock file ... already exists"; the hint says to remove the file when
        no server runs). Its shared memory needs nothing: the next postmaster removes a segment
        of its data directory that no process is attached to (PostgreSQL docs, "Starting the
        Database Server"; ``sysv_shmem.c``)."""
        return [self.pgdata(ctx) / "postmaster.pid", self.socket_dir(ctx) / f".s.PGSQL.{self.port(ctx)}.lock"]

    def after_stop(self, ctx: Context) -> None:
        sock = self.socket_dir(ctx)
        if sock.is_dir() and not any(sock.iterdir()):
            sock.rmdir()

    def topology(self, ctx: Context) -> Service:
        return Service(
            plane="infrastructure", engine="postgresql", version=PG_VERSION,
            endpoints=[Endpoint(protocol="postgresql", host=ctx.host, port=self.port(ctx))],
            credentials={"username": SUPERUSER, "password": ctx.credential_ref(self.name, "password")},
            storage={"durable": True, "extensions": "vector"},
        )

    def provenance(self, ctx: Context) -> str:
        where = "virtualenv" if _venv_pginstall() == self.pginstall(ctx) else "cache"
        rootless = " under `unshare --user` (PostgreSQL refuses uid 0)" if non_root_prefix() else ""
        return f"pgserver {PGSERVER_VERSION} wheel ({where}): PostgreSQL {PG_VERSION} + pgvector binaries{rootless}"


SPEC = Postgres()

