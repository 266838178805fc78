"""ElastiCache Redis 7 replication group in cluster mode (seed 001 header "Redis 7", §3.2
"ElastiCache Redis (cluster mode)").

Type token ``somastack:data:Cache``. Cluster mode enabled (Amazon ElastiCache "Replication:
Redis OSS cluster mode disabled vs. enabled"): ``shards`` node groups (the 16 384 hash slots
spread over them) × ``replicas_per_shard`` replicas each, the default parameter group of the
family (``default.redis7.cluster.on``), automatic failover (required in cluster mode) and, with
replicas, Multi-AZ. Clients connect to the **configuration endpoint** with a cluster-aware
client (redis-py ``RedisCluster``; ``MOVED``/``ASK`` redirections). Encryption in transit and
at rest; AUTH token read from Secrets Manager (the reference ``auth_token_ref`` from the stack
config, e.g. ``ref+awssecrets://soma/prod/redis#/auth_token``): Pulumi reads it through
``aws.secretsmanager.get_secret_version`` and keeps it a Pulumi secret (encrypted in state);
the services get only the reference. Defaults come from the stack settings
(``cacheShards``/``cacheReplicasPerShard``, :mod:`somastack_deploy.stacks.settings`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from .spec import parse_aws_secret_ref

TYPE = "somastack:data:Cache"
PORT = 6379  # seed 001 §1.1
#: The default parameter group of the redis7 family with ``cluster-enabled yes``.
CLUSTER_PARAMETER_GROUP = "default.redis7.cluster.on"
#: ElastiCache limits: node groups per replication group (default quota) and replicas per node group.
MAX_SHARDS, MAX_REPLICAS = 500, 5


def _secret_field(secret_string: str, key: str | None) -> str:
    """Value of ``key`` in a JSON secret string, or the whole string when ``key`` is None.
    Raises ``ValueError`` naming the key (never the value) when absent."""
    if key is None:
        return secret_string
    try:
        doc = json.loads(secret_string)
    except json.JSONDecodeError:
        raise ValueError(f"secret is not JSON, cannot read key {key!r}") from None
    if not isinstance(doc, dict) or key not in doc:
        raise ValueError(f"secret has no key {key!r}")
    return str(doc[key])


@dataclass(frozen=True, kw_only=True)
class CacheArgs:
    """``environment``: DEV | PROD; ``subnet_ids``: private subnets; ``security_group_id``: the
    cache SG; ``auth_token_ref``: ``ref+awssecrets://NAME#/KEY``; ``node_type`` (e.g.
    ``cache.r7g.large``); ``engine_version`` (Redis 7 line, default ``7.1``); ``shards``: node
    groups (1-500); ``replicas_per_shard`` (0-5; PROD needs at least 1 for failover)."""

    environment: str
    subnet_ids: pulumi.Input[Sequence[str]]
    security_group_id: pulumi.Input[str]
    auth_token_ref: str
    node_type: str = "cache.t4g.medium"
    engine_version: str = "7.1"
    shards: int = 1
    replicas_per_shard: int = 1
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        parse_aws_secret_ref(self.auth_token_ref)  # raises ValueError when not a reference
        if not self.engine_version.startswith("7"):
            raise ValueError("Redis 7 is required (seed 001)")
        if not 1 <= self.shards <= MAX_SHARDS:
            raise ValueError(f"cacheShards must be 1-{MAX_SHARDS}")
        if not 0 <= self.replicas_per_shard <= MAX_REPLICAS:
            raise ValueError(f"cacheReplicasPerShard must be 0-{MAX_REPLICAS}")
        if self.environment == "PROD" and self.replicas_per_shard < 1:
            raise ValueError("cacheReplicasPerShard must be at least 1 in PROD (a shard without a replica cannot fail over)")


class Cache(pulumi.ComponentResource):
    """Outputs: ``configuration_endpoint`` (host of the cluster's configuration endpoint),
    ``port`` (6379), ``auth_token_ref`` (reference), ``cluster_mode`` (True), ``shards``,
    ``replicas_per_shard``, ``automatic_failover`` (True), ``multi_az`` (bool), ``tls`` (True)."""

    configuration_endpoint: pulumi.Output[str]
    port: int
    auth_token_ref: str
    cluster_mode: bool
    shards: int
    replicas_per_shard: int
    automatic_failover: bool
    multi_az: bool
    tls: bool

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        prod = args.environment == "PROD"
        tags = dict(args.tags)
        secret_id, key = parse_aws_secret_ref(args.auth_token_ref)
        version = aws.secretsmanager.get_secret_version_output(secret_id=secret_id, opts=pulumi.InvokeOutputOptions(parent=self))
        auth_token = pulumi.Output.secret(version.secret_string.apply(lambda s: _secret_field(s, key)))
        subnet_group = aws.elasticache.SubnetGroup(f"{name}-subnets", subnet_ids=args.subnet_ids, tags=tags, opts=child)
        multi_az = args.replicas_per_shard >= 1
        group = aws.elasticache.ReplicationGroup(
            f"{name}-redis", description="SomaStack Redis 7 cluster (cache, sessions)",
            engine="redis", engine_version=args.engine_version, node_type=args.node_type, port=PORT,
            cluster_mode="enabled", parameter_group_name=CLUSTER_PARAMETER_GROUP,
            num_node_groups=args.shards, replicas_per_node_group=args.replicas_per_shard,
            automatic_failover_enabled=True, multi_az_enabled=multi_az,
            transit_encryption_enabled=True, at_rest_encryption_enabled=True, auth_token=auth_token,
            subnet_group_name=subnet_group.name, security_group_ids=[args.security_group_id],
            snapshot_retention_limit=7 if prod else 0, auto_minor_version_upgrade=True,
            apply_immediately=not prod, tags=tags, opts=child)

        self.configuration_endpoint = group.configuration_endpoint_address
        self.port = PORT
        self.auth_token_ref = args.auth_token_ref
        self.cluster_mode = True
        self.shards = args.shards
        self.replicas_per_shard = args.replicas_per_shard
        self.automatic_failover = True
        self.multi_az = multi_az
        self.tls = True
        self.register_outputs({
            "configuration_endpoint": self.configuration_endpoint, "port": self.port,
            "auth_token_ref": self.auth_token_ref, "cluster_mode": self.cluster_mode, "shards": self.shards,
            "replicas_per_shard": self.replicas_per_shard, "automatic_failover": self.automatic_failover,
            "multi_az": self.multi_az, "tls": self.tls,
        })
