"""The rule base class: a small class per rule with a stable id (Checkov style).

A rule declares ``id`` (stable, e.g. ``VIBE-91``), ``name`` (short, for SARIF), ``severity``
(its default: ``error`` or ``warning``), ``source`` (the seed section it comes from) and
``description``; :meth:`Rule.check` takes a :class:`somastack_deploy.config_contract.context.Context` and yields
:class:`somastack_deploy.config_contract.findings.Finding` objects. Rules hold no state and do nothing at import.

:func:`run_rule` runs one rule: a rule that raises gives one ``error`` finding with the rule id
and the exception's type and one-line text (every input value masked), so a crashed rule fails
the verdict instead of passing silently or ending in a traceback.
"""

from __future__ import annotations

from typing import ClassVar, Iterable

#: Longest exception text kept in a rule-error finding (characters, after masking).
MAX_ERROR_TEXT = 200

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


def error_text(exc: BaseException, ctx: Context) -> str:
    """``"<ExceptionType>: <first line>"`` of ``exc`` with every raw input value of ``ctx``
    (3 characters or longer) replaced by ``***``, cut to :data:`MAX_ERROR_TEXT` characters."""
    lines = str(exc).strip().splitlines()
    text = lines[0].strip() if lines else ""
    for value in sorted((v for v in ctx.raw.values() if len(v) >= 3), key=len, reverse=True):
        text = text.replace(value, "***")
    text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= MAX_ERROR_TEXT else text[:MAX_ERROR_TEXT - 3] + "..."


def run_rule(rule: Rule, ctx: Context) -> list[Finding]:
    """The findings of ``rule`` on ``ctx``; when the rule raises an ``Exception``, its findings so
    far plus one ``error`` finding ``"rule <id> raised <Type>: <one line>; its verdict is unknown"``
    (variable ``None``, service ``general``; values masked by :func:`error_text`)."""
    found: list[Finding] = []
    try:
        for finding in rule.check(ctx):
            found.append(finding)
    except Exception as exc:
        found.append(Finding(rule=rule.id, severity="error", variable=None, service="general", path=None, line=None,
                             message=f"rule {rule.id} raised {error_text(exc, ctx)}; its verdict is unknown, "
                                     "so the configuration is not passed"))
    return found
