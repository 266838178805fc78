"""ElastiCache Redis 7 replication group (seed 001 header "Redis 7", §3.2 "ElastiCache Redis").

Type token ``somastack:data:Cache``. Encryption in transit and at rest; AUTH token read from
Secrets Manager (the reference ``auth_token_ref`` from the stack config, e.g.
``ref+awssecrets://soma/prod/redis#/auth_token``): Pulumi reads it through
``aws.secretsmanager.get_secret_version`` and keeps it a Pulumi secret (encrypted in state);
the services get only the reference. PROD: 3 cache clusters (primary + 2 replicas across the
AZs), automatic failover and Multi-AZ; DEV: one node, no failover (ElastiCache requires
``num_cache_clusters`` > 1 for automatic failover).
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
    ``cache.r7g.large``); ``engine_version`` (Redis 7 line, default ``7.1``)."""

    environment: str
    subnet_ids: pulumi.Input[Sequence[str]]
    security_group_id: pulumi.Input[str]
    auth_token_ref: str
    node_type: str = "cache.t4g.medium"
    engine_version: str = "7.1"
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        parse_aws_secret_ref(self.auth_token_ref)  # raises ValueError when not a reference
        if not self.engine_version.startswith("7"):
            raise ValueError("Redis 7 is required (seed 001)")


class Cache(pulumi.ComponentResource):
    """Outputs: ``primary_endpoint`` (host), ``port`` (6379), ``auth_token_ref`` (reference),
    ``automatic_failover`` (bool), ``tls`` (True)."""

    primary_endpoint: pulumi.Output[str]
    port: int
    auth_token_ref: str
    automatic_failover: bool
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
        group = aws.elasticache.ReplicationGroup(
            f"{name}-redis", description="SomaStack Redis 7 (cache, sessions)",
            engine="redis", engine_version=args.engine_version, node_type=args.node_type, port=PORT,
            num_cache_clusters=3 if prod else 1, automatic_failover_enabled=prod, multi_az_enabled=prod,
            transit_encryption_enabled=True, at_rest_encryption_enabled=True, auth_token=auth_token,
            subnet_group_name=subnet_group.name, security_group_ids=[args.security_group_id],
            snapshot_retention_limit=7 if prod else 0, auto_minor_version_upgrade=True,
            apply_immediately=not prod, tags=tags, opts=child)

        self.primary_endpoint = group.primary_endpoint_address
        self.port = PORT
        self.auth_token_ref = args.auth_token_ref
        self.automatic_failover = prod
        self.tls = True
        self.register_outputs({
            "primary_endpoint": self.primary_endpoint, "port": self.port,
            "auth_token_ref": self.auth_token_ref, "automatic_failover": self.automatic_failover,
            "tls": self.tls,
        })
