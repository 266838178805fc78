"""Keycloak probe: the realm's OIDC discovery document, then a client-credentials token.

The realm URL is the endpoint ``url`` when it contains ``/realms/`` (e.g.
``https://auth.example/realms/somastack``), else ``<base>/realms/<realm>`` with ``realm``
from the credentials (default ``somastack``). With ``client_id`` and a ``client_secret``
reference, the token endpoint must issue an access token (HTTP 401 → auth rejected).
Source: OpenID Connect Discovery 1.0 §4; RFC 6749 §4.4; seed 001 §1.1 (Keycloak 20880).
"""

from __future__ import annotations

from .base import PROTOCOL, ProbeContext, ProbeFailure, register


def realm_url(ctx: ProbeContext) -> str:
    """The realm's base URL (no trailing slash)."""
    base = ctx.base_url("http", "https", "oidc")
    if "/realms/" in base:
        return base
    return f"{base}/realms/{ctx.ident('realm', 'somastack')}"


def token(ctx: ProbeContext, c, discovery: dict) -> str | None:
    """Fetch a client-credentials access token, or ``None`` when no client credentials are
    given. Raises httpx errors (401 → auth rejected)."""
    client_id, secret = ctx.ident("client_id"), ctx.secret("client_secret")
    if not (client_id and secret):
        return None
    r = c.post(discovery["token_endpoint"], data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    if r.status_code in (400, 401) and "invalid_client" in r.text or r.status_code == 401:
        raise ProbeFailure("auth rejected", f"token endpoint refused client {client_id} (HTTP {r.status_code})")
    r.raise_for_status()
    access = r.json().get("access_token")
    if not access:
        raise ProbeFailure(PROTOCOL, "token endpoint answered without access_token")
    return access


@register("probe.keycloak.oidc", "keycloak", "Keycloak realm discovery and client-credentials token",
          source="OIDC Discovery 1.0; RFC 6749 §4.4; seed 001 §1.1", imports=("httpx",))
def probe_keycloak(ctx: ProbeContext) -> str:
    import httpx

    url = realm_url(ctx)
    with httpx.Client(timeout=ctx.timeout_s) as c:
        r = c.get(f"{url}/.well-known/openid-configuration")
        if r.status_code == 404:
            raise ProbeFailure("missing", f"realm not found at {url}")
        r.raise_for_status()
        doc = r.json()
        for key in ("issuer", "token_endpoint", "jwks_uri"):
            if key not in doc:
                raise ProbeFailure(PROTOCOL, f"discovery document has no {key}")
        got = token(ctx, c, doc)
    return f"realm {url.rsplit('/', 1)[-1]}: discovery ok" + (", client token issued" if got else "")
