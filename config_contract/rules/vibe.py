"""VIBE Rule 91 (zero-fallback) and Rule 164 (zero-hardcode), seed 000 §4 and §1.1.

- ``VIBE-91``: in PROD every service URL/host the active services need (database, Redis, Kafka,
  Milvus, Keycloak, SpiceDB, OPA, SomaBrain, SomaFractalMemory, Vault) must be set explicitly,
  and no URL/host may point at localhost, 127.0.0.0/8, ::1 or 0.0.0.0.
- ``VIBE-164``: a secret-typed variable must be a reference (``ref+vault://PATH#/KEY``,
  ``ref+awssecrets://NAME#/KEY``, ``${VAR}``, a Pulumi secret); a literal is an error in PROD
  and a warning in DEV. A DSN is a secret when it carries a literal password.
- ``VIBE-164-DEV-DEFAULT``: the known dev defaults of seed 002 §3.2 and its verification
  commands (``dev-token…``, ``django-insecure-…``, ``somastack2024``, ``soma_dev_token``, a
  password ``soma``) wherever they appear: error in PROD, warning in DEV.
"""

from __future__ import annotations

from ..catalog import by_name, is_secret_name, lookup
from ..context import Context, hosts_of, is_local_host, is_secret_reference, is_unbraced_reference
from ..grammar.references import is_reference, scheme_of
from ..grammar.secrets import url_password
from .base import Rule

#: (topology service key, alternative canonical names, consuming app services, condition).
#: Condition: ``always`` (whenever a consumer is active), ``cluster`` (SomaStackClusterMode),
#: ``cluster_http`` (cluster mode without the SaaS bridge, seed 000 §1.1), ``vault`` (some value
#: is a ``ref+vault://`` reference or ``SOMA_VAULT_ENABLED`` is true).
ENDPOINT_REQUIREMENTS: tuple[tuple[str, tuple[str, ...], tuple[str, ...], str], ...] = (
    ("postgres", ("SA01_DB_DSN",), ("agent",), "always"),
    ("redis", ("SA01_REDIS_URL",), ("agent",), "always"),
    ("keycloak", ("KEYCLOAK_URL",), ("agent",), "always"),
    ("spicedb", ("SPICEDB_URL",), ("agent",), "always"),
    ("opa", ("OPA_URL",), ("agent",), "always"),
    ("brain", ("SOMABRAIN_API_URL",), ("agent",), "cluster_http"),
    ("memory", ("SOMAMEMORY_API_URL",), ("agent",), "cluster_http"),
    ("kafka", ("SOMA_KAFKA_BROKERS",), ("agent",), "cluster"),
    ("milvus", ("SOMA_MILVUS_HOST",), ("agent",), "cluster"),
    ("postgres", ("SOMA_DB_HOST", "SOMA_DB_URL"), ("brain", "memory"), "always"),
    ("redis", ("SOMA_REDIS_URL", "SOMA_REDIS_HOST"), ("brain",), "always"),
    ("kafka", ("SOMA_KAFKA_BROKERS",), ("brain",), "always"),
    ("milvus", ("SOMA_MILVUS_HOST",), ("brain", "memory"), "always"),
    ("vault", ("VAULT_ADDR",), ("agent", "brain", "memory"), "vault"),
)

_SERVICE_LABEL = {"postgres": "database", "redis": "Redis", "kafka": "Kafka", "milvus": "Milvus",
                  "keycloak": "Keycloak", "spicedb": "SpiceDB", "opa": "OPA", "brain": "SomaBrain",
                  "memory": "SomaFractalMemory", "vault": "Vault"}


def _vault_on(ctx: Context) -> bool:
    from ..model import parse_bool

    if any(scheme_of(v) == "vault" for v in ctx.raw.values()):
        return True
    try:
        return parse_bool(ctx.get("SOMA_VAULT_ENABLED") or "false")
    except ValueError:
        return False


class ZeroFallbackRule(Rule):
    id = "VIBE-91"
    name = "zero-fallback"
    source = "seed 000 §4 Rule 91, §1.1, §7"
    description = ("In PROD every service URL and host must be set explicitly and must not point at localhost, "
                   "127.0.0.0/8, ::1 or 0.0.0.0.")

    def check(self, ctx):
        if not ctx.prod:
            return
        conditions = {"always": True, "cluster": ctx.cluster,
                      "cluster_http": ctx.cluster and not ctx.dimensions.saas_bridge, "vault": _vault_on(ctx)}
        seen: set[tuple[str, ...]] = set()
        for service, names, consumers, cond in ENDPOINT_REQUIREMENTS:
            if not conditions[cond] or not any(c in ctx.services for c in consumers) or names in seen:
                continue
            seen.add(names)
            if any(ctx.is_set(n) for n in names):
                continue
            var = by_name()[names[0]]
            fallback = f"; no fallback to the default {var.default}" if var.default else ""
            yield ctx.finding(self, names[0], f"{' or '.join(names)} not set: in PROD the {_SERVICE_LABEL[service]} "
                              f"endpoint must be configured explicitly (seed 000 §4 Rule 91{fallback})")
        cat = by_name()
        for name, spellings in sorted(ctx.spellings.items()):
            var = cat[name]
            if var.type not in ("url", "dsn", "host", "hostports"):
                continue
            for s in spellings:
                local = [h for h in hosts_of(var.type, s.raw) if is_local_host(h)]
                if local:
                    yield ctx.finding(self, s.name, f"{s.name} points at {local[0]} in PROD: localhost/loopback/"
                                      "0.0.0.0 endpoints are forbidden (seed 000 §4 Rule 91)", at=s.name)


