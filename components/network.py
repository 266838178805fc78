"""VPC, subnets, NAT and security groups shared by the fargate and eks targets.

Type token ``somastack:network:Network``. Layout: one VPC, one public and one private subnet
per availability zone (3 AZs), an internet gateway for the public subnets, NAT gateways for
the private ones: one per AZ in PROD (no cross-AZ single point of failure), one in DEV (cost).
Security groups (AWS VPC security groups, least privilege):

- ``alb``: 443 and 80 from anywhere (80 only redirects to 443, see :mod:`somastack_deploy.components.load_balancer`).
- ``app``: the app and service tasks/pods; traffic from the ALB and from itself.
- ``database`` (5432), ``cache`` (6379), ``broker`` (9098, MSK IAM over TLS): only from ``app``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

TYPE = "somastack:network:Network"


@dataclass(frozen=True, kw_only=True)
class NetworkArgs:
    """``environment``: ``DEV`` | ``PROD`` (seed 000 §1); ``availability_zones``: exactly 3 AZ
    names; ``cidr_block``: VPC IPv4 CIDR (a /16 is split into /20 subnets); ``tags``: AWS tags
    on every resource. ``extra_app_ports``: ports the app SG accepts from the ALB (the gateway
    20020, or the EKS NodePort)."""

    environment: str
    availability_zones: Sequence[str]
    cidr_block: str = "10.40.0.0/16"
    tags: Mapping[str, str] = field(default_factory=dict)
    extra_app_ports: Sequence[int] = (20020,)

    def __post_init__(self) -> None:
        if len(self.availability_zones) != 3:
            raise ValueError("availabilityZones: exactly 3 availability zones are required")
        if self.environment not in ("DEV", "PROD"):
            raise ValueError("environment must be DEV or PROD")


class Network(pulumi.ComponentResource):
    """The network. Outputs: ``vpc_id``, ``public_subnet_ids`` and ``private_subnet_ids``
    (lists of 3, AZ order), ``nat_gateway_count`` (int), and the security group ids
    ``alb_security_group_id``, ``app_security_group_id``, ``database_security_group_id``,
    ``cache_security_group_id``, ``broker_security_group_id``."""

    vpc_id: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]
    nat_gateway_count: int
    alb_security_group_id: pulumi.Output[str]
    app_security_group_id: pulumi.Output[str]
    database_security_group_id: pulumi.Output[str]
    cache_security_group_id: pulumi.Output[str]
    broker_security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        subnets = list(ipaddress.ip_network(args.cidr_block).subnets(new_prefix=20))
        if len(subnets) < 6:
            raise ValueError("vpcCidr: too small for 6 /20 subnets (use a /16 to /17)")

        vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block=args.cidr_block, enable_dns_hostnames=True,
                          enable_dns_support=True, tags={**tags, "Name": f"{name}-vpc"}, opts=child)
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=tags, opts=child)
        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt", vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
            tags=tags, opts=child)

        public, private = [], []
        for i, az in enumerate(args.availability_zones):
            pub = aws.ec2.Subnet(f"{name}-public-{i}", vpc_id=vpc.id, availability_zone=az,
                                 cidr_block=str(subnets[i]), map_public_ip_on_launch=False,
                                 tags={**tags, "Name": f"{name}-public-{az}", "kubernetes.io/role/elb": "1"},
                                 opts=child)
            aws.ec2.RouteTableAssociation(f"{name}-public-{i}-rta", subnet_id=pub.id,
                                          route_table_id=public_rt.id, opts=child)
            priv = aws.ec2.Subnet(f"{name}-private-{i}", vpc_id=vpc.id, availability_zone=az,
                                  cidr_block=str(subnets[3 + i]),
                                  tags={**tags, "Name": f"{name}-private-{az}",
                                        "kubernetes.io/role/internal-elb": "1"},
                                  opts=child)
            public.append(pub)
            private.append(priv)

        # One NAT per AZ in PROD, a single one in DEV.
        self.nat_gateway_count = 3 if args.environment == "PROD" else 1
        nats = []
        for i in range(self.nat_gateway_count):
            eip = aws.ec2.Eip(f"{name}-nat-eip-{i}", domain="vpc", tags=tags, opts=child)
            nats.append(aws.ec2.NatGateway(f"{name}-nat-{i}", allocation_id=eip.id,
                                           subnet_id=public[i].id, tags=tags,
                                           opts=pulumi.ResourceOptions(parent=self, depends_on=[igw])))
        for i, priv in enumerate(private):
            nat = nats[i if len(nats) == 3 else 0]
            rt = aws.ec2.RouteTable(
                f"{name}-private-{i}-rt", vpc_id=vpc.id,
                routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
                tags=tags, opts=child)
            aws.ec2.RouteTableAssociation(f"{name}-private-{i}-rta", subnet_id=priv.id,
                                          route_table_id=rt.id, opts=child)

        egress = [aws.ec2.SecurityGroupEgressArgs(protocol="-1", from_port=0, to_port=0,
                                                   cidr_blocks=["0.0.0.0/0"])]
        alb_sg = aws.ec2.SecurityGroup(
            f"{name}-alb-sg", vpc_id=vpc.id, description="ALB: HTTPS (and HTTP redirect) from the internet",
            ingress=[aws.ec2.SecurityGroupIngressArgs(protocol="tcp", from_port=p, to_port=p,
                                                      cidr_blocks=["0.0.0.0/0"]) for p in (80, 443)],
            egress=egress, tags=tags, opts=child)
        app_sg = aws.ec2.SecurityGroup(
            f"{name}-app-sg", vpc_id=vpc.id, description="App and service tasks",
            ingress=[aws.ec2.SecurityGroupIngressArgs(protocol="tcp", from_port=p, to_port=p,
                                                      security_groups=[alb_sg.id])
                     for p in args.extra_app_ports]
            + [aws.ec2.SecurityGroupIngressArgs(protocol="-1", from_port=0, to_port=0, self=True)],
            egress=egress, tags=tags, opts=child)

        def only_from_app(suffix: str, port: int, what: str) -> aws.ec2.SecurityGroup:
            return aws.ec2.SecurityGroup(
                f"{name}-{suffix}-sg", vpc_id=vpc.id, description=f"{what}: only from the app security group",
                ingress=[aws.ec2.SecurityGroupIngressArgs(protocol="tcp", from_port=port, to_port=port,
                                                          security_groups=[app_sg.id])],
                egress=egress, tags=tags, opts=child)

        db_sg = only_from_app("database", 5432, "PostgreSQL")
        cache_sg = only_from_app("cache", 6379, "Redis")
        broker_sg = only_from_app("broker", 9098, "Kafka (MSK IAM/TLS)")

        self.vpc_id = vpc.id
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public])
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in private])
        self.alb_security_group_id = alb_sg.id
        self.app_security_group_id = app_sg.id
        self.database_security_group_id = db_sg.id
        self.cache_security_group_id = cache_sg.id
        self.broker_security_group_id = broker_sg.id
        self.register_outputs({
            "vpc_id": self.vpc_id,
            "public_subnet_ids": self.public_subnet_ids,
            "private_subnet_ids": self.private_subnet_ids,
            "nat_gateway_count": self.nat_gateway_count,
            "alb_security_group_id": self.alb_security_group_id,
            "app_security_group_id": self.app_security_group_id,
            "database_security_group_id": self.database_security_group_id,
            "cache_security_group_id": self.cache_security_group_id,
            "broker_security_group_id": self.broker_security_group_id,
        })
