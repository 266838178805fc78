"""Application Load Balancer in front of the agent gateway.

Type token ``somastack:lb:LoadBalancer``. Seed 001 §3.2 ("ALB for HTTP + WebSocket traffic")
and §6 ("SSL/TLS termination at load balancer"): listener 80 answers with a permanent redirect
to 443; listener 443 terminates TLS with the ACM certificate from the stack config
(``somastack:certificateArn``) and forwards to one target group for the gateway (container
port 20020, seed 001 §1.1) with health check ``/api/v1/health`` (seed 002 §5.1). WebSockets
(``/ws/v2/chat``) need a long idle timeout and sticky sessions (ELB docs: "WebSockets are
supported … the idle timeout applies"), hence ``idle_timeout_s`` and ``lb_cookie`` stickiness.

Blue/green (``blue_green=True``, the Fargate target; seed 001 §3.2 "Deploy services using ECS
blue-green deployments"): ECS's native blue/green strategy (Amazon ECS developer guide
"Amazon ECS blue/green deployments", "Application Load Balancer resources for blue/green")
needs two target groups (``blue`` = the gateway target group above, ``green`` its alternate),
a production listener rule on the HTTPS listener and a test listener rule on a test listener
(HTTPS on ``test_port``, reachable only from ``test_cidr``, the VPC), each forwarding to both
target groups with weights (blue 100, green 0). ECS shifts the weights during a deployment, so
the rules' ``actions`` are ignored by Pulumi after creation (``ignore_changes``). The HTTPS
listener's default action then answers 404 (every request matches the production rule).
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
    blue_green: bool = False
    test_port: int = 8443
    test_cidr: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.certificate_arn.startswith("arn:"):
            raise ValueError("certificateArn: an ACM certificate ARN (arn:aws:acm:…) is required")
        if self.target_type not in ("ip", "instance"):
            raise ValueError("target_type must be ip or instance")
        if self.blue_green and not self.test_cidr:
            raise ValueError("blue_green: test_cidr (the network allowed to reach the test listener) is required")


class LoadBalancer(pulumi.ComponentResource):
    """Outputs: ``arn``, ``dns_name``, ``zone_id``, ``target_group_arn``, ``https_listener_arn``;
    with ``blue_green``: ``alternate_target_group_arn`` (green), ``production_listener_rule_arn``,
    ``test_listener_arn``, ``test_listener_rule_arn`` (else None)."""

    #: Outputs that are None (not registered) without ``blue_green``.
    OPTIONAL_OUTPUTS = frozenset({"alternate_target_group_arn", "production_listener_rule_arn", "test_listener_arn",
                                  "test_listener_rule_arn"})

    arn: pulumi.Output[str]
    dns_name: pulumi.Output[str]
    zone_id: pulumi.Output[str]
    target_group_arn: pulumi.Output[str]
    https_listener_arn: pulumi.Output[str]
    alternate_target_group_arn: pulumi.Output[str] | None
    production_listener_rule_arn: pulumi.Output[str] | None
    test_listener_arn: pulumi.Output[str] | None
    test_listener_rule_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        alb = aws.lb.LoadBalancer(
            f"{name}-alb", load_balancer_type="application", internal=False,
            security_groups=[args.security_group_id], subnets=args.subnet_ids,
            idle_timeout=args.idle_timeout_s, drop_invalid_header_fields=True,
            enable_deletion_protection=args.deletion_protection, tags=tags, opts=child)
        def target_group(suffix: str) -> aws.lb.TargetGroup:
            return aws.lb.TargetGroup(
                f"{name}-{suffix}", port=args.target_port, protocol="HTTP", target_type=args.target_type,
                vpc_id=args.vpc_id, deregistration_delay=30,
                health_check=aws.lb.TargetGroupHealthCheckArgs(
                    enabled=True, path=args.health_check_path, protocol="HTTP", matcher="200-299",
                    interval=15, timeout=5, healthy_threshold=2, unhealthy_threshold=3),
                stickiness=aws.lb.TargetGroupStickinessArgs(
                    enabled=True, type="lb_cookie", cookie_duration=args.stickiness_s),
                tags=tags, opts=child)

        tg = target_group("gateway-tg")
        green = target_group("gateway-green-tg") if args.blue_green else None
        not_found = aws.lb.ListenerDefaultActionArgs(
            type="fixed-response", fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
                content_type="text/plain", status_code="404", message_body="not found"))
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
            default_actions=[not_found if green is not None
                             else aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=tg.arn)],
            tags=tags, opts=child)
        self.alternate_target_group_arn = self.production_listener_rule_arn = None
        self.test_listener_arn = self.test_listener_rule_arn = None
        if green is not None:
            def weighted_rule(suffix: str, listener: aws.lb.Listener) -> aws.lb.ListenerRule:
                return aws.lb.ListenerRule(
                    f"{name}-{suffix}", listener_arn=listener.arn, priority=1,
                    conditions=[aws.lb.ListenerRuleConditionArgs(
                        path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=["/*"]))],
                    actions=[aws.lb.ListenerRuleActionArgs(type="forward", forward=aws.lb.ListenerRuleActionForwardArgs(
                        target_groups=[aws.lb.ListenerRuleActionForwardTargetGroupArgs(arn=tg.arn, weight=100),
                                       aws.lb.ListenerRuleActionForwardTargetGroupArgs(arn=green.arn, weight=0)]))],
                    tags=tags, opts=pulumi.ResourceOptions(parent=self, ignore_changes=["actions"]))

            production_rule = weighted_rule("production-rule", https)
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-test-ingress", security_group_id=args.security_group_id, ip_protocol="tcp",
                from_port=args.test_port, to_port=args.test_port, cidr_ipv4=args.test_cidr,
                description="blue/green test listener: only from the VPC", tags=tags, opts=child)
            test = aws.lb.Listener(
                f"{name}-test", load_balancer_arn=alb.arn, port=args.test_port, protocol="HTTPS",
                ssl_policy=SSL_POLICY, certificate_arn=args.certificate_arn, default_actions=[not_found],
                tags=tags, opts=child)
            test_rule = weighted_rule("test-rule", test)
            self.alternate_target_group_arn = green.arn
            self.production_listener_rule_arn = production_rule.arn
            self.test_listener_arn = test.arn
            self.test_listener_rule_arn = test_rule.arn

        self.arn = alb.arn
        self.dns_name = alb.dns_name
        self.zone_id = alb.zone_id
        self.target_group_arn = tg.arn
        self.https_listener_arn = https.arn
        self.register_outputs({
            "arn": self.arn, "dns_name": self.dns_name, "zone_id": self.zone_id,
            "target_group_arn": self.target_group_arn, "https_listener_arn": self.https_listener_arn,
            "alternate_target_group_arn": self.alternate_target_group_arn,
            "production_listener_rule_arn": self.production_listener_rule_arn,
            "test_listener_arn": self.test_listener_arn, "test_listener_rule_arn": self.test_listener_rule_arn,
        })
