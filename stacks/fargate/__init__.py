"""Target FARGATE (seed 001 §3.2, "AWS Fargate Deployment (Primary Production)").

:func:`build`: Network (3 AZs), ALB (HTTPS, gateway target group, ``ip`` targets), RDS
PostgreSQL 16, ElastiCache Redis 7, MSK (cluster mode), an ECS cluster with Container
Insights, a Cloud Map private DNS namespace ``somastack.internal`` for service-to-service URLs,
and every service of the software mode as a Fargate service (:mod:`somastack_deploy.stacks.fargate.runtime`).
Durable state: an encrypted EFS file system with a mount target per private subnet
(:mod:`somastack_deploy.components.file_system`) for the services' data directories (Milvus).
Blue/green: the gateway's ECS service deploys with ECS's native ``BLUE_GREEN`` strategy over
two ALB target groups (:class:`somastack_deploy.stacks.fargate.runtime.BlueGreen`).
Required settings: ``aws:region``, ``somastack:availabilityZones``, ``somastack:certificateArn``,
``somastack:publicHostname``, ``somastack:redisAuthToken``, ``somastack:keycloakAdminPassword``.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from somastack_deploy.components.file_system import FileSystem, FileSystemArgs

from somastack_deploy.components.load_balancer import LoadBalancer, LoadBalancerArgs
from somastack_deploy.components.network import Network, NetworkArgs

from .. import outputs
from ..aws_data import build_aws_data
from ..common import StackContext, build_services
from .runtime import BlueGreen, FargateRuntime

NAMESPACE = "somastack.internal"
#: AWS managed policy of the role ECS assumes to shift ALB traffic in blue/green deployments
#: (its ARN is built in the looked-up partition: ``arn:<partition>:iam::aws:policy/<name>``).
ECS_LB_POLICY = "AmazonECSInfrastructureRolePolicyForLoadBalancers"


def ecs_load_balancer_role(tags) -> aws.iam.Role:
    """The ECS infrastructure role for load balancers (trusted by ``ecs.amazonaws.com``)."""
    assume = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    role = aws.iam.Role("ecs-lb-role", assume_role_policy=assume, tags=tags,
                        description="ECS blue/green: shifts traffic between the gateway target groups")
    policy_arn = aws.get_partition_output().partition.apply(lambda p: f"arn:{p}:iam::aws:policy/{ECS_LB_POLICY}")
    aws.iam.RolePolicyAttachment("ecs-lb-policy", role=role.name, policy_arn=policy_arn)
    return role


def build(ctx: StackContext) -> pulumi.Output:
    """Create the fargate stack; returns the topology Output."""
    s = ctx.settings
    region = s.require("aws:region", s.region)
    zones = s.require("availabilityZones", s.availability_zones)
    network = Network("net", NetworkArgs(environment=ctx.dimensions.environment, availability_zones=zones,
                                         cidr_block=s.vpc_cidr, tags=s.tags, extra_app_ports=(20020,)))
    lb = LoadBalancer("lb", LoadBalancerArgs(
        vpc_id=network.vpc_id, subnet_ids=network.public_subnet_ids, security_group_id=network.alb_security_group_id,
        certificate_arn=s.require("certificateArn", s.certificate_arn), target_port=20020, target_type="ip",
        deletion_protection=ctx.prod, blue_green=True, test_cidr=s.vpc_cidr, tags=s.tags))
    data = build_aws_data(ctx, network)
    cluster = aws.ecs.Cluster("ecs", settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="enabled")],
                              tags=s.tags)
    namespace = aws.servicediscovery.PrivateDnsNamespace("discovery", name=NAMESPACE, vpc=network.vpc_id,
                                                         description="SomaStack service-to-service names", tags=s.tags)
    file_system = FileSystem("state", FileSystemArgs(
        environment=ctx.dimensions.environment, vpc_id=network.vpc_id, subnet_ids=network.private_subnet_ids,
        subnet_count=len(zones), client_security_group_id=network.app_security_group_id, tags=s.tags))
    blue_green = BlueGreen(alternate_target_group_arn=lb.alternate_target_group_arn,
                           production_listener_rule_arn=lb.production_listener_rule_arn,
                           test_listener_rule_arn=lb.test_listener_rule_arn,
                           role_arn=ecs_load_balancer_role(s.tags).arn)
    runtime = FargateRuntime(cluster_arn=cluster.arn, namespace_id=namespace.id, namespace_name=NAMESPACE,
                             subnet_ids=network.private_subnet_ids, security_group_id=network.app_security_group_id,
                             target_group_arn=lb.target_group_arn, log_retention_days=s.log_retention_days,
                             stack=ctx.stack, tags=s.tags, region=region, file_system=file_system,
                             blue_green=blue_green)
    public = s.require("publicHostname", s.public_hostname)
    entries = build_services(ctx, runtime, postgres=data.postgres, redis=data.redis, kafka=data.kafka_endpoint,
                             region=region, agent_public_url=f"https://{public}", service_sizing=s.sizing,
                             agent_target_group_arn=lb.target_group_arn,
                             agent_alternate_target_group_arn=lb.alternate_target_group_arn, infra=data.entries)
    pulumi.export("loadBalancerDnsName", lb.dns_name)
    pulumi.export("ecsClusterName", cluster.name)
    return outputs.export_outputs(ctx.stack, ctx.dimensions, entries)
