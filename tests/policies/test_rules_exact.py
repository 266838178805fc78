"""Edge cases of the exposure and secrets rules, word for word: protocol spellings and port
ranges of security group rules, ECS container definitions as JSON or already parsed, every
Kubernetes container list, environment entries without a name, Docker ``NAME=VALUE`` pairs."""

from __future__ import annotations

import json

import pytest

from somastack_deploy.policies import ResourceInput, check
from somastack_deploy.policies.rules.exposure import _exposed_ports

AKID = "AKIAIOSFODNN7EXAMPLE"  # AWS's documented example key id: secret-shaped, not a secret
ENV_RULE = "no-plaintext-secret-in-container-env"


@pytest.mark.parametrize("protocol,lo,hi,expect", [
    (None, 5432, 5432, ["PostgreSQL 5432"]),          # no protocol: TCP
    ("TCP", 6379, 6379, ["Redis 6379"]),
    ("6", 6379, 6379, ["Redis 6379"]),                 # IANA protocol number of TCP
    ("ALL", None, None, ["ZooKeeper 2181", "etcd 2379", "PostgreSQL 5432", "Redis 6379", "Kafka 9092",
                         "Kafka TLS 9094", "Kafka SASL/SCRAM 9096", "Kafka IAM 9098", "Milvus 19530"]),
    ("-1", 0, 0, ["ZooKeeper 2181", "etcd 2379", "PostgreSQL 5432", "Redis 6379", "Kafka 9092", "Kafka TLS 9094",
                  "Kafka SASL/SCRAM 9096", "Kafka IAM 9098", "Milvus 19530"]),
    ("udp", 5432, 5432, []),
    ("tcp", 5432, None, ["PostgreSQL 5432"]),          # no to_port: the single from_port
    ("tcp", 5000, 6500, ["PostgreSQL 5432", "Redis 6379"]),
    ("tcp", 0, 6379, ["ZooKeeper 2181", "etcd 2379", "PostgreSQL 5432", "Redis 6379"]),
    ("tcp", 0, 0, []),                                 # 0-0 with TCP: no port
    ("tcp", None, None, []),
    ("tcp", "x", 5432, []),                            # unparsable: not this rule's business
    ("tcp", 80, 443, []),
])
def test_exposed_ports(protocol, lo, hi, expect):
    assert _exposed_ports(protocol, lo, hi) == expect


def _task(raw) -> ResourceInput:
    props = {"family": "agent", "tags": {}} if raw is None else {"family": "agent", "containerDefinitions": raw}
    return ResourceInput("aws:ecs/taskDefinition:TaskDefinition", "agent", props, urn="urn:t")


@pytest.mark.parametrize("raw,reason", [(None, "containerDefinitions is unknown"),
                                        ("{not json", "containerDefinitions is not JSON"),
                                        (json.dumps({"name": "agent"}), "containerDefinitions is not a JSON list")])
def test_ecs_undecidable_definitions_are_unknown_with_the_reason(raw, reason):
    (result,) = check([_task(raw)], rules=[ENV_RULE])
    assert (result.status, result.messages) == ("UNKNOWN", (reason,))


def test_ecs_definitions_already_parsed_are_checked():
    defs = [{"name": "agent", "environment": [{"name": "SA01_DB_PASSWORD", "value": "planted-x"}]}, None]
    (result,) = check([_task(defs)], rules=[ENV_RULE])
    assert result.status == "FAILED" and result.messages == (
        "container agent: SA01_DB_PASSWORD is a secret variable set in plain text; use the task definition's secrets "
        "(valueFrom a Secrets Manager ARN)",)


def _deployment(pod: dict | None) -> ResourceInput:
    props = {"metadata": {"name": "agent"}}
    if pod is not None:
        props["spec"] = {"template": {"spec": pod}}
    return ResourceInput("kubernetes:apps/v1:Deployment", "agent", props, urn="urn:d")


def test_k8s_every_container_list_and_entries_after_value_from():
    pod = {"initContainers": [{"name": "migrate", "env": [{"name": "SA01_DB_PASSWORD", "value": "planted-x"}]}],
           "containers": [{"env": [{"name": "DB", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
                                   {"value": AKID}]}],
           "ephemeralContainers": [{"name": "debug", "env": [{"name": "SPICEDB_API_KEY", "value": "planted-y"}]}]}
    (result,) = check([_deployment(pod)], rules=[ENV_RULE])
    assert result.messages == (
        "container migrate: SA01_DB_PASSWORD is a secret variable set in plain text; use valueFrom.secretKeyRef",
        "container ?:  holds a value shaped like a secret (AWS Access Key); use valueFrom.secretKeyRef",
        "container debug: SPICEDB_API_KEY is a secret variable set in plain text; use valueFrom.secretKeyRef")


def test_k8s_without_a_pod_spec_is_unknown():
    (result,) = check([_deployment(None)], rules=[ENV_RULE])
    assert (result.status, result.messages) == ("UNKNOWN", ("pod spec is unknown",))


def test_docker_envs_split_at_the_first_equals_sign_and_use_the_container_name():
    res = ResourceInput("docker:index/container:Container", "agent-res",
                        {"name": "somastack-agent", "envs": ["NOEQUALS", "SA01_DB_PASSWORD=planted=x", "OK=1"]})
    (result,) = check([res], rules=[ENV_RULE])
    assert result.messages == ("container somastack-agent: SA01_DB_PASSWORD is a secret variable set in plain text; "
                               "mount it as a file (*_FILE) instead",)
    unnamed = ResourceInput("docker:index/container:Container", "agent-res", {"envs": ["SPICEDB_API_KEY=planted"]})
    assert check([unnamed], rules=[ENV_RULE])[0].messages[0].startswith("container agent-res: SPICEDB_API_KEY")
