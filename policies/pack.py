"""The CrossGuard side: one ``pulumi_policy.ResourceValidationPolicy`` per registered rule.

``resource_policies() -> list[ResourceValidationPolicy]``: each policy's ``validate(args,
report_violation)`` converts ``args`` (``ResourceValidationArgs``) into a
:class:`~policies.registry.ResourceInput` (provider inputs included, for default tags),
skips resources of other types, runs the rule's pure check and reports each failure message.
An UNKNOWN result reports nothing during preview (CrossGuard's own ``UnknownValueError``
handling applies when a check touches an unknown value). An ERROR result (the check raised)
is reported as a violation ``rule error: <Type>: <one line>``; CrossGuard fixes the level per
policy, so it blocks ``pulumi up`` for a mandatory rule and is reported for an advisory one
(``somastack-deploy plan`` blocks on every ERROR).

This module imports ``pulumi_policy`` but never constructs the ``PolicyPack`` (which starts a
gRPC server and blocks); ``policies/__main__.py`` does. Source: Pulumi CrossGuard "Authoring
a policy pack" (Python).
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .registry import ResourceInput, Rule, run_rule
from .rules import REGISTRY

PACK_NAME = "somastack-policies"

_LEVELS = {"mandatory": EnforcementLevel.MANDATORY, "advisory": EnforcementLevel.ADVISORY,
           "disabled": EnforcementLevel.DISABLED}


def input_from_args(args: ResourceValidationArgs) -> ResourceInput:
    """A :class:`ResourceInput` from CrossGuard's ``ResourceValidationArgs``."""
    provider = getattr(args, "provider", None)
    return ResourceInput(type=args.resource_type, name=args.name, props=args.props, urn=args.urn,
                         provider_props=getattr(provider, "props", None) if provider is not None else None)


def _validator(r: Rule):
    types = frozenset(r.resource_types)
    wildcard = frozenset(t[:-2] for t in types if t.endswith(":*"))

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in types and args.resource_type.split(":", 1)[0] not in wildcard:
            return
        result = run_rule(r, input_from_args(args))
        if result is not None and result.status in ("FAILED", "ERROR"):
            prefix = "rule error: " if result.status == "ERROR" else ""
            for message in result.messages:
                report_violation(prefix + message, None)

    validate.__name__ = r.name.replace("-", "_")
    validate.__doc__ = r.check.__doc__
    return validate


def resource_policies() -> list[ResourceValidationPolicy]:
    """One ``ResourceValidationPolicy`` per rule of :data:`REGISTRY`, in registration order."""
    return [ResourceValidationPolicy(name=r.name, description=r.description,
                                     validate=_validator(r), enforcement_level=_LEVELS[r.level])
            for r in REGISTRY]
