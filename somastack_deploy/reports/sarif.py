"""SARIF 2.1.0 output (OASIS SARIF v2.1.0, the shape GitHub code scanning accepts)."""

from __future__ import annotations

from somastack_deploy.version import version as tool_version

from . import Result, RuleMeta

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def to_sarif(results: list[Result], *, tool: str, rules: list[RuleMeta], driver_version: str | None = None) -> dict:
    """Build a SARIF log: one run, ``tool.driver`` with ``name``, ``version`` (``driver_version``,
    default: the installed package's, :func:`somastack_deploy.version.version`) and ``rules`` from ``rules`` (plus any rule id seen
    in results), one ``result`` per non-PASSED result. Locations carry ``artifactLocation.uri``
    and ``region.startLine`` when the result has a path (and line)."""
    known = {r.id: r for r in rules}
    for r in results:
        known.setdefault(r.rule_id, RuleMeta(id=r.rule_id, name=r.name or r.rule_id))
    rule_list = sorted(known.values(), key=lambda m: m.id)
    index = {m.id: i for i, m in enumerate(rule_list)}
    sarif_rules = []
    for m in rule_list:
        entry = {"id": m.id, "name": m.name, "shortDescription": {"text": m.name}}
        if m.description:
            entry["fullDescription"] = {"text": m.description}
        if m.help_uri:
            entry["helpUri"] = m.help_uri
        sarif_rules.append(entry)
    out = []
    for r in results:
        if r.status == "PASSED":
            continue
        item = {"ruleId": r.rule_id, "ruleIndex": index[r.rule_id], "level": r.level,
                "message": {"text": r.message}}
        if r.path:
            loc = {"physicalLocation": {"artifactLocation": {"uri": r.path}}}
            if r.line:
                loc["physicalLocation"]["region"] = {"startLine": int(r.line)}
            item["locations"] = [loc]
        if r.properties:
            item["properties"] = r.properties
        out.append(item)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": tool, "version": driver_version or tool_version(),
                                      "informationUri": "https://github.com/somastack/somastack-deploy",
                                      "rules": sarif_rules}},
                  "results": out}],
    }
