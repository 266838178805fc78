"""The rule bodies word for word: each rule's exact messages, defaults and edges on realistic
resource inputs (Pulumi wire names of pulumi-aws / pulumi-kubernetes inputs, as CrossGuard and
``somastack-deploy plan`` pass them). Written once mutation testing could reach the rule bodies
(rules are classes, no decorator): a message that changes, a default that flips or a comparison
that moves by one is a failing test here."""

from __future__ import annotations

import pytest

from somastack_deploy.policies import ResourceInput, check
from somastack_deploy.policies.rules.tags import is_taggable, resolve_taggable

TAGS = {"Project": "somastack", "Environment": "PROD", "Stack": "fargate-prod", "ManagedBy": "pulumi"}
DEV_TAGS = {**TAGS, "Environment": "DEV", "Stack": "fargate-dev"}
RG = "aws:elasticache/replicationGroup:ReplicationGroup"
RDS = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
MSK = "aws:msk/cluster:Cluster"
LISTENER = "aws:lb/listener:Listener"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
LOG = "aws:cloudwatch/logGroup:LogGroup"
ALB = "alb.ingress.kubernetes.io/"
CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/0b1f2c3d-aaaa-bbbb-cccc-1234567890ab"


def outcome(typ: str, props: dict, rule: str, **kw) -> tuple[str, tuple[str, ...]] | None:
    """``(status, messages)`` of ``rule`` on one resource, or None when the rule does not apply."""
    results = check([ResourceInput(type=typ, name="r", props=props, urn=f"urn:pulumi:s::p::{typ}::r", **kw)],
                    rules=[rule])
    assert len(results) <= 1
    return (results[0].status, results[0].messages) if results else None


PASSED = ("PASSED", ())


# --------------------------------------------------------------------------- redis-encryption
REDIS = {"replicationGroupId": "soma-cache", "description": "SomaStack cache", "engine": "redis",
         "engineVersion": "7.1", "nodeType": "cache.r7g.large", "transitEncryptionEnabled": True,
         "atRestEncryptionEnabled": True, "tags": TAGS}


@pytest.mark.parametrize("change,expect", [
    ({}, PASSED),
    ({"transitEncryptionEnabled": "true", "atRestEncryptionEnabled": "true"}, PASSED),  # strings over the wire
    ({"transitEncryptionMode": "required"}, PASSED),
    ({"transitEncryptionMode": "Preferred"}, ("FAILED", (
        "transitEncryptionMode is preferred (plaintext connections still accepted)",))),
    ({"transitEncryptionEnabled": False, "atRestEncryptionEnabled": None}, ("FAILED", (
        "transitEncryptionEnabled is not true", "atRestEncryptionEnabled is not true"))),
    # transit off: the mode is not judged on top of it
    ({"transitEncryptionEnabled": False, "transitEncryptionMode": "preferred"}, ("FAILED", (
        "transitEncryptionEnabled is not true",))),
    ({"atRestEncryptionEnabled": "false"}, ("FAILED", ("atRestEncryptionEnabled is not true",))),
])
def test_redis_encryption(change, expect):
    props = {k: v for k, v in {**REDIS, **change}.items() if v is not None}
    assert outcome(RG, props, "redis-encryption") == expect


# --------------------------------------------------------------------------- redis-cluster-mode
CLUSTER = {**REDIS, "clusterMode": "enabled", "numNodeGroups": 3, "replicasPerNodeGroup": 1,
           "parameterGroupName": "default.redis7.cluster.on", "automaticFailoverEnabled": True,
           "multiAzEnabled": True}


