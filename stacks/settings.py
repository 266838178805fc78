"""Read a stack's configuration: contract variables and stack settings.

Convention (shared with the contract's preflight, ``somastack_deploy.config_contract.sources.read_pulumi_stack``):
in ``Pulumi.<stack>.yaml`` under the ``somastack:`` namespace,

- UPPER_CASE keys are contract variables (``somastack:SA01_DEPLOYMENT_MODE: PROD``); secrets
  are references (``ref+awssecrets://…``, ``ref+vault://…``, ``${VAR}``), never values;
- lower-camel keys are stack settings (:class:`StackSettings`): ``certificateArn``,
  ``availabilityZones``, ``vpcCidr``, ``sizing``, ``images``, ``publicHostname``,
  ``redisAuthToken``, ``keycloakAdminPassword``, ``dbInstanceClass``, ``cacheNodeType``,
  ``cacheShards``, ``cacheReplicasPerShard`` (ElastiCache cluster mode: node groups × replicas),
  ``kafkaInstanceType``, ``logRetentionDays``, ``eks`` (``version``, ``nodeInstanceType``,
  ``nodeCount``: ``{min, desired, max}``), ``secretsDir`` (local), ``tags``;
- ``aws:region`` is the AWS provider's region.

Errors are :class:`StackConfigError`: one line naming the stack file and the key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from somastack_deploy.components.spec import Sizing
from somastack_deploy.config_contract.errors import InputError

NAMESPACE = "somastack"
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")

#: Seed 001 §3.2 "Minimum Task Resources (per service)": 4 vCPU, 16 GB, 30 GB.
PROD_MIN_SIZING = Sizing(cpu_units=4096, memory_mib=16384, ephemeral_storage_gib=30, desired_count=2)
DEV_SIZING = Sizing(cpu_units=1024, memory_mib=2048, ephemeral_storage_gib=20, desired_count=1)


class StackConfigError(InputError, pulumi.RunError):
    """A stack setting is missing or malformed: ``Pulumi.<stack>.yaml: somastack:<key>: reason``.
    An :class:`somastack_deploy.config_contract.errors.InputError` (exit 2 in the CLI) and a
    ``pulumi.RunError`` (the Pulumi CLI prints it without a traceback)."""


def _raw_config() -> dict[str, Any]:
    """Every config key the Pulumi runtime knows (``ns:key`` → value as given)."""
    from pulumi.runtime import config as rc

    merged = dict(rc.get_config_env())
    merged.update(rc.CONFIG.get())
    return merged


def contract_env_from_config(stack: str | None = None) -> dict[str, str]:
    """The contract variables of the running stack: ``somastack:UPPER_CASE`` keys → str.

    Raises :class:`StackConfigError` for a Pulumi-encrypted (``secure:``) contract variable:
    the stacks pass secrets to the services as references only (Secrets Manager ARNs,
    secret files), which an encrypted config value cannot become.
    """
    from pulumi.runtime import config as rc

    env: dict[str, str] = {}
    prefix = NAMESPACE + ":"
    for key, value in sorted(_raw_config().items()):
        if not key.startswith(prefix):
            continue
        name = key[len(prefix):]
        if _ENV_NAME.match(name):
            if rc.is_config_secret(key):
                raise StackConfigError("Pulumi-encrypted values are not supported for contract variables: set a "
                                       "reference (ref+awssecrets://NAME#/KEY, ref+vault://PATH#/KEY, ${VAR})",
                                       path=f"Pulumi.{stack}.yaml" if stack else None, variable=key)
            env[name] = "" if value is None else str(value)
    return env


#: CloudWatch Logs retention values (``PutRetentionPolicy`` API), days.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)


@dataclass(frozen=True, kw_only=True)
class StackSettings:
    """Stack settings (see the module docstring); times in days, sizes as in :class:`Sizing`."""

    stack: str
    region: str | None
    certificate_arn: str | None
    availability_zones: tuple[str, ...]
    vpc_cidr: str
    sizing: Sizing
    images: Mapping[str, str]
    public_hostname: str | None
    redis_auth_token: str | None
    keycloak_admin_password: str | None
    db_instance_class: str
    cache_node_type: str
    kafka_instance_type: str
    log_retention_days: int
    eks: Mapping[str, Any]
    secrets_dir: str | None
    cache_shards: int = 1
    cache_replicas_per_shard: int = 1
    tags: Mapping[str, str] = field(default_factory=dict)

    def require(self, key: str, value):
        """``value`` or a :class:`StackConfigError` saying ``key`` is required for this target."""
        if value in (None, "", ()):
            raise StackConfigError("required for this target", path=f"Pulumi.{self.stack}.yaml",
                                   variable=key if ":" in key else f"{NAMESPACE}:{key}")
        return value


def _sizing(raw: Any, environment: str, where: str) -> Sizing:
    base = PROD_MIN_SIZING if environment == "PROD" else DEV_SIZING
    if raw is None:
        return base
    if not isinstance(raw, dict):
        raise StackConfigError("must be a mapping {cpu, memoryMiB, ephemeralStorageGiB, desiredCount}",
                               path=where, variable=f"{NAMESPACE}:sizing")
    try:
        sizing = Sizing(cpu_units=int(raw.get("cpu", base.cpu_units)),
                        memory_mib=int(raw.get("memoryMiB", base.memory_mib)),
                        ephemeral_storage_gib=int(raw.get("ephemeralStorageGiB", base.ephemeral_storage_gib)),
                        desired_count=int(raw.get("desiredCount", base.desired_count)))
    except (TypeError, ValueError):
        raise StackConfigError("values must be integers", path=where, variable=f"{NAMESPACE}:sizing") from None
    if environment == "PROD" and (sizing.cpu_units < PROD_MIN_SIZING.cpu_units
                                  or sizing.memory_mib < PROD_MIN_SIZING.memory_mib
                                  or sizing.ephemeral_storage_gib < PROD_MIN_SIZING.ephemeral_storage_gib):
        raise StackConfigError("below the PROD minimum per service of seed 001 §3.2 (cpu 4096 = 4 vCPU, "
                               "memoryMiB 16384, ephemeralStorageGiB 30)", path=where, variable=f"{NAMESPACE}:sizing")
    return sizing


def read_settings(stack: str, environment: str) -> StackSettings:
    """Read the stack settings of the running program (``pulumi.Config``).

    ``environment``: ``DEV`` | ``PROD`` (defaults and the PROD sizing floor depend on it).
    Raises :class:`StackConfigError` for malformed values.
    """
    cfg = pulumi.Config(NAMESPACE)
    where = f"Pulumi.{stack}.yaml"
    prod = environment == "PROD"

    def obj(key: str):
        try:
            return cfg.get_object(key)
        except (json.JSONDecodeError, pulumi.ConfigTypeError, ValueError):
            raise StackConfigError("not valid JSON/YAML structure", path=where, variable=f"{NAMESPACE}:{key}") from None

    def integer(key: str, default: int) -> int:
        try:
            value = cfg.get_int(key)
        except pulumi.ConfigTypeError:
            raise StackConfigError("must be an integer", path=where, variable=f"{NAMESPACE}:{key}") from None
        return default if value is None else value

    def bad(key: str, reason: str) -> StackConfigError:
        return StackConfigError(reason, path=where, variable=f"{NAMESPACE}:{key}")

    zones = obj("availabilityZones") or []
    if not isinstance(zones, list) or not all(isinstance(z, str) for z in zones):
        raise bad("availabilityZones", "must be a list of availability zone names")
    if zones and len(zones) != 3:
        raise bad("availabilityZones", f"exactly 3 availability zones are required, got {len(zones)}")
    cert = cfg.get("certificateArn")
    if cert and (not cert.startswith("arn:aws") or ":acm:" not in cert):
        raise bad("certificateArn", "must be an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)")
    images = obj("images") or {}
    tags = obj("tags") or {}
    eks = obj("eks") or {}
    for key, value in (("images", images), ("tags", tags), ("eks", eks)):
        if not isinstance(value, dict):
            raise bad(key, "must be a mapping")
    for key, image in images.items():
        if not isinstance(image, str) or ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest"):
            raise bad("images", f"{key}: pin the image by tag (repo:tag, not latest)")
    from somastack_deploy.config_contract.topology import is_reference

    for key in ("redisAuthToken", "keycloakAdminPassword", "postgresPassword"):
        value = cfg.get(key)
        if value is not None and not is_reference(value):
            raise bad(key, "must be a secret reference (ref+awssecrets://NAME#/KEY, ${VAR}), not a value")
    shards = integer("cacheShards", 3 if prod else 1)
    replicas = integer("cacheReplicasPerShard", 2 if prod else 1)
    if not 1 <= shards <= 500:
        raise bad("cacheShards", "must be 1-500 (ElastiCache node groups)")
    if not 0 <= replicas <= 5:
        raise bad("cacheReplicasPerShard", "must be 0-5 (ElastiCache replicas per node group)")
    if prod and replicas < 1:
        raise bad("cacheReplicasPerShard", "must be at least 1 in PROD (a shard without a replica cannot fail over)")
    retention = integer("logRetentionDays", 90 if prod else 14)
    if retention not in LOG_RETENTION_DAYS:
        raise bad("logRetentionDays", f"must be one of the CloudWatch retention values {LOG_RETENTION_DAYS}")
    return StackSettings(
        stack=stack,
        region=pulumi.Config("aws").get("region"),
        certificate_arn=cfg.get("certificateArn"),
        availability_zones=tuple(zones),
        vpc_cidr=cfg.get("vpcCidr") or "10.40.0.0/16",
        sizing=_sizing(obj("sizing"), environment, where),
        images={str(k): str(v) for k, v in images.items()},
        public_hostname=cfg.get("publicHostname"),
        redis_auth_token=cfg.get("redisAuthToken"),
        keycloak_admin_password=cfg.get("keycloakAdminPassword"),
        db_instance_class=cfg.get("dbInstanceClass") or ("db.r6g.xlarge" if prod else "db.t4g.medium"),
        cache_node_type=cfg.get("cacheNodeType") or ("cache.r7g.large" if prod else "cache.t4g.small"),
        kafka_instance_type=cfg.get("kafkaInstanceType") or ("kafka.m7g.large" if prod else "kafka.t3.small"),
        cache_shards=shards, cache_replicas_per_shard=replicas,
        log_retention_days=retention,
        eks=eks,
        secrets_dir=cfg.get("secretsDir"),
        tags={"Project": "somastack", "Stack": stack, "Environment": environment, "ManagedBy": "pulumi",
              **{str(k): str(v) for k, v in tags.items()}},
    )
