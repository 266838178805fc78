"""Documented exit codes, shared by every subcommand (pip-audit style).

- ``OK`` (0): no errors (warnings allowed) / all healthy / no drift.
- ``FINDINGS`` (1): errors found / a probe unhealthy / a cycle failed / drift / a mandatory
  policy violation.
- ``USAGE`` (2): unusable input: missing or unreadable file, unparsable line, unknown option.
"""

OK = 0
FINDINGS = 1
USAGE = 2
