"""The rules, one module per area, and the one :data:`REGISTRY` built from them.

Each module lists its rule classes (subclasses of
:class:`somastack_deploy.policies.registry.Rule`) in ``RULES``; :data:`REGISTRY` holds one
instance of each, in the order of :data:`MODULES` then ``RULES`` (the order of reports). Rule
modules register nothing themselves: importing one has no side effect.
"""

from __future__ import annotations

from ..registry import Registry, Rule
from . import cache, database, exposure, kafka, loadbalancer, logs, secrets, state, tags

#: The rule modules, in report order.
MODULES = (secrets, database, exposure, loadbalancer, cache, kafka, logs, state, tags)


def all_rules() -> tuple[Rule, ...]:
    """A fresh instance of every rule class of :data:`MODULES`, in report order."""
    return tuple(cls() for module in MODULES for cls in module.RULES)


#: Every rule, keyed by resource type token (see :class:`somastack_deploy.policies.registry.Registry`).
REGISTRY = Registry(all_rules())

__all__ = ["MODULES", "REGISTRY", "all_rules"]
