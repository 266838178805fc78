"""Redis probe: PING, server version ≥ 7, replication role, persistence (AOF or RDB) on;
for a Redis Cluster also ``CLUSTER INFO`` ``cluster_state:ok`` with every hash slot assigned.

Source: seed 001 header ("Redis 7", port 6379), §3.2 ("ElastiCache Redis (cluster mode)");
issues 5 and 12; Redis "Cluster specification" (``CLUSTER INFO``). Persistence off fails the
probe in PROD and passes with a note in DEV (a cache without persistence is a legal DEV choice).
Credentials: ``username`` (optional ACL user), ``password`` (reference).

When the topology entry has ``cluster`` (:class:`somastack_deploy.config_contract.topology.Cluster`)
:func:`client` returns redis-py's ``RedisCluster`` (slot map from the endpoint, ``MOVED``/``ASK``
followed), so the probe, the resiliency ledger and the drift check speak the cluster protocol;
persistence is then read from every primary.
"""

from __future__ import annotations

from .base import NO_PERSISTENCE, WRONG_VERSION, ProbeContext, ProbeFailure, register

MIN_VERSION = (7, 0)


#: Hash slots of a Redis Cluster (Redis cluster specification).
CLUSTER_SLOTS = 16384


def is_cluster(ctx: ProbeContext) -> bool:
    """True when the topology says the service is a Redis Cluster."""
    return ctx.service.cluster is not None


def client(ctx: ProbeContext, *, cluster: bool | None = None, **kwargs):
    """A client with socket timeouts set to the probe timeout (seconds), no retries:
    ``redis.cluster.RedisCluster`` when ``cluster`` (default: the topology says cluster,
    :func:`is_cluster`), else ``redis.Redis`` on the first endpoint (one node). Both have
    ``close()``."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    kwargs.setdefault("retry", Retry(NoBackoff(), 0))
    e = ctx.endpoint("redis", "rediss", "tcp")
    if is_cluster(ctx) if cluster is None else cluster:
        from redis.cluster import RedisCluster

        if e.url:
            return RedisCluster.from_url(e.url, password=ctx.secret("password"), socket_timeout=ctx.timeout_s,
                                         socket_connect_timeout=ctx.timeout_s, **kwargs)
        from redis.cluster import ClusterNode

        # Every listed node is a startup node: the client still finds the slot map when one is down.
        nodes = [ClusterNode(ep.host, ep.port) for ep in ctx.service.endpoints
                 if ep.protocol == e.protocol and ep.host and ep.port]
        return RedisCluster(startup_nodes=nodes, username=ctx.ident("username"), password=ctx.secret("password"),
                            ssl=e.tls, socket_timeout=ctx.timeout_s, socket_connect_timeout=ctx.timeout_s, **kwargs)
    if e.url:
        return redis.Redis.from_url(e.url, password=ctx.secret("password"), socket_timeout=ctx.timeout_s,
                                    socket_connect_timeout=ctx.timeout_s, **kwargs)
    return redis.Redis(host=e.host, port=e.port, username=ctx.ident("username"), password=ctx.secret("password"),
                       ssl=e.tls, socket_timeout=ctx.timeout_s, socket_connect_timeout=ctx.timeout_s,
                       **kwargs)


def primaries(r) -> list:
    """Plain ``redis.Redis`` clients of every primary of a ``RedisCluster`` (``[r]`` for a
    plain client)."""
    if not hasattr(r, "get_primaries"):
        return [r]
    return [r.get_redis_connection(node) for node in sorted(r.get_primaries(), key=lambda n: n.name)]


def persistence(r) -> dict:
    """``{"aof": bool, "rdb": bool, "save": str|None}`` from ``INFO persistence`` and, where
    allowed (not on ElastiCache), ``CONFIG GET save``. For a cluster client: on only when on
    for every primary."""
    nodes = primaries(r)
    if len(nodes) > 1 or nodes[0] is not r:
        each = [persistence(n) for n in nodes]
        return {"aof": all(p["aof"] for p in each), "rdb": all(p["rdb"] for p in each), "save": each[0]["save"]}
    info = r.info("persistence")
    aof = bool(int(info.get("aof_enabled", 0)))
    save = None
    try:
        save = r.config_get("save").get("save")
    except Exception:  # noqa: BLE001 - CONFIG is disabled on managed Redis
        pass
    return {"aof": aof, "rdb": bool(save and save.strip()), "save": save}


@register("probe.redis.ping", "redis", "Redis PING, version, role, persistence",
          source="seed 001 header (Redis 7); redis INFO docs", imports=("redis",))
def probe_redis(ctx: ProbeContext) -> str:
    r = client(ctx)
    try:
        if not r.ping():
            raise ProbeFailure("protocol error", "PING did not answer PONG")
        server = r.info("server")
        version = str(server.get("redis_version", "0"))
        parts = tuple(int(p) for p in version.split(".")[:2] if p.isdigit())
        if parts < MIN_VERSION:
            raise ProbeFailure(WRONG_VERSION, f"Redis {version} < 7")
        if is_cluster(ctx):
            role = cluster_state(r)
        else:
            role = "role " + str(r.info("replication").get("role", "?"))
        p = persistence(r)
    finally:
        r.close()
    store = "+".join(k.upper() for k in ("aof", "rdb") if p[k]) or "none"
    text = f"Redis {version}, {role}, persistence {store}"
    if store == "none":
        if ctx.prod:
            raise ProbeFailure(NO_PERSISTENCE, "AOF and RDB are off (PROD)")
        text += " (no durable storage: data is lost on restart)"
    return text


def cluster_shape(r) -> dict:
    """``{"state", "slots_assigned", "shards", "replicas_per_shard"}`` of a ``RedisCluster``:
    ``CLUSTER INFO`` of one node, the primaries owning slots and the fewest replicas any of
    them has (``CLUSTER NODES``)."""
    info = r.cluster_info()
    nodes = r.cluster_nodes()  # {"host:port": {"flags", "master_id", "slots", ...}}
    masters = {v["node_id"]: 0 for v in nodes.values() if "master" in v["flags"] and v.get("slots")}
    for v in nodes.values():
        if "slave" in v["flags"] and v.get("master_id") in masters:
            masters[v["master_id"]] += 1
    return {"state": str(info.get("cluster_state")), "slots_assigned": int(info.get("cluster_slots_assigned", 0)),
            "shards": len(masters), "replicas_per_shard": min(masters.values()) if masters else 0}


def cluster_state(r) -> str:
    """A detail like ``"cluster ok: 3 shards x 0 replicas, 16384 slots"``; raises
    :class:`ProbeFailure` (unhealthy) when ``cluster_state`` is not ``ok`` or a slot is
    unassigned."""
    from .base import UNHEALTHY

    shape = cluster_shape(r)
    if shape["state"] != "ok":
        raise ProbeFailure(UNHEALTHY, f"CLUSTER INFO cluster_state:{shape['state']}")
    if shape["slots_assigned"] != CLUSTER_SLOTS:
        raise ProbeFailure(UNHEALTHY, f"{shape['slots_assigned']} of {CLUSTER_SLOTS} hash slots assigned")
    return (f"cluster ok: {shape['shards']} shards x {shape['replicas_per_shard']} replicas, "
            f"{shape['slots_assigned']} slots")
