"""The ``stateful-data-durable`` rule on passing and failing resources of each type it covers
(ECS task definitions, docker containers, Kubernetes Deployments and StatefulSets), with the
Pulumi wire shapes the programs register."""

from __future__ import annotations

import json

import pytest

from somastack_deploy.policies import REGISTRY, ResourceInput, check, evaluate

RULE = "stateful-data-durable"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
DOCKER = "docker:index/container:Container"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
MILVUS_ENV = [{"name": "ETCD_USE_EMBED", "value": "true"}, {"name": "ETCD_DATA_DIR", "value": "/var/lib/milvus/etcd"},
              {"name": "COMMON_STORAGETYPE", "value": "remote"}]


def res(typ, props, name="r"):
    return ResourceInput(type=typ, name=name, props=props, urn=f"urn:pulumi:s::somastack::{typ}::{name}")


def statuses(r):
    return [x.status for x in check([r], rules=[RULE])]


def messages(r):
    return [v.message for v in evaluate([r], rules=[RULE])]


def test_rule_is_registered_mandatory_for_the_four_types():
    r = REGISTRY[RULE]
    assert r.level == "mandatory" and set(r.resource_types) == {TASK, DOCKER, DEPLOYMENT, STATEFULSET}


# ------------------------------------------------------------------------------------ ECS
def ecs(containers, volumes=None):
    props = {"family": "x", "containerDefinitions": json.dumps(containers)}
    if volumes is not None:
        props["volumes"] = volumes
    return res(TASK, props, "milvus-task")


def milvus_container(mounts=None):
    c = {"name": "milvus", "image": "milvusdb/milvus:v2.4.17", "essential": True, "command": ["milvus", "run", "standalone"],
         "environment": MILVUS_ENV}
    if mounts is not None:
        c["mountPoints"] = mounts
    return c


EFS = {"name": "milvus-data", "efsVolumeConfiguration": {"fileSystemId": "fs-1", "transitEncryption": "ENABLED",
                                                         "authorizationConfig": {"accessPointId": "fsap-1", "iam": "ENABLED"}}}


def test_ecs_milvus_on_efs_passes():
    t = ecs([milvus_container([{"sourceVolume": "milvus-data", "containerPath": "/var/lib/milvus"}])], [EFS])
    assert statuses(t) == ["PASSED"]


def test_ecs_milvus_without_mount_fails_naming_service_and_paths():
    msgs = messages(ecs([milvus_container()]))
    assert len(msgs) == 2
    assert "service milvus" in msgs[0] and "/var/lib/milvus/etcd" in msgs[0] and "ephemeral disk" in msgs[0]
    assert "/var/lib/milvus/rdb_data" in msgs[1] and "RocksMQ" in msgs[1]


@pytest.mark.parametrize("volume,what", [
    ({"name": "milvus-data", "host": {"sourcePath": "/srv"}}, "bind mount"),
    ({"name": "milvus-data", "dockerVolumeConfiguration": {"scope": "shared", "autoprovision": True}}, "docker volume"),
    ({"name": "milvus-data", "configuredAtLaunch": True}, "EBS volume configured at launch"),
])
def test_ecs_milvus_on_a_non_durable_volume_fails(volume, what):
    t = ecs([milvus_container([{"sourceVolume": "milvus-data", "containerPath": "/var/lib/milvus"}])], [volume])
    msgs = messages(t)
    assert msgs and all(what in m for m in msgs)


def test_ecs_milvus_with_external_etcd_and_kafka_passes():
    c = milvus_container()
    c["environment"] = [{"name": "ETCD_USE_EMBED", "value": "false"}, {"name": "ETCD_ENDPOINTS", "value": "etcd:2379"},
                        {"name": "MQ_TYPE", "value": "kafka"}]
    assert statuses(ecs([c])) == ["PASSED"]


def test_ecs_milvus_cluster_role_keeps_no_local_state():
    c = {"name": "querynode", "image": "milvusdb/milvus:v2.4.17", "command": ["milvus", "run", "querynode"]}
    assert statuses(ecs([c])) == ["PASSED"]


