"""Each policy on passing and failing resources (realistic AWS/Kubernetes/Docker input shapes,
Pulumi wire names)."""

from __future__ import annotations

import json

import pytest

from somastack_deploy.policies import REGISTRY, ResourceInput, check, evaluate

TAGS = {"Project": "somastack", "Environment": "PROD", "Stack": "fargate-prod", "ManagedBy": "pulumi"}
DEV_TAGS = {**TAGS, "Environment": "DEV", "Stack": "fargate-dev"}
PLANTED = "planted-Plain-S3cret-4410"


def res(typ: str, props: dict, name: str = "r", **kw) -> ResourceInput:
    return ResourceInput(type=typ, name=name, props=props, urn=f"urn:pulumi:s::somastack::{typ}::{name}", **kw)


def statuses(resource: ResourceInput, rule: str) -> list[str]:
    return [r.status for r in check([resource], rules=[rule])]


def messages(resource: ResourceInput, rule: str) -> list[str]:
    return [v.message for v in evaluate([resource], rules=[rule])]


def test_registry_metadata():
    names = [r.name for r in REGISTRY]
    assert len(names) == len(set(names)) >= 10
    for r in REGISTRY:
        assert r.description and r.source and r.resource_types and r.level in ("mandatory", "advisory")


# --------------------------------------------------------------------------- secrets in env
def _task(env: list[dict], secrets: list[dict] | None = None) -> ResourceInput:
    defs = [{"name": "agent", "image": "soma/agent:1", "portMappings": [{"containerPort": 20020}],
             "environment": env, "secrets": secrets or []}]
    return res("aws:ecs/taskDefinition:TaskDefinition", {"family": "agent", "containerDefinitions": json.dumps(defs),
                                                          "requiresCompatibilities": ["FARGATE"], "tags": TAGS}, "agent")


RULE_ENV = "no-plaintext-secret-in-container-env"


def test_ecs_env_passes_with_secrets_block():
    task = _task([{"name": "SA01_DB_HOST", "value": "db.internal"}, {"name": "SA01_DB_PORT", "value": "5432"}],
                 [{"name": "SA01_DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password::"}])
    assert statuses(task, RULE_ENV) == ["PASSED"]


@pytest.mark.parametrize("name,value,expect", [
    ("SA01_DB_PASSWORD", PLANTED, "SA01_DB_PASSWORD is a secret variable"),
    ("SA01_DB_DSN", f"postgresql://soma:{PLANTED}@db:5432/soma", "connection URL with a password"),
    ("SOME_URL", f"redis://:{PLANTED}@redis:6379/0", "URL with password"),
    ("AWS_KEY_ID", "AKIAIOSFODNN7EXAMPLE", "AWS Access Key"),
    ("SPICEDB_GRPC_PRESHARED_KEY", PLANTED, "SPICEDB_GRPC_PRESHARED_KEY"),
])
def test_ecs_env_fails_on_name_or_shape(name, value, expect):
    task = _task([{"name": "SA01_DB_HOST", "value": "db.internal"}, {"name": name, "value": value}])
    msgs = messages(task, RULE_ENV)
    assert len(msgs) == 1 and expect in msgs[0] and "container agent" in msgs[0]
    assert PLANTED not in msgs[0] and "AKIAIOSFODNN7EXAMPLE" not in msgs[0]


@pytest.mark.parametrize("value", ["ref+awssecrets://soma/db#/password", "${DB_PASSWORD}", "", "/run/secrets/db",
                                   "arn:aws:secretsmanager:eu-west-1:1:secret:x"])
def test_ecs_env_secret_name_with_reference_passes(value):
    assert statuses(_task([{"name": "SA01_DB_PASSWORD", "value": value}]), RULE_ENV) == ["PASSED"]


def test_ecs_env_dsn_without_password_passes():
    assert statuses(_task([{"name": "SA01_DB_DSN", "value": "postgresql://soma@db:5432/soma"}]), RULE_ENV) == ["PASSED"]


def test_ecs_unknown_container_definitions():
    task = res("aws:ecs/taskDefinition:TaskDefinition", {"family": "agent"})
    assert statuses(task, RULE_ENV) == ["UNKNOWN"]


