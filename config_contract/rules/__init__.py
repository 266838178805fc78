"""The rule registry: every contract rule, in a fixed order, instantiated on demand.

:func:`registry` returns one instance of each rule class; :func:`rule_meta` their metadata for
SARIF (``tool.driver.rules``). Importing this package has no side effect; rule modules are
imported when :func:`registry` is first called.
"""

from __future__ import annotations

from functools import lru_cache

_MODULES = ("values", "aliases", "vibe", "modes", "runtime")


@lru_cache(maxsize=1)
def registry() -> tuple:
    """All rule instances (:class:`somastack_deploy.config_contract.rules.base.Rule`), ids unique, fixed order."""
    import importlib

    from .base import Rule

    rules = []
    for mod in _MODULES:
        module = importlib.import_module(f"{__name__}.{mod}")
        for cls in getattr(module, "RULES"):
            assert issubclass(cls, Rule)
            rules.append(cls())
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):  # pragma: no cover - guarded by tests
        raise RuntimeError(f"duplicate rule ids: {ids}")
    return tuple(rules)


def by_id(rule_id: str):
    """The rule instance with ``rule_id``; ``KeyError`` when unknown."""
    for rule in registry():
        if rule.id == rule_id:
            return rule
    raise KeyError(rule_id)


def rule_meta() -> list[dict]:
    """``[{"id", "name", "severity", "source", "description"}]`` for every rule: the registry's,
    then the scan's (``SCAN-UNPARSED``) and the secret-reference checks' (``SECRET-REF-*``)."""
    from ..scan import RULE_META as SCAN_META  # cheap: detect-secrets loads only when a scan runs
    from ..secret_backends import RULE_META as BACKEND_META  # cheap: hvac/boto3 load on use

    own = [{"id": r.id, "name": r.name, "severity": r.severity, "source": r.source, "description": r.description}
           for r in registry()]
    return own + [dict(m) for m in (*SCAN_META, *BACKEND_META)]
