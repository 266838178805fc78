"""SomaStackMocks: realistic, deterministic outputs per resource type and invoke."""

from __future__ import annotations

import base64

import pulumi

from somastack_deploy.plan.mocks import SomaStackMocks


def _new(typ: str, name: str, inputs: dict, region: str = "us-east-1"):
    return SomaStackMocks(region=region).new_resource(pulumi.runtime.MockResourceArgs(typ=typ, name=name, inputs=inputs))


def test_rds_endpoint_and_managed_secret():
    rid, out = _new("aws:rds/instance:Instance", "db", {"engine": "postgres", "manageMasterUserPassword": True})
    assert out["port"] == 5432 and out["endpoint"] == f"{out['address']}:5432"
    assert out["address"].endswith(".us-east-1.rds.amazonaws.com") and out["arn"] == f"arn:aws:rds:us-east-1:123456789012:db:{rid}"
    assert out["masterUserSecrets"][0]["secretArn"].startswith("arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-")


def test_elasticache_msk_alb_eks():
    _, rg = _new("aws:elasticache/replicationGroup:ReplicationGroup", "cache", {"port": 6379})
    assert rg["primaryEndpointAddress"].startswith("master.") and rg["port"] == 6379
    _, msk = _new("aws:msk/cluster:Cluster", "kafka", {"clusterName": "soma", "numberOfBrokerNodes": 3})
    tls = msk["bootstrapBrokersTls"].split(",")
    assert len(tls) == 3 and all(b.endswith(":9094") for b in tls)
    assert msk["bootstrapBrokersSaslIam"].count(":9098") == 3
    _, alb = _new("aws:lb/loadBalancer:LoadBalancer", "alb", {"loadBalancerType": "application"})
    assert alb["dnsName"].endswith(".us-east-1.elb.amazonaws.com") and alb["arnSuffix"].startswith("app/")
    _, eks = _new("aws:eks/cluster:Cluster", "eks", {"name": "soma"}, region="eu-west-1")
    assert eks["endpoint"].startswith("https://") and eks["endpoint"].endswith(".eu-west-1.eks.amazonaws.com")
    assert base64.b64decode(eks["certificateAuthority"]["data"]).startswith(b"-----BEGIN CERTIFICATE-----")
    assert eks["identities"][0]["oidcs"][0]["issuer"].startswith("https://oidc.eks.eu-west-1.amazonaws.com/id/")


def test_kubernetes_and_docker_outputs():
    rid, svc = _new("kubernetes:core/v1:Service", "gw", {"metadata": {"name": "gateway", "namespace": "soma"},
                                                         "spec": {"type": "LoadBalancer"}})
    assert rid == "soma/gateway" and svc["spec"]["clusterIP"].startswith("172.20.")
    assert svc["status"]["loadBalancer"]["ingress"][0]["hostname"].endswith(".elb.amazonaws.com")
    _, ns = _new("kubernetes:core/v1:Namespace", "ns", {})
    assert "namespace" not in ns["metadata"] and ns["metadata"]["name"].startswith("ns-")
    _, c = _new("docker:index/container:Container", "pg", {"name": "postgres", "networksAdvanced": [{"name": "soma"}]})
    assert c["networkDatas"][0]["networkName"] == "soma"


def test_auto_names_are_deterministic():
    assert _new("aws:s3/bucket:Bucket", "milvus", {}) == _new("aws:s3/bucket:Bucket", "milvus", {})
    _, b = _new("aws:s3/bucket:Bucket", "milvus", {})
    assert b["bucket"].startswith("milvus-") and len(b["bucket"]) == len("milvus-") + 7


def test_invokes():
    m = SomaStackMocks(region="eu-west-1", secret_values={"soma/redis": {"auth_token": "x"}})
    call = lambda tok, args: m.call(pulumi.runtime.MockCallArgs(token=tok, args=args, provider=""))  # noqa: E731
    assert call("aws:index/getAvailabilityZones:getAvailabilityZones", {})["names"] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert call("aws:index/getCallerIdentity:getCallerIdentity", {})["accountId"] == "123456789012"
    assert call("aws:secretsmanager/getSecretVersion:getSecretVersion", {"secretId": "soma/redis"})["secretString"] == '{"auth_token": "x"}'
    generic = call("aws:secretsmanager/getSecretVersion:getSecretVersion", {"secretId": "soma/other"})
    assert '"password"' in generic["secretString"] and '"preshared_key"' in generic["secretString"]
    doc = call("aws:iam/getPolicyDocument:getPolicyDocument", {"statements": [{"actions": ["s3:GetObject"], "resources": ["*"]}]})
    assert '"Action": "s3:GetObject"' in doc["json"]


def test_secret_inputs_stay_secret_and_feed_computed_outputs():
    from pulumi.runtime import rpc

    _, out = _new("aws:rds/instance:Instance", "db", {"engine": "postgres", "port": rpc.wrap_rpc_secret(5433),
                                                      "password": rpc.wrap_rpc_secret("x")})
    assert out["endpoint"].endswith(":5433")
    assert rpc.is_rpc_secret(out["port"]) and rpc.is_rpc_secret(out["password"])
    _, pw = _new("random:index/randomPassword:RandomPassword", "pw", {"length": 24})
    assert rpc.is_rpc_secret(pw["result"]) and len(rpc.unwrap_rpc_secret(pw["result"])) == 24
