"""Report formatters shared by every subcommand: one interface, several formats.

Each command converts its own results into a list of :class:`Result` and calls
:func:`render` with a format name; command-specific JSON is built by the command itself
(its documented shape) and passed as ``json_doc``. Formats: ``text``, ``json``, ``sarif``
(SARIF 2.1.0), ``junit`` (JUnit XML as read by CI test tabs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

Status = Literal["PASSED", "FAILED", "UNKNOWN"]
Level = Literal["error", "warning", "note"]


@dataclass(frozen=True)
class RuleMeta:
    """A rule's metadata for SARIF ``tool.driver.rules``: stable ``id``, short ``name``,
    ``description`` and ``help_uri`` (optional, e.g. a seed section)."""

    id: str
    name: str
    description: str = ""
    help_uri: str | None = None


@dataclass
class Result:
    """One result of a rule, probe or check, already free of secret values.

    ``status`` PASSED/FAILED/UNKNOWN; ``level`` error/warning/note (SARIF level of a
    failure); ``group`` groups results in text and JUnit (the service name); ``path`` and
    ``line`` (1-based) locate a finding in a file; ``time_s`` is a duration in seconds.
    """

    rule_id: str
    message: str
    status: Status = "FAILED"
    level: Level = "error"
    group: str = "general"
    name: str = ""
    path: str | None = None
    line: int | None = None
    time_s: float = 0.0
    properties: dict = field(default_factory=dict)


FORMATS = ("text", "json", "sarif", "junit")


def render(fmt: str, results: list[Result], *, tool: str, rules: list[RuleMeta] | None = None,
           json_doc: dict | None = None, title: str = "", checked: str = "") -> str:
    """Render ``results`` in ``fmt`` (one of :data:`FORMATS`) and return the text.

    ``json_doc`` is the command's own JSON document (required for ``json``). ``checked`` says
    what was checked, for the text summary (e.g. ``"63 variables, 17 rules"``). SARIF's
    ``tool.driver.version`` is the installed package's version. Raises ``ValueError`` for an
    unknown format.
    """
    if fmt == "json":
        return json.dumps(json_doc if json_doc is not None else [r.__dict__ for r in results], indent=2, sort_keys=False) + "\n"
    if fmt == "sarif":
        from .sarif import to_sarif

        return json.dumps(to_sarif(results, tool=tool, rules=rules or []), indent=2) + "\n"
    if fmt == "junit":
        from .junit import to_junit

        return to_junit(results, suite=tool)
    if fmt == "text":
        from .text import to_text

        return to_text(results, title=title, checked=checked)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def write_report(text: str, output: str | None) -> None:
    """Write a rendered report to ``output`` (a file path, UTF-8) or, when ``output`` is None,
    to stdout. Raises :class:`somastack_deploy.config_contract.errors.InputError` (exit 2) naming the file when it
    cannot be written."""
    import sys

    if not output:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as err:
        from somastack_deploy.config_contract.errors import InputError

        raise InputError(f"cannot write report ({err.strerror or 'error'})", path=output) from None