def test_ecs_mount_of_a_sibling_directory_does_not_cover_the_data_dir():
    t = ecs([milvus_container([{"sourceVolume": "milvus-data", "containerPath": "/var/lib/milvus/etcd"}])], [EFS])
    msgs = messages(t)
    assert len(msgs) == 1 and "/var/lib/milvus/rdb_data" in msgs[0]


def test_ecs_non_essential_container_is_not_a_server():
    one_off = {"name": "pg-once", "image": "postgres:16", "essential": False}
    assert statuses(ecs([one_off])) == ["PASSED"]
    assert statuses(ecs([{**one_off, "essential": True}])) == ["FAILED"]


def test_the_deepest_mount_decides():
    vols = [{"name": "scratch", "emptyDir": {}},
            {"name": "etcd", "persistentVolumeClaim": {"claimName": "etcd"}},
            {"name": "mq", "persistentVolumeClaim": {"claimName": "mq"}}]
    mounts = [{"name": "scratch", "mountPath": "/var/lib/milvus"},
              {"name": "etcd", "mountPath": "/var/lib/milvus/etcd"}, {"name": "mq", "mountPath": "/var/lib/milvus/rdb_data"}]
    assert statuses(res(DEPLOYMENT, {"spec": {"template": {"spec": pod(vols, mounts)}}})) == ["PASSED"]
    msgs = messages(res(DEPLOYMENT, {"spec": {"template": {"spec": pod(vols, mounts[:2])}}}))
    assert len(msgs) == 1 and "/var/lib/milvus/rdb_data" in msgs[0] and "emptyDir volume mounted at /var/lib/milvus" in msgs[0]


def test_ecs_one_off_postgres_client_and_managed_keycloak_pass():
    createdb = {"name": "keycloak-createdb", "image": "postgres:16", "essential": False, "command": ["sh", "-c", "createdb x"]}
    kc = {"name": "keycloak", "image": "quay.io/keycloak/keycloak:26.0.7", "essential": True, "command": ["start"],
          "environment": [{"name": "KC_DB", "value": "postgres"}]}
    assert statuses(ecs([createdb, kc])) == ["PASSED"]


def test_ecs_keycloak_dev_file_store_fails():
    kc = {"name": "keycloak", "image": "quay.io/keycloak/keycloak:26.0.7", "essential": True, "command": ["start-dev"]}
    msgs = messages(ecs([kc]))
    assert len(msgs) == 1 and "service keycloak" in msgs[0] and "/opt/keycloak/data" in msgs[0] and "dev-file" in msgs[0]


def test_ecs_spicedb_memory_datastore_fails_and_postgres_passes():
    mem = {"name": "spicedb", "image": "authzed/spicedb:v1.38.1", "command": ["serve"]}
    pg = {**mem, "environment": [{"name": "SPICEDB_DATASTORE_ENGINE", "value": "postgres"}]}
    assert "memory datastore" in messages(ecs([mem]))[0]
    assert statuses(ecs([pg])) == ["PASSED"]


def test_ecs_unknown_container_definitions_is_unknown():
    assert statuses(res(TASK, {"family": "x"})) == ["UNKNOWN"]


# --------------------------------------------------------------------------------- docker
def docker(props):
    return res(DOCKER, {"name": "somastack-x", **props}, "x-container")