_url_password = url_password


def _is_ref_part(text: str) -> bool:
    """A URL password that is itself a reference (``${VAR}``, ``$VAR``, ``ref+…``)."""
    return is_reference(text) or is_unbraced_reference(text)


#: Known dev defaults: (label, predicate on (name, value)). Labels are public patterns, never values.
DEV_DEFAULTS: tuple[tuple[str, object], ...] = (
    ("dev-token…", lambda n, v: "dev-token" in v.lower()),
    ("django-insecure-…", lambda n, v: "django-insecure-" in v.lower()),
    ("somastack2024", lambda n, v: "somastack2024" in v.lower()),
    ("soma_dev_token", lambda n, v: "soma_dev_token" in v.lower()),
    ("password 'soma'", lambda n, v: (("PASSWORD" in n.upper() or "PASSWD" in n.upper()) and v == "soma")
     or _url_password(v) == "soma"),
)


def dev_default_label(name: str, value: str) -> str | None:
    """The label of the known dev default ``value`` matches, ``None`` when none."""
    if not value or is_secret_reference(value, allow_file=True):
        return None
    for label, pred in DEV_DEFAULTS:
        if pred(name, value):  # type: ignore[operator]
            return label
    return None


class ZeroHardcodeRule(Rule):
    id = "VIBE-164"
    name = "zero-hardcode"
    source = "seed 000 §4 Rule 164, §1.1"
    description = ("A secret (password, token, API key, secret key, DSN with a password) must be a reference "
                   "(ref+vault://PATH#/KEY, ref+awssecrets://NAME#/KEY, ${VAR}); a literal is an error in PROD "
                   "and a warning in DEV.")

    def check(self, ctx):
        refs = "ref+vault://PATH#/KEY, ref+awssecrets://NAME#/KEY or ${VAR}"
        for name in sorted(ctx.raw):
            value = ctx.raw[name]
            if not value or is_secret_reference(value, allow_file=not ctx.prod) or dev_default_label(name, value):
                continue
            if is_secret_reference(value, allow_file=True):  # file:// in PROD
                yield ctx.finding(self, name, f"{name} is a file:// reference: the harness's credential files are "
                                  f"allowed only in DEV; in PROD use {refs} (seed 000 §4 Rule 164)",
                                  severity=self.sev(ctx))
                continue
            if is_unbraced_reference(value):
                if is_secret_name(name):
                    yield ctx.finding(self, name, f"{name} uses an unbraced $VAR reference; write ${{VAR}} so "
                                      "every tool reads it as a reference (seed 000 §4 Rule 164)", severity="warning")
                continue
            var = lookup(name)
            password = _url_password(value)
            if (var is not None and var.type == "dsn") or (password is not None and not is_secret_name(name)):
                if password is None or _is_ref_part(password):
                    continue  # a DSN without a literal password is not a secret
                what = "carries a literal password"
            elif is_secret_name(name):
                what = "is a literal secret"
                if value.lstrip().startswith("$("):
                    what += " (env files do not run $(...) command substitutions: the text itself is the value)"
            else:
                continue
            where = "in PROD it must be" if ctx.prod else "use"
            yield ctx.finding(self, name, f"{name} {what}; {where} a reference ({refs}) (seed 000 §4 Rule 164)",
                              severity=self.sev(ctx))


class DevDefaultRule(Rule):
    id = "VIBE-164-DEV-DEFAULT"
    name = "known-dev-default"
    source = "seed 002 §3.2 and 'Verification Commands'; seed 000 §4 Rule 164"
    description = ("Known dev defaults (dev-token…, django-insecure-…, somastack2024, soma_dev_token, password "
                   "'soma') are flagged wherever they appear: error in PROD, warning in DEV.")

    def check(self, ctx):
        for name in sorted(ctx.raw):
            label = dev_default_label(name, ctx.raw[name])
            if label:
                yield ctx.finding(self, name, f"{name} holds a known dev default ({label}); allowed only in DEV, "
                                  "never in PROD (seed 000 §4 Rule 164, seed 002 §3.2)", severity=self.sev(ctx))


RULES = (ZeroFallbackRule, ZeroHardcodeRule, DevDefaultRule)
