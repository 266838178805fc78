"""SomaStack's policies: pure validators, run by Pulumi CrossGuard and offline.

- :mod:`somastack_deploy.policies.registry`: :class:`Rule` (stable kebab-case ``name``, ``description``,
  enforcement ``level``, ``resource_types``, ``source``), the :data:`REGISTRY` keyed by
  resource type token, the resource view :class:`ResourceInput` and result types.
- :mod:`somastack_deploy.policies.rules`: the rules, one module per area (secrets, database, exposure, load
  balancer, cache, kafka, logging, tags). Importing it registers them.
- :mod:`somastack_deploy.policies.evaluate`: :func:`evaluate` (violations) and :func:`check` (PASSED/FAILED/
  UNKNOWN per rule-resource pair, as in Checkov) over captured resources.
- :mod:`somastack_deploy.policies.pack`: the ``ResourceValidationPolicy`` objects for CrossGuard (imports
  ``pulumi_policy``; does not construct the ``PolicyPack``, which starts a gRPC server and
  blocks: only ``policies/__main__.py`` does that).

Nothing here has import-time side effects beyond filling the registry.
"""

from .evaluate import check, evaluate
from .registry import REGISTRY, CheckResult, ResourceInput, Rule, Violation

__all__ = ["REGISTRY", "CheckResult", "ResourceInput", "Rule", "Violation", "check", "evaluate"]
