"""SomaStack's policies: pure validators, run by Pulumi CrossGuard and offline.

- :mod:`somastack_deploy.policies.registry`: :class:`Rule`, the base class of every rule (a small
  class with a stable kebab-case ``name``, ``description``, enforcement ``level``, ``category``,
  ``resource_types``, ``source`` and a pure ``check``), the :class:`Registry` keyed by resource
  type token, the resource view :class:`ResourceInput` and result types.
- :mod:`somastack_deploy.policies.rules`: the rules, one module per area (secrets, database, exposure, load
  balancer, cache, kafka, logging, state, tags), each listing its rule classes in ``RULES``, and
  :data:`REGISTRY` (one instance of each).
- :mod:`somastack_deploy.policies.evaluate`: :func:`evaluate` (violations) and :func:`check` (PASSED/FAILED/
  UNKNOWN per rule-resource pair, as in Checkov) over captured resources.
- :mod:`somastack_deploy.policies.pack`: the ``ResourceValidationPolicy`` objects for CrossGuard (imports
  ``pulumi_policy``; does not construct the ``PolicyPack``, which starts a gRPC server and
  blocks: only ``policies/__main__.py`` does that).

Nothing here has import-time side effects: no module registers itself anywhere; the registry
is a constant built from the rule modules' ``RULES`` lists.
"""

from .evaluate import check, evaluate
from .registry import CheckResult, ResourceInput, Rule, Violation
from .rules import REGISTRY

__all__ = ["REGISTRY", "CheckResult", "ResourceInput", "Rule", "Violation", "check", "evaluate"]
