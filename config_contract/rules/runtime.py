"""Runtime modes of seed 003 (``SOMA_AGENT_MODE``) and what each fixes.

:data:`RUNTIME_MODES` is the seed 003 mode matrix as data: Kafka topic prefix and retention,
policy enforcement level, Vault on/off. The rule checks the variables that express them
(``SOMA_KAFKA_TOPIC_PREFIX``, ``SOMA_KAFKA_RETENTION_MS``, ``SOMA_POLICY_ENFORCEMENT``,
``SOMA_VAULT_ENABLED``) against the mode, and the mode against the environment dimension:
PROD runs PRODUCTION, fail-closed.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import parse_bool
from .base import Rule

SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000


@dataclass(frozen=True)
class RuntimeMode:
    """What a seed 003 runtime mode fixes.

    ``topic_prefix``: required Kafka topic prefix (``None``: any prefix except ``training.``);
    ``min_retention_ms``: minimum retention in ms, ``-1`` = keep everything (``None``: no rule);
    ``enforcement``: policy engine level; ``vault``: Vault on (True) or off (False).
    """

    topic_prefix: str | None
    min_retention_ms: int | None
    enforcement: str
    vault: bool
    text: str


RUNTIME_MODES: dict[str, RuntimeMode] = {
    "LOCAL": RuntimeMode(None, -1, "warn", False,
                         "Kafka retains all events locally; OPA permissive ('warn'); Vault disabled, .env secrets only"),
    "DEVELOPMENT": RuntimeMode(None, SEVEN_DAYS_MS, "observe", True,
                               "Kafka retention >= 7 days; policy 'observe'; Vault-managed test secrets"),
    "TRAINING": RuntimeMode("training.", -1, "strict", True,
                            "Kafka topics prefixed training.*, recorded immutably; policy strict; Vault one-time credentials"),
    "PRODUCTION": RuntimeMode(None, None, "fail-closed", True,
                              "policy enforced fail-closed; secrets rotated via Vault"),
}


class RuntimeModeRule(Rule):
    id = "RUNTIME-MODE"
    name = "runtime-mode-consistency"
    source = "seed 003 'Mode Matrix' and 'Mode Implementation Hooks'"
    description = ("SOMA_AGENT_MODE fixes the Kafka topic prefix and retention, the policy enforcement level "
                   "(warn/observe/strict/fail-closed) and Vault on/off; PROD runs PRODUCTION, fail-closed.")

    def check(self, ctx):
        if "agent" not in ctx.services:
            return
        mode_name = ctx.runtime_mode
        used = ctx.used.get("SOMA_AGENT_MODE", "SOMA_AGENT_MODE")
        if mode_name is None:
            return  # missing: CONTRACT-REQUIRED (PROD); invalid: CONTRACT-VALUE
        if ctx.prod and mode_name != "PRODUCTION":
            yield ctx.finding(self, used, f"{used}={mode_name} in PROD: SA01_DEPLOYMENT_MODE=PROD runs the PRODUCTION "
                              "runtime mode, fail-closed (seed 003, seed 000 §1.1)", at=used)
        elif not ctx.prod and mode_name == "PRODUCTION":
            yield ctx.finding(self, used, f"{used}=PRODUCTION with SA01_DEPLOYMENT_MODE=DEV: dev defaults and DEBUG "
                              "contradict the PRODUCTION runtime mode (seed 003)", severity="warning", at=used)
        mode = RUNTIME_MODES[mode_name]
        level = ctx.get("SOMA_POLICY_ENFORCEMENT")
        if level not in ("warn", "observe", "strict", "fail-closed"):
            level = None  # missing, or invalid (CONTRACT-VALUE reports it)
        if level and ctx.prod and level != "fail-closed" and mode.enforcement != "fail-closed":
            yield ctx.finding(self, "SOMA_POLICY_ENFORCEMENT", f"SOMA_POLICY_ENFORCEMENT={level} in PROD: the "
                              "policy engine must be enforced fail-closed (seed 003 PRODUCTION)")
        elif level and level != mode.enforcement:
            yield ctx.finding(self, "SOMA_POLICY_ENFORCEMENT", f"SOMA_POLICY_ENFORCEMENT={level} but {mode_name} "
                              f"fixes '{mode.enforcement}' ({mode.text}; seed 003)")
        prefix = ctx.get("SOMA_KAFKA_TOPIC_PREFIX")
        if prefix is not None:
            if mode.topic_prefix and not prefix.startswith(mode.topic_prefix):
                yield ctx.finding(self, "SOMA_KAFKA_TOPIC_PREFIX", f"SOMA_KAFKA_TOPIC_PREFIX must start with "
                                  f"'{mode.topic_prefix}' in {mode_name} (seed 003)")
            elif not mode.topic_prefix and prefix.startswith("training."):
                yield ctx.finding(self, "SOMA_KAFKA_TOPIC_PREFIX", f"SOMA_KAFKA_TOPIC_PREFIX uses the training.* "
                                  f"namespace outside TRAINING ({mode_name}) (seed 003)")
        retention = ctx.get("SOMA_KAFKA_RETENTION_MS")
        if retention and mode.min_retention_ms is not None:
            try:
                ms = int(retention)
            except ValueError:
                ms = None  # CONTRACT-VALUE
            if ms is not None:
                if mode.min_retention_ms == -1 and ms != -1:
                    yield ctx.finding(self, "SOMA_KAFKA_RETENTION_MS", f"SOMA_KAFKA_RETENTION_MS={ms} but {mode_name} "
                                      "keeps every event: -1 (seed 003)")
                elif mode.min_retention_ms > 0 and ms != -1 and ms < mode.min_retention_ms:
                    yield ctx.finding(self, "SOMA_KAFKA_RETENTION_MS", f"SOMA_KAFKA_RETENTION_MS={ms} ms is below the "
                                      f"{mode.min_retention_ms} ms (7 days) {mode_name} needs (seed 003)")
        vault = ctx.get("SOMA_VAULT_ENABLED")
        if vault:
            try:
                on = parse_bool(vault)
            except ValueError:
                on = None
            if on is False and mode.vault:
                yield ctx.finding(self, "SOMA_VAULT_ENABLED", f"SOMA_VAULT_ENABLED=false but {mode_name} runs with "
                                  "Vault on (seed 003)")
            elif on is True and not mode.vault:
                yield ctx.finding(self, "SOMA_VAULT_ENABLED", "SOMA_VAULT_ENABLED=true in LOCAL: LOCAL runs with Vault "
                                  "disabled (seed 003)", severity="warning")


RULES = (RuntimeModeRule,)
