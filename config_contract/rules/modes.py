"""Mode rules of seed 000 §1.1, §3 and §7, the PROD Django settings (seed 000 §5.1, seed 001 §6)
and the port namespaces of seed 001 §1.
"""

from __future__ import annotations

from ..catalog import by_name
from ..context import Context, port_of_url
from ..grammar.hosts import is_local_host
from ..model import parse_bool
from .base import Rule


def _bool(ctx: Context, name: str, default: bool) -> bool | None:
    value = ctx.get(name)
    if value is None or value == "":
        return default
    try:
        return parse_bool(value)
    except ValueError:
        return None  # CONTRACT-VALUE reports it


class ClusterPairingRule(Rule):
    id = "MODE-CLUSTER-PAIRING"
    name = "brain-memory-pairing"
    source = "seed 000 §1.1, §3.2, §7"
    description = ("SomaStackClusterMode needs SomaBrain+SomaFractalMemory paired: in-process with the SaaS bridge, "
                   "or both HTTP URLs plus SOMA_MEMORY_API_TOKEN without it; MEMORY_ENABLED must stay true.")

    def check(self, ctx):
        if not ctx.cluster or "agent" not in ctx.services:
            return
        if _bool(ctx, "MEMORY_ENABLED", True) is False:
            yield ctx.finding(self, "MEMORY_ENABLED", "MEMORY_ENABLED=false in SomaStackClusterMode: Brain+Memory "
                              "pairing is mandatory (seed 000 §7)")
        if ctx.dimensions.saas_bridge:
            for name in ("SOMABRAIN_API_URL", "SOMAMEMORY_API_URL"):
                if ctx.is_set(name):
                    yield ctx.finding(self, ctx.used.get(name, name), f"{ctx.used.get(name, name)} is set but "
                                      "SOMA_SAAS_MODE=true imports SomaBrain/SomaFractalMemory in-process; the URL is "
                                      "unused (seed 000 §1.1)", severity="warning")
            return
        for name in ("SOMABRAIN_API_URL", "SOMAMEMORY_API_URL"):
            if not ctx.is_set(name) and not ctx.prod:  # in PROD VIBE-91 reports the missing URL
                yield ctx.finding(self, name, f"{name} not set: SomaStackClusterMode without the SaaS bridge calls "
                                  f"SomaBrain and SomaFractalMemory over HTTP; the pairing must be explicit, not the "
                                  f"default {by_name()[name].default} (seed 000 §1.1, §7)")
        if not ctx.is_set("SOMA_MEMORY_API_TOKEN"):
            yield ctx.finding(self, "SOMA_MEMORY_API_TOKEN", "SOMA_MEMORY_API_TOKEN not set: SomaStackClusterMode with "
                              "SOMA_SAAS_MODE=false requires it for SomaFractalMemory auth (seed 000 §1.1)")


class ClusterAuthRule(Rule):
    id = "MODE-CLUSTER-AUTH"
    name = "cluster-shared-auth"
    source = "seed 000 §3.2, §7"
    description = ("SomaStackClusterMode uses shared OIDC auth (SFM_AUTH_MODE=oidc, Keycloak and SpiceDB configured "
                   "explicitly) and fails closed (no warn/fail-open policy enforcement).")

    def check(self, ctx):
        if not ctx.cluster:
            return
        if "memory" in ctx.services and ctx.get("SFM_AUTH_MODE") != "oidc":
            got = ctx.get("SFM_AUTH_MODE")
            got = got if got in by_name()["SFM_AUTH_MODE"].allowed else ("an invalid value" if got else None)
            yield ctx.finding(self, "SFM_AUTH_MODE", f"SFM_AUTH_MODE is {got} in SomaStackClusterMode: shared tenant "
                              "identity needs oidc (seed 000 §3.2, §5.3)" if got else "SFM_AUTH_MODE not set: "
                              "SomaStackClusterMode needs oidc (seed 000 §3.2, §5.3)")
        if "agent" in ctx.services:
            for name in ("KEYCLOAK_URL", "SPICEDB_URL"):  # SPICEDB_API_KEY: CONTRACT-REQUIRED
                if not ctx.is_set(name) and not ctx.prod:  # in PROD: VIBE-91
                    yield ctx.finding(self, name, f"{name} not set: SomaStackClusterMode fails closed and needs the "
                                      "shared Keycloak/SpiceDB configured explicitly (seed 000 §3.2, §7)")
            if ctx.get("SOMA_POLICY_ENFORCEMENT") == "warn":
                yield ctx.finding(self, "SOMA_POLICY_ENFORCEMENT", "SOMA_POLICY_ENFORCEMENT=warn fails open: "
                                  "SomaStackClusterMode must fail closed (seed 000 §7)")


