"""Amazon EFS file system for the durable data directories of containers on Fargate.

Type token ``somastack:storage:FileSystem``. Fargate tasks have only ephemeral disk: a data
directory that must survive a task replacement (Milvus's embedded etcd and its local message
queue, see ``docs/stacks.md`` "Durable state") lives on EFS (Amazon ECS developer guide
"Use Amazon EFS volumes with Amazon ECS"; Fargate platform version 1.4.0 or later):

- one encrypted file system (KMS, AWS-managed key), ``elastic`` throughput, general-purpose
  performance mode; automatic backups (AWS Backup) in PROD;
- a file system policy that denies every request not made over TLS (``aws:SecureTransport``);
- one mount target per private subnet (one per AZ), in a security group that accepts NFS
  (TCP 2049) only from the client security group (the tasks');
- access points are created per service volume by the runtime
  (:mod:`somastack_deploy.stacks.fargate.runtime`), each rooted at its own directory.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

TYPE = "somastack:storage:FileSystem"
#: NFS port of EFS mount targets.
NFS_PORT = 2049


@dataclass(frozen=True, kw_only=True)
class FileSystemArgs:
    """``environment``: DEV | PROD (PROD enables automatic backups); ``vpc_id``;
    ``subnet_ids``: the private subnets (list Output or list), ``subnet_count`` of them (one
    mount target each, so the count must be known before the ids); ``client_security_group_id``:
    the only security group allowed to reach NFS 2049."""

    environment: str
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[str]]
    subnet_count: int
    client_security_group_id: pulumi.Input[str]
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.subnet_count < 1:
            raise ValueError("an EFS file system needs at least one subnet for a mount target")


def secure_transport_policy(file_system_arn: str) -> str:
    """File system policy (JSON): deny any EFS client request that is not over TLS."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*",
        "Resource": file_system_arn, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}, sort_keys=True)


def client_policy(file_system_arn: str, access_point_arns: Sequence[str]) -> str:
    """IAM policy (JSON) for a task role: mount and write the file system through exactly
    ``access_point_arns`` (condition ``elasticfilesystem:AccessPointArn``)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
        "Resource": file_system_arn,
        "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": sorted(access_point_arns)}}}]},
        sort_keys=True)


class FileSystem(pulumi.ComponentResource):
    """Outputs: ``file_system_id``, ``arn``, ``security_group_id``; ``mount_targets``: the
    mount target resources (a task that mounts the file system must wait for them)."""

    file_system_id: pulumi.Output[str]
    arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: FileSystemArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        prod = args.environment == "PROD"
        fs = aws.efs.FileSystem(
            f"{name}-efs", encrypted=True, performance_mode="generalPurpose", throughput_mode="elastic",
            tags={**tags, "Name": f"{name}-efs"}, opts=child)
        aws.efs.BackupPolicy(f"{name}-backup", file_system_id=fs.id,
                             backup_policy=aws.efs.BackupPolicyBackupPolicyArgs(status="ENABLED" if prod else "DISABLED"),
                             opts=child)
        aws.efs.FileSystemPolicy(f"{name}-policy", file_system_id=fs.id, policy=fs.arn.apply(secure_transport_policy),
                                 opts=child)
        sg = aws.ec2.SecurityGroup(
            f"{name}-nfs-sg", vpc_id=args.vpc_id, description="EFS: NFS only from the tasks' security group",
            ingress=[aws.ec2.SecurityGroupIngressArgs(protocol="tcp", from_port=NFS_PORT, to_port=NFS_PORT,
                                                      security_groups=[args.client_security_group_id])],
            egress=[aws.ec2.SecurityGroupEgressArgs(protocol="-1", from_port=0, to_port=0, cidr_blocks=["0.0.0.0/0"])],
            tags=tags, opts=child)
        subnets = pulumi.Output.from_input(args.subnet_ids)
        self.mount_targets = [
            aws.efs.MountTarget(f"{name}-mount-{i}", file_system_id=fs.id,
                                subnet_id=subnets.apply(lambda ids, i=i: ids[i]), security_groups=[sg.id], opts=child)
            for i in range(args.subnet_count)]
        self.file_system_id = fs.id
        self.arn = fs.arn
        self.security_group_id = sg.id
        self.register_outputs({"file_system_id": self.file_system_id, "arn": self.arn,
                               "security_group_id": self.security_group_id})
