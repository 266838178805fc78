"""A stand-in ``somastack_deploy.stacks.program`` for the CLI tests: behaviour chosen by stack config.

``somastack:mode`` = ``ok`` (compliant resources), ``violate`` (plaintext secret in an ECS
environment + unencrypted RDS), ``contract`` (raises config_contract.ContractViolation),
``crash`` (raises ValueError), ``setting`` (raises an InputError like a bad stack setting). The planted secret comes from config ``somastack:plantedToken``
(a plaintext value the program puts in a container environment) and the Pulumi secret
``somastack:API_TOKEN``.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws


def main() -> None:
    cfg = pulumi.Config("somastack")
    mode = cfg.require("mode")
    tags = {"Project": "somastack", "Environment": "DEV", "Stack": pulumi.get_stack(), "ManagedBy": "pulumi"}
    if mode == "contract":
        from somastack_deploy.config_contract import enforce

        enforce({"SA01_DEPLOYMENT_MODE": "PROD", "SA01_DB_DSN": "postgresql://localhost:5432/soma"})
        raise AssertionError("the contract should have refused this configuration")
    if mode == "crash":
        raise ValueError("availability_zones must list exactly 3 zones")
    if mode == "setting":
        _input_error()
    token = cfg.require_secret("API_TOKEN")
    planted = cfg.get("plantedToken") or "x"
    violate = mode == "violate"
    db = aws.rds.Instance("db", engine="postgres", instance_class="db.t4g.micro", allocated_storage=20,
                          storage_encrypted=not violate, manage_master_user_password=True, tags=tags)
    env = [{"name": "SA01_DB_HOST", "value": "db.internal"}]
    if violate:
        env.append({"name": "SA01_AUTH_TOKEN", "value": planted})
    aws.ecs.TaskDefinition("agent", family="agent", tags=tags,
                           container_definitions=json.dumps([{"name": "agent", "image": "soma/agent:1", "environment": env}]))
    aws.elasticache.ReplicationGroup("redis", description="r", transit_encryption_enabled=True,
                                     at_rest_encryption_enabled=True, auth_token=token, tags=tags,
                                     cluster_mode="enabled", num_node_groups=1, replicas_per_node_group=1,
                                     automatic_failover_enabled=True)
    aws.cloudwatch.LogGroup("logs", retention_in_days=30, tags=tags)
    pulumi.export("postgres", {"host": db.address, "port": db.port})
    pulumi.export("api_token", token)


def _input_error():
    from somastack_deploy.config_contract.errors import InputError

    raise InputError("must be a list of 3 zones", path="Pulumi.fargate-dev.yaml", variable="somastack:availabilityZones")
