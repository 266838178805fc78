"""OPA probe: ``GET /health`` is 200 and a decision query on a loaded policy answers.

The decision path is ``storage.decision`` from the topology (e.g. ``somastack/authz/allow``)
or, failing that, the package of the first loaded policy (``GET /v1/policies``). A query
that OPA answers (even with an undefined result) proves the policy engine evaluates.
Source: OPA REST API (``/health``, ``/v1/policies``, ``POST /v1/data/{path}``); seed 001 §1.1
(OPA on 20181). Credentials: ``token`` (reference; OPA ``--authentication=token``).
"""

from __future__ import annotations

import re

from .base import MISSING, UNHEALTHY, ProbeContext, ProbeFailure, register

_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)", re.M)


def http(ctx: ProbeContext):
    """An ``httpx.Client`` on the OPA base URL with the bearer token when given."""
    import httpx

    token = ctx.secret("token")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=ctx.base_url("http", "https"), headers=headers, timeout=ctx.timeout_s)


def loaded_packages(c) -> dict[str, str]:
    """``{policy id: package}`` of every policy OPA has loaded."""
    r = c.get("/v1/policies")
    r.raise_for_status()
    out = {}
    for pol in r.json().get("result", []):
        m = _PACKAGE.search(pol.get("raw", ""))
        if m:
            out[pol["id"]] = m.group(1)
    return out


@register("probe.opa.decision", "opa", "OPA health and a decision query",
          source="OPA REST API; seed 001 §1.1", imports=("httpx",))
def probe_opa(ctx: ProbeContext) -> str:
    with http(ctx) as c:
        r = c.get("/health")
        if r.status_code in (401, 403):
            r.raise_for_status()
        if r.status_code != 200:
            raise ProbeFailure(UNHEALTHY, f"/health answered HTTP {r.status_code}")
        path = ctx.ident("decision")
        if not path:
            pkgs = loaded_packages(c)
            if not pkgs:
                raise ProbeFailure(MISSING, "no policy loaded")
            path = sorted(pkgs.values())[0].replace(".", "/")
        r = c.post(f"/v1/data/{path.strip('/')}", json={"input": {"probe": True}})
        r.raise_for_status()
        body = r.json()
    verdict = "defined" if "result" in body else "undefined"
    return f"decision {path}: {verdict}"
