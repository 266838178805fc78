"""Plain-text table output, grouped by service, for terminals and CI logs."""

from __future__ import annotations

from collections import defaultdict

from . import Result


def to_text(results: list[Result], *, title: str = "") -> str:
    """A readable table: a header per group (service), then one line per result:
    ``STATUS  LEVEL    RULE       location  message``. Ends with a one-line summary."""
    lines: list[str] = [title] if title else []
    groups: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        groups[r.group].append(r)
    for group in sorted(groups):
        lines.append(f"\n[{group}]")
        for r in groups[group]:
            where = f"{r.path}:{r.line}" if r.path and r.line else (r.path or "")
            lvl = r.level if r.status == "FAILED" else ""
            lines.append(f"  {r.status:<7} {lvl:<7} {r.rule_id:<14} {where + '  ' if where else ''}{r.message}")
    errors = sum(1 for r in results if r.status == "FAILED" and r.level == "error")
    warnings = sum(1 for r in results if r.status == "FAILED" and r.level == "warning")
    lines.append(f"\n{errors} error(s), {warnings} warning(s), {len(results)} result(s)")
    return "\n".join(lines) + "\n"
