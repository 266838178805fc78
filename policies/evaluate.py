"""Run the registered rules offline over captured resources.

Accepted resources (any mix): :class:`somastack_deploy.policies.registry.ResourceInput`;
``somastack_deploy.plan.runner.CapturedResource`` or an object with its attributes ``type``,
``name``, ``urn``, ``id``, ``props``, ``provider`` (its unmasked ``props`` are used; an explicit
provider's inputs are looked up among the same resources by the provider reference ``URN::ID``,
or by the URN alone when the ID differs); or a mapping ``{"type": ..., "name": ..., "props": {...}, "urn"?: ...}``.

- :func:`check` → one :class:`CheckResult` per (applicable rule, resource), PASSED/FAILED/
  UNKNOWN, in resource order then rule registration order.
- :func:`evaluate` → the :class:`Violation` list (one per failure message of a FAILED result).
- :func:`mandatory` → True when any violation is ``mandatory``.
- :func:`errors_of` → the ERROR results (a rule that raised); :func:`blocks` → True when the
  results must stop a deployment: a mandatory violation or any ERROR (a crashed rule checked
  nothing, so its silence is not a pass).

Rules with level ``disabled`` are skipped. ``rules`` restricts the run to some rule names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .registry import CheckResult, ResourceInput, Violation, run_rule
from .rules import REGISTRY


def _provider_index(items: list[Any]) -> dict[str, Mapping[str, Any]]:
    index: dict[str, Mapping[str, Any]] = {}
    for item in items:
        typ = getattr(item, "type", None) if not isinstance(item, Mapping) else item.get("type")
        if not str(typ or "").startswith("pulumi:providers:"):
            continue
        if isinstance(item, Mapping):
            urn, rid, props = item.get("urn", ""), item.get("id", ""), item.get("props") or {}
        else:
            urn, rid, props = item.urn, item.id or "", item.props or {}
        index[f"{urn}::{rid}"] = props
        index[urn] = props
    return index


def to_input(item: Any, providers: Mapping[str, Mapping[str, Any]] | None = None) -> ResourceInput:
    """Convert one accepted resource (see module doc) to a :class:`ResourceInput`."""
    if isinstance(item, ResourceInput):
        return item
    providers = providers or {}
    if isinstance(item, Mapping):
        ref = item.get("provider") or ""
        return ResourceInput(type=item["type"], name=item.get("name", ""), props=item.get("props") or {},
                             urn=item.get("urn", ""),
                             provider_props=item.get("provider_props") or providers.get(ref) or providers.get(ref.rsplit("::", 1)[0]))
    ref = item.provider or ""
    return ResourceInput(type=item.type, name=item.name, props=item.props or {}, urn=item.urn,
                         provider_props=providers.get(ref) or providers.get(ref.rsplit("::", 1)[0]))


def check(resources: Iterable[Any], *, rules: Iterable[str] | None = None) -> list[CheckResult]:
    """Every applicable (rule, resource) result; see the module doc."""
    items = list(resources)
    providers = _provider_index(items)
    wanted = set(rules) if rules is not None else None
    results: list[CheckResult] = []
    for item in items:
        res = to_input(item, providers)
        for r in REGISTRY.for_type(res.type):
            if r.level == "disabled" or (wanted is not None and r.name not in wanted):
                continue
            result = run_rule(r, res)
            if result is not None:
                results.append(result)
    return results


def violations_of(results: Iterable[CheckResult]) -> list[Violation]:
    """One :class:`Violation` per failure message of each FAILED result."""
    return [Violation(policy=cr.rule, resource=cr.resource, resource_type=cr.resource_type, urn=cr.urn,
                      level=cr.level, message=msg)
            for cr in results if cr.status == "FAILED" for msg in cr.messages]


def evaluate(resources: Iterable[Any], *, rules: Iterable[str] | None = None) -> list[Violation]:
    """The violations of the registered rules over ``resources`` (see module doc)."""
    return violations_of(check(resources, rules=rules))


def mandatory(violations: Iterable[Violation]) -> bool:
    """True when at least one violation has enforcement level ``mandatory``."""
    return any(v.level == "mandatory" for v in violations)


def errors_of(results: Iterable[CheckResult]) -> list[CheckResult]:
    """The ERROR results (rules that raised), in order."""
    return [cr for cr in results if cr.status == "ERROR"]


def blocks(results: Iterable[CheckResult]) -> bool:
    """True when ``results`` must block: a FAILED mandatory rule or any ERROR, whatever the
    rule's enforcement level (see :func:`somastack_deploy.policies.registry.run_rule`)."""
    results = list(results)
    return mandatory(violations_of(results)) or bool(errors_of(results))
