"""``redis-cluster-mode`` on the pre-issue-12 replication group (cluster mode disabled) and on
cluster-mode shapes (Pulumi wire names of ``aws.elasticache.ReplicationGroup``)."""

from __future__ import annotations

import pytest

from somastack_deploy.policies import ResourceInput, check, evaluate

RULE = "redis-cluster-mode"
RG = "aws:elasticache/replicationGroup:ReplicationGroup"
PROD = {"Project": "somastack", "Environment": "PROD", "Stack": "fargate-prod", "ManagedBy": "pulumi"}
DEV = {**PROD, "Environment": "DEV"}
CLUSTER = {"engine": "redis", "engineVersion": "7.1", "clusterMode": "enabled", "numNodeGroups": 3,
           "replicasPerNodeGroup": 2, "parameterGroupName": "default.redis7.cluster.on",
           "automaticFailoverEnabled": True, "multiAzEnabled": True, "transitEncryptionEnabled": True,
           "atRestEncryptionEnabled": True}


def rg(props, tags=PROD):
    return ResourceInput(type=RG, name="cache-redis", props={**props, "tags": tags} if tags else props)


def test_cluster_mode_prod_shape_passes():
    assert [r.status for r in check([rg(CLUSTER)], rules=[RULE])] == ["PASSED"]


def test_pre_issue_12_cluster_mode_disabled_group_fails():
    old = {"engine": "redis", "engineVersion": "7.1", "numCacheClusters": 3, "automaticFailoverEnabled": True,
           "multiAzEnabled": True, "transitEncryptionEnabled": True, "atRestEncryptionEnabled": True}
    msgs = [v.message for v in evaluate([rg(old)], rules=[RULE])]
    assert msgs[0].startswith("clusterMode is not set") and "numNodeGroups (shards) is not set" in msgs
    assert all(v.level == "mandatory" for v in evaluate([rg(old)], rules=[RULE]))


@pytest.mark.parametrize("change,expect", [
    ({"clusterMode": "compatible"}, "clusterMode is compatible"),
    ({"parameterGroupName": "default.redis7"}, "not a cluster-mode parameter group"),
    ({"automaticFailoverEnabled": False}, "automaticFailoverEnabled is not true"),
    ({"replicasPerNodeGroup": 0}, "replicasPerNodeGroup is below 1 in PROD"),
    ({"multiAzEnabled": False}, "multiAzEnabled is not true in PROD"),
])
def test_each_prod_requirement_fails_alone(change, expect):
    msgs = [v.message for v in evaluate([rg({**CLUSTER, **change})], rules=[RULE])]
    assert len(msgs) == 1 and expect in msgs[0]


def test_dev_may_run_shards_without_replicas_and_a_custom_parameter_group():
    dev = {**CLUSTER, "replicasPerNodeGroup": 0, "multiAzEnabled": False, "parameterGroupName": "soma-redis7-cluster"}
    assert [r.status for r in check([rg(dev, DEV)], rules=[RULE])] == ["PASSED"]


def test_without_environment_tag_the_prod_part_is_unknown_but_failures_still_fail():
    assert [r.status for r in check([rg(CLUSTER, tags=None)], rules=[RULE])] == ["UNKNOWN"]
    assert [r.status for r in check([rg({**CLUSTER, "clusterMode": "disabled"}, tags=None)], rules=[RULE])] == ["FAILED"]