def _deployment(env: list[dict], kind: str = "kubernetes:apps/v1:Deployment") -> ResourceInput:
    pod = {"containers": [{"name": "agent", "image": "soma/agent:1", "env": env, "ports": [{"containerPort": 20020}]}],
           "initContainers": [{"name": "migrate", "image": "soma/agent:1", "env": []}]}
    spec = {"replicas": 2, "selector": {"matchLabels": {"app": "agent"}},
            "template": {"metadata": {"labels": {"app": "agent"}}, "spec": pod}}
    if kind == "kubernetes:batch/v1:CronJob":
        spec = {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": {"spec": pod}}}}
    return res(kind, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "agent", "namespace": "soma"},
                      "spec": spec}, "agent")


@pytest.mark.parametrize("kind", ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet",
                                  "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob"])
def test_kubernetes_env(kind):
    ok = _deployment([{"name": "SA01_DB_HOST", "value": "postgres.soma.svc"},
                      {"name": "SA01_DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}], kind)
    assert statuses(ok, RULE_ENV) == ["PASSED"]
    bad = _deployment([{"name": "SA01_DB_PASSWORD", "value": PLANTED}], kind)
    msgs = messages(bad, RULE_ENV)
    assert len(msgs) == 1 and "secretKeyRef" in msgs[0] and PLANTED not in msgs[0]


def test_docker_envs():
    ok = res("docker:index/container:Container", {"name": "postgres", "image": "postgres:16",
                                                   "envs": ["POSTGRES_USER=soma", "POSTGRES_PASSWORD_FILE=/run/secrets/pg"]})
    assert statuses(ok, RULE_ENV) == ["PASSED"]
    bad = res("docker:index/container:Container", {"name": "postgres", "image": "postgres:16",
                                                    "envs": ["POSTGRES_USER=soma", f"POSTGRES_PASSWORD={PLANTED}"]})
    msgs = messages(bad, RULE_ENV)
    assert len(msgs) == 1 and "POSTGRES_PASSWORD" in msgs[0] and PLANTED not in msgs[0]
    dev_default = res("docker:index/container:Container", {"name": "agent", "envs": ["SOMA_MEMORY_TOKEN_X=dev-token-123"]})
    assert statuses(dev_default, RULE_ENV) == ["FAILED"]


def test_configmap():
    ok = res("kubernetes:core/v1:ConfigMap", {"metadata": {"name": "agent"}, "data": {"SA01_DB_HOST": "postgres"}})
    assert statuses(ok, "no-secret-in-configmap") == ["PASSED"]
    bad = res("kubernetes:core/v1:ConfigMap", {"metadata": {"name": "agent"}, "data": {"SECRET_KEY": PLANTED}})
    assert statuses(bad, "no-secret-in-configmap") == ["FAILED"]


# --------------------------------------------------------------------------- RDS
def _rds(**over) -> ResourceInput:
    props = {"engine": "postgres", "engineVersion": "16", "instanceClass": "db.r6g.large", "allocatedStorage": 100,
             "storageEncrypted": True, "multiAz": True, "deletionProtection": True, "backupRetentionPeriod": 14,
             "manageMasterUserPassword": True, "username": "soma", "publiclyAccessible": False, "tags": TAGS}
    props.update(over)
    return res("aws:rds/instance:Instance", {k: v for k, v in props.items() if v is not None}, "db-postgres")


def test_rds_prod_passes():
    for rule in ("rds-storage-encrypted", "rds-prod-high-availability", "rds-master-password-managed", "no-public-datastore"):
        assert statuses(_rds(), rule) == ["PASSED"], rule


def test_rds_failures():
    assert messages(_rds(storageEncrypted=False), "rds-storage-encrypted") == ["storageEncrypted is not true"]
    assert messages(_rds(storageEncrypted=None), "rds-storage-encrypted") == ["storageEncrypted is not true"]
    msgs = messages(_rds(multiAz=False, deletionProtection=None, backupRetentionPeriod=1), "rds-prod-high-availability")
    assert len(msgs) == 3 and any("Multi-AZ" in m for m in msgs)
    assert messages(_rds(manageMasterUserPassword=None, password=PLANTED), "rds-master-password-managed") == \
        ["password is set; use manageMasterUserPassword"]
    assert messages(_rds(publiclyAccessible=True), "no-public-datastore") == ["publiclyAccessible is true"]


def test_rds_dev_needs_no_multi_az_and_untagged_is_unknown():
    assert statuses(_rds(multiAz=False, deletionProtection=False, backupRetentionPeriod=1, tags=DEV_TAGS),
                    "rds-prod-high-availability") == ["PASSED"]
    assert statuses(_rds(tags={}), "rds-prod-high-availability") == ["UNKNOWN"]


def test_environment_from_provider_default_tags():
    r = res("aws:rds/instance:Instance", {"engine": "postgres", "storageEncrypted": True, "multiAz": False},
            provider_props={"defaultTags": json.dumps({"tags": TAGS})})
    assert statuses(r, "rds-prod-high-availability") == ["FAILED"]
    assert statuses(r, "required-tags") == ["PASSED"]


# --------------------------------------------------------------------------- exposure
def _sg(ingress: list[dict]) -> ResourceInput:
    return res("aws:ec2/securityGroup:SecurityGroup", {"vpcId": "vpc-1", "description": "db", "ingress": ingress,
                                                        "egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}],
                                                        "tags": TAGS}, "db-sg")


def test_security_groups():
    ok = _sg([{"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "securityGroups": ["sg-app"]},
              {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}])
    assert statuses(ok, "no-public-datastore") == ["PASSED"]
    bad = _sg([{"protocol": "tcp", "fromPort": 6379, "toPort": 6379, "cidrBlocks": ["10.0.0.0/16", "0.0.0.0/0"]}])
    assert messages(bad, "no-public-datastore") == ["ingress[0] from the internet reaches Redis 6379"]
    all_ports = _sg([{"protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": ["::/0"]}])
    assert "PostgreSQL 5432" in messages(all_ports, "no-public-datastore")[0]
    rule = res("aws:ec2/securityGroupRule:SecurityGroupRule", {"type": "ingress", "protocol": "tcp", "fromPort": 9092,
                                                                "toPort": 9098, "cidrBlocks": ["0.0.0.0/0"], "securityGroupId": "sg-1"})
    assert "Kafka 9092" in messages(rule, "no-public-datastore")[0]
    vpc_rule = res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                   {"ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrIpv4": "0.0.0.0/0", "securityGroupId": "sg-1"})
    assert statuses(vpc_rule, "no-public-datastore") == ["FAILED"]
    vpc_ok = res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                 {"ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, "referencedSecurityGroupId": "sg-app", "securityGroupId": "sg-1"})
    assert statuses(vpc_ok, "no-public-datastore") == ["PASSED"]


def test_msk_public_access_and_k8s_load_balancer():
    msk = {"clusterName": "soma", "kafkaVersion": "3.6.0", "numberOfBrokerNodes": 3,
           "brokerNodeGroupInfo": {"instanceType": "kafka.m5.large", "clientSubnets": ["a", "b", "c"],
                                   "connectivityInfo": {"publicAccess": {"type": "SERVICE_PROVIDED_EIPS"}}}}
    assert statuses(res("aws:msk/cluster:Cluster", msk), "no-public-datastore") == ["FAILED"]
    msk["brokerNodeGroupInfo"]["connectivityInfo"]["publicAccess"]["type"] = "DISABLED"
    assert statuses(res("aws:msk/cluster:Cluster", msk), "no-public-datastore") == ["PASSED"]
    svc = {"metadata": {"name": "redis"}, "spec": {"type": "LoadBalancer", "ports": [{"port": 6379, "targetPort": 6379}]}}
    assert statuses(res("kubernetes:core/v1:Service", svc), "no-public-datastore") == ["FAILED"]
    svc["metadata"]["annotations"] = {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}
    assert statuses(res("kubernetes:core/v1:Service", svc), "no-public-datastore") == ["PASSED"]
    gw = {"metadata": {"name": "gateway"}, "spec": {"type": "LoadBalancer", "ports": [{"port": 443, "targetPort": 20020}]}}
    assert statuses(res("kubernetes:core/v1:Service", gw), "no-public-datastore") == ["PASSED"]


# --------------------------------------------------------------------------- ALB
def test_alb_listeners():
    https = res("aws:lb/listener:Listener", {"loadBalancerArn": "arn:lb", "port": 443, "protocol": "HTTPS",
                                             "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
                                             "certificateArn": "arn:aws:acm:eu-west-1:1:certificate/x",
                                             "defaultActions": [{"type": "forward", "targetGroupArn": "arn:tg"}]})
    assert statuses(https, "alb-https-only") == ["PASSED"]
    redirect = res("aws:lb/listener:Listener", {"port": 80, "protocol": "HTTP", "defaultActions": [
        {"type": "redirect", "redirect": {"port": "443", "protocol": "HTTPS", "statusCode": "HTTP_301"}}]})
    assert statuses(redirect, "alb-https-only") == ["PASSED"]
    forward = res("aws:lb/listener:Listener", {"port": 80, "protocol": "HTTP",
                                               "defaultActions": [{"type": "forward", "targetGroupArn": "arn:tg"}]})
    assert messages(forward, "alb-https-only") == ["HTTP listener on port 80 does not redirect to HTTPS (defaultActions)"]
    no_cert = res("aws:alb/listener:Listener", {"port": 443, "protocol": "HTTPS", "defaultActions": []})
    assert statuses(no_cert, "alb-https-only") == ["FAILED"]
    tcp = res("aws:lb/listener:Listener", {"port": 5432, "protocol": "TCP", "defaultActions": []})
    assert statuses(tcp, "alb-https-only") == []  # network load balancer: not applicable


def _ingress(cls="alb", **annotations):
    ann = {f"alb.ingress.kubernetes.io/{k.replace('_', '-')}": v for k, v in annotations.items()}
    return res("kubernetes:networking.k8s.io/v1:Ingress", {"metadata": {"name": "agent", "annotations": ann},
                                                         "spec": {"ingressClassName": cls}})


def test_alb_ingress_https_only():
    from somastack_deploy.components.k8s_workloads import IngressSettings, ingress_annotations

    cert = "arn:aws:acm:us-east-1:1:certificate/x"
    ours = ingress_annotations(IngressSettings(host="api.example.io", certificate_arn=cert), health_path="/h")
    ing = res("kubernetes:networking.k8s.io/v1:Ingress", {"metadata": {"annotations": ours},
                                                          "spec": {"ingressClassName": "alb"}})
    assert statuses(ing, "alb-ingress-https-only") == ["PASSED"]
    assert statuses(_ingress(listen_ports='[{"HTTPS":443}]', certificate_arn=cert), "alb-ingress-https-only") == ["PASSED"]
    # default listen-ports is HTTP 80 only
    assert messages(_ingress(certificate_arn=cert), "alb-ingress-https-only") == [
        "metadata.annotations.alb.ingress.kubernetes.io/listen-ports has no HTTPS port",
        "HTTP listener without metadata.annotations.alb.ingress.kubernetes.io/ssl-redirect to an HTTPS port"]
    assert messages(_ingress(listen_ports='[{"HTTP":80},{"HTTPS":443}]', certificate_arn=cert, ssl_redirect="8443"),
                    "alb-ingress-https-only") == [
        "HTTP listener without metadata.annotations.alb.ingress.kubernetes.io/ssl-redirect to an HTTPS port"]
    assert messages(_ingress(listen_ports='[{"HTTPS":443}]', certificate_arn="arn:aws:iam::1:server-certificate/x"),
                    "alb-ingress-https-only") == [
        "metadata.annotations.alb.ingress.kubernetes.io/certificate-arn is not an ACM certificate ARN"]
    assert statuses(_ingress(listen_ports="not json"), "alb-ingress-https-only") == ["FAILED"]
    assert statuses(_ingress("nginx"), "alb-ingress-https-only") == []  # another class: not applicable


# --------------------------------------------------------------------------- Redis, MSK, logs
def test_redis_encryption():
    props = {"description": "redis", "engine": "redis", "transitEncryptionEnabled": True, "atRestEncryptionEnabled": True}
    assert statuses(res("aws:elasticache/replicationGroup:ReplicationGroup", props), "redis-encryption") == ["PASSED"]
    bad = {**props, "transitEncryptionEnabled": False, "atRestEncryptionEnabled": None}
    assert len(messages(res("aws:elasticache/replicationGroup:ReplicationGroup", {k: v for k, v in bad.items() if v is not None}),
                        "redis-encryption")) == 2
    preferred = {**props, "transitEncryptionMode": "preferred"}
    assert statuses(res("aws:elasticache/replicationGroup:ReplicationGroup", preferred), "redis-encryption") == ["FAILED"]


def test_msk_tls():
    tls = {"encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS", "inCluster": True}}}
    assert statuses(res("aws:msk/cluster:Cluster", tls), "msk-tls-in-transit") == ["PASSED"]
    assert statuses(res("aws:msk/cluster:Cluster", {}), "msk-tls-in-transit") == ["PASSED"]  # AWS default TLS
    mixed = {"encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS_PLAINTEXT", "inCluster": False}}}
    assert len(messages(res("aws:msk/cluster:Cluster", mixed), "msk-tls-in-transit")) == 2


