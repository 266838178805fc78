"""Drift reports: JSON (version 1, :meth:`DriftReport.to_json`), Markdown and SARIF 2.1.0
(through the shared :mod:`somastack_deploy.reports` formatter)."""

from __future__ import annotations

import json

from somastack_deploy.reports import Result, RuleMeta, render

from .model import DriftReport

RULES = [RuleMeta(f"DRIFT-{kind.upper()}-{change.upper()}", f"{kind} drift: {change}",
                  f"A {kind} field is {change} compared with what the repo/contract declares.")
         for kind in ("config", "service", "infra") for change in ("missing", "extra", "changed")]


def to_results(rep: DriftReport) -> list[Result]:
    """One SARIF/JUnit result per drift item (errors as UNKNOWN results)."""
    out = [Result(rule_id=f"DRIFT-{i.kind.upper()}-{i.change.upper()}", message=f"{i.service}: {i.message()}",
                  status="FAILED", level="error", group=i.service, name=i.object,
                  path=i.source if i.source and not i.source.startswith(("topology", "stack", "harness")) else None,
                  properties={"key": i.key, "secret": i.secret})
           for i in rep.items]
    out += [Result(rule_id="DRIFT-UNCHECKED", message=e, status="UNKNOWN", level="warning", group=e.split(":", 1)[0])
            for e in rep.errors]
    return out


def to_markdown(rep: DriftReport) -> str:
    lines = [f"# Drift report: stack {rep.stack}", "",
             f"**{'DRIFT' if rep.drift else 'No drift'}**: {len(rep.items)} item(s), {len(rep.accepted)} accepted"
             f" by the baseline; checked: {', '.join(sorted(rep.checked)) or 'nothing'}.", ""]
    if rep.items:
        lines += ["| kind | service | object | field | change | declared | live |", "|---|---|---|---|---|---|---|"]
        for i in rep.items:
            cells = [i.kind, i.service, i.object, i.field, i.change, i.expected or "", i.actual or ""]
            lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
        lines.append("")
    for title, rows in (("Not checked", rep.errors), ("Notes", rep.notes)):
        if rows:
            lines += [f"## {title}", ""] + [f"- {r}" for r in rows] + [""]
    return "\n".join(lines)


def verdict(rep: DriftReport) -> str:
    """The header verdict, agreeing with the exit code: ``DRIFT``, ``NOT CHECKED`` (something
    could not be checked: exit 1 too) or ``no drift``."""
    if rep.drift:
        return "DRIFT"
    return "NOT CHECKED: " + str(len(rep.errors)) + " unchecked" if rep.errors else "no drift"


def render_report(rep: DriftReport, fmt: str) -> str:
    """``fmt``: json, markdown, sarif or text. Raises ``ValueError`` otherwise."""
    if fmt == "json":
        return json.dumps(rep.to_json(), indent=2) + "\n"
    if fmt == "markdown":
        return to_markdown(rep)
    if fmt in ("sarif", "text", "junit"):
        return render(fmt, to_results(rep), tool="somastack-deploy.drift", rules=RULES,
                      title=f"drift: stack {rep.stack} ({verdict(rep)})",
                      checked="checked " + (", ".join(sorted(rep.checked)) or "nothing"))
    raise ValueError(f"unknown format {fmt!r}")
