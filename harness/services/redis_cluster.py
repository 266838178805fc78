"""Redis Cluster mode of the harness's Redis (option ``cluster``: three masters on loopback).

ElastiCache runs in cluster mode on the AWS targets (issue 12), so the clients' cluster path
(redis-py ``RedisCluster`` in the probe, the resiliency ledger and the drift check) is tested
against a real Redis Cluster: three ``redis-server`` processes with ``cluster-enabled yes``,
one process group (a ``/bin/sh`` that starts the three and ``wait``s), each owning a third of
the 16 384 hash slots, no replicas.

Ports (seed 001's 6379 + offset, then the next five): nodes on 6379/6380/6381 and their
cluster buses (``cluster-port``, Redis ≥ 7.0) on 6382/6383/6384 (+ offset); none of them
collides with another harness service at any offset that is a multiple of 1000. Data: one
directory per node under the service's data dir (``node-<i>/``: ``redis.conf`` mode 0600,
``nodes.conf``, AOF/RDB). The cluster is formed once (``CLUSTER ADDSLOTSRANGE`` on each node,
then ``CLUSTER MEET``); a restart keeps ``nodes.conf`` and re-forms it by itself.
Source: Redis "Scale with Redis Cluster" and "Cluster specification".
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

NODES = 3
#: Base ports of the nodes (seed 001's 6379 first) and of their cluster buses.
NODE_BASE_PORTS = (6379, 6380, 6381)
BUS_BASE_PORTS = (6382, 6383, 6384)
SLOTS = 16384


def slot_ranges(nodes: int = NODES) -> list[tuple[int, int]]:
    """Contiguous, inclusive slot ranges covering 0-16383, one per node."""
    step = SLOTS // nodes
    return [(i * step, SLOTS - 1 if i == nodes - 1 else (i + 1) * step - 1) for i in range(nodes)]


def node_ports(ctx) -> list[int]:
    """The nodes' client ports (offset applied)."""
    return [ctx.port(p) for p in NODE_BASE_PORTS]


def bus_ports(ctx) -> list[int]:
    """The nodes' cluster bus ports (offset applied)."""
    return [ctx.port(p) for p in BUS_BASE_PORTS]


def node_dir(data: Path, i: int) -> Path:
    p = data / f"node-{i}"
    p.mkdir(parents=True, exist_ok=True)
    return p


def write_configs(ctx, data: Path, base_lines: list[str], password: str) -> list[Path]:
    """Write one ``redis.conf`` (mode 0600) per node: ``base_lines`` (persistence, bind…) with
    the node's port, directory and cluster settings. Returns the paths."""
    paths = []
    for i, (port, bus) in enumerate(zip(node_ports(ctx), bus_ports(ctx))):
        d = node_dir(data, i)
        lines = [ln for ln in base_lines if not ln.startswith(("port ", "dir "))] + [
            f"port {port}", f"dir {d}", "cluster-enabled yes", "cluster-config-file nodes.conf",
            f"cluster-port {bus}", "cluster-node-timeout 5000", f"masterauth {password}",
            "cluster-require-full-coverage yes"]
        conf = d / "redis.conf"
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        os.chmod(conf, 0o600)
        paths.append(conf)
    return paths


def command(binary: str, configs: list[Path]) -> list[str]:
    """One foreground process group: ``/bin/sh -c 'redis-server n0 & … & wait'``."""
    starts = " & ".join(f"{shlex.quote(binary)} {shlex.quote(str(c))}" for c in configs)
    return ["/bin/sh", "-c", f"{starts} & wait"]


def _client(ctx, port: int, password: str):
    import redis

    return redis.Redis(host=ctx.host, port=port, password=password, socket_timeout=2, socket_connect_timeout=2)


def nodes_answer(ctx, password: str) -> bool:
    """Every node answers PING (the cluster may not be formed yet). Never raises."""
    return _every_node(ctx, password, lambda c: bool(c.ping()))


def cluster_ok(ctx, password: str) -> bool:
    """Every node answers and reports ``cluster_state:ok`` (all slots served). Never raises."""
    return _every_node(ctx, password, lambda c: c.cluster("INFO").get("cluster_state") == "ok")


def _every_node(ctx, password: str, check) -> bool:
    """True when ``check(client)`` is true on every node; False at the first node that fails it,
    cannot be reached or raises. Each client is closed after its check."""
    for port in node_ports(ctx):
        try:
            c = _client(ctx, port, password)
            try:
                if not check(c):
                    return False
            finally:
                c.close()
        except Exception:
            return False
    return True


def form(ctx, password: str) -> None:
    """Assign the slot ranges (only on a fresh cluster: no node has a slot) and introduce the
    nodes to each other (``CLUSTER MEET``; harmless when they already know each other)."""
    clients = [_client(ctx, port, password) for port in node_ports(ctx)]
    try:
        fresh = all(int(c.cluster("INFO").get("cluster_slots_assigned", 0)) == 0 for c in clients)
        if fresh:
            for c, (lo, hi) in zip(clients, slot_ranges()):
                c.execute_command("CLUSTER", "ADDSLOTSRANGE", lo, hi)
        # The bus port must be given: without it a node assumes client port + 10000.
        for port, bus in list(zip(node_ports(ctx), bus_ports(ctx)))[1:]:
            clients[0].execute_command("CLUSTER", "MEET", ctx.host, port, bus)
    finally:
        for c in clients:
            c.close()
