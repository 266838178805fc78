"""Application health probes: the SomaAgent01 gateway and the SomaBrain / SomaFractalMemory
HTTP APIs.

Gateway: ``GET <url><health_path>`` (default ``/api/v1/health``) must answer 2xx with JSON
``{"status": "healthy", "mode": M}`` where ``M`` is what the stack's software mode expects:
``STANDALONE`` for StandAlone, ``SAAS`` for SomaStackClusterMode (``AAAS`` accepted, the
older spelling). Source: seed 002 §5.1/§5.2 (expected bodies), seed 001 §5 and
design/seed-contradictions.md (the path comes from the topology).
"""

from __future__ import annotations

from .base import PROTOCOL, UNHEALTHY, WRONG_MODE, ProbeContext, ProbeFailure, register

EXPECTED_MODE = {"StandAlone": ("STANDALONE",), "SomaStackClusterMode": ("SAAS", "AAAS")}


def _get_json(ctx: ProbeContext, default_path: str):
    import httpx

    e = ctx.endpoint("http", "https")
    url = ctx.base_url("http", "https") + (e.health_path or default_path)
    with httpx.Client(timeout=ctx.timeout_s) as c:
        r = c.get(url)
    if r.status_code in (401, 403):
        r.raise_for_status()
    if r.status_code >= 300:
        raise ProbeFailure(UNHEALTHY, f"{url} answered HTTP {r.status_code}")
    try:
        return url, r.json()
    except ValueError:
        raise ProbeFailure(PROTOCOL, f"{url} did not answer JSON") from None


@register("probe.gateway.health", "agent", "Gateway /api/v1/health status and mode",
          source="seed 002 §5.1-5.2; seed 001 §5", imports=("httpx",))
def probe_gateway(ctx: ProbeContext) -> str:
    url, body = _get_json(ctx, "/api/v1/health")
    if not isinstance(body, dict):
        raise ProbeFailure(PROTOCOL, "health body is not a JSON object")
    status = body.get("status")
    if status != "healthy":
        raise ProbeFailure(UNHEALTHY, f"status {status!r}")
    expected = EXPECTED_MODE[ctx.topology.dimensions.software_mode]
    mode = str(body.get("mode", ""))
    if mode.upper() not in expected:
        raise ProbeFailure(WRONG_MODE, f"mode {mode!r}, expected {expected[0]} ({ctx.topology.dimensions.software_mode})")
    return f"healthy, mode {mode}"


def _http_health(ctx: ProbeContext) -> str:
    url, body = _get_json(ctx, "/health")
    status = body.get("status") if isinstance(body, dict) else None
    if status not in (None, "ok", "healthy", "up", "UP"):
        raise ProbeFailure(UNHEALTHY, f"status {status!r}")
    return f"{url}: {status or 'ok'}"


register("probe.brain.health", "brain", "SomaBrain HTTP health", source="seed 001 §1.1 (30101)", imports=("httpx",))(_http_health)
register("probe.memory.health", "memory", "SomaFractalMemory HTTP health", source="seed 001 §1.1 (10101)", imports=("httpx",))(_http_health)