def test_redis_cluster_mode_exact_messages():
    disabled = {k: v for k, v in CLUSTER.items() if k not in ("clusterMode", "numNodeGroups")}
    disabled.update(parameterGroupName="default.redis7", automaticFailoverEnabled="false",
                    replicasPerNodeGroup=0, multiAzEnabled=False)
    assert outcome(RG, disabled, "redis-cluster-mode") == ("FAILED", (
        "clusterMode is not set (cluster mode disabled: one primary holds every key); set clusterMode enabled "
        "with numNodeGroups shards",
        "numNodeGroups (shards) is not set",
        "parameterGroupName default.redis7 is not a cluster-mode parameter group (default.redis7.cluster.on)",
        "automaticFailoverEnabled is not true (required in cluster mode)",
        "replicasPerNodeGroup is below 1 in PROD (a shard without a replica cannot fail over)",
        "multiAzEnabled is not true in PROD"))
    assert outcome(RG, {**CLUSTER, "clusterMode": "Disabled"}, "redis-cluster-mode") == ("FAILED", (
        "clusterMode is disabled (cluster mode disabled: one primary holds every key); set clusterMode enabled "
        "with numNodeGroups shards",))


@pytest.mark.parametrize("change", [{"clusterMode": "ENABLED"}, {"parameterGroupName": "soma-redis7-cluster"},
                                    {"parameterGroupName": None}, {"replicasPerNodeGroup": 1},
                                    {"replicasPerNodeGroup": 2}, {"multiAzEnabled": "true"},
                                    {"automaticFailoverEnabled": "true"}])
def test_redis_cluster_mode_passing_shapes(change):
    props = {k: v for k, v in {**CLUSTER, **change}.items() if v is not None}
    assert outcome(RG, props, "redis-cluster-mode") == PASSED


def test_redis_cluster_mode_prod_parts_need_the_tag_and_only_apply_in_prod():
    dev = {**CLUSTER, "tags": DEV_TAGS, "replicasPerNodeGroup": 0, "multiAzEnabled": False}
    assert outcome(RG, dev, "redis-cluster-mode") == PASSED
    no_replicas_key = {k: v for k, v in CLUSTER.items() if k != "replicasPerNodeGroup"}
    assert outcome(RG, no_replicas_key, "redis-cluster-mode") == ("FAILED", (
        "replicasPerNodeGroup is below 1 in PROD (a shard without a replica cannot fail over)",))
    untagged = {k: v for k, v in CLUSTER.items() if k != "tags"}
    assert outcome(RG, untagged, "redis-cluster-mode") == (
        "UNKNOWN", ("no Environment=DEV|PROD tag: cannot tell PROD from DEV",))
    assert outcome(RG, {**untagged, "numNodeGroups": 0}, "redis-cluster-mode") == (
        "FAILED", ("numNodeGroups (shards) is not set",))


# --------------------------------------------------------------------------- RDS
PG = {"engine": "postgres", "engineVersion": "16.4", "instanceClass": "db.r6g.large", "allocatedStorage": 100,
      "storageEncrypted": True, "multiAz": True, "deletionProtection": True, "backupRetentionPeriod": 14,
      "manageMasterUserPassword": True, "username": "soma", "dbName": "somaagent", "tags": TAGS}
AURORA = {"engine": "aurora-postgresql", "engineVersion": "16.4", "clusterIdentifier": "soma",
          "storageEncrypted": True, "deletionProtection": True, "backupRetentionPeriod": 7,
          "manageMasterUserPassword": True, "masterUsername": "soma", "tags": TAGS}


def _without(props: dict, *keys: str) -> dict:
    return {k: v for k, v in props.items() if k not in keys}


def test_rds_storage_encrypted():
    assert outcome(RDS, PG, "rds-storage-encrypted") == PASSED
    assert outcome(RDS, {**PG, "storageEncrypted": "true"}, "rds-storage-encrypted") == PASSED
    assert outcome(RDS_CLUSTER, _without(AURORA, "storageEncrypted"), "rds-storage-encrypted") == (
        "FAILED", ("storageEncrypted is not true",))
    replica = {**_without(PG, "storageEncrypted"), "replicateSourceDb": "arn:aws:rds:eu-west-1:123456789012:db:soma"}
    assert outcome(RDS, replica, "rds-storage-encrypted") == PASSED


