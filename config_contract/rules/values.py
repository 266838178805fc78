"""Catalog-level rules: value types and allowed values, unknown names, required variables.

Validation happens in one place: the generated pydantic model
(:func:`somastack_deploy.config_contract.model.contract_model`, ``extra="forbid"``); these rules turn its errors
into findings. Sources: seed 000 §1, §5 (values), seed 001 §2 (Required column and defaults).
"""

from __future__ import annotations

import difflib

from ..catalog import CONTRACT_PREFIXES, all_names, by_name, lookup
from ..context import Context
from .base import Rule

_TYPE_TEXT = {
    "bool": "must be true or false",
    "int": "must be an integer",
    "port": "must be a TCP port number 1-65535",
    "url": "must be a URL (scheme://host[:port][/path]) or a reference",
    "dsn": "must be a connection URL (scheme://[user[:password]@]host[:port]/…) or a reference",
    "host": "must be a host name or IP address (no scheme)",
    "hostports": "must be host:port[,host:port…]",
}


def validation(ctx: Context) -> tuple[dict[str, str], list[str]]:
    """Validate ``ctx`` with the contract model once (cached on the context).

    Returns (canonical name → error text for invalid values, unknown contract-prefixed names).
    Legacy values and alias values without counterpart are left to the alias rules.
    """
    cached = getattr(ctx, "_validation", None)
    if cached is not None:
        return cached
    from pydantic import ValidationError

    from ..model import contract_model

    cat = by_name()
    data: dict[str, str] = {}
    for name, value in ctx.values.items():
        var = cat[name]
        if value.upper() in var.legacy_values:
            continue
        data[name] = value
    unknown = sorted(n for n in ctx.raw if lookup(n) is None and n.startswith(CONTRACT_PREFIXES))
    for name in unknown:
        data[name] = ctx.raw[name]
    bad: dict[str, str] = {}
    extra: list[str] = []
    try:
        contract_model().model_validate(data)
    except ValidationError as err:
        for item in err.errors(include_input=False, include_url=False):
            loc = item.get("loc") or ()
            name = str(loc[0]) if loc else ""
            if item.get("type") == "extra_forbidden":
                extra.append(name)
            elif name in cat and name not in bad:
                var = cat[name]
                if var.type == "enum":
                    bad[name] = "must be one of " + ", ".join(var.allowed)
                else:
                    bad[name] = _TYPE_TEXT.get(var.type, "has an invalid value")
    result = (bad, sorted(set(extra)))
    ctx._validation = result  # type: ignore[attr-defined]
    return result


class ValueRule(Rule):
    id = "CONTRACT-VALUE"
    name = "value-type"
    source = "seed 000 §1, §5; seed 001 §2"
    description = "A contract variable's value must have its catalogued type and be one of its allowed values."

    def check(self, ctx):
        bad, _ = validation(ctx)
        for name, text in sorted(bad.items()):
            used = ctx.used.get(name, name)
            label = used if used == name else f"{used} (alias of {name})"
            yield ctx.finding(self, used, f"{label} {text} ({by_name()[name].source})", at=used)


class UnknownRule(Rule):
    id = "CONTRACT-UNKNOWN"
    name = "unknown-variable"
    source = "seed 000 §5; seed 001 §2"
    description = "An SA01_/SOMA_/SFM_/SOMASTACK_ name that is not in the contract (typo or undocumented)."

    def check(self, ctx):
        _, unknown = validation(ctx)
        names = all_names()
        for name in unknown:
            close = difflib.get_close_matches(name, names, n=1, cutoff=0.75)
            hint = f"; did you mean {close[0]}?" if close else ""
            yield ctx.finding(self, name, f"{name} is not a contract variable (seed 000 §5, seed 001 §2){hint}")


class RequiredRule(Rule):
    id = "CONTRACT-REQUIRED"
    name = "required-variable"
    source = "seed 001 §2 (Required column); seed 000 §4 Rule 91"
    description = ("A variable the seeds mark Required and give no default must be set; in PROD also the "
                   "PROD-only ones (DEBUG, ALLOWED_HOSTS, SECRET_KEY, SOMA_AGENT_MODE) and the key of the "
                   "selected chat provider. PROD endpoints are reported by VIBE-91 instead. In DEV a missing "
                   "Required variable is a warning saying PROD would fail (seed 000 §4, §7: PROD fails fast).")

    def check(self, ctx):
        provider = ctx.get("SA01_CHAT_PROVIDER") or "openrouter"
        provider_key = {"openai": "OPENAI_API_KEY", "openrouter": "OPENROUTER_API_KEY",
                        "anthropic": "ANTHROPIC_API_KEY"}.get(provider)
        for var in by_name().values():
            if not ctx.active(var) or ctx.is_set(var.name):
                continue
            if var.endpoint and ctx.prod:
                continue  # VIBE-91 reports missing endpoints in PROD
            need = (
                (var.required == "always" and var.default is None)
                or (var.required == "prod" and ctx.prod)
                or (var.required == "provider" and var.name == provider_key)
            )
            if not need:
                continue
            when = {"always": "required", "prod": "required in PROD",
                    "provider": f"required for SA01_CHAT_PROVIDER={provider}"}[var.required]
            if ctx.prod:
                yield ctx.finding(self, var.name, f"{var.name} is not set: {when}, no default ({var.source})")
            else:
                yield ctx.finding(self, var.name, f"{var.name} is not set: {when}, no default ({var.source}); "
                                  "allowed in DEV, PROD would fail (seed 000 §4 Rule 91, §7)", severity="warning")
        if "SA01_DEPLOYMENT_MODE" not in ctx.spellings:
            yield ctx.finding(self, "SA01_DEPLOYMENT_MODE", "SA01_DEPLOYMENT_MODE is not set: DEV assumed (seed 001 "
                              "§2.1 default); set DEV or PROD explicitly", severity="warning")


RULES = (ValueRule, UnknownRule, RequiredRule)