@pytest.mark.parametrize("props,ok", [
    ({"image": "postgres:16", "volumes": [{"containerPath": "/var/lib/postgresql/data", "volumeName": "pg"}]}, True),
    ({"image": "postgres:16"}, False),
    ({"image": "postgres:16", "envs": ["PGDATA=/var/lib/postgresql/data/pgdata"],
      "volumes": [{"containerPath": "/var/lib/postgresql/data", "volumeName": "pg"}]}, True),
    ({"image": "postgres:16", "envs": ["PGDATA=/pgdata"],
      "volumes": [{"containerPath": "/var/lib/postgresql/data", "volumeName": "pg"}]}, False),
    ({"image": "redis:7", "command": ["redis-server", "--appendonly", "yes"]}, False),
    ({"image": "redis:7", "command": ["redis-server", "--appendonly", "yes"],
      "volumes": [{"containerPath": "/data", "volumeName": "r"}]}, True),
    ({"image": "redis:7", "command": ["redis-server", "--save", "", "--appendonly", "no"]}, True),
    ({"image": "redis:7", "command": ["redis-server", "--dir", "/srv"],
      "mounts": [{"target": "/srv", "type": "tmpfs"}]}, False),
    ({"image": "apache/kafka:3.9.0", "envs": ["KAFKA_LOG_DIRS=/var/lib/kafka/data"]}, False),
    ({"image": "apache/kafka:3.9.0", "envs": ["KAFKA_LOG_DIRS=/var/lib/kafka/data"],
      "mounts": [{"target": "/var/lib/kafka", "type": "volume", "source": "k"}]}, True),
    ({"image": "quay.io/coreos/etcd:v3.5.17", "command": ["etcd", "--data-dir=/etcd-data"]}, False),
    ({"image": "quay.io/coreos/etcd:v3.5.17", "command": ["etcd", "--data-dir=/etcd-data"],
      "volumes": [{"containerPath": "/etcd-data", "hostPath": "/srv/etcd"}]}, True),
    ({"image": "postgres:16", "mustRun": False}, True),
    ({"image": "postgres:16", "command": ["createdb", "x"]}, True),
    ({"image": "redis:7", "command": ["redis-server", "--save", "", "--appendonly", "yes"]}, False),
    ({"image": "redis:7", "volumes": [{"containerPath": "/dat", "volumeName": "r"}]}, False),
    ({"image": "openpolicyagent/opa:0.70.0", "command": ["run", "--server"]}, True),
])
def test_docker_containers(props, ok):
    assert statuses(docker(props)) == ["PASSED" if ok else "FAILED"]


def test_docker_image_id_falls_back_to_the_service_label():
    c = docker({"image": "sha256:" + "a" * 64, "command": ["redis-server", "--appendonly", "yes"],
                "labels": [{"label": "com.somastack.service", "value": "redis"}]})
    msgs = messages(c)
    assert len(msgs) == 1 and "service redis" in msgs[0] and "/data" in msgs[0]


# ----------------------------------------------------------------------------- Kubernetes
def pod(volumes=None, mounts=None):
    c = {"name": "milvus", "image": "milvusdb/milvus:v2.4.17", "args": ["milvus", "run", "standalone"],
         "env": MILVUS_ENV + [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "s", "key": "x"}}}]}
    if mounts is not None:
        c["volumeMounts"] = mounts
    spec = {"containers": [c]}
    if volumes is not None:
        spec["volumes"] = volumes
    return spec


MOUNT = [{"name": "milvus-data", "mountPath": "/var/lib/milvus"}]


def test_k8s_deployment_on_a_pvc_passes():
    d = res(DEPLOYMENT, {"spec": {"template": {"spec": pod([{"name": "milvus-data", "persistentVolumeClaim": {
        "claimName": "milvus-data"}}], MOUNT)}}})
    assert statuses(d) == ["PASSED"]


@pytest.mark.parametrize("volume", [{"name": "milvus-data", "emptyDir": {}},
                                    {"name": "milvus-data", "hostPath": {"path": "/srv"}}, None])
def test_k8s_deployment_on_emptydir_hostpath_or_nothing_fails(volume):
    d = res(DEPLOYMENT, {"spec": {"template": {"spec": pod([volume] if volume else None, MOUNT if volume else None)}}})
    msgs = messages(d)
    assert len(msgs) == 2 and "service milvus" in msgs[0] and "/var/lib/milvus/etcd" in msgs[0]


def test_k8s_statefulset_with_volume_claim_template_passes_and_without_fails():
    good = res(STATEFULSET, {"spec": {"volumeClaimTemplates": [{"metadata": {"name": "milvus-data"},
                                                                "spec": {"storageClassName": "gp3"}}],
                                      "template": {"spec": pod(None, MOUNT)}}})
    bad = res(STATEFULSET, {"spec": {"template": {"spec": pod(None, MOUNT)}}})
    assert statuses(good) == ["PASSED"]
    assert "an undeclared volume" in messages(bad)[0]


def test_k8s_unknown_pod_spec_is_unknown():
    assert statuses(res(DEPLOYMENT, {"metadata": {"name": "x"}})) == ["UNKNOWN"]
