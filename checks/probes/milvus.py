"""Milvus probe: server version, then create / insert / search / drop a canary collection.

Source: pymilvus ``MilvusClient`` docs; seed 001 §2.5 (``MILVUS_PORT`` 19530). Credentials:
``token`` (reference, ``user:password`` or an API key) or ``username`` + ``password``.
"""

from __future__ import annotations

import uuid

from .base import DATA, ProbeContext, ProbeFailure, register
from .classify import tcp_precheck

DIM = 4


def client(ctx: ProbeContext):
    """A ``pymilvus.MilvusClient`` (gRPC) with the probe timeout (seconds)."""
    from pymilvus import MilvusClient

    e = ctx.endpoint("grpc", "milvus", "http", "https", "tcp")
    if e.host:
        tcp_precheck(e.host, e.port, ctx.timeout_s)
    uri = e.url or f"{'https' if e.tls else 'http'}://{e.host}:{e.port}"
    kwargs = {"uri": uri, "timeout": ctx.timeout_s}
    token = ctx.secret("token")
    if token:
        kwargs["token"] = token
    elif ctx.ident("username"):
        kwargs.update(user=ctx.ident("username"), password=ctx.secret("password") or "")
    return MilvusClient(**kwargs)


@register("probe.milvus.canary", "milvus", "Milvus version and canary collection round trip",
          source="pymilvus MilvusClient; seed 001 §2.5", imports=("pymilvus",))
def probe_milvus(ctx: ProbeContext) -> str:
    c = client(ctx)
    name = f"somastack_probe_{uuid.uuid4().hex[:8]}"
    try:
        version = c.get_server_version(timeout=ctx.timeout_s)
        c.create_collection(name, dimension=DIM, consistency_level="Strong", timeout=ctx.timeout_s)
        try:
            c.insert(name, [{"id": 7, "vector": [0.1, 0.2, 0.3, 0.4]}], timeout=ctx.timeout_s)
            hits = c.search(name, [[0.1, 0.2, 0.3, 0.4]], limit=1, timeout=ctx.timeout_s)
            if not hits or not hits[0] or hits[0][0].get("id") != 7:
                raise ProbeFailure(DATA, "canary vector not found by search")
        finally:
            c.drop_collection(name, timeout=ctx.timeout_s)
    finally:
        c.close()
    return f"Milvus {version}, canary collection round trip"
