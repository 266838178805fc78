"""ALB target group health (AWS): every registered target reports ``healthy``.

A blue/green service (ECS native blue/green on the Fargate target) lists both target groups:
the probe then passes when the groups with targets are all healthy and at least one has
targets (the other is the idle colour).

A service exposes its target group as an endpoint ``{"protocol": "aws-elbv2-target-group",
"url": "<target group ARN>"}`` in the topology. Calls ``elbv2.DescribeTargetHealth``
(boto3; credentials from the usual AWS chain, region from the ARN). Source: AWS Elastic Load
Balancing API reference, DescribeTargetHealth; seed 001 §3 ("Configure ALB target groups
with health checks").
"""

from __future__ import annotations

from .base import ANY, MISSING, UNHEALTHY, ProbeContext, ProbeFailure, register

PROTOCOL_TG = "aws-elbv2-target-group"


def elbv2_client(region: str, timeout_s: float):
    """A boto3 ``elbv2`` client with connect/read timeouts (seconds) and no retries."""
    import boto3
    from botocore.config import Config

    return boto3.client("elbv2", region_name=region, config=Config(connect_timeout=timeout_s, read_timeout=timeout_s,
                                                                   retries={"total_max_attempts": 1}))


def target_health(client, arn: str) -> str:
    """Describe the target group's targets; return a detail line when all are healthy, raise
    :class:`ProbeFailure` (missing: no targets; unhealthy: naming targets, state, reason)."""
    resp = client.describe_target_health(TargetGroupArn=arn)
    descs = resp.get("TargetHealthDescriptions", [])
    if not descs:
        raise ProbeFailure(MISSING, f"no target registered in {arn.rsplit(':', 1)[-1]}")
    bad = [d for d in descs if d["TargetHealth"]["State"] != "healthy"]
    if bad:
        parts = [f"{d['Target']['Id']}:{d['Target'].get('Port', '')} {d['TargetHealth']['State']}"
                 f" ({d['TargetHealth'].get('Reason', '')})" for d in bad]
        raise ProbeFailure(UNHEALTHY, f"{len(bad)}/{len(descs)} target(s) not healthy: " + "; ".join(parts))
    return f"{len(descs)} target(s) healthy"


def target_groups_health(client, arns: list[str]) -> str:
    """Blue/green pair (or one group): every target of every group is healthy and at least one
    group serves (has targets); an empty group is the idle colour of a blue/green pair (ECS
    deregisters the old revision after the bake time). Raises :class:`ProbeFailure` like
    :func:`target_health`."""
    if len(arns) == 1:
        return target_health(client, arns[0])
    details, idle = [], []
    for arn in arns:
        try:
            details.append(target_health(client, arn))
        except ProbeFailure as err:
            if err.category != MISSING:
                raise
            idle.append(arn.rsplit(":", 1)[-1])
    if not details:
        raise ProbeFailure(MISSING, f"no target registered in any of {len(arns)} target groups")
    return "; ".join(details) + (f" (idle: {', '.join(idle)})" if idle else "")


@register("probe.aws.alb_targets", ANY, "ALB target group: all targets healthy",
          source="AWS ELBv2 DescribeTargetHealth; seed 001 §3", protocols=(PROTOCOL_TG,), imports=("boto3",))
def probe_alb(ctx: ProbeContext) -> str:
    arns = [e.url or "" for e in ctx.service.endpoints if e.protocol == PROTOCOL_TG]
    for arn in arns:
        parts = arn.split(":")
        if len(parts) < 6 or parts[2] != "elasticloadbalancing":
            raise ProbeFailure("bad input", f"{ctx.service_key}: not a target group ARN")
    return target_groups_health(elbv2_client(arns[0].split(":")[3], ctx.timeout_s), arns)