def test_rds_prod_high_availability_exact_messages():
    rule = "rds-prod-high-availability"
    assert outcome(RDS, PG, rule) == PASSED
    assert outcome(RDS, {**PG, "multiAz": False, "deletionProtection": "false", "backupRetentionPeriod": 6}, rule) == (
        "FAILED", ("PROD database is not Multi-AZ (multiAz)",
                   "PROD database has no deletion protection (deletionProtection)",
                   "PROD database retains backups for fewer than 7 days (backupRetentionPeriod)"))
    assert outcome(RDS, _without(PG, "backupRetentionPeriod"), rule) == (
        "FAILED", ("PROD database retains backups for fewer than 7 days (backupRetentionPeriod)",))
    assert outcome(RDS, {**PG, "backupRetentionPeriod": 7}, rule) == PASSED
    assert outcome(RDS, {**PG, "backupRetentionPeriod": "35"}, rule) == PASSED
    # an Aurora cluster has no multiAz input (its instances span AZs): not asked of it
    assert outcome(RDS_CLUSTER, AURORA, rule) == PASSED
    assert outcome(RDS_CLUSTER, {**AURORA, "deletionProtection": False}, rule) == (
        "FAILED", ("PROD database has no deletion protection (deletionProtection)",))
    assert outcome(RDS, {**PG, "multiAz": False, "tags": DEV_TAGS}, rule) == PASSED


def test_rds_master_password_managed_exact_messages():
    rule = "rds-master-password-managed"
    assert outcome(RDS, PG, rule) == PASSED
    assert outcome(RDS, {**PG, "manageMasterUserPassword": "true"}, rule) == PASSED
    assert outcome(RDS, _without(PG, "manageMasterUserPassword"), rule) == (
        "FAILED", ("manageMasterUserPassword is not true",))
    literal = {**_without(AURORA, "manageMasterUserPassword"), "masterPassword": "x" * 16, "masterPasswordWo": "y" * 16}
    assert outcome(RDS_CLUSTER, literal, rule) == (
        "FAILED", ("masterPassword is set; use manageMasterUserPassword",
                   "masterPasswordWo is set; use manageMasterUserPassword"))
    both = {**PG, "password": "z" * 16, "passwordWo": "w" * 16}
    assert outcome(RDS, both, rule) == ("FAILED", ("password is set; use manageMasterUserPassword",
                                                    "passwordWo is set; use manageMasterUserPassword"))
    bare = _without(PG, "manageMasterUserPassword")
    assert outcome(RDS, {**bare, "replicateSourceDb": "soma-primary"}, rule) == PASSED
    assert outcome(RDS, {**bare, "snapshotIdentifier": "soma-final-2026-11-01"}, rule) == PASSED


# --------------------------------------------------------------------------- MSK
def _msk(**in_transit) -> dict:
    return {"clusterName": "soma", "kafkaVersion": "3.6.0", "numberOfBrokerNodes": 3,
            "encryptionInfo": {"encryptionInTransit": in_transit}, "tags": TAGS}


def test_msk_tls_in_transit_exact_messages():
    rule = "msk-tls-in-transit"
    assert outcome(MSK, _msk(clientBroker="TLS", inCluster=True), rule) == PASSED
    assert outcome(MSK, _msk(clientBroker="tls"), rule) == PASSED  # inCluster unset: AWS default true
    assert outcome(MSK, _msk(), rule) == PASSED                     # clientBroker unset: AWS default TLS
    assert outcome(MSK, _msk(clientBroker="PLAINTEXT", inCluster=False), rule) == (
        "FAILED", ("clientBroker is PLAINTEXT (plaintext allowed); set TLS", "inCluster encryption is disabled"))
    assert outcome(MSK, _msk(clientBroker="TLS_PLAINTEXT"), rule) == (
        "FAILED", ("clientBroker is TLS_PLAINTEXT (plaintext allowed); set TLS",))
    assert outcome(MSK, _msk(inCluster=False), rule) == ("FAILED", ("inCluster encryption is disabled",))