class StandAloneRule(Rule):
    id = "MODE-STANDALONE"
    name = "standalone-independence"
    severity = "warning"
    source = "seed 000 §3.1, §7"
    description = ("StandAlone must not depend on the other services for auth or memory: cross-service URLs and "
                   "tokens are unused there.")

    def check(self, ctx):
        if ctx.cluster:
            return
        if "agent" in ctx.services:
            for name in ("SOMABRAIN_API_URL", "SOMAMEMORY_API_URL", "SOMA_MEMORY_API_TOKEN"):
                if ctx.is_set(name):
                    used = ctx.used.get(name, name)
                    yield ctx.finding(self, used, f"{used} is set in StandAlone: a StandAlone service must not depend "
                                      "on SomaBrain/SomaFractalMemory (seed 000 §3.1, §7)", at=used)
        if "memory" in ctx.services and ctx.get("SFM_AUTH_MODE") == "oidc":
            yield ctx.finding(self, "SFM_AUTH_MODE", "SFM_AUTH_MODE=oidc in StandAlone: StandAlone uses its own auth "
                              "(api_token), not the shared OIDC (seed 000 §3.1, §5.3)")


class SaasBridgeRule(Rule):
    id = "MODE-SAAS-BRIDGE"
    name = "saas-bridge-cluster-only"
    source = "seed 000 §1, §1.1, §3"
    description = "SOMA_SAAS_MODE=true (in-process Brain+Memory) is only valid in SomaStackClusterMode."

    def check(self, ctx):
        if ctx.dimensions.saas_bridge and not ctx.cluster:
            used = ctx.used.get("SOMA_SAAS_MODE", "SOMA_SAAS_MODE")
            yield ctx.finding(self, used, f"{used}=true in StandAlone: the SaaS bridge imports SomaBrain and "
                              "SomaFractalMemory in-process and is only valid in SomaStackClusterMode (seed 000 §1.1, §3)",
                              at=used)


class SfmTokenRule(Rule):
    id = "MODE-SFM-TOKEN"
    name = "sfm-api-token"
    source = "seed 000 §5.3"
    description = "SFM_AUTH_MODE=api_token needs SOMA_API_TOKEN."

    def check(self, ctx):
        if "memory" in ctx.services and ctx.get("SFM_AUTH_MODE") == "api_token" and not ctx.is_set("SOMA_API_TOKEN"):
            yield ctx.finding(self, "SOMA_API_TOKEN", "SOMA_API_TOKEN not set: SFM_AUTH_MODE=api_token needs it "
                              "(seed 000 §5.3)")


def _admits_this_machine(entry: str) -> bool:
    """An ``ALLOWED_HOSTS`` entry (Django's setting; a leading ``.`` also admits every subdomain)
    that lets requests for this machine in: ``*``, or a host that the host grammar calls
    loopback or unspecified (``localhost``, ``.localhost``, ``127.0.0.1``, ``[::1]``, ``0.0.0.0``, …;
    :func:`somastack_deploy.config_contract.grammar.hosts.is_local_host`)."""
    return entry == "*" or is_local_host(entry[1:] if entry.startswith(".") else entry)


