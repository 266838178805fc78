"""PostgreSQL probe: connect with psycopg, ``SELECT 1``, server version ≥ 16 in PROD.

Source: seed 001 (header "PostgreSQL 16", port 5432); seed 000 §4 (PROD fails fast).
Credentials: ``username``/``user`` (identifier), ``password`` (reference), ``database``.
"""

from __future__ import annotations

from .base import WRONG_VERSION, ProbeContext, ProbeFailure, register

MIN_PROD_VERSION = 160000  # server_version_num of PostgreSQL 16.0


def connect(ctx: ProbeContext, **kwargs):
    """Open a psycopg connection to the service (autocommit). Raises psycopg errors."""
    import psycopg

    e = ctx.endpoint("postgresql", "postgres", "tcp")
    params = dict(host=e.host, port=e.port, user=ctx.ident("username") or ctx.ident("user", "postgres"),
                  dbname=ctx.ident("database", "postgres"), connect_timeout=ctx.connect_timeout_s,
                  sslmode="require" if e.tls else "prefer", autocommit=True, application_name="somastack-probe")
    if e.url:
        params = dict(conninfo=e.url, connect_timeout=ctx.connect_timeout_s, autocommit=True)
    password = ctx.secret("password")
    if password is not None:
        params["password"] = password
    params.update(kwargs)
    conn = psycopg.connect(**params)
    conn.execute(f"SET statement_timeout = {int(ctx.timeout_s * 1000)}")
    return conn


@register("probe.postgres.sql", "postgres", "PostgreSQL connect, SELECT 1, version",
          source="seed 001 header (PostgreSQL 16); psycopg 3 docs", imports=("psycopg",))
def probe_postgres(ctx: ProbeContext) -> str:
    with connect(ctx) as conn:
        one = conn.execute("SELECT 1").fetchone()
        if not one or one[0] != 1:
            raise ProbeFailure("protocol error", "SELECT 1 did not return 1")
        version = conn.info.server_version  # e.g. 160004
    text = f"PostgreSQL {version // 10000}.{version % 10000}"
    if ctx.prod and version < MIN_PROD_VERSION:
        raise ProbeFailure(WRONG_VERSION, f"{text} < 16 (PROD needs 16+)")
    return text
