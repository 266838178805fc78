"""RDS PostgreSQL 16 (seed 001 header "PostgreSQL 16", §3.2 "RDS PostgreSQL (Multi-AZ, pg16)").

Type token ``somastack:data:Database``. The master password is generated and stored by RDS in
Secrets Manager (``manage_master_user_password``; RDS docs "Password management with Amazon
RDS and AWS Secrets Manager"): Pulumi never sees it, and the services get the reference
``ref+awssecrets://<secret ARN>#/password``. PROD: Multi-AZ, deletion protection, 14 days of
backups, final snapshot; both environments: storage encrypted, not publicly accessible,
``rds.force_ssl`` on. The databases of the services (``somaagent01``, ``somabrain``,
``somafractalmemory``, ``keycloak``, ``spicedb``) live on this one instance and are created by
each service's first one-off task (see :func:`somastack_deploy.components.dbinit.create_database_task`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from .spec import aws_secret_ref

TYPE = "somastack:data:Database"
PORT = 5432  # seed 001 §1.1


@dataclass(frozen=True, kw_only=True)
class DatabaseArgs:
    """``environment``: DEV | PROD; ``subnet_ids``: private subnets (3 AZs);
    ``security_group_id``: the database SG; ``instance_class`` (e.g. ``db.r6g.xlarge``);
    ``allocated_storage_gib`` / ``max_allocated_storage_gib`` (GiB, autoscaling ceiling);
    ``username``: master user (seed 001 §2.2 default ``soma``); ``backup_retention_days``
    (days, PROD default 14, DEV 1)."""

    environment: str
    subnet_ids: pulumi.Input[Sequence[str]]
    security_group_id: pulumi.Input[str]
    instance_class: str = "db.t4g.medium"
    allocated_storage_gib: int = 50
    max_allocated_storage_gib: int = 500
    username: str = "soma"
    backup_retention_days: int | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


class Database(pulumi.ComponentResource):
    """Outputs: ``address`` (host), ``port`` (5432), ``username``, ``master_secret_arn``,
    ``password_ref`` (``ref+awssecrets://ARN#/password``), ``multi_az`` and
    ``deletion_protection`` (bool, as configured)."""

    address: pulumi.Output[str]
    port: int
    username: str
    master_secret_arn: pulumi.Output[str]
    password_ref: pulumi.Output[str]
    multi_az: bool
    deletion_protection: bool

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        prod = args.environment == "PROD"
        tags = dict(args.tags)
        subnet_group = aws.rds.SubnetGroup(f"{name}-subnets", subnet_ids=args.subnet_ids, tags=tags, opts=child)
        params = aws.rds.ParameterGroup(
            f"{name}-params", family="postgres16",
            parameters=[aws.rds.ParameterGroupParameterArgs(name="rds.force_ssl", value="1"),
                        aws.rds.ParameterGroupParameterArgs(name="log_min_duration_statement", value="1000")],
            tags=tags, opts=child)
        retention = args.backup_retention_days if args.backup_retention_days is not None else (14 if prod else 1)
        instance = aws.rds.Instance(
            f"{name}-postgres", engine="postgres", engine_version="16",
            instance_class=args.instance_class, allocated_storage=args.allocated_storage_gib,
            max_allocated_storage=args.max_allocated_storage_gib, storage_type="gp3",
            storage_encrypted=True, multi_az=prod, deletion_protection=prod,
            backup_retention_period=retention, copy_tags_to_snapshot=True,
            skip_final_snapshot=not prod,
            final_snapshot_identifier=f"{name}-final" if prod else None,
            username=args.username, manage_master_user_password=True,
            db_subnet_group_name=subnet_group.name, parameter_group_name=params.name,
            vpc_security_group_ids=[args.security_group_id], publicly_accessible=False,
            auto_minor_version_upgrade=True, performance_insights_enabled=prod,
            enabled_cloudwatch_logs_exports=["postgresql"], tags=tags, opts=child)

        self.address = instance.address
        self.port = PORT
        self.username = args.username
        self.master_secret_arn = instance.master_user_secrets.apply(
            lambda secrets: secrets[0].secret_arn if secrets else "")
        self.password_ref = self.master_secret_arn.apply(lambda arn: aws_secret_ref(arn, "password"))
        self.multi_az = prod
        self.deletion_protection = prod
        self.register_outputs({
            "address": self.address, "port": self.port, "username": self.username,
            "master_secret_arn": self.master_secret_arn, "password_ref": self.password_ref,
            "multi_az": self.multi_az, "deletion_protection": self.deletion_protection,
        })
