"""Plain-text table output, grouped by service, for terminals and CI logs.

One row per result: ``STATUS  RULE  location  message``. The row status is the verdict the
row stands for, so header, rows and summary agree: ``FAILED`` (a failure at level error),
``WARNING`` / ``NOTE`` (a failure at level warning / note: it does not fail the run),
``PASSED``, ``UNKNOWN``. The rule column is as wide as the longest rule id shown. The last
line says what was checked and the counts, e.g. ``63 variables, 17 rules: 0 errors, 2 warnings``.
"""

from __future__ import annotations

from collections import defaultdict

from . import Result

#: Row label of a FAILED result by its level.
FAILED_LABEL = {"error": "FAILED", "warning": "WARNING", "note": "NOTE"}


def row_status(r: Result) -> str:
    """The label a row shows: FAILED/WARNING/NOTE for a failure by level, else the status."""
    return FAILED_LABEL.get(r.level, "FAILED") if r.status == "FAILED" else r.status


def plural(n: int, word: str) -> str:
    """``"1 error"``, ``"2 errors"``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary(results: list[Result], checked: str = "") -> str:
    """The summary line: ``[CHECKED: ]E errors, W warnings[, N notes][, U unknown][, P passed]``."""
    labels = [row_status(r) for r in results]
    parts = [plural(labels.count("FAILED"), "error"), plural(labels.count("WARNING"), "warning")]
    if labels.count("NOTE"):
        parts.append(plural(labels.count("NOTE"), "note"))
    if labels.count("UNKNOWN"):
        parts.append(f"{labels.count('UNKNOWN')} unknown")
    if labels.count("PASSED"):
        parts.append(f"{labels.count('PASSED')} passed")
    return (f"{checked}: " if checked else "") + ", ".join(parts)


def to_text(results: list[Result], *, title: str = "", checked: str = "") -> str:
    """A readable table: a header per group (service), then one line per result (see module
    doc). Ends with :func:`summary` (``checked`` names what was checked, e.g.
    ``"63 variables, 17 rules"``)."""
    lines: list[str] = [title] if title else []
    groups: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        groups[r.group].append(r)
    status_w = max((len(row_status(r)) for r in results), default=7)
    rule_w = max((len(r.rule_id) for r in results), default=0)
    for group in sorted(groups):
        lines.append(f"\n[{group}]")
        for r in groups[group]:
            where = f"{r.path}:{r.line}" if r.path and r.line else (r.path or "")
            lines.append(f"  {row_status(r):<{status_w}}  {r.rule_id:<{rule_w}}  {where + '  ' if where else ''}{r.message}")
    lines.append("\n" + summary(results, checked))
    return "\n".join(lines) + "\n"
