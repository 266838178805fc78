"""Issue 12 on the cloud targets, under the mock runtime: durable state (EFS for Milvus on
Fargate), the ``stateful-data-durable`` rule on the pre-fix and fixed plans, ECS native
blue/green for the gateway, ElastiCache in cluster mode."""

from __future__ import annotations

import copy
import json

import pytest

from somastack_deploy.policies import check, evaluate

from stack_helpers import run, stack_config

RULE = "stateful-data-durable"
TASK = "aws:ecs/taskDefinition:TaskDefinition"


def _by_name(plan, typ, name):
    return next(r for r in plan.of_type(typ) if r.name == name)


def _defs(task):
    return json.loads(task.props["containerDefinitions"])


# ------------------------------------------------------------------------- durable state
def test_fargate_milvus_mounts_its_data_dir_from_efs(plans):
    plan = plans["fargate-prod"]
    task = _by_name(plan, TASK, "milvus-task")
    main = next(d for d in _defs(task) if d["name"] == "milvus")
    env = {e["name"]: e["value"] for e in main["environment"]}
    assert env["ETCD_USE_EMBED"] == "true" and env["ETCD_DATA_DIR"].startswith("/var/lib/milvus/")
    assert main["mountPoints"] == [{"sourceVolume": "milvus-data", "containerPath": "/var/lib/milvus", "readOnly": False}]
    (volume,) = task.props["volumes"]
    efs = volume["efsVolumeConfiguration"]
    assert volume["name"] == "milvus-data" and efs["transitEncryption"] == "ENABLED"
    assert efs["authorizationConfig"]["iam"] == "ENABLED" and efs["authorizationConfig"]["accessPointId"]
    (ap,) = plan.of_type("aws:efs/accessPoint:AccessPoint")
    assert ap.props["rootDirectory"]["path"] == "/somastack/milvus/milvus-data"
    assert ap.props["posixUser"] == {"uid": 0, "gid": 0}
    assert efs["authorizationConfig"]["accessPointId"] == ap.id


def test_fargate_efs_is_encrypted_with_a_mount_target_per_private_subnet_and_nfs_only_from_the_tasks(plans):
    plan = plans["fargate-prod"]
    (fs,) = plan.of_type("aws:efs/fileSystem:FileSystem")
    assert fs.props["encrypted"] is True and fs.props["throughputMode"] == "elastic"
    private = sorted(s.id for s in plan.of_type("aws:ec2/subnet:Subnet") if "private" in s.name)
    targets = plan.of_type("aws:efs/mountTarget:MountTarget")
    assert sorted(t.props["subnetId"] for t in targets) == private and len(private) == 3
    sg = _by_name(plan, "aws:ec2/securityGroup:SecurityGroup", "state-nfs-sg")
    app_sg = _by_name(plan, "aws:ec2/securityGroup:SecurityGroup", "net-app-sg").id
    assert [(i["fromPort"], i["toPort"], i["securityGroups"]) for i in sg.props["ingress"]] == [(2049, 2049, [app_sg])]
    assert not any(i.get("cidrBlocks") for i in sg.props["ingress"])
    assert all(t.props["securityGroups"] == [sg.id] for t in targets)
    policy = json.loads(_by_name(plan, "aws:efs/fileSystemPolicy:FileSystemPolicy", "state-policy").props["policy"])
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    backup = _by_name(plan, "aws:efs/backupPolicy:BackupPolicy", "state-backup")
    assert backup.props["backupPolicy"]["status"] == "ENABLED"
    dev_backup = _by_name(plans["fargate-dev"], "aws:efs/backupPolicy:BackupPolicy", "state-backup")
    assert dev_backup.props["backupPolicy"]["status"] == "DISABLED"


def test_fargate_milvus_task_role_mounts_only_its_access_point(plans):
    plan = plans["fargate-prod"]
    doc = json.loads(_by_name(plan, "aws:iam/rolePolicy:RolePolicy", "milvus-task-efs").props["policy"])
    (st,) = doc["Statement"]
    (ap,) = plan.of_type("aws:efs/accessPoint:AccessPoint")
    assert st["Action"] == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    assert st["Condition"]["StringEquals"]["elasticfilesystem:AccessPointArn"] == [ap.outputs["arn"]]


def test_fargate_milvus_is_a_singleton_that_waits_for_the_mount_targets(plans):
    plan = plans["fargate-prod"]
    svc = _by_name(plan, "aws:ecs/service:Service", "milvus-service")
    assert svc.props["desiredCount"] == 1
    assert svc.props["deploymentMinimumHealthyPercent"] == 0 and svc.props["deploymentMaximumPercent"] == 100
    targets = {t.urn for t in plan.of_type("aws:efs/mountTarget:MountTarget")}
    assert len(targets) == 3 and targets <= set(svc.dependencies)
    others = [s for s in plan.of_type("aws:ecs/service:Service") if s.name != "milvus-service"]
    assert others and all(s.props["desiredCount"] == 2 and "deploymentMinimumHealthyPercent" not in s.props
                          for s in others)


