"""The finding: one result of a contract rule (preflight) or of the source-tree scan.

This type is shared: the contract rules (:mod:`somastack_deploy.config_contract.rules`) and the scan
(:mod:`somastack_deploy.config_contract.scan`) both produce :class:`Finding` objects and they end up in the same
:class:`somastack_deploy.config_contract.report.Report`. Keep the field set stable.

JSON shape (``Finding.to_dict``), as issue 2 specifies::

    {"rule": "VIBE-91", "severity": "error", "variable": "SOMABRAIN_API_URL",
     "service": "agent", "path": "examples/prod.env", "line": 12, "message": "..."}

A finding's ``message`` names the variable and never contains a secret value: rules build it
from names, seed sections and masked values only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]
SEVERITIES: tuple[str, ...] = ("error", "warning")


@dataclass(frozen=True)
class Finding:
    """One finding.

    - ``rule``: stable rule id (``VIBE-91``, ``VIBE-164``, ``MODE-CLUSTER-PAIRING`` …).
    - ``severity``: ``"error"`` (fails the verdict, exit 1) or ``"warning"`` (reported only).
    - ``variable``: the environment variable concerned (``None`` for scan findings that name none).
    - ``service``: who reads it: a topology service key (``agent``, ``brain``, ``memory``) or
      ``shared`` (several services) or ``general``.
    - ``path`` / ``line``: file and 1-based line where the value was set (``None`` when it came
      from the process environment or is missing altogether).
    - ``message``: one line; names the variable and the seed section; never a secret value.
    """

    rule: str
    severity: Severity
    variable: str | None
    service: str
    path: str | None
    line: int | None
    message: str

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")

    def to_dict(self) -> dict:
        """The JSON object of issue 2 (keys in the documented order)."""
        return asdict(self)

    def sort_key(self) -> tuple:
        """Stable order: errors first, then service, variable, rule, path, line."""
        return (0 if self.severity == "error" else 1, self.service or "", self.variable or "",
                self.rule, self.path or "", self.line or 0, self.message)