def test_log_retention():
    assert statuses(res("aws:cloudwatch/logGroup:LogGroup", {"name": "/soma/agent", "retentionInDays": 30}), "log-retention-set") == ["PASSED"]
    assert statuses(res("aws:cloudwatch/logGroup:LogGroup", {"name": "/soma/agent"}), "log-retention-set") == ["FAILED"]
    assert statuses(res("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 0}), "log-retention-set") == ["FAILED"]
    assert statuses(res("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 31}), "log-retention-set") == ["FAILED"]


# --------------------------------------------------------------------------- tags
def test_required_tags():
    assert statuses(res("aws:s3/bucket:Bucket", {"tags": TAGS}), "required-tags") == ["PASSED"]
    msgs = messages(res("aws:s3/bucket:Bucket", {"tags": {"Project": "somastack"}}), "required-tags")
    assert msgs == ["missing tags: Environment, Stack, ManagedBy"]
    assert statuses(res("aws:s3/bucket:Bucket", {"tags": {**TAGS, "Environment": "staging"}}), "required-tags") == ["FAILED"]
    # not taggable in pulumi-aws: no result
    assert statuses(res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {"role": "r", "policyArn": "arn"}), "required-tags") == []
    assert statuses(res("aws:ecs/taskDefinition:TaskDefinition", {"family": "x"}), "required-tags") == ["FAILED"]


def test_every_rule_documented():
    import os

    doc = open(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "policies.md"), encoding="utf-8").read()
    rows = [line for line in doc.splitlines() if line.startswith("| `")][:len(REGISTRY)]
    for r, row in zip(REGISTRY, rows):
        assert row.startswith(f"| `{r.name}` | {r.level} | {r.category} | {r.description} |"), r.name


def test_tag_keys_match_without_case_or_separators():
    lower = {"project": "somastack", "environment": "PROD", "stack": "eks-prod", "managed-by": "pulumi"}
    assert statuses(res("aws:s3/bucket:Bucket", {"tags": lower}), "required-tags") == ["PASSED"]
    assert statuses(_rds(tags=lower, multiAz=False), "rds-prod-high-availability") == ["FAILED"]


def test_docker_datastore_port_published_on_all_interfaces():
    ok = res("docker:index/container:Container", {"name": "postgres", "image": "postgres:16",
                                                   "ports": [{"internal": 5432, "external": 5432, "ip": "127.0.0.1"}]})
    assert statuses(ok, "no-public-datastore") == ["PASSED"]
    bad = res("docker:index/container:Container", {"name": "redis", "image": "redis:7",
                                                    "ports": [{"internal": 6379, "external": 6379}]})
    assert messages(bad, "no-public-datastore") == ["Redis 6379 is published on 0.0.0.0 (bind it to 127.0.0.1)"]
    gateway = res("docker:index/container:Container", {"name": "agent", "ports": [{"internal": 20020, "external": 20020}]})
    assert statuses(gateway, "no-public-datastore") == ["PASSED"]


def test_unexpected_shape_is_an_error_without_value():
    """A rule that raises on a shape it was not written for has checked nothing: ERROR (blocks),
    naming the exception type; the value the exception text quoted is masked."""
    from somastack_deploy.policies.evaluate import blocks

    results = check([res("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": "ninety-" + PLANTED})], rules=["log-retention-set"])
    assert [r.status for r in results] == ["ERROR"]
    assert PLANTED not in results[0].messages[0] and results[0].messages[0].startswith("ValueError: ")
    assert "***" in results[0].messages[0]
    assert blocks(results)