def test_fargate_prod_passes_the_durable_state_rule():
    plan = run("fargate-prod")
    results = [r for r in check(plan.resources, rules=[RULE])]
    assert {r.resource for r in results} >= {"milvus-task", "keycloak-task", "spicedb-task"}
    assert {r.status for r in results} == {"PASSED"}


def test_fargate_prod_pre_fix_shape_fails_naming_milvus_and_its_etcd_dir(plans):
    """Today's Milvus task definition without the EFS volume (the shape before issue 12)."""
    task = _by_name(plans["fargate-prod"], TASK, "milvus-task")
    props = copy.deepcopy(dict(task.props))
    props.pop("volumes")
    defs = _defs(task)
    for d in defs:
        d.pop("mountPoints", None)
    props["containerDefinitions"] = json.dumps(defs)
    msgs = [v.message for v in evaluate([{"type": TASK, "name": "milvus-task", "props": props}], rules=[RULE])]
    assert len(msgs) == 2 and all(m.startswith("service milvus: milvus data directory /var/lib/milvus/") for m in msgs)
    assert "/var/lib/milvus/etcd (embedded etcd)" in msgs[0] and "ephemeral disk" in msgs[0]


def test_eks_prod_milvus_passes_the_durable_state_rule(plans):
    """EKS Milvus is a StatefulSet whose data dir is a gp3 volume claim (components/k8s_workloads.py)."""
    results = [r for r in check(plans["eks-prod"].resources, rules=[RULE])]
    assert [r.status for r in results if r.status == "FAILED"] == []
    assert any(r.resource == "k8s-milvus-statefulset" and r.status == "PASSED" for r in results)


def test_local_milvus_keeps_its_named_volume(plans):
    c = _by_name(plans["local-dev"], "docker:index/container:Container", "milvus-container")
    assert c.props["volumes"] == [{"containerPath": "/var/lib/milvus", "volumeName": "somastack-local-dev-milvus-data"}]


