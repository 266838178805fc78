"""Network, LoadBalancer, Database, Cache, Kafka, PrivateBucket under the mock runtime."""

from __future__ import annotations

import pulumi
import pytest

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abc"


def _network(env):
    from somastack_deploy.components.network import Network, NetworkArgs

    def program():
        net = Network("net", NetworkArgs(environment=env, availability_zones=ZONES, tags={"Project": "t"}))
        pulumi.export("attrs", {"vpc_id": net.vpc_id, "private": net.private_subnet_ids,
                                "db_sg": net.database_security_group_id, "app_sg": net.app_security_group_id,
                                "nat": net.nat_gateway_count})
    return program


@pytest.mark.parametrize("env,nats", [("PROD", 3), ("DEV", 1)])
def test_network_nat_per_az_in_prod_and_locked_down_datastores(run_program, env, nats):
    plan = run_program(_network(env))
    (comp,) = plan.of_type("somastack:network:Network")
    assert comp.name == "net" and all(r.parent == comp.urn for r in plan.children(comp))
    assert len(plan.of_type("aws:ec2/natGateway:NatGateway")) == nats
    subnets = plan.of_type("aws:ec2/subnet:Subnet")
    assert len(subnets) == 6 and {s.props["availabilityZone"] for s in subnets} == set(ZONES)
    assert all(s.name.startswith("net-") for s in plan.children(comp))
    attrs = plan.stack_outputs["attrs"]
    assert comp.outputs["vpc_id"] == attrs["vpc_id"] and comp.outputs["nat_gateway_count"] == attrs["nat"] == nats
    assert len(attrs["private"]) == 3
    sgs = {r.name: r for r in plan.of_type("aws:ec2/securityGroup:SecurityGroup")}
    for name, port in (("net-database-sg", 5432), ("net-cache-sg", 6379), ("net-broker-sg", 9098)):
        (rule,) = sgs[name].props["ingress"]
        assert (rule["fromPort"], rule["toPort"]) == (port, port)
        assert rule["securityGroups"] == [attrs["app_sg"]] and not rule.get("cidrBlocks")
    # private routes go through a NAT, public subnets do not map public IPs to instances
    assert all(not s.props.get("mapPublicIpOnLaunch") for s in subnets)


def test_network_rejects_two_zones():
    from somastack_deploy.components.network import NetworkArgs

    with pytest.raises(ValueError, match="exactly 3"):
        NetworkArgs(environment="PROD", availability_zones=ZONES[:2])