class ProdDjangoRule(Rule):
    id = "PROD-DJANGO"
    name = "prod-django-settings"
    source = "seed 000 §5.1; seed 001 §6 (Security Checklist)"
    description = "PROD needs DEBUG=false and ALLOWED_HOSTS without localhost, loopback addresses or '*'."

    def check(self, ctx):
        if not ctx.prod or "agent" not in ctx.services:
            return
        if ctx.is_set("DEBUG") and _bool(ctx, "DEBUG", False) is True:
            yield ctx.finding(self, "DEBUG", "DEBUG is true in PROD: must be false (seed 001 §6, seed 000 §5.1)")
        if ctx.get("ALLOWED_HOSTS") is not None:
            hosts = [h.strip().lower() for h in ctx.get("ALLOWED_HOSTS").split(",")]
            bad = [h for h in hosts if _admits_this_machine(h)]
            if bad:
                yield ctx.finding(self, "ALLOWED_HOSTS", f"ALLOWED_HOSTS contains {bad[0]} in PROD: limit it to your "
                                  "domains (seed 001 §6)")
            elif not any(hosts):
                yield ctx.finding(self, "ALLOWED_HOSTS", "ALLOWED_HOSTS is empty in PROD (seed 001 §6)")


class PortNamespaceRule(Rule):
    id = "PORT-NAMESPACE"
    name = "port-namespace"
    source = "seed 001 §1, §1.1"
    description = ("Ports stay in their seed 001 namespace: SomaAgent01 20020-20199 (Keycloak 20880 per §1.1), "
                   "SomaBrain 30000-30199, SomaFractalMemory 10101 (10000-10199); URLs on 80/443 are allowed "
                   "(load balancer).")

    #: Fixed ports of seed 001 §1.1 that sit outside the 20020-20199 range.
    EXCEPTIONS = {"KEYCLOAK_URL": (20880,)}

    def check(self, ctx):
        cat = by_name()
        for name in sorted(ctx.values):
            var = cat[name]
            value = ctx.values[name]
            used = ctx.used.get(name, name)
            if var.type == "port" and name == "SOMA_API_PORT":
                yield from self._soma_api_port(ctx, used, value)
                continue
            if var.port_range is None or not ctx.active(var):
                continue
            low, high = var.port_range
            if var.type == "port":
                port = int(value) if value.isdigit() else None
            else:
                port = port_of_url(value)
                if port in (80, 443) or port in self.EXCEPTIONS.get(name, ()):
                    continue
            if port is not None and not low <= port <= high:
                yield ctx.finding(self, used, f"{used} uses port {port}, outside the {low}-{high} namespace of "
                                  f"{_owner(var.port_range)} (seed 001 §1)", at=used)

    def _soma_api_port(self, ctx, used, value):
        if not value.isdigit():
            return
        port = int(value)
        readers = {"brain", "memory"} & ctx.services
        if readers == {"brain", "memory"}:
            yield ctx.finding(self, used, "SOMA_API_PORT is read by SomaBrain (default 30101) and SomaFractalMemory "
                              "(default 10101): set it in each service's own env, or use SOMABRAIN_PORT (seed 000 "
                              "§5.2, §5.3)", severity="warning", at=used)
            return
        from ..catalog import BRAIN_PORTS, MEMORY_PORTS

        for svc, (low, high) in (("brain", BRAIN_PORTS), ("memory", MEMORY_PORTS)):
            if svc in readers and not low <= port <= high:
                yield ctx.finding(self, used, f"SOMA_API_PORT={port} is outside the {low}-{high} namespace of "
                                  f"{_owner((low, high))} (seed 001 §1)", at=used)


def _owner(rng) -> str:
    from ..catalog import AGENT_PORTS, BRAIN_PORTS

    return {AGENT_PORTS: "SomaAgent01", BRAIN_PORTS: "SomaBrain"}.get(tuple(rng), "SomaFractalMemory")


RULES = (ClusterPairingRule, ClusterAuthRule, StandAloneRule, SaasBridgeRule, SfmTokenRule, ProdDjangoRule,
         PortNamespaceRule)
