"""Alias rules: conflicting spellings, deprecated spellings, legacy values.

Source: ``../shared/design/seed-contradictions.md`` (canonical = seed 000; other spellings as
aliases with a value map; both set and different → error).
"""

from __future__ import annotations

from ..catalog import by_name
from ..model import parse_bool
from .base import Rule


def _same(var_type: str, a: str, b: str) -> bool:
    if var_type == "bool":
        try:
            return parse_bool(a) == parse_bool(b)
        except ValueError:
            return a == b
    if var_type == "hostports":
        return sorted(x.strip() for x in a.split(",")) == sorted(x.strip() for x in b.split(","))
    return a == b


class AliasConflictRule(Rule):
    id = "CONTRACT-ALIAS-CONFLICT"
    name = "alias-conflict"
    source = "seed 000 §5.1-§5.4; seed 001 §2; design/seed-contradictions.md"
    description = ("Two spellings of one variable (SECRET_KEY / DJANGO_SECRET_KEY / SOMA_SECRET_KEY, "
                   "SOMA_SAAS_MODE / SOMA_AAAS_MODE, SOMA_DB_HOST / SOMA_INFRA__POSTGRES, …) set to different "
                   "values; also SOMA_MEMORY_API_TOKEN and SOMA_API_TOKEN when both are set and differ.")

    def check(self, ctx):
        cat = by_name()
        for name, spellings in sorted(ctx.spellings.items()):
            mapped = [s for s in spellings if s.mapped is not None]
            if len(mapped) < 2:
                continue
            first = mapped[0]
            for other in mapped[1:]:
                if not _same(cat[name].type, first.mapped, other.mapped):  # type: ignore[arg-type]
                    yield ctx.finding(self, other.name,
                                      f"{first.name} and {other.name} are spellings of {name} and are set to "
                                      f"different values ({cat[name].source})", at=other.name)
        a, b = ctx.get("SOMA_MEMORY_API_TOKEN"), ctx.get("SOMA_API_TOKEN")
        if a and b and a != b and {"agent", "memory"} <= ctx.services:
            yield ctx.finding(self, "SOMA_API_TOKEN",
                              "SOMA_MEMORY_API_TOKEN (the agent's client token) and SOMA_API_TOKEN (SomaFractalMemory's "
                              "own token) differ: in one env set they must match (seed 000 §1.1, §5.3)")


class DeprecatedRule(Rule):
    id = "CONTRACT-DEPRECATED"
    name = "deprecated-spelling"
    severity = "warning"
    source = "design/seed-contradictions.md"
    description = ("A deprecated spelling (SOMA_AAAS_MODE, SOMABRAIN_URL, SOMAFRACTALMEMORY_URL, SOMAGENT_MODE) or "
                   "a value that is mapped (staging → PROD, DEVELOPER → DEVELOPMENT); an alias value with no "
                   "counterpart (SOMAGENT_MODE=TEST) is an error.")

    def check(self, ctx):
        cat = by_name()
        for name, spellings in sorted(ctx.spellings.items()):
            var = cat[name]
            for s in spellings:
                if s.name != name and s.mapped is None:
                    yield ctx.finding(self, s.name, f"{s.name}: this value has no counterpart for {name} "
                                      f"({s.note or var.source}); set {name} explicitly", severity="error", at=s.name)
                    continue
                if s.name != name and s.deprecated:
                    yield ctx.finding(self, s.name, f"{s.name} is a deprecated spelling of {name}; rename it "
                                      f"({var.source})", at=s.name)
                raw_up = s.raw.strip().upper()
                if s.name == name and var.value_map.get(raw_up) and var.value_map[raw_up] != raw_up:
                    yield ctx.finding(self, s.name, f"{s.name}: {raw_up.lower()} has no {name} counterpart and is "
                                      f"treated as {var.value_map[raw_up]} ({var.source})", at=s.name)
                elif s.name != name and s.note and s.raw.strip().upper() != s.mapped:
                    yield ctx.finding(self, s.name, f"{s.name}: value is read as {name}={s.mapped} ({s.note})",
                                      at=s.name)


class LegacyModeRule(Rule):
    id = "CONTRACT-LEGACY-MODE"
    name = "legacy-deployment-mode"
    source = "seed 002 'Deployment Mode Architecture'; seed 000 §1; design/seed-contradictions.md"
    description = "SA01_DEPLOYMENT_MODE=STANDALONE/SAAS/AAAS is the legacy software-mode use of the variable."

    def check(self, ctx):
        var = by_name()["SA01_DEPLOYMENT_MODE"]
        for s in ctx.spellings.get(var.name, []):
            value = s.raw.strip().upper()
            if value in var.legacy_values:
                yield ctx.finding(self, s.name, f"{s.name}={value} {var.legacy_values[value]}", at=s.name)


RULES = (AliasConflictRule, DeprecatedRule, LegacyModeRule)
