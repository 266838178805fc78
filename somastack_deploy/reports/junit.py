"""JUnit XML output (the Ant/Surefire schema that CI test tabs read)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from . import Result


def to_junit(results: list[Result], *, suite: str) -> str:
    """One ``<testsuite>`` per result group inside ``<testsuites name=suite>``; each result is a
    ``<testcase classname=group name=rule_id[:name]>``; FAILED with level error → ``<failure>``,
    FAILED with level warning/note → passes with ``<system-out>``, UNKNOWN → ``<skipped>``.
    Durations are seconds."""
    groups: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        groups[r.group].append(r)
    root = ET.Element("testsuites", name=suite)
    total = failures = skipped = 0
    for group in sorted(groups):
        cases = groups[group]
        s_fail = sum(1 for r in cases if r.status == "FAILED" and r.level == "error")
        s_skip = sum(1 for r in cases if r.status == "UNKNOWN")
        ts = ET.SubElement(root, "testsuite", name=f"{suite}.{group}", tests=str(len(cases)),
                           failures=str(s_fail), errors="0", skipped=str(s_skip),
                           time=f"{sum(r.time_s for r in cases):.3f}")
        for r in cases:
            name = r.rule_id + (f": {r.name}" if r.name else "")
            if r.path:
                name += f" [{r.path}{':' + str(r.line) if r.line else ''}]"
            tc = ET.SubElement(ts, "testcase", classname=f"{suite}.{group}", name=name, time=f"{r.time_s:.3f}")
            if r.status == "FAILED" and r.level == "error":
                ET.SubElement(tc, "failure", message=r.message, type=r.rule_id).text = r.message
            elif r.status == "FAILED":
                ET.SubElement(tc, "system-out").text = f"{r.level}: {r.message}"
            elif r.status == "UNKNOWN":
                ET.SubElement(tc, "skipped", message=r.message)
        total += len(cases)
        failures += s_fail
        skipped += s_skip
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", "0")
    root.set("skipped", str(skipped))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
