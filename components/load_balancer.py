"""Application Load Balancer in front of the agent gateway.

Type token ``somastack:lb:LoadBalancer``. Seed 001 §3.2 ("ALB for HTTP + WebSocket traffic")
and §6 ("SSL/TLS termination at load balancer"): listener 80 answers with a permanent redirect
to 443; listener 443 terminates TLS with the ACM certificate from the stack config
(``somastack:certificateArn``) and forwards to one target group for the gateway (container
port 20020, seed 001 §1.1) with health check ``/api/v1/health`` (seed 002 §5.1). WebSockets
(``/ws/v2/chat``) need a long idle timeout and sticky sessions (ELB docs: "WebSockets are
supported … the idle timeout applies"), hence ``idle_timeout_s`` and ``lb_cookie`` stickiness.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

TYPE = "somastack:lb:LoadBalancer"
#: TLS policy: TLS 1.3 + 1.2 only (ELB security policies).
SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


@dataclass(frozen=True, kw_only=True)
class LoadBalancerArgs:
    """``vpc_id``, ``subnet_ids`` (public, 3 AZs), ``security_group_id`` (the ALB SG);
    ``certificate_arn``: ACM certificate ARN (required, HTTPS only); ``target_port``: port the
    target group sends to (20020 for Fargate ``ip`` targets, the NodePort for EKS ``instance``
    targets); ``target_type``: ``ip`` | ``instance``; ``health_check_path``; ``idle_timeout_s``
    (seconds, 1-4000); ``stickiness_s`` (cookie duration, seconds); ``deletion_protection``."""

    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[str]]
    security_group_id: pulumi.Input[str]
    certificate_arn: str
    target_port: int = 20020
    target_type: str = "ip"
    health_check_path: str = "/api/v1/health"
    idle_timeout_s: int = 3600
    stickiness_s: int = 86400
    deletion_protection: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.certificate_arn.startswith("arn:"):
            raise ValueError("certificateArn: an ACM certificate ARN (arn:aws:acm:…) is required")
        if self.target_type not in ("ip", "instance"):
            raise ValueError("target_type must be ip or instance")


class LoadBalancer(pulumi.ComponentResource):
    """Outputs: ``arn``, ``dns_name``, ``zone_id``, ``target_group_arn``, ``https_listener_arn``."""

    arn: pulumi.Output[str]
    dns_name: pulumi.Output[str]
    zone_id: pulumi.Output[str]
    target_group_arn: pulumi.Output[str]
    https_listener_arn: pulumi.Output[str]

    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        alb = aws.lb.LoadBalancer(
            f"{name}-alb", load_balancer_type="application", internal=False,
            security_groups=[args.security_group_id], subnets=args.subnet_ids,
            idle_timeout=args.idle_timeout_s, drop_invalid_header_fields=True,
            enable_deletion_protection=args.deletion_protection, tags=tags, opts=child)
        tg = aws.lb.TargetGroup(
            f"{name}-gateway-tg", port=args.target_port, protocol="HTTP", target_type=args.target_type,
            vpc_id=args.vpc_id, deregistration_delay=30,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True, path=args.health_check_path, protocol="HTTP", matcher="200-299",
                interval=15, timeout=5, healthy_threshold=2, unhealthy_threshold=3),
            stickiness=aws.lb.TargetGroupStickinessArgs(
                enabled=True, type="lb_cookie", cookie_duration=args.stickiness_s),
            tags=tags, opts=child)
        aws.lb.Listener(
            f"{name}-http", load_balancer_arn=alb.arn, port=80, protocol="HTTP",
            default_actions=[aws.lb.ListenerDefaultActionArgs(
                type="redirect",
                redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                    port="443", protocol="HTTPS", status_code="HTTP_301"))],
            tags=tags, opts=child)
        https = aws.lb.Listener(
            f"{name}-https", load_balancer_arn=alb.arn, port=443, protocol="HTTPS",
            ssl_policy=SSL_POLICY, certificate_arn=args.certificate_arn,
            default_actions=[aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=tg.arn)],
            tags=tags, opts=child)

        self.arn = alb.arn
        self.dns_name = alb.dns_name
        self.zone_id = alb.zone_id
        self.target_group_arn = tg.arn
        self.https_listener_arn = https.arn
        self.register_outputs({
            "arn": self.arn, "dns_name": self.dns_name, "zone_id": self.zone_id,
            "target_group_arn": self.target_group_arn, "https_listener_arn": self.https_listener_arn,
        })
