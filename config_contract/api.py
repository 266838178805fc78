"""The public entry points: :func:`evaluate`, :func:`enforce`, :class:`ContractViolation`.

Re-exported lazily by :mod:`config_contract` (see its docstring for the whole API).
"""

from __future__ import annotations

from typing import Mapping

from .context import build_context
from .findings import Finding
from .report import Report
from .sources import Origin


class ContractViolation(Exception):
    """Raised by :func:`enforce` when the configuration has error findings.

    ``report`` is the :class:`Report`; ``str(err)`` is the findings' one-line messages joined by
    newlines (no secret values: messages never carry them).
    """

    def __init__(self, report: Report):
        self.report = report
        super().__init__("\n".join(f"{f.rule}: {f.message}" for f in report.errors))


def evaluate(env: Mapping[str, str], *, provenance: Mapping[str, Origin] | None = None,
             services: list[str] | tuple[str, ...] | None = None) -> Report:
    """Evaluate an environment (name → string value) against the contract.

    ``provenance`` (name → :class:`somastack_deploy.config_contract.sources.Origin`) adds file:line to findings.
    ``services`` limits the evaluation to what these app services read (``agent``, ``brain``,
    ``memory``), e.g. one service's rendered env in a Pulumi program; ``None`` evaluates a
    whole-stack env set (agent, plus brain and memory in SomaStackClusterMode).
    Never raises on odd names or values: every problem becomes a finding. Pure: no I/O.
    Raises ``ValueError`` only for an unknown name in ``services``.
    """
    from .rules import registry
    from .rules.base import run_rule

    if services:
        unknown = sorted(set(services) - {"agent", "brain", "memory"})
        if unknown:
            raise ValueError(f"unknown services {unknown}; expected agent, brain, memory")
    ctx = build_context(env, provenance, services=services)
    findings: list[Finding] = []
    for rule in registry():
        findings.extend(run_rule(rule, ctx))  # a rule that raises becomes an error finding
    unique = list(dict.fromkeys(findings))
    return Report(dimensions=ctx.dimensions, findings=sorted(unique, key=Finding.sort_key),
                  runtime_mode=ctx.runtime_mode, services=tuple(sorted(ctx.services)))


def enforce(env: Mapping[str, str], **kwargs) -> Report:
    """:func:`evaluate`, then raise :class:`ContractViolation` when the report has errors.

    Returns the report (warnings allowed). Used by the Pulumi programs to abort before
    registering resources.
    """
    report = evaluate(env, **kwargs)
    if report.errors:
        raise ContractViolation(report)
    return report
