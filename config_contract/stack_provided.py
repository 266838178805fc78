"""Variables the Pulumi stack provides: one rule for preflight and the Pulumi programs.

A Pulumi stack renders the endpoint variables of each app service itself from what it
provisions (``SA01_DB_DSN`` from the PostgreSQL endpoint, ``SOMABRAIN_API_URL`` from the
SomaBrain service it runs, …; ``components/app_env.py``). Those variables are marked in the
catalog (:attr:`somastack_deploy.config_contract.catalog.Var.stack_provided`, with what they are rendered from);
this module derives everything else from that flag, so no other list exists.

The rule, for a configuration whose source includes a Pulumi stack config file
(``somastack-deploy preflight --stack-config``, the programs' stack-config gate): a finding about
a stack-provided variable that the configuration does not set in any spelling (canonical name
or alias) is dropped — it only says "not set", and the stack sets it. Findings about a
stack-provided variable that the configuration *does* set are kept (a ``localhost`` URL in PROD,
a literal secret, a port outside its namespace: the stack config is wrong even though the
stack would render its own value), and so are all findings about other variables. The rendered
environment of each service is checked in full by the programs
(:func:`config_contract.enforce` per service).

Source: issue 3 ("the stack renders each service's environment from the endpoints it
provisioned; validated by the contract before any resource is registered"); seed 000 §4 Rule 91.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import lru_cache

from .catalog import CATALOG, lookup
from .report import Report
from .sources import Origin

__all__ = ["stack_provided_names", "is_stack_provided", "drop_stack_provided", "evaluate_stack_config"]


@lru_cache(maxsize=1)
def stack_provided_names() -> frozenset[str]:
    """Canonical names of the variables the stack renders (catalog ``stack_provided`` set)."""
    return frozenset(v.name for v in CATALOG if v.stack_provided)


def is_stack_provided(name: str) -> bool:
    """True when ``name`` (canonical or alias) is a variable the stack renders."""
    var = lookup(name)
    return var is not None and var.stack_provided is not None


def _set_in(name: str, env: Mapping[str, str]) -> bool:
    """True when ``env`` sets the variable ``name`` in any of its spellings."""
    var = lookup(name)
    spellings = {name} if var is None else {var.name, *(a.name for a in var.aliases)}
    return any(s in env for s in spellings)


def drop_stack_provided(report: Report, env: Mapping[str, str]) -> Report:
    """A copy of ``report`` without the findings about stack-provided variables that ``env``
    (the evaluated configuration, name → value) does not set in any spelling. Findings without
    a variable and all others are kept; order, dimensions and services are unchanged."""
    kept = [f for f in report.findings
            if not (f.variable and is_stack_provided(f.variable) and not _set_in(f.variable, env))]
    return dataclasses.replace(report, findings=kept)


def evaluate_stack_config(env: Mapping[str, str], *, provenance: Mapping[str, Origin] | None = None,
                          services: list[str] | tuple[str, ...] | None = None) -> Report:
    """:func:`config_contract.evaluate` for a configuration the Pulumi stack deploys, then
    :func:`drop_stack_provided`. Same arguments and errors as ``evaluate``."""
    from .api import evaluate

    return drop_stack_provided(evaluate(env, provenance=provenance, services=services), env)
