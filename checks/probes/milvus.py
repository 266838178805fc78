"""Milvus probe: server version, then create / insert / search / drop a canary collection.

Source: pymilvus ``MilvusClient`` docs; seed 001 §2.5 (``MILVUS_PORT`` 19530). Credentials:
``token`` (reference, ``user:password`` or an API key) or ``username`` + ``password``.

pymilvus installs its own stderr handlers at import and logs warnings with full tracebacks
while a server restarts (``Connection recovery failed``…); :func:`quiet_pymilvus` (called by
:func:`client`) routes them, one line each, to the logger ``somastack_deploy.pymilvus``.
"""

from __future__ import annotations

import logging
import uuid

from .base import DATA, ProbeContext, ProbeFailure, register
from .classify import tcp_precheck

DIM = 4
#: Where pymilvus' records go (one line, no traceback); a NullHandler keeps Python's
#: last-resort handler from printing them when the application configures no logging.
PYMILVUS_LOGGER = logging.getLogger("somastack_deploy.pymilvus")
PYMILVUS_LOGGER.addHandler(logging.NullHandler())


class _OneLineRoute(logging.Handler):
    """Re-emits a pymilvus record on :data:`PYMILVUS_LOGGER` as its first message line,
    without ``exc_info``/``stack_info`` (so no handler can print a traceback)."""

    def emit(self, record: logging.LogRecord) -> None:
        if not PYMILVUS_LOGGER.isEnabledFor(record.levelno):
            return
        try:
            line = (record.getMessage().strip().splitlines() or [""])[0][:300]
        except Exception:  # noqa: BLE001 - a malformed library record must not raise here
            line = str(record.msg)[:300]
        PYMILVUS_LOGGER.handle(logging.LogRecord(PYMILVUS_LOGGER.name, record.levelno, record.pathname,
                                                 record.lineno, f"pymilvus: {line}", None, None))


def quiet_pymilvus() -> None:
    """Import pymilvus and route its logging (idempotent): its own stderr handlers (installed
    by ``pymilvus.settings`` at import on ``pymilvus``, ``pymilvus.milvus_client``,
    ``pymilvus.bulk_writer``) are removed, every ``pymilvus.*`` logger propagates to
    ``pymilvus``, which hands each record to :class:`_OneLineRoute` and stops there."""
    import pymilvus  # noqa: F401 - the import installs the handlers replaced here

    for name in [n for n in list(logging.root.manager.loggerDict) if n == "pymilvus" or n.startswith("pymilvus.")]:
        lg = logging.getLogger(name)
        for h in list(lg.handlers):
            if not isinstance(h, _OneLineRoute):
                lg.removeHandler(h)
        lg.propagate = True
    top = logging.getLogger("pymilvus")
    if not any(isinstance(h, _OneLineRoute) for h in top.handlers):
        top.addHandler(_OneLineRoute())
    top.propagate = False


def client(ctx: ProbeContext):
    """A ``pymilvus.MilvusClient`` (gRPC) with the probe timeout (seconds); pymilvus'
    logging routed by :func:`quiet_pymilvus`."""
    quiet_pymilvus()
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