# --------------------------------------------------------------------------- ALB listeners
def _listener(**props) -> dict:
    return {"loadBalancerArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/soma/1", **props}


def _redirect(protocol="HTTPS") -> dict:
    return {"type": "redirect", "redirect": {"port": "443", "protocol": protocol, "statusCode": "HTTP_301"}}


FORWARD = {"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/agent/2"}


@pytest.mark.parametrize("props,expect", [
    (_listener(port=443, protocol="HTTPS", certificateArn=CERT, defaultActions=[FORWARD]), PASSED),
    (_listener(port=443, protocol="https", certificateArn=CERT, defaultActions=[FORWARD]), PASSED),
    (_listener(port=8443, protocol="HTTPS", defaultActions=[FORWARD]),
     ("FAILED", ("HTTPS listener on port 8443 has no certificateArn",))),
    (_listener(port=80, protocol="HTTP", defaultActions=[_redirect()]), PASSED),
    (_listener(port=80, protocol="http", defaultActions=[_redirect("https"), _redirect()]), PASSED),
    # no protocol: an ALB listener defaults to HTTP
    (_listener(port=80, defaultActions=[_redirect()]), PASSED),
    (_listener(port=80, defaultActions=[FORWARD]),
     ("FAILED", ("HTTP listener on port 80 does not redirect to HTTPS (defaultActions)",))),
    (_listener(port=80, protocol="HTTP", defaultActions=[]),
     ("FAILED", ("HTTP listener on port 80 does not redirect to HTTPS (defaultActions)",))),
    (_listener(port=80, protocol="HTTP"),
     ("FAILED", ("HTTP listener on port 80 does not redirect to HTTPS (defaultActions)",))),
    (_listener(port=80, protocol="HTTP", defaultActions=[_redirect(), FORWARD]),
     ("FAILED", ("HTTP listener on port 80 does not redirect to HTTPS (defaultActions)",))),
    (_listener(port=80, protocol="HTTP", defaultActions=[_redirect("HTTP")]),
     ("FAILED", ("HTTP listener on port 80 does not redirect to HTTPS (defaultActions)",))),
    (_listener(port=80, protocol="HTTP", defaultActions=[{"type": "redirect"}]),
     ("FAILED", ("HTTP listener on port 80 does not redirect to HTTPS (defaultActions)",))),
    (_listener(port=5432, protocol="TLS", certificateArn=CERT), None),   # network load balancer
    (_listener(port=53, protocol="UDP"), None),
])
def test_alb_https_only(props, expect):
    assert outcome(LISTENER, props, "alb-https-only") == expect


# --------------------------------------------------------------------------- ALB ingress
def _ingress(annotations: dict, cls: str | None = "alb") -> dict:
    spec = {"rules": [{"host": "api.example.io", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
        "service": {"name": "gateway", "port": {"number": 20020}}}}]}}]}
    if cls is not None:
        spec["ingressClassName"] = cls
    return {"metadata": {"name": "gateway", "namespace": "soma",
                         "annotations": {ALB + k: v for k, v in annotations.items()}}, "spec": spec}


NO_REDIRECT = f"HTTP listener without metadata.annotations.{ALB}ssl-redirect to an HTTPS port"
NOT_ACM = f"metadata.annotations.{ALB}certificate-arn is not an ACM certificate ARN"


