"""Amazon MSK Kafka cluster (seed 001 §3.2 "MSK Kafka (3 brokers)").

Type token ``somastack:messaging:Kafka``. Three brokers, one per AZ (private subnets), TLS
between clients and brokers and inside the cluster, IAM client authentication (SASL/IAM,
port 9098; MSK docs "IAM access control"), unauthenticated access off, broker logs to
CloudWatch with retention.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import json

import pulumi
import pulumi_aws as aws

TYPE = "somastack:messaging:Kafka"
#: MSK SASL/IAM listener port (MSK docs "Port information").
IAM_PORT = 9098


def client_policy(cluster_arn: str) -> str:
    """IAM policy document (JSON) letting a client connect, produce, consume and manage its
    topics/groups on the MSK cluster ``cluster_arn`` (MSK docs "IAM access control": actions
    ``kafka-cluster:*`` on the cluster, ``topic/…`` and ``group/…`` ARNs)."""
    if ":cluster/" not in cluster_arn:
        raise ValueError("not an MSK cluster ARN")
    topics = cluster_arn.replace(":cluster/", ":topic/", 1) + "/*"
    groups = cluster_arn.replace(":cluster/", ":group/", 1) + "/*"
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"],
         "Resource": [cluster_arn]},
        {"Effect": "Allow", "Action": ["kafka-cluster:CreateTopic", "kafka-cluster:DescribeTopic",
                                       "kafka-cluster:ReadData", "kafka-cluster:WriteData"], "Resource": [topics]},
        {"Effect": "Allow", "Action": ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
         "Resource": [groups]},
    ]}, sort_keys=True)


@dataclass(frozen=True, kw_only=True)
class KafkaArgs:
    """``environment``: DEV | PROD; ``subnet_ids``: 3 private subnets (one per AZ);
    ``security_group_id``: the broker SG; ``instance_type`` (e.g. ``kafka.m7g.large``);
    ``kafka_version``; ``volume_size_gib`` (GiB per broker); ``log_retention_days`` (days)."""

    environment: str
    subnet_ids: pulumi.Input[Sequence[str]]
    security_group_id: pulumi.Input[str]
    instance_type: str = "kafka.t3.small"
    kafka_version: str = "3.7.x"
    volume_size_gib: int = 100
    log_retention_days: int = 30
    tags: Mapping[str, str] = field(default_factory=dict)


class Kafka(pulumi.ComponentResource):
    """Outputs: ``arn``, ``bootstrap_brokers`` (comma-separated ``host:9098`` list, SASL/IAM
    over TLS), ``broker_count`` (3), ``port`` (9098), ``tls`` (True), ``auth`` (``iam``),
    ``client_policy`` (IAM policy JSON for the clients' roles, :func:`client_policy`)."""

    arn: pulumi.Output[str]
    bootstrap_brokers: pulumi.Output[str]
    broker_count: int
    port: int
    tls: bool
    auth: str
    client_policy: pulumi.Output[str]

    def __init__(self, name: str, args: KafkaArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        logs = aws.cloudwatch.LogGroup(f"{name}-logs", retention_in_days=args.log_retention_days, tags=tags, opts=child)
        cluster = aws.msk.Cluster(
            f"{name}-msk", kafka_version=args.kafka_version, number_of_broker_nodes=3,
            broker_node_group_info=aws.msk.ClusterBrokerNodeGroupInfoArgs(
                client_subnets=args.subnet_ids, instance_type=args.instance_type,
                security_groups=[args.security_group_id],
                storage_info=aws.msk.ClusterBrokerNodeGroupInfoStorageInfoArgs(
                    ebs_storage_info=aws.msk.ClusterBrokerNodeGroupInfoStorageInfoEbsStorageInfoArgs(
                        volume_size=args.volume_size_gib))),
            encryption_info=aws.msk.ClusterEncryptionInfoArgs(
                encryption_in_transit=aws.msk.ClusterEncryptionInfoEncryptionInTransitArgs(
                    client_broker="TLS", in_cluster=True)),
            client_authentication=aws.msk.ClusterClientAuthenticationArgs(
                sasl=aws.msk.ClusterClientAuthenticationSaslArgs(iam=True), unauthenticated=False),
            logging_info=aws.msk.ClusterLoggingInfoArgs(
                broker_logs=aws.msk.ClusterLoggingInfoBrokerLogsArgs(
                    cloudwatch_logs=aws.msk.ClusterLoggingInfoBrokerLogsCloudwatchLogsArgs(
                        enabled=True, log_group=logs.name))),
            tags=tags, opts=child)

        self.arn = cluster.arn
        self.bootstrap_brokers = cluster.bootstrap_brokers_sasl_iam
        self.broker_count = 3
        self.port = IAM_PORT
        self.tls = True
        self.auth = "iam"
        self.client_policy = cluster.arn.apply(client_policy)
        self.register_outputs({
            "arn": self.arn, "bootstrap_brokers": self.bootstrap_brokers,
            "broker_count": self.broker_count, "port": self.port, "tls": self.tls, "auth": self.auth,
            "client_policy": self.client_policy,
        })