# ------------------------------------------------------------------------------ blue/green
def test_gateway_deploys_blue_green_with_two_target_groups_and_listener_rules(plans):
    plan = plans["fargate-prod"]
    svc = _by_name(plan, "aws:ecs/service:Service", "apps-agent-service")
    assert svc.props["deploymentConfiguration"] == {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": "5"}
    assert svc.props["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    (lb,) = svc.props["loadBalancers"]
    blue = _by_name(plan, "aws:lb/targetGroup:TargetGroup", "lb-gateway-tg").outputs["arn"]
    green = _by_name(plan, "aws:lb/targetGroup:TargetGroup", "lb-gateway-green-tg").outputs["arn"]
    prod_rule = _by_name(plan, "aws:lb/listenerRule:ListenerRule", "lb-production-rule")
    test_rule = _by_name(plan, "aws:lb/listenerRule:ListenerRule", "lb-test-rule")
    role = _by_name(plan, "aws:iam/role:Role", "ecs-lb-role")
    assert lb["targetGroupArn"] == blue and lb["containerName"] == "agent" and lb["containerPort"] == 20020
    assert lb["advancedConfiguration"] == {"alternateTargetGroupArn": green, "productionListenerRule": prod_rule.outputs["arn"],
                                           "testListenerRule": test_rule.outputs["arn"], "roleArn": role.outputs["arn"]}
    assert json.loads(role.props["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "ecs.amazonaws.com"}
    att = _by_name(plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "ecs-lb-policy")
    assert att.props["policyArn"].endswith(":policy/AmazonECSInfrastructureRolePolicyForLoadBalancers")
    https = _by_name(plan, "aws:lb/listener:Listener", "lb-https")
    test = _by_name(plan, "aws:lb/listener:Listener", "lb-test")
    assert prod_rule.props["listenerArn"] == https.outputs["arn"] and test_rule.props["listenerArn"] == test.outputs["arn"]
    for r in (prod_rule, test_rule):
        assert r.ignore_changes == ("actions",)  # ECS moves the weights during a deployment
        groups = r.props["actions"][0]["forward"]["targetGroups"]
        assert [(g["arn"], g["weight"]) for g in groups] == [(blue, 100), (green, 0)]
    assert test.props["protocol"] == "HTTPS" and test.props["certificateArn"].startswith("arn:aws:acm:")
    ingress = _by_name(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "lb-test-ingress")
    assert ingress.props["cidrIpv4"] == "10.40.0.0/16" and ingress.props["fromPort"] == test.props["port"] == 8443


def test_internal_services_stay_rolling(plans):
    for svc in plans["fargate-prod"].of_type("aws:ecs/service:Service"):
        if svc.name != "apps-agent-service":
            assert svc.props["deploymentConfiguration"] == {"strategy": "ROLLING"}
            assert not any(lb.get("advancedConfiguration") for lb in svc.props.get("loadBalancers") or [])


def test_eks_load_balancer_has_no_blue_green_resources(plans):
    plan = plans["eks-prod"]  # the ALB is the AWS Load Balancer Controller's (Ingress class alb)
    assert not plan.of_type("aws:lb/listenerRule:ListenerRule")
    assert plan.of_type("aws:lb/targetGroup:TargetGroup") == []


# ------------------------------------------------------------------- ElastiCache cluster mode
@pytest.mark.parametrize("stack,shape", [("fargate-prod", (3, 2, True)), ("eks-prod", (3, 2, True)),
                                         ("fargate-dev", (1, 1, True))])
def test_elasticache_runs_in_cluster_mode_from_the_stack_settings(plans, stack, shape):
    plan = plans[stack]
    (rg,) = plan.of_type("aws:elasticache/replicationGroup:ReplicationGroup")
    p = rg.props
    assert (p["numNodeGroups"], p["replicasPerNodeGroup"], p["multiAzEnabled"]) == shape
    assert p["clusterMode"] == "enabled" and p["parameterGroupName"] == "default.redis7.cluster.on"
    assert p["automaticFailoverEnabled"] is True and "numCacheClusters" not in p
    redis = plan.stack_outputs["topology"]["services"]["redis"]
    assert redis["cluster"] == {"shards": shape[0], "replicas_per_shard": shape[1]}
    assert [e["host"] for e in redis["endpoints"]] == [rg.outputs["configurationEndpointAddress"]]
    assert redis["endpoints"][0]["host"].startswith("clustercfg.")
    assert [r.status for r in check([rg], rules=["redis-cluster-mode"])] == ["PASSED"]


def test_cluster_shape_comes_from_cacheShards_and_cacheReplicasPerShard():
    config = {**stack_config("fargate-prod"), "somastack:cacheShards": 5, "somastack:cacheReplicasPerShard": 1}
    plan = run("fargate-prod", config)
    (rg,) = plan.of_type("aws:elasticache/replicationGroup:ReplicationGroup")
    assert (rg.props["numNodeGroups"], rg.props["replicasPerNodeGroup"]) == (5, 1)
    assert plan.stack_outputs["topology"]["services"]["redis"]["cluster"] == {"shards": 5, "replicas_per_shard": 1}


@pytest.mark.parametrize("key,value,message", [
    ("cacheShards", 0, "must be 1-500"), ("cacheShards", "three", "must be an integer"),
    ("cacheReplicasPerShard", 6, "must be 0-5"), ("cacheReplicasPerShard", 0, "at least 1 in PROD"),
])
def test_bad_cluster_settings_are_one_line_errors(key, value, message):
    from somastack_deploy.stacks.settings import StackConfigError

    from stack_helpers import run_expecting

    info = run_expecting(StackConfigError, "fargate-prod", {**stack_config("fargate-prod"), f"somastack:{key}": value})
    text = str(info.value)
    assert f"somastack:{key}" in text and message in text and "\n" not in text


@pytest.mark.parametrize("stack", ["fargate-prod", "eks-prod"])
def test_apps_get_the_cluster_url_and_mode(plans, stack):
    plan = plans[stack]
    host = plan.stack_outputs["topology"]["services"]["redis"]["endpoints"][0]["host"]
    envs = {}
    if stack == "fargate-prod":
        for td in plan.of_type(TASK):
            for d in _defs(td):
                if d["name"] in ("agent", "brain", "memory"):
                    envs[d["name"]] = {e["name"]: e["value"] for e in d["environment"]}
    else:
        for dep in plan.of_type("kubernetes:apps/v1:Deployment"):
            for c in dep.props["spec"]["template"]["spec"]["containers"]:
                if c["name"] in ("agent", "brain", "memory"):
                    envs[c["name"]] = {e["name"]: e["value"] for e in c["env"] if "value" in e}
    assert set(envs) == {"agent", "brain", "memory"}
    assert envs["agent"]["SA01_REDIS_URL"] == envs["brain"]["SOMA_REDIS_URL"] == f"rediss://{host}:6379"
    assert all(e["REDIS_CLUSTER_MODE"] == "true" and e["SOMA_REDIS_HOST" if a != "agent" else "SA01_REDIS_URL"]
               for a, e in envs.items())


def test_local_redis_is_not_a_cluster(plans):
    redis = plans["local-dev"].stack_outputs["topology"]["services"]["redis"]
    assert "cluster" not in redis
    agent = _by_name(plans["local-dev"], "docker:index/container:Container", "apps-agent-container")
    envs = dict(e.split("=", 1) for e in agent.props["envs"])
    assert envs["SA01_REDIS_URL"] == "redis://redis:6379/0" and "REDIS_CLUSTER_MODE" not in envs
