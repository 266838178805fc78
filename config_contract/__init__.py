"""The SomaStack configuration contract: catalog, validated model, rules, sources.

Public API (imports are lazy: ``import config_contract`` costs nothing until a name is used)::

    from somastack_deploy.config_contract import evaluate, enforce, load_sources, ContractViolation, Finding, Report

    env, prov = load_sources(["examples/prod-cluster-fargate.env"], from_env=False,
                             pulumi_stack_file=None)       # dict[str, str], dict[str, Origin]
    report = evaluate(env, provenance=prov)                 # services=["agent"] for one service
    report.passed, report.dimensions, report.findings, report.errors, report.to_json()
    enforce(rendered_env, services=["agent"])              # raises ContractViolation on errors

- :func:`evaluate` (``somastack_deploy.config_contract.api``): env mapping → :class:`Report`; pure, never raises on
  odd values (they become findings).
- :func:`enforce`: same, raises :class:`ContractViolation` (message: the error findings, one per
  line) when the report has errors.
- :func:`load_sources` (``somastack_deploy.config_contract.sources``): dotenv files (later wins), a Pulumi stack
  config file (``somastack:UPPER_NAME`` keys), the process environment (``from_env``); raises
  :class:`somastack_deploy.config_contract.errors.InputError` (exit 2) on unusable input.
- :class:`Finding` (``somastack_deploy.config_contract.findings``): rule, severity, variable, service, path, line,
  message (the CLI converts it for the shared report formatters:
  ``somastack_deploy.commands.preflight.finding_to_result``).
- :func:`evaluate_stack_config` (``somastack_deploy.config_contract.stack_provided``): :func:`evaluate` for a
  configuration a Pulumi stack deploys: variables the stack renders itself (catalog
  ``stack_provided``) may be unset.
- :func:`json_schema` (``somastack_deploy.config_contract.model``): the contract as JSON Schema draft 2020-12.
- Catalog: ``somastack_deploy.config_contract.catalog.CATALOG``; rules: ``somastack_deploy.config_contract.rules.registry()``.

Sources: seeds 000 (§1, §3-§5, §7), 001 (§1, §2, §6), 002 (§3.2), 003, 004 (§8) and
``../shared/design/seed-contradictions.md``. Docs: ``docs/contract.md``.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "evaluate": "api",
    "enforce": "api",
    "ContractViolation": "api",
    "load_sources": "sources",
    "evaluate_stack_config": "stack_provided",
    "Finding": "findings",
    "Report": "report",
    "json_schema": "model",
    "InputError": "errors",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'config_contract' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
