"""Small Pulumi programs used by the plan tests (module name unique for pytest's importer)."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

PLANTED_SECRET = "planted-Secr3t-value-7781"


class Core(pulumi.ComponentResource):
    """A component with an RDS instance and a task definition rendered from its address."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("somastack:test:Core", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cfg = pulumi.Config("somastack")
        env = cfg.get("SA01_DEPLOYMENT_MODE") or "DEV"
        tags = {"Project": "somastack", "Environment": env, "Stack": pulumi.get_stack(), "ManagedBy": "pulumi"}
        token = cfg.require_secret("API_TOKEN")
        self.db = aws.rds.Instance(f"{name}-db", engine="postgres", engine_version="16", instance_class="db.t4g.micro",
                                   allocated_storage=20, storage_encrypted=True, manage_master_user_password=True,
                                   username="soma", backup_retention_period=14, tags=tags, opts=child)
        self.cache = aws.elasticache.ReplicationGroup(f"{name}-redis", description="redis", engine="redis",
                                                      transit_encryption_enabled=True, at_rest_encryption_enabled=True,
                                                      auth_token=token, tags=tags, opts=child)
        self.task = aws.ecs.TaskDefinition(
            f"{name}-agent", family="agent", tags=tags, opts=child,
            container_definitions=pulumi.Output.all(self.db.address, self.db.port).apply(lambda a: json.dumps([
                {"name": "agent", "image": "soma/agent:1", "environment": [{"name": "SA01_DB_HOST", "value": a[0]},
                                                                          {"name": "SA01_DB_PORT", "value": str(a[1])}],
                 "secrets": [{"name": "SA01_AUTH_TOKEN", "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:t"}]}])))
        self.register_outputs({"address": self.db.address, "redis": self.cache.primary_endpoint_address})


def program() -> None:
    """Core component + stack exports (one of them a secret)."""
    core = Core("core")
    pulumi.export("postgres", {"host": core.db.address, "port": core.db.port})
    pulumi.export("redis_host", core.cache.primary_endpoint_address)
    pulumi.export("api_token", pulumi.Config("somastack").require_secret("API_TOKEN"))


class ContractViolation(Exception):
    """Stands in for the contract's error in the exception-propagation test."""


def failing_program() -> None:
    """Registers one resource, then raises like a contract violation would."""
    aws.s3.Bucket("early", tags={"Project": "x"})
    raise ContractViolation("VIBE-91: SA01_DB_HOST points at a service the stack does not run")


CONFIG = {"somastack:SA01_DEPLOYMENT_MODE": "PROD", "aws:region": "eu-west-1"}


def failing_apply_program() -> None:
    """Registers the Core component, then fails inside an ``apply`` on a resource output (as the
    contract gate does on a rendered env) while other resources and exports depend on it: the
    failed run leaves many Output tasks behind in the SDK's process-global ``SETTINGS.outputs``."""
    core = Core("core")

    def refuse(address: str) -> str:
        raise ContractViolation(f"VIBE-91: SA01_DB_HOST ({len(address)} chars) refused")

    gated = core.db.address.apply(refuse)
    aws.s3.Bucket("late", tags={"Project": "somastack", "Gate": gated})
    pulumi.export("gated", gated)


def plan_digest(plan) -> str:
    """A JSON text of everything a run captured (masked), comparable across processes."""
    return json.dumps({
        "stack_urn": plan.stack_urn, "stack_outputs": plan.stack_outputs,
        "resources": [{"urn": r.urn, "parent": r.parent, "custom": r.custom, "id": r.id, "provider": r.provider,
                       "dependencies": list(r.dependencies), "inputs": r.inputs, "outputs": r.outputs,
                       "secret_inputs": sorted(r.secret_inputs)} for r in plan.resources],
    }, sort_keys=True)


if __name__ == "__main__":  # a fresh process's clean run, for the runtime-reset test
    from somastack_deploy.plan.runner import SecretValue, run_stack

    print(plan_digest(run_stack("fargate-prod", {**CONFIG, "API_TOKEN": SecretValue(PLANTED_SECRET)}, program)))
