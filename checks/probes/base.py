"""The probe registry, the context a probe runs in, and the failure it raises.

A probe is a function ``probe(ctx: ProbeContext) -> str`` registered with
:func:`register` under a stable id (Checkov-style: the registry is keyed by service, a check's
id never changes). It returns a short detail line on success (e.g. ``"PostgreSQL 16.4"``) and
raises :class:`ProbeFailure` (or any client exception, classified by
:func:`somastack_deploy.checks.probes.classify.classify`) on failure.

Registration happens when a probe module is imported; the modules are imported lazily by
:func:`probes_for` (``_MODULES``), so importing this package has no side effect and never
connects anywhere.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass, field
from typing import Callable

from somastack_deploy.config_contract.topology import Endpoint, Service, Topology

# Reason categories (the first word(s) of every one-line reason).
REFUSED = "refused"
TIMED_OUT = "timed out"
AUTH = "auth rejected"
WRONG_VERSION = "wrong version"
WRONG_MODE = "wrong mode"
UNHEALTHY = "unhealthy"
NO_PERSISTENCE = "no durable storage"
MISSING = "missing"
BAD_INPUT = "bad input"
UNRESOLVED = "unresolvable host"
PROTOCOL = "protocol error"
DATA = "data mismatch"
ERROR = "error"

CATEGORIES = (REFUSED, TIMED_OUT, AUTH, WRONG_VERSION, WRONG_MODE, UNHEALTHY, NO_PERSISTENCE,
              MISSING, BAD_INPUT, UNRESOLVED, PROTOCOL, DATA, ERROR)


class ProbeFailure(Exception):
    """A probe's verdict that the service is unhealthy.

    ``category`` is one of :data:`CATEGORIES`; ``detail`` is a short text free of secret
    values (the runner also scrubs every resolved secret from it).
    """

    def __init__(self, category: str, detail: str = ""):
        self.category, self.detail = category, detail
        super().__init__(f"{category}: {detail}" if detail else category)


@dataclass(frozen=True)
class ProbeSpec:
    """A registered probe: stable ``id`` (e.g. ``probe.postgres.sql``), ``service`` (a topology
    service key), ``name`` (short human title), ``func`` and ``source`` (the seed section or
    upstream doc the check comes from)."""

    id: str
    service: str
    name: str
    func: Callable[["ProbeContext"], str]
    source: str = ""
    #: Only run when the service has an endpoint with one of these protocols (empty: always).
    protocols: tuple[str, ...] = ()
    #: Client modules the probe uses; the runner imports them before timing (import time is
    #: not the service's latency).
    imports: tuple[str, ...] = ()


REGISTRY: dict[str, list[ProbeSpec]] = {}

#: Which module registers the probes of each service (imported on first use).
_MODULES: dict[str, str] = {
    "postgres": "somastack_deploy.checks.probes.postgres",
    "redis": "somastack_deploy.checks.probes.redis",
    "kafka": "somastack_deploy.checks.probes.kafka",
    "milvus": "somastack_deploy.checks.probes.milvus",
    "keycloak": "somastack_deploy.checks.probes.keycloak",
    "spicedb": "somastack_deploy.checks.probes.spicedb",
    "opa": "somastack_deploy.checks.probes.opa",
    "vault": "somastack_deploy.checks.probes.vault",
    "agent": "somastack_deploy.checks.probes.gateway",
    "brain": "somastack_deploy.checks.probes.gateway",
    "memory": "somastack_deploy.checks.probes.gateway",
}
#: Probes that apply to any service with a matching endpoint protocol (ALB target groups).
_ANY_SERVICE_MODULES: tuple[str, ...] = ("somastack_deploy.checks.probes.alb",)
ANY = "*"


def register(id: str, service: str, name: str, *, source: str = "", protocols: tuple[str, ...] = (),
             imports: tuple[str, ...] = ()):
    """Decorator: register ``func`` as probe ``id`` of ``service`` (``"*"``: any service having
    an endpoint with one of ``protocols``). Raises ``ValueError`` on a duplicate id."""

    def deco(func):
        for specs in REGISTRY.values():
            if any(s.id == id for s in specs):
                raise ValueError(f"duplicate probe id {id}")
        REGISTRY.setdefault(service, []).append(ProbeSpec(id, service, name, func, source, protocols, imports))
        return func

    return deco


def probes_for(service_key: str, service: Service | None) -> list[ProbeSpec]:
    """The probes that apply to ``service_key`` (importing its module on first use), plus the
    any-service probes whose protocol the service has. Order is stable (registration order)."""
    module = _MODULES.get(service_key)
    if module:
        importlib.import_module(module)
    for m in _ANY_SERVICE_MODULES:
        importlib.import_module(m)
    specs = [s for s in REGISTRY.get(service_key, [])]
    if service is not None:
        protos = {e.protocol for e in service.endpoints}
        specs = [s for s in specs if not s.protocols or protos & set(s.protocols)]
        specs += [s for s in REGISTRY.get(ANY, []) if protos & set(s.protocols)]
    return specs


def all_probes() -> list[ProbeSpec]:
    """Every registered probe (imports every probe module)."""
    for m in sorted(set(_MODULES.values()) | set(_ANY_SERVICE_MODULES)):
        importlib.import_module(m)
    return [s for specs in REGISTRY.values() for s in specs]


@dataclass
class ProbeContext:
    """What a probe gets: the service's topology entry, the whole topology (for dimensions),
    the per-probe ``timeout_s`` (seconds) and a secret resolver.

    Secrets are resolved in memory by :meth:`secret`; every resolved value is remembered in
    ``secrets`` so the runner can scrub it from any reason text.
    """

    service_key: str
    service: Service
    topology: Topology
    timeout_s: float
    resolver: Callable[[str], str] | None = None
    secrets: set[str] = field(default_factory=set)

    @property
    def prod(self) -> bool:
        """True when the stack's environment dimension is PROD (seed 000 §1)."""
        return self.topology.dimensions.environment == "PROD"

    @property
    def connect_timeout_s(self) -> int:
        """Whole seconds for clients that only take integers (at least 1)."""
        return max(1, math.ceil(self.timeout_s))

    def endpoint(self, *protocols: str) -> Endpoint:
        """The first endpoint whose protocol is one of ``protocols`` (any endpoint if none
        given). Raises :class:`ProbeFailure` (bad input) when there is none."""
        for e in self.service.endpoints:
            if not protocols or e.protocol in protocols:
                return e
        raise ProbeFailure(BAD_INPUT, f"{self.service_key} has no endpoint with protocol {'/'.join(protocols)}")

    def base_url(self, *protocols: str) -> str:
        """``http(s)://host:port`` (or the endpoint's ``url`` without a trailing slash)."""
        e = self.endpoint(*protocols)
        if e.url:
            return e.url.rstrip("/")
        scheme = "https" if e.tls or e.protocol == "https" else "http"
        return f"{scheme}://{e.host}:{e.port}"

    def ident(self, key: str, default: str | None = None) -> str | None:
        """A non-secret identifier from the credentials (username, realm, client_id…) or the
        service's ``storage`` map."""
        value = self.service.credentials.get(key)
        if value is None:
            value = self.service.storage.get(key)
        return default if value is None else str(value)

    def secret(self, key: str) -> str | None:
        """Resolve the credential reference ``key`` in memory; ``None`` when the topology gives
        no such credential. Raises :class:`ProbeFailure` (bad input) when the reference cannot
        be resolved; the message names the key, never a value."""
        ref = self.service.credentials.get(key)
        if ref is None:
            return None
        from somastack_deploy.config_contract.references import resolve

        try:
            value = (self.resolver or resolve)(ref)
        except Exception as err:  # noqa: BLE001 - the resolver's errors name no value
            raise ProbeFailure(BAD_INPUT, f"credential {key} of {self.service_key}: {err}") from None
        if value:
            self.secrets.add(value)
        return value