def test_load_balancer_https_redirect_target_group(run_program):
    from somastack_deploy.components.load_balancer import LoadBalancer, LoadBalancerArgs

    def program():
        lb = LoadBalancer("lb", LoadBalancerArgs(vpc_id="vpc-1", subnet_ids=["s1", "s2", "s3"], security_group_id="sg-1",
                                                 certificate_arn=CERT, tags={"Project": "t"}))
        pulumi.export("dns", lb.dns_name)

    plan = run_program(program)
    listeners = {r.props["port"]: r for r in plan.of_type("aws:lb/listener:Listener")}
    redirect = listeners[80].props["defaultActions"][0]
    assert redirect["type"] == "redirect" and redirect["redirect"] == {"port": "443", "protocol": "HTTPS",
                                                                      "statusCode": "HTTP_301"}
    assert listeners[443].props["protocol"] == "HTTPS" and listeners[443].props["certificateArn"] == CERT
    assert listeners[443].props["sslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    (tg,) = plan.of_type("aws:lb/targetGroup:TargetGroup")
    assert tg.props["port"] == 20020 and tg.props["healthCheck"]["path"] == "/api/v1/health"
    assert tg.props["stickiness"]["enabled"] is True and tg.props["stickiness"]["type"] == "lb_cookie"
    (alb,) = plan.of_type("aws:lb/loadBalancer:LoadBalancer")
    assert alb.props["idleTimeout"] == 3600 and alb.props["dropInvalidHeaderFields"] is True
    assert plan.stack_outputs["dns"].endswith(".elb.amazonaws.com")
    with pytest.raises(ValueError, match="certificateArn"):
        LoadBalancerArgs(vpc_id="v", subnet_ids=[], security_group_id="s", certificate_arn="")


@pytest.mark.parametrize("env", ["PROD", "DEV"])
def test_database_postgres16_prod_ha(run_program, env):
    from somastack_deploy.components.database import Database, DatabaseArgs

    def program():
        db = Database("db", DatabaseArgs(environment=env, subnet_ids=["a", "b", "c"], security_group_id="sg-db"))
        pulumi.export("attrs", {"address": db.address, "ref": db.password_ref, "port": db.port})

    plan = run_program(program)
    (inst,) = plan.of_type("aws:rds/instance:Instance")
    p = inst.props
    prod = env == "PROD"
    assert p["engine"] == "postgres" and p["engineVersion"] == "16"
    assert p["storageEncrypted"] is True and p["publiclyAccessible"] is False
    assert p["manageMasterUserPassword"] is True and "password" not in p
    assert (p["multiAz"], p["deletionProtection"], p["skipFinalSnapshot"]) == (prod, prod, not prod)
    assert p["backupRetentionPeriod"] == (14 if prod else 1)
    (params,) = plan.of_type("aws:rds/parameterGroup:ParameterGroup")
    assert params.props["family"] == "postgres16"
    assert {"name": "rds.force_ssl", "value": "1"} in [dict(name=x["name"], value=x["value"]) for x in params.props["parameters"]]
    assert len(plan.of_type("aws:rds/subnetGroup:SubnetGroup")) == 1
    attrs = plan.stack_outputs["attrs"]
    assert attrs["address"] == inst.outputs["address"] and attrs["port"] == 5432
    assert attrs["ref"] == f"ref+awssecrets://{inst.outputs['masterUserSecrets'][0]['secretArn']}#/password"
    (comp,) = plan.of_type("somastack:data:Database")
    assert comp.outputs["password_ref"] == attrs["ref"] and comp.outputs["multi_az"] is prod


@pytest.mark.parametrize("env", ["PROD", "DEV"])
def test_cache_redis7_encrypted_auth_from_secrets_manager(run_program, env):
    from somastack_deploy.components.cache import Cache, CacheArgs
    from somastack_deploy.plan.mocks import SomaStackMocks

    def program():
        Cache("cache", CacheArgs(environment=env, subnet_ids=["a"], security_group_id="sg",
                                 auth_token_ref="ref+awssecrets://soma/redis#/auth_token"))

    mocks = SomaStackMocks(secret_values={"soma/redis": {"auth_token": "planted-redis-token-123456789"}})
    plan = run_program(program, mocks=mocks)
    (rg,) = plan.of_type("aws:elasticache/replicationGroup:ReplicationGroup")
    p = rg.props
    assert p["engine"] == "redis" and p["engineVersion"].startswith("7")
    assert p["transitEncryptionEnabled"] is True and p["atRestEncryptionEnabled"] is True
    assert p["authToken"] == "planted-redis-token-123456789" and "authToken" in rg.secret_inputs
    assert "planted-redis-token" not in repr(rg)
    assert p["clusterMode"] == "enabled" and p["parameterGroupName"] == "default.redis7.cluster.on"
    assert p["automaticFailoverEnabled"] is True and "numCacheClusters" not in p
    assert (p["numNodeGroups"], p["replicasPerNodeGroup"], p["multiAzEnabled"]) == (1, 1, True)
    (comp,) = plan.of_type("somastack:data:Cache")
    assert comp.outputs["configuration_endpoint"] == rg.outputs["configurationEndpointAddress"]
    assert comp.outputs["cluster_mode"] is True and comp.outputs["shards"] == 1


@pytest.mark.parametrize("kwargs,message", [
    ({"shards": 0}, "cacheShards must be 1-500"), ({"replicas_per_shard": 6}, "cacheReplicasPerShard must be 0-5"),
    ({"environment": "PROD", "replicas_per_shard": 0}, "at least 1 in PROD"),
])
def test_cache_cluster_shape_is_validated(kwargs, message):
    from somastack_deploy.components.cache import CacheArgs

    base = {"environment": "DEV", "subnet_ids": [], "security_group_id": "s",
            "auth_token_ref": "ref+awssecrets://soma/redis#/auth_token"}
    with pytest.raises(ValueError, match=message):
        CacheArgs(**{**base, **kwargs})


def test_cache_rejects_a_literal_token():
    from somastack_deploy.components.cache import CacheArgs

    with pytest.raises(ValueError, match="ref\\+awssecrets"):
        CacheArgs(environment="DEV", subnet_ids=[], security_group_id="s", auth_token_ref="hunter2hunter2")


def test_kafka_msk_three_brokers_tls_iam(run_program):
    from somastack_deploy.components.kafka import Kafka, KafkaArgs

    def program():
        k = Kafka("kafka", KafkaArgs(environment="PROD", subnet_ids=["a", "b", "c"], security_group_id="sg"))
        pulumi.export("brokers", k.bootstrap_brokers)

    plan = run_program(program)
    (msk,) = plan.of_type("aws:msk/cluster:Cluster")
    p = msk.props
    assert p["numberOfBrokerNodes"] == 3 and len(p["brokerNodeGroupInfo"]["clientSubnets"]) == 3
    assert p["encryptionInfo"]["encryptionInTransit"] == {"clientBroker": "TLS", "inCluster": True}
    assert p["clientAuthentication"]["sasl"]["iam"] is True and p["clientAuthentication"]["unauthenticated"] is False
    brokers = plan.stack_outputs["brokers"].split(",")
    assert len(brokers) == 3 and all(b.endswith(":9098") for b in brokers)
    (logs,) = plan.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert logs.props["retentionInDays"] == 30
    import json

    from somastack_deploy.components.kafka import client_policy

    (comp,) = plan.of_type("somastack:messaging:Kafka")
    doc = json.loads(comp.outputs["client_policy"])
    assert doc == json.loads(client_policy(msk.outputs["arn"]))
    assert doc["Statement"][1]["Resource"] == [msk.outputs["arn"].replace(":cluster/", ":topic/") + "/*"]
    with pytest.raises(ValueError):
        client_policy("arn:aws:s3:::bucket")


def test_private_bucket_blocks_public_access(run_program):
    from somastack_deploy.components.bucket import PrivateBucket, PrivateBucketArgs

    plan = run_program(lambda: PrivateBucket("b", PrivateBucketArgs()))
    (block,) = plan.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(block.props[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                                 "restrictPublicBuckets"))
    (sse,) = plan.of_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert sse.props["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"


def test_cache_without_replicas_is_not_multi_az(run_program):
    from somastack_deploy.components.cache import Cache, CacheArgs
    from somastack_deploy.plan.mocks import SomaStackMocks

    def program():
        Cache("cache", CacheArgs(environment="DEV", subnet_ids=["a"], security_group_id="sg", shards=2,
                                 replicas_per_shard=0, auth_token_ref="ref+awssecrets://soma/redis#/auth_token"))

    plan = run_program(program, mocks=SomaStackMocks(secret_values={"soma/redis": {"auth_token": "t" * 20}}))
    (rg,) = plan.of_type("aws:elasticache/replicationGroup:ReplicationGroup")
    assert (rg.props["numNodeGroups"], rg.props["replicasPerNodeGroup"], rg.props["multiAzEnabled"]) == (2, 0, False)
    assert rg.props["automaticFailoverEnabled"] is True  # required in cluster mode
    (comp,) = plan.of_type("somastack:data:Cache")
    assert comp.outputs["multi_az"] is False and comp.outputs["replicas_per_shard"] == 0
