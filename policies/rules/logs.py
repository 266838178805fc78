"""CloudWatch log groups: retention set to a finite, valid number of days.

Source: issue 3 Targets ("log groups with retention"), seed 004 §12 (audit and compliance
logs), CloudWatch Logs API ``PutRetentionPolicy`` (valid ``retentionInDays`` values).
"""

from __future__ import annotations

from ..registry import ResourceInput, Rule

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

#: Valid values of ``retentionInDays`` (CloudWatch Logs API reference, PutRetentionPolicy).
VALID_RETENTION_DAYS = frozenset({1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                                  1827, 2192, 2557, 2922, 3288, 3653})


class LogRetentionSet(Rule):
    """``log-retention-set``: CloudWatch log groups have a finite retention."""

    name = "log-retention-set"
    description = "CloudWatch log groups have a finite retention."
    level = "mandatory"
    category = "logging"
    resource_types = (LOG_GROUP,)
    source = "issue 3 Targets; CloudWatch Logs 'PutRetentionPolicy'"

    def check(self, res: ResourceInput) -> list[str]:
        """``retentionInDays`` set, not 0 (never expire), and one of :data:`VALID_RETENTION_DAYS`."""
        days = res.props.get("retentionInDays")
        if days in (None, 0):
            return ["retentionInDays is not set (logs never expire)"]
        if int(days) not in VALID_RETENTION_DAYS:
            return [f"retentionInDays {days} is not a value CloudWatch accepts"]
        return []


#: This module's rules, in report order.
RULES: tuple[type[Rule], ...] = (LogRetentionSet,)
