"""The rule base class: a small class per rule with a stable id (Checkov style).

A rule declares ``id`` (stable, e.g. ``VIBE-91``), ``name`` (short, for SARIF), ``severity``
(its default: ``error`` or ``warning``), ``source`` (the seed section it comes from) and
``description``; :meth:`Rule.check` takes a :class:`somastack_deploy.config_contract.context.Context` and yields
:class:`somastack_deploy.config_contract.findings.Finding` objects. Rules hold no state and do nothing at import.
"""

from __future__ import annotations

from typing import ClassVar, Iterable

from ..context import Context
from ..findings import Finding


class Rule:
    """Base class of every contract rule (see the module docstring)."""

    id: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[str] = "error"
    source: ClassVar[str]
    description: ClassVar[str]

    def check(self, ctx: Context) -> Iterable[Finding]:  # pragma: no cover - interface
        """Yield the findings of this rule for ``ctx``."""
        raise NotImplementedError

    def sev(self, ctx: Context) -> str:
        """``error`` in PROD, ``warning`` in DEV (for rules whose severity depends on the
        environment, seed 000 §4: dev defaults allowed in DEV with warnings)."""
        return "error" if ctx.prod else "warning"
