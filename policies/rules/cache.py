"""ElastiCache Redis: encryption in transit and at rest.

Source: issue 3 Database ("ElastiCache Redis 7 replication group with encryption in transit and
at rest"), seed 004 §12, Amazon ElastiCache "Data security" (in-transit and at-rest
encryption).
"""

from __future__ import annotations

from ..registry import ResourceInput, rule
from ._env import truthy

REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"


@rule("redis-encryption", description="ElastiCache Redis encrypts in transit (TLS) and at rest.",
      level="mandatory", resource_types=(REPLICATION_GROUP,),
      source="issue 3 Database; seed 004 §12; Amazon ElastiCache 'Data security'")
def redis_encryption(res: ResourceInput) -> list[str]:
    """``transitEncryptionEnabled`` and ``atRestEncryptionEnabled`` true; a
    ``transitEncryptionMode`` of ``preferred`` (plaintext still accepted) fails too."""
    out = []
    if not truthy(res.props.get("transitEncryptionEnabled")):
        out.append("transitEncryptionEnabled is not true")
    elif str(res.props.get("transitEncryptionMode") or "required").lower() == "preferred":
        out.append("transitEncryptionMode is preferred (plaintext connections still accepted)")
    if not truthy(res.props.get("atRestEncryptionEnabled")):
        out.append("atRestEncryptionEnabled is not true")
    return out
