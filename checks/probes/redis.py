"""Redis probe: PING, server version ≥ 7, replication role, persistence (AOF or RDB) on.

Source: seed 001 header ("Redis 7", port 6379); issue 5. Persistence off fails the probe in
PROD and passes with a note in DEV (a cache without persistence is a legal DEV choice).
Credentials: ``username`` (optional ACL user), ``password`` (reference).
"""

from __future__ import annotations

from .base import NO_PERSISTENCE, WRONG_VERSION, ProbeContext, ProbeFailure, register

MIN_VERSION = (7, 0)


def client(ctx: ProbeContext, **kwargs):
    """A ``redis.Redis`` client with socket timeouts set to the probe timeout (seconds)."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    kwargs.setdefault("retry", Retry(NoBackoff(), 0))
    e = ctx.endpoint("redis", "rediss", "tcp")
    if e.url:
        return redis.Redis.from_url(e.url, password=ctx.secret("password"), socket_timeout=ctx.timeout_s,
                                    socket_connect_timeout=ctx.timeout_s, **kwargs)
    return redis.Redis(host=e.host, port=e.port, username=ctx.ident("username"), password=ctx.secret("password"),
                       ssl=e.tls, socket_timeout=ctx.timeout_s, socket_connect_timeout=ctx.timeout_s,
                       **kwargs)


def persistence(r) -> dict:
    """``{"aof": bool, "rdb": bool, "save": str|None}`` from ``INFO persistence`` and, where
    allowed (not on ElastiCache), ``CONFIG GET save``."""
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
        role = r.info("replication").get("role", "?")
        p = persistence(r)
    finally:
        r.close()
    store = "+".join(k.upper() for k in ("aof", "rdb") if p[k]) or "none"
    text = f"Redis {version}, role {role}, persistence {store}"
    if store == "none":
        if ctx.prod:
            raise ProbeFailure(NO_PERSISTENCE, "AOF and RDB are off (PROD)")
        text += " (no durable storage: data is lost on restart)"
    return text
