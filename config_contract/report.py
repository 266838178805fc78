"""The report of one evaluation: dimensions + findings, and its JSON document.

JSON (``Report.to_json``), issue 2's shape plus two informative keys::

    {"version": 1, "passed": false,
     "dimensions": {"software_mode": "SomaStackClusterMode", "environment": "PROD",
                    "saas_bridge": false, "target": "FARGATE"},
     "runtime_mode": "PRODUCTION", "services": ["agent", "brain", "memory"],
     "findings": [{"rule": "VIBE-91", "severity": "error", "variable": "SOMABRAIN_API_URL",
                   "service": "agent", "path": "examples/prod.env", "line": 12, "message": "..."}]}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .findings import Finding
from .topology import Dimensions

REPORT_VERSION = 1


@dataclass
class Report:
    """Result of :func:`config_contract.evaluate`.

    ``dimensions`` (:class:`somastack_deploy.config_contract.topology.Dimensions`; ``None`` for a scan-only
    report), ``runtime_mode`` (seed 003 mode
    or ``None``), ``services`` (app services evaluated), ``findings`` (sorted: errors first).
    ``passed`` is True when no finding is an error. Scan findings are appended with
    :meth:`extend` (same :class:`Finding` type).
    """

    dimensions: Dimensions | None
    findings: list[Finding] = field(default_factory=list)
    runtime_mode: str | None = None
    services: tuple[str, ...] = ()

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def passed(self) -> bool:
        return not self.errors

    def extend(self, findings: list[Finding]) -> None:
        """Add findings (e.g. from the scan or the secret backends) and keep the order stable."""
        self.findings = sorted([*self.findings, *findings], key=Finding.sort_key)

    def to_dict(self) -> dict:
        return {
            "version": REPORT_VERSION,
            "passed": self.passed,
            "dimensions": self.dimensions.model_dump(mode="json") if self.dimensions else None,
            "runtime_mode": self.runtime_mode,
            "services": list(self.services),
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_json(self) -> str:
        """The JSON document (2-space indent, trailing newline)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"