@pytest.mark.parametrize("annotations,expect", [
    ({"listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]', "certificate-arn": CERT, "ssl-redirect": "443"}, PASSED),
    ({"listen-ports": '[{"https": 8443}]', "certificate-arn": CERT}, PASSED),
    ({"listen-ports": '[{"HTTPS": 443}]', "certificate-arn": f"{CERT},{CERT[:-2]}cd"}, PASSED),
    ({"listen-ports": '[{"HTTPS": 443}]', "certificate-arn": f"{CERT},arn:aws:iam::1:server-certificate/x"},
     ("FAILED", (NOT_ACM,))),
    ({"listen-ports": '[{"HTTPS": 443}]', "certificate-arn": "arn:aws-us-gov:acm:us-gov-west-1:1:certificate/x"},
     PASSED),
    ({"listen-ports": '[{"HTTPS": 443}]'}, ("FAILED", (NOT_ACM,))),
    ({"listen-ports": '[{"HTTPS": 443}]', "certificate-arn": "acm:certificate/x"}, ("FAILED", (NOT_ACM,))),
    ({"listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]', "certificate-arn": CERT}, ("FAILED", (NO_REDIRECT,))),
    ({"listen-ports": '[{"HTTP": 80}]', "certificate-arn": CERT, "ssl-redirect": "443"},
     ("FAILED", (f"metadata.annotations.{ALB}listen-ports has no HTTPS port", NO_REDIRECT))),
    # no listen-ports: the controller's default HTTP 80 only, and no certificate is asked for
    ({}, ("FAILED", (f"metadata.annotations.{ALB}listen-ports has no HTTPS port", NO_REDIRECT))),
    ({"listen-ports": "HTTPS:443"},
     ("FAILED", (f"metadata.annotations.{ALB}listen-ports is not a JSON list of {{PROTOCOL: port}}",))),
    ({"listen-ports": '[{"HTTPS": "x"}]'},
     ("FAILED", (f"metadata.annotations.{ALB}listen-ports is not a JSON list of {{PROTOCOL: port}}",))),
    ({"listen-ports": '["HTTPS"]'},
     ("FAILED", (f"metadata.annotations.{ALB}listen-ports is not a JSON list of {{PROTOCOL: port}}",))),
])
def test_alb_ingress_https_only(annotations, expect):
    assert outcome(INGRESS, _ingress(annotations), "alb-ingress-https-only") == expect


def test_alb_ingress_class_from_the_legacy_annotation_and_other_classes():
    legacy = _ingress({"listen-ports": '[{"HTTPS": 443}]'}, cls=None)
    legacy["metadata"]["annotations"]["kubernetes.io/ingress.class"] = "alb"
    assert outcome(INGRESS, legacy, "alb-ingress-https-only") == ("FAILED", (NOT_ACM,))
    assert outcome(INGRESS, _ingress({}, cls="nginx"), "alb-ingress-https-only") is None
    assert outcome(INGRESS, _ingress({}, cls=None), "alb-ingress-https-only") is None
    bare = {"metadata": {"name": "gateway"}, "spec": {"ingressClassName": "alb"}}  # no annotations at all
    assert outcome(INGRESS, bare, "alb-ingress-https-only") == (
        "FAILED", (f"metadata.annotations.{ALB}listen-ports has no HTTPS port", NO_REDIRECT))


# --------------------------------------------------------------------------- log retention
@pytest.mark.parametrize("days,expect", [
    (30, PASSED), (1, PASSED), (3653, PASSED), ("90", PASSED), (30.0, PASSED),
    (None, ("FAILED", ("retentionInDays is not set (logs never expire)",))),
    (0, ("FAILED", ("retentionInDays is not set (logs never expire)",))),
    (31, ("FAILED", ("retentionInDays 31 is not a value CloudWatch accepts",))),
    (3654, ("FAILED", ("retentionInDays 3654 is not a value CloudWatch accepts",))),
    (-1, ("FAILED", ("retentionInDays -1 is not a value CloudWatch accepts",))),
])
def test_log_retention_set(days, expect):
    props = {"name": "/somastack/prod/agent", "tags": TAGS}
    if days is not None:
        props["retentionInDays"] = days
    assert outcome(LOG, props, "log-retention-set") == expect


# --------------------------------------------------------------------------- required tags
@pytest.mark.parametrize("tags,expect", [
    (TAGS, PASSED),
    ({**TAGS, "Environment": "prod"}, PASSED),
    ({**TAGS, "Environment": "Dev"}, PASSED),
    ({**TAGS, "Environment": "staging"}, ("FAILED", ("tag Environment must be one of DEV, PROD",))),
    ({"Project": "somastack", "Environment": "qa"}, ("FAILED", (
        "missing tags: Stack, ManagedBy", "tag Environment must be one of DEV, PROD"))),
    ({}, ("FAILED", ("missing tags: Project, Environment, Stack, ManagedBy",))),
    ({**TAGS, "Stack": ""}, ("FAILED", ("missing tags: Stack",))),
])
def test_required_tags(tags, expect):
    assert outcome("aws:s3/bucket:Bucket", {"bucket": "soma-artifacts", "tags": tags}, "required-tags") == expect


def test_required_tags_scope():
    # resolvable and not taggable: out of scope even with a tags input
    assert outcome("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {"role": "r", "tags": {}}, "required-tags") is None
    # not resolvable (no such pulumi-aws class): judged only when it has a tags input
    assert outcome("aws:nosuchmodule/thing:Thing", {"name": "x"}, "required-tags") is None
    assert outcome("aws:nosuchmodule/thing:Thing", {"tags": {"Project": "p"}}, "required-tags") == (
        "FAILED", ("missing tags: Environment, Stack, ManagedBy",))
    # taggable without a tags input: the provider's default tags count
    assert outcome("aws:s3/bucket:Bucket", {"bucket": "b"}, "required-tags",
                   provider_props={"defaultTags": {"tags": TAGS}}) == PASSED


@pytest.mark.parametrize("token,expect", [
    ("aws:rds/instance:Instance", True), ("aws:s3/bucket:Bucket", True), ("aws:ecs/taskDefinition:TaskDefinition", True),
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", False), ("aws:ec2/routeTableAssociation:RouteTableAssociation", False),
    ("aws:nosuchmodule/thing:Thing", None), ("aws:s3/bucket:NoSuchClass", None), ("not-a-token", None),
    ("aws:s3:bucket:Bucket", None),
])
def test_resolve_taggable(token, expect):
    assert resolve_taggable(token) is expect
    assert is_taggable(token) is expect


# --------------------------------------------------------------------------- no-public-datastore
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
VPC_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
K8S_SVC = "kubernetes:core/v1:Service"
DOCKER = "docker:index/container:Container"
EXPOSED_PG_REDIS = "ingress from the internet reaches PostgreSQL 5432, Redis 6379"


def test_msk_public_access_defaults_to_disabled():
    msk = {"clusterName": "soma", "kafkaVersion": "3.6.0", "numberOfBrokerNodes": 3,
           "brokerNodeGroupInfo": {"instanceType": "kafka.m5.large", "clientSubnets": ["subnet-a", "subnet-b"]}}
    assert outcome(MSK, msk, "no-public-datastore") == PASSED  # no connectivityInfo: AWS default DISABLED
    msk["brokerNodeGroupInfo"]["connectivityInfo"] = {"publicAccess": {"type": "SERVICE_PROVIDED_EIPS"}}
    assert outcome(MSK, msk, "no-public-datastore") == ("FAILED", (
        "public access is SERVICE_PROVIDED_EIPS (brokerNodeGroupInfo.connectivityInfo.publicAccess)",))


def test_rds_cluster_instance_publicly_accessible():
    inst = {"clusterIdentifier": "soma", "instanceClass": "db.r6g.large", "engine": "aurora-postgresql"}
    assert outcome("aws:rds/clusterInstance:ClusterInstance", inst, "no-public-datastore") == PASSED
    assert outcome("aws:rds/clusterInstance:ClusterInstance", {**inst, "publiclyAccessible": "true"},
                   "no-public-datastore") == ("FAILED", ("publiclyAccessible is true",))


@pytest.mark.parametrize("ingress,expect", [
    ([{"protocol": "tcp", "fromPort": 5432, "toPort": 6379, "cidrBlocks": ["0.0.0.0/0"]}],
     ("ingress[0] from the internet reaches PostgreSQL 5432, Redis 6379",)),
    ([{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]},
      {"protocol": "tcp", "fromPort": 6379, "toPort": 6379, "ipv6CidrBlocks": ["::/0"]}],
     ("ingress[1] from the internet reaches Redis 6379",)),
    ([{"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["10.0.0.0/8"], "ipv6CidrBlocks": ["fd00::/8"]}],
     ()),
    ([{"protocol": "udp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["0.0.0.0/0"]}], ()),
])
def test_security_group_inline_ingress(ingress, expect):
    props = {"vpcId": "vpc-0abc", "description": "datastores", "ingress": ingress, "tags": TAGS}
    assert outcome(SG, props, "no-public-datastore") == (("FAILED", expect) if expect else PASSED)


@pytest.mark.parametrize("props,expect", [
    ({"type": "ingress", "protocol": "tcp", "fromPort": 5432, "toPort": 6379, "cidrBlocks": ["0.0.0.0/0"]},
     EXPOSED_PG_REDIS),
    ({"type": "ingress", "protocol": "tcp", "fromPort": 6379, "toPort": 6379, "ipv6CidrBlocks": ["::/0"]},
     "ingress from the internet reaches Redis 6379"),
    ({"type": "ingress", "protocol": "udp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["0.0.0.0/0"]}, None),
    ({"type": "ingress", "protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}, None),
    ({"type": "ingress", "protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["10.0.0.0/16"]}, None),
    # egress to anywhere on a datastore port is not exposure
    ({"type": "egress", "protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["0.0.0.0/0"]}, None),
])
def test_security_group_rule(props, expect):
    full = {"securityGroupId": "sg-0db", **props}
    assert outcome(SG_RULE, full, "no-public-datastore") == (("FAILED", (expect,)) if expect else PASSED)


@pytest.mark.parametrize("props,expect", [
    ({"ipProtocol": "tcp", "fromPort": 5432, "toPort": 6379, "cidrIpv4": "0.0.0.0/0"}, EXPOSED_PG_REDIS),
    ({"ipProtocol": "tcp", "fromPort": 9092, "toPort": 9092, "cidrIpv6": "::/0"},
     "ingress from the internet reaches Kafka 9092"),
    ({"ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0"},
     "ingress from the internet reaches ZooKeeper 2181, etcd 2379, PostgreSQL 5432, Redis 6379, Kafka 9092, "
     "Kafka TLS 9094, Kafka SASL/SCRAM 9096, Kafka IAM 9098, Milvus 19530"),
    ({"ipProtocol": "udp", "fromPort": 5432, "toPort": 5432, "cidrIpv4": "0.0.0.0/0"}, None),
    ({"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0"}, None),
    ({"ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrIpv4": "10.0.0.0/16"}, None),
])
def test_vpc_security_group_ingress_rule(props, expect):
    full = {"securityGroupId": "sg-0db", **props}
    assert outcome(VPC_RULE, full, "no-public-datastore") == (("FAILED", (expect,)) if expect else PASSED)


def _service(ports: list[dict], **annotations) -> dict:
    return {"metadata": {"name": "redis", "namespace": "soma", "annotations": annotations},
            "spec": {"type": "LoadBalancer", "selector": {"app": "redis"}, "ports": ports}}


@pytest.mark.parametrize("svc,expect", [
    (_service([{"name": "redis", "port": 6379, "targetPort": 6379}]),
     ("internet-facing LoadBalancer Service exposes Redis 6379",)),
    # a datastore behind another load balancer port is still reachable from the internet
    (_service([{"name": "pg", "port": 443, "targetPort": 5432}]),
     ("internet-facing LoadBalancer Service exposes PostgreSQL 5432",)),
    (_service([{"port": 9092.0, "targetPort": "kafka"}]),  # numbers arrive as floats over gRPC
     ("internet-facing LoadBalancer Service exposes Kafka 9092",)),
    (_service([{"port": 6379, "targetPort": 6379}, {"port": 19530, "targetPort": 19530}]),
     ("internet-facing LoadBalancer Service exposes Redis 6379",
      "internet-facing LoadBalancer Service exposes Milvus 19530")),
    (_service([{"port": 6379}], **{"service.beta.kubernetes.io/aws-load-balancer-internal": "true"}), None),
    (_service([{"port": 6379}], **{"service.beta.kubernetes.io/aws-load-balancer-scheme": "Internal"}), None),
    (_service([{"port": 6379}], **{"service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"}),
     ("internet-facing LoadBalancer Service exposes Redis 6379",)),
    (_service([{"port": 6379}], **{"service.beta.kubernetes.io/aws-load-balancer-internal": "false"}),
     ("internet-facing LoadBalancer Service exposes Redis 6379",)),
    (_service([{"port": 443, "targetPort": "https"}]), None),
    ({"metadata": {"name": "redis"}, "spec": {"type": "ClusterIP", "ports": [{"port": 6379}]}}, None),
    ({"metadata": {"name": "redis"}, "spec": {"type": "LoadBalancer"}}, None),
])
def test_kubernetes_load_balancer_service(svc, expect):
    assert outcome(K8S_SVC, svc, "no-public-datastore") == (("FAILED", expect) if expect else PASSED)


@pytest.mark.parametrize("ports,expect", [
    ([{"internal": 5432, "external": 5432}],
     ("PostgreSQL 5432 is published on 0.0.0.0 (bind it to 127.0.0.1)",)),
    ([{"internal": 6379.0, "external": 16379, "ip": "192.168.1.20"}],
     ("Redis 6379 is published on 192.168.1.20 (bind it to 127.0.0.1)",)),
    ([{"internal": 6379, "external": 6379, "ip": "::"}], ("Redis 6379 is published on :: (bind it to 127.0.0.1)",)),
    ([{"internal": 5432, "external": 5432, "ip": "127.0.0.1"}, {"internal": 6379, "ip": "::1"},
      {"internal": 9092, "ip": "localhost"}, {"internal": 8080, "external": 8080}], None),
    ([{"internal": None, "external": 5432}], None),  # unknown container port: nothing to judge
])
def test_docker_published_ports(ports, expect):
    props = {"name": "somastack-postgres", "image": "postgres:16", "ports": ports}
    assert outcome(DOCKER, props, "no-public-datastore") == (("FAILED", expect) if expect else PASSED)


# --------------------------------------------------------------------------- secrets, error masking
def test_ecs_container_and_variable_without_a_name():
    defs = [{"image": "soma/agent:1", "environment": [{"value": "AKIAIOSFODNN7EXAMPLE"}]}]
    assert outcome("aws:ecs/taskDefinition:TaskDefinition", {"family": "agent", "containerDefinitions": defs},
                   "no-plaintext-secret-in-container-env") == ("FAILED", (
        "container ?:  holds a value shaped like a secret (AWS Access Key); use the task definition's secrets "
        "(valueFrom a Secrets Manager ARN)",))


def test_error_text_masks_the_longest_value_first():
    """A value that contains a shorter value is masked whole (masking the short one first would
    leave the rest of the long one in the report)."""
    from somastack_deploy.policies.registry import error_text

    res = ResourceInput(LOG, "logs", {"kmsKeyId": "zzz", "name": "abc-zzz-long-value"})
    assert error_text(ValueError("bad name abc-zzz-long-value, key zzz"), res) == "ValueError: bad name ***, key ***"


def test_results_and_violations_carry_the_resource_identity():
    from somastack_deploy.policies import CheckResult, evaluate

    logs = ResourceInput(LOG, "agent-logs", {"name": "/somastack/prod/agent"}, urn=f"urn:pulumi:s::p::{LOG}::agent-logs")
    assert check([logs], rules=["log-retention-set"]) == [CheckResult(
        "log-retention-set", "mandatory", "FAILED", LOG, "agent-logs", logs.urn,
        ("retentionInDays is not set (logs never expire)",))]
    assert [v.to_dict() for v in evaluate([logs], rules=["log-retention-set"])] == [{
        "policy": "log-retention-set", "resource": "agent-logs", "type": LOG, "urn": logs.urn, "level": "mandatory",
        "message": "retentionInDays is not set (logs never expire)"}]
