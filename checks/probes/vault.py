"""Vault / OpenBao probe: ``sys/health`` says initialized and unsealed; the token (when
given) is accepted by ``auth/token/lookup-self``.

Source: Vault/OpenBao HTTP API ``GET /v1/sys/health`` (200 active, 429 standby, 472/473
performance/DR standby, 501 not initialized, 503 sealed); seed 002 §3.1 (Vault mandatory).
Credentials: ``token`` (reference).
"""

from __future__ import annotations

from .base import UNHEALTHY, ProbeContext, ProbeFailure, register


def client(ctx: ProbeContext):
    """An ``hvac.Client`` for the service (timeout in seconds, TLS verification on)."""
    import hvac

    return hvac.Client(url=ctx.base_url("http", "https"), token=ctx.secret("token"), timeout=ctx.timeout_s)


@register("probe.vault.health", "vault", "Vault/OpenBao sys/health initialized+unsealed",
          source="Vault API sys/health; seed 002 §3.1", imports=("hvac",))
def probe_vault(ctx: ProbeContext) -> str:
    c = client(ctx)
    # standbyok/sealedcode etc. keep the answer a 200 JSON in every state we classify.
    health = c.sys.read_health_status(method="GET", standby_ok=True, standby_code=200,
                                      performance_standby_code=200, sealed_code=200, uninit_code=200)
    if not isinstance(health, dict):
        health = health.json()
    if not health.get("initialized"):
        raise ProbeFailure(UNHEALTHY, "not initialized")
    if health.get("sealed"):
        raise ProbeFailure(UNHEALTHY, "sealed")
    if ctx.service.credentials.get("token"):
        c.auth.token.lookup_self()  # hvac.exceptions.Forbidden → auth rejected
    return f"{health.get('version', '?')} initialized, unsealed" + (", standby" if health.get("standby") else "")
