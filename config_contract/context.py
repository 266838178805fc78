"""The evaluation context: one normalised view of a configuration that every rule reads.

Built once by :func:`build_context` from a raw env dict (+ provenance):

- alias folding: each catalogued variable gets one *effective* value from its canonical name or,
  failing that, from the first alias present, through the alias's value map; every spelling
  present is kept in ``spellings`` for the alias rules;
- the four dimensions (seed 000 §1) as :class:`somastack_deploy.config_contract.topology.Dimensions`; an invalid
  value falls back (environment → PROD, the stricter; others → the seed 001 §2.1 default) and
  the value rule reports it;
- the runtime mode (seed 003) and the *active* app services: ``services`` given by the caller
  (one service's rendered env) or, for a whole-stack env set, ``agent`` plus ``brain`` and
  ``memory`` in SomaStackClusterMode (:func:`somastack_deploy.config_contract.services.required_services`).

Rules never parse the env themselves; they call :meth:`Context.finding` to build findings with
the right service and file:line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping
from urllib.parse import urlsplit

from .catalog import Var, by_name, lookup, service_of, CATALOG
from .findings import Finding
from .grammar.hosts import hosts_in, is_local_host
from .grammar.references import is_reference, is_unbraced_reference
from .sources import Origin
from .topology import Dimensions

__all__ = ["Context", "Spelling", "build_context", "hosts_of", "is_local_host", "is_secret_reference",
           "is_unbraced_reference", "port_of_url"]


def is_secret_reference(value: str, *, allow_file: bool = False) -> bool:
    """A whole reference that stands for a secret (``ref+vault://``, ``ref+awssecrets://``,
    ``ref+awsssm://``, ``${VAR}``, a Pulumi ``{secure: …}`` value; ``file:///…#KEY`` only with
    ``allow_file``, i.e. in DEV). The grammar is
    :func:`somastack_deploy.config_contract.grammar.references.parse_reference`."""
    return is_reference(value, allow_file=allow_file)


def hosts_of(var_type: str, value: str) -> list[str]:
    """Host names in a URL/DSN/host/host:port-list value, element by element
    (:func:`somastack_deploy.config_contract.grammar.hosts.hosts_in`); ``[]`` for a reference
    (``file://`` included), ``$VAR``, another type or no host."""
    if not value or var_type not in ("url", "dsn", "host", "hostports"):
        return []
    if is_reference(value, allow_file=True) or is_unbraced_reference(value):
        return []
    return hosts_in(value)


def port_of_url(value: str) -> int | None:
    """The explicit port of a URL, ``None`` when absent, unparsable or a reference."""
    if not value or is_reference(value, allow_file=True) or is_unbraced_reference(value):
        return None
    try:
        return urlsplit(value).port
    except ValueError:
        return None


@dataclass(frozen=True)
class Spelling:
    """One spelling of a variable present in the input: the ``name`` used, its ``raw`` value and
    the canonical value it maps to (``mapped``; ``None`` = no counterpart)."""

    name: str
    raw: str
    mapped: str | None
    deprecated: bool
    note: str = ""


@dataclass
class Context:
    """Normalised configuration (see the module docstring). ``values`` maps canonical name →
    effective value (normalised); ``used`` maps canonical name → the input name it came from."""

    raw: dict[str, str]
    provenance: dict[str, Origin]
    values: dict[str, str] = field(default_factory=dict)
    used: dict[str, str] = field(default_factory=dict)
    spellings: dict[str, list[Spelling]] = field(default_factory=dict)
    dimensions: Dimensions | None = None
    runtime_mode: str | None = None
    services: frozenset[str] = frozenset()
    services_given: bool = False
    invalid: set[str] = field(default_factory=set)

    # ---- helpers for rules ----
    @property
    def prod(self) -> bool:
        """True when the environment dimension is PROD (or invalid: evaluated as PROD)."""
        return self.dimensions is None or self.dimensions.environment == "PROD"

    @property
    def cluster(self) -> bool:
        return self.dimensions is not None and self.dimensions.software_mode == "SomaStackClusterMode"

    def is_set(self, name: str) -> bool:
        """True when the canonical variable ``name`` has a non-empty effective value."""
        return bool(self.values.get(name, ""))

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def active(self, var: Var) -> bool:
        """True when a service that reads ``var`` is active in this evaluation."""
        return any(s in self.services for s in var.services)

    def location(self, name: str) -> tuple[str | None, int | None]:
        """(path, line) where the input name (or the spelling used for a canonical name) was set."""
        origin = self.provenance.get(name) or self.provenance.get(self.used.get(name, ""))
        if origin is None:
            return None, None
        return (None if origin.path == "<environment>" else origin.path), origin.line

    def finding(self, rule, variable: str | None, message: str, *, severity: str | None = None,
                at: str | None = None) -> Finding:
        """A finding of ``rule`` (a rule instance or class) about ``variable``; located at the
        input name ``at`` (default: where ``variable`` was set)."""
        path, line = self.location(at or variable or "")
        var = lookup(variable) if variable else None
        service = service_of(var) if var else _service_by_prefix(variable)
        return Finding(rule=rule.id, severity=severity or rule.severity, variable=variable, service=service,
                       path=path, line=line, message=message)


def _service_by_prefix(name: str | None) -> str:
    if not name:
        return "general"
    if name.startswith("SA01_"):
        return "agent"
    if name.startswith("SFM_"):
        return "memory"
    if name.startswith(("SOMA_", "SOMASTACK_")):
        return "shared"
    return "general"


def _map_alias_value(alias, raw: str) -> str | None:
    if alias.value_map is None:
        return raw
    if alias.case_insensitive:
        table = {k.lower(): v for k, v in alias.value_map.items()}
        return table.get(raw.strip().lower(), raw)
    return alias.value_map.get(raw, raw)


def _normalise(var: Var, raw: str) -> str:
    value = raw
    if var.case_insensitive:
        value = value.strip().upper()
        value = var.value_map.get(value, value)
    return value


def build_context(env: Mapping[str, str], provenance: Mapping[str, Origin] | None = None, *,
                  services: list[str] | tuple[str, ...] | None = None) -> Context:
    """Build the :class:`Context` for ``env`` (name → raw string value).

    ``provenance`` maps input names to :class:`somastack_deploy.config_contract.sources.Origin`. ``services``
    restricts the evaluation to the variables these app services read (``agent``, ``brain``,
    ``memory``); ``None`` means a whole-stack env set.
    """
    from .model import parse_bool

    raw = {str(k): "" if v is None else str(v) for k, v in env.items()}
    ctx = Context(raw=raw, provenance=dict(provenance or {}))
    for var in CATALOG:
        present: list[Spelling] = []
        if var.name in raw:
            present.append(Spelling(var.name, raw[var.name], _normalise(var, raw[var.name]), False))
        for alias in var.aliases:
            if alias.name in raw:
                mapped = _map_alias_value(alias, raw[alias.name])
                if mapped is not None and var.case_insensitive:
                    mapped = _normalise(var, mapped)
                present.append(Spelling(alias.name, raw[alias.name], mapped, alias.deprecated, alias.note))
        if not present:
            continue
        ctx.spellings[var.name] = present
        chosen = next((s for s in present if s.mapped is not None), None)
        if chosen is not None:
            ctx.values[var.name] = chosen.mapped  # type: ignore[assignment]
            ctx.used[var.name] = chosen.name

    cat = by_name()

    def dim(name: str, fallback: str, invalid_fallback: str) -> str:
        value = ctx.values.get(name)
        if value is None or value == "":
            return fallback
        if value in cat[name].allowed:
            return value
        ctx.invalid.add(name)
        return invalid_fallback

    environment = dim("SA01_DEPLOYMENT_MODE", "DEV", "PROD")
    software = dim("SOMASTACK_SOFTWARE_MODE", "StandAlone", "StandAlone")
    target = dim("SA01_DEPLOYMENT_TARGET", "LOCAL", "LOCAL")
    bridge_raw = ctx.values.get("SOMA_SAAS_MODE") or "false"
    try:
        bridge = parse_bool(bridge_raw)
    except ValueError:
        ctx.invalid.add("SOMA_SAAS_MODE")
        bridge = False
    ctx.dimensions = Dimensions(software_mode=software, environment=environment, saas_bridge=bridge, target=target)
    mode = ctx.values.get("SOMA_AGENT_MODE")
    ctx.runtime_mode = mode if mode in cat["SOMA_AGENT_MODE"].allowed else None
    if services:
        ctx.services = frozenset(services)
        ctx.services_given = True
    else:
        ctx.services = frozenset({"agent", "brain", "memory"} if software == "SomaStackClusterMode" else {"agent"})
    return ctx
