"""Redis 7 from Debian's ``redis-server`` package (bookworm: 7.0.x).

- Install: when ``redis-server`` is missing, ``apt-get update`` then
  ``apt-get install -y --no-install-recommends redis-server`` (root only). A temporary
  ``/usr/sbin/policy-rc.d`` (exit 101) keeps Debian's own service from starting on 6379 when
  the machine has none; a Debian service found running afterwards is stopped.
- Run: ``redis-server <data>/redis.conf`` (mode 0600: it holds ``requirepass``), bound to
  127.0.0.1 on seed 001 §1.1 port 6379 + offset, ``protected-mode yes``.
- Persistence (option ``persistence``): ``"aof"`` (default: ``appendonly yes``,
  ``appendfsync always`` so a SIGKILL loses no acknowledged write), ``"rdb"`` (snapshots on
  Redis' default schedule and at shutdown) or ``"none"``. The topology's ``storage`` reports
  ``{"aof": bool, "rdb": bool}``.
- Ready: ``PING`` with the password.
- Cluster mode (option ``cluster``: true): three masters on loopback forming a Redis Cluster
  (:mod:`somastack_deploy.harness.services.redis_cluster`); the topology entry then lists the
  three nodes and carries ``cluster: {shards: 3, replicas_per_shard: 0}``, ready =
  ``cluster_state:ok`` on every node.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from somastack_deploy.config_contract.topology import Cluster, Endpoint, Service

from ..base import Context, InstallError, ServiceSpec
from . import redis_cluster

PERSISTENCE_MODES = ("aof", "rdb", "none")
POLICY_RC = Path("/usr/sbin/policy-rc.d")


def _run(cmd: list[str], timeout: float) -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise InstallError(f"`{' '.join(cmd)}` timed out after {timeout:.0f} s") from None
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        raise InstallError(f"`{' '.join(cmd)}` failed (exit {proc.returncode}): {lines[-1] if lines else ''}")


class Redis(ServiceSpec):
    """Redis 7.0 (Debian bookworm ``redis-server``)."""

    name = "redis"
    base_ports = {"redis": 6379}
    start_timeout_s = 30.0
    stop_timeout_s = 15.0

    def binary(self) -> str | None:
        return shutil.which("redis-server") or (
            "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
        )

    def installed(self, ctx: Context) -> bool:
        return self.binary() is not None

    def install(self, ctx: Context) -> None:
        if os.geteuid() != 0:
            raise InstallError("redis-server is missing and installing it needs root: `apt-get install redis-server`")
        guard = not POLICY_RC.exists()
        if guard:
            POLICY_RC.write_text("#!/bin/sh\n# somastack-services: keep Debian services from starting\nexit 101\n")
            POLICY_RC.chmod(0o755)
        try:
            _run(["apt-get", "update", "-q"], 600)
            _run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "redis-server"], 900)
        finally:
            if guard:
                POLICY_RC.unlink(missing_ok=True)
        # A Debian service started anyway (no policy-rc.d honoured): stop and disable it.
        if Path("/run/redis/redis-server.pid").exists() and shutil.which("service"):
            subprocess.run(["service", "redis-server", "stop"], capture_output=True, timeout=60)
        if shutil.which("systemctl") and Path("/run/systemd/system").exists():
            subprocess.run(["systemctl", "disable", "--now", "redis-server"], capture_output=True, timeout=60)

    def persistence(self, ctx: Context) -> str:
        mode = str(ctx.service_options(self.name).get("persistence", "aof"))
        if mode not in PERSISTENCE_MODES:
            raise InstallError(f"redis option persistence={mode!r}: expected one of {', '.join(PERSISTENCE_MODES)}")
        return mode

    def port(self, ctx: Context) -> int:
        return ctx.port(self.base_ports["redis"])

    # -- cluster mode (option ``cluster``) --------------------------------------------------

    def cluster(self, ctx: Context) -> bool:
        """The ``cluster`` option (default false); InstallError when it is not a boolean."""
        value = ctx.service_options(self.name).get("cluster", False)
        if not isinstance(value, bool):
            raise InstallError(f"redis option cluster={value!r}: expected true or false")
        return value

    def ports(self, ctx: Context) -> dict[str, int]:
        if not self.cluster(ctx):
            return super().ports(ctx)
        return {f"node{i}": p for i, p in enumerate(redis_cluster.node_ports(ctx))}

    def loopback_ports(self, ctx: Context) -> list[int]:
        extra = redis_cluster.bus_ports(ctx) if self.cluster(ctx) else []
        return list(self.ports(ctx).values()) + extra

    def started(self, ctx: Context) -> bool:
        if not self.cluster(ctx):
            return self.ready(ctx)
        return redis_cluster.nodes_answer(ctx, ctx.credential(self.name, "password"))

    def post_start(self, ctx: Context) -> None:
        if self.cluster(ctx):
            redis_cluster.form(ctx, ctx.credential(self.name, "password"))

    def conf_path(self, ctx: Context) -> Path:
        return ctx.data_dir(self.name) / "redis.conf"

    def prepare(self, ctx: Context) -> None:
        mode = self.persistence(ctx)
        data = ctx.data_dir(self.name)
        lines = [
            f"bind {ctx.host}",
            f"port {self.port(ctx)}",
            "protected-mode yes",
            "daemonize no",
            'logfile ""',
            f"dir {data}",
            f"requirepass {ctx.credential(self.name, 'password')}",
            "appendonly " + ("yes" if mode == "aof" else "no"),
            "appendfsync always",
            "appenddirname appendonlydir",
            "save " + ('""' if mode == "none" else "3600 1 300 100 60 10000"),
            "dbfilename dump.rdb",
        ]
        if self.cluster(ctx):
            redis_cluster.write_configs(ctx, data, lines, ctx.credential(self.name, "password"))
            return
        conf = self.conf_path(ctx)
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write("\n".join(lines) + "\n")

    def command(self, ctx: Context) -> tuple[list[str], dict[str, str]]:
        if self.cluster(ctx):
            data = ctx.data_dir(self.name)
            confs = [redis_cluster.node_dir(data, i) / "redis.conf" for i in range(redis_cluster.NODES)]
            return redis_cluster.command(self.binary() or "redis-server", confs), {}
        return [self.binary() or "redis-server", str(self.conf_path(ctx))], {}

    def ready(self, ctx: Context) -> bool:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        if self.cluster(ctx):
            return redis_cluster.cluster_ok(ctx, ctx.credential(self.name, "password"))

        try:
            # No client-side retries (redis-py retries a refused connection 3 times with
            # backoff, ~3.5 s): the manager polls, and notices a server that exited at once.
            client = redis.Redis(host=ctx.host, port=self.port(ctx), password=ctx.credential(self.name, "password"),
                                 socket_timeout=2, socket_connect_timeout=2, retry=Retry(NoBackoff(), 0))
            try:
                return bool(client.ping())
            finally:
                client.close()
        except Exception:
            return False

    def version(self) -> str:
        try:
            out = subprocess.run([self.binary() or "redis-server", "--version"], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            return "7"
        m = re.search(r"v=(\d+\.\d+\.\d+)", out)
        return m.group(1) if m else "7"

    def topology(self, ctx: Context) -> Service:
        mode = self.persistence(ctx)
        cluster = self.cluster(ctx)
        ports = redis_cluster.node_ports(ctx) if cluster else [self.port(ctx)]
        return Service(
            plane="infrastructure", engine="redis", version=self.version(),
            endpoints=[Endpoint(protocol="redis", host=ctx.host, port=p) for p in ports],
            credentials={"password": ctx.credential_ref(self.name, "password")},
            storage={"aof": mode == "aof", "rdb": mode != "none"},
            cluster=Cluster(shards=redis_cluster.NODES, replicas_per_shard=0) if cluster else None,
        )

    def provenance(self, ctx: Context) -> str:
        shape = f", cluster of {redis_cluster.NODES} masters" if self.cluster(ctx) else ""
        return f"Debian redis-server {self.version()} ({self.binary()}), persistence={self.persistence(ctx)}{shape}"


SPEC = Redis()
