"""ElastiCache Redis: encryption in transit and at rest; cluster mode enabled with failover.

Source: issue 3 Database ("ElastiCache Redis 7 replication group with encryption in transit and
at rest"), seed 004 §12, Amazon ElastiCache "Data security" (in-transit and at-rest
encryption); seed 001 §3.2 ("ElastiCache Redis (cluster mode)"), issue 12, Amazon ElastiCache
"Replication: cluster mode disabled vs. enabled" and "Minimizing downtime with Multi-AZ".
"""

from __future__ import annotations

from ..registry import ResourceInput, Rule, Unknown
from ._env import environment_of, truthy

REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"


class RedisEncryption(Rule):
    """``redis-encryption``: ElastiCache Redis encrypts in transit (TLS) and at rest."""

    name = "redis-encryption"
    description = "ElastiCache Redis encrypts in transit (TLS) and at rest."
    level = "mandatory"
    category = "encryption"
    resource_types = (REPLICATION_GROUP,)
    source = "issue 3 Database; seed 004 §12; Amazon ElastiCache 'Data security'"

    def check(self, res: ResourceInput) -> list[str]:
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


class RedisClusterMode(Rule):
    """``redis-cluster-mode``: ElastiCache Redis runs in cluster mode with automatic failover (PROD: every
    shard has a replica, Multi-AZ)."""

    name = "redis-cluster-mode"
    description = ("ElastiCache Redis runs in cluster mode with automatic failover "
                   "(PROD: every shard has a replica, Multi-AZ).")
    level = "mandatory"
    category = "backup-and-recovery"
    resource_types = (REPLICATION_GROUP,)
    source = ("seed 001 §3.2 (ElastiCache Redis (cluster mode)); issue 12; Amazon ElastiCache 'Replication: "
              "cluster mode disabled vs. enabled', 'Minimizing downtime with Multi-AZ'")

    def check(self, res: ResourceInput) -> list[str]:
        """Cluster mode: ``clusterMode`` ``enabled`` (``compatible`` is a migration state) and
        ``numNodeGroups`` set; a default parameter group must be a ``cluster.on`` one;
        ``automaticFailoverEnabled`` true. PROD (``Environment`` tag): ``replicasPerNodeGroup`` ≥ 1
        and ``multiAzEnabled`` true (UNKNOWN without the tag)."""
        p = res.props
        out = []
        mode = str(p.get("clusterMode") or "").lower()
        if mode != "enabled":
            out.append(f"clusterMode is {mode or 'not set'} (cluster mode disabled: one primary holds every key); "
                       "set clusterMode enabled with numNodeGroups shards")
        if not p.get("numNodeGroups"):
            out.append("numNodeGroups (shards) is not set")
        group = str(p.get("parameterGroupName") or "")
        if group.startswith("default.") and not group.endswith(".cluster.on"):
            out.append(f"parameterGroupName {group} is not a cluster-mode parameter group (default.redis7.cluster.on)")
        if not truthy(p.get("automaticFailoverEnabled")):
            out.append("automaticFailoverEnabled is not true (required in cluster mode)")
        try:
            prod = environment_of(res) == "PROD"
        except Unknown:
            if out:
                return out
            raise
        if prod:
            if int(p.get("replicasPerNodeGroup") or 0) < 1:
                out.append("replicasPerNodeGroup is below 1 in PROD (a shard without a replica cannot fail over)")
            if not truthy(p.get("multiAzEnabled")):
                out.append("multiAzEnabled is not true in PROD")
        return out


#: This module's rules, in report order.
RULES: tuple[type[Rule], ...] = (RedisEncryption, RedisClusterMode)
