"""``stateful-data-durable`` word for word: flag parsing of server command lines, how each
backing of a mount is named, which containers are servers, and the exact message, on the
container shapes of ECS task definitions, docker containers and Kubernetes workloads."""

from __future__ import annotations

import json

import pytest

from somastack_deploy.policies import ResourceInput, check

RULE = "stateful-data-durable"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
DOCKER = "docker:index/container:Container"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
LOST = ("lost when the container is replaced; mount a durable volume (EFS on ECS, a PersistentVolumeClaim on "
        "Kubernetes, a named volume on docker) or use a managed store")


def lost(service: str, engine: str, path: str, what: str, where: str = "the container's ephemeral disk") -> str:
    return f"service {service}: {engine} data directory {path} ({what}) is on {where}, {LOST}"


def outcome(typ: str, props: dict) -> tuple[str, tuple[str, ...]] | None:
    results = check([ResourceInput(type=typ, name="r", props=props, urn=f"urn:pulumi:s::p::{typ}::r")], rules=[RULE])
    return (results[0].status, results[0].messages) if results else None


PASSED = ("PASSED", ())


def ecs(*containers: dict, volumes: list | None = None) -> dict:
    props = {"family": "soma", "requiresCompatibilities": ["FARGATE"], "containerDefinitions": json.dumps(list(containers))}
    if volumes is not None:
        props["volumes"] = volumes
    return props


def redis_c(**over) -> dict:
    return {"name": "redis", "image": "public.ecr.aws/docker/library/redis:7.2", "essential": True,
            "command": ["redis-server", "--appendonly", "yes"], **over}


# ------------------------------------------------------------------------------ ECS volumes
@pytest.mark.parametrize("volume,expect", [
    ({"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-0abc", "transitEncryption": "ENABLED"}}, None),
    ({"name": "data", "fsxWindowsFileServerVolumeConfiguration": {"fileSystemId": "fs-0fsx", "rootDirectory": "\\data"}},
     None),
    ({"name": "data", "configuredAtLaunch": True}, "an EBS volume configured at launch (one per task) mounted at /data"),
    ({"name": "data", "dockerVolumeConfiguration": {"scope": "shared", "autoprovision": True, "driver": "local"}},
     "a docker volume of one container instance mounted at /data"),
    ({"name": "data", "host": {"sourcePath": "/srv/redis"}}, "a bind mount of the task's host mounted at /data"),
    ({"name": "other", "efsVolumeConfiguration": {"fileSystemId": "fs-0abc"}}, "an undeclared volume mounted at /data"),
])
def test_ecs_volume_kinds(volume, expect):
    props = ecs(redis_c(mountPoints=[{"sourceVolume": "data", "containerPath": "/data"}]), volumes=[volume])
    assert outcome(TASK, props) == (("FAILED", (lost("redis", "redis", "/data", "AOF", expect),)) if expect else PASSED)


def test_ecs_skips_one_off_containers_and_checks_the_rest():
    migrate = {"name": "migrate", "image": "postgres:16", "essential": False, "command": ["postgres"]}
    props = ecs(migrate, redis_c(), None)
    assert outcome(TASK, props) == ("FAILED", (lost("redis", "redis", "/data", "AOF"),))


def test_ecs_entry_point_and_command_make_the_argv():
    client = {"name": "etcd-check", "image": "quay.io/coreos/etcd:v3.5.17", "essential": True,
              "entryPoint": ["/usr/local/bin/etcdctl"], "command": ["endpoint", "health"]}
    assert outcome(TASK, ecs(client)) == PASSED
    server = {"name": "etcd", "image": "quay.io/coreos/etcd:v3.5.17", "entryPoint": ["/usr/local/bin/etcd"],
              "command": ["--data-dir", "/etcd-data", "--name", "soma"]}
    assert outcome(TASK, ecs(server)) == ("FAILED", (lost("etcd", "etcd", "/etcd-data", "etcd data"),))


# ------------------------------------------------------------------------------ flags and argv[0]
@pytest.mark.parametrize("command,expect", [
    (["redis-server", "--dir"], "/data"),                       # a flag without its value: the default
    (["redis-server", "--dir", "/bitnami/redis/data"], "/bitnami/redis/data"),
    (["redis-server", "--dir=/srv/shard=1"], "/srv/shard=1"),   # only the first '=' separates the flag
    (["redis-server", "--dir", "/a", "--dir=/b"], "/b"),        # the last one wins, as in redis
    (["/usr/local/bin/redis-server", "/etc/redis/redis.conf"], "/data"),
    (["/usr/local/bin/docker-entrypoint.sh", "redis-server"], "/data"),
    (["--appendonly", "yes"], "/data"),                         # arguments to the image's entrypoint
])
def test_redis_data_dir_from_the_command_line(command, expect):
    what = "AOF" if "--appendonly" in command else "RDB snapshots"
    assert outcome(TASK, ecs(redis_c(command=command))) == ("FAILED", (lost("redis", "redis", expect, what),))


@pytest.mark.parametrize("command", [["/usr/local/bin/redis-cli", "ping"], ["sh", "-c", "redis-cli ping"]])
def test_redis_clients_are_not_servers(command):
    assert outcome(TASK, ecs(redis_c(command=command))) == PASSED


@pytest.mark.parametrize("command,server", [
    (["/usr/lib/postgresql/16/bin/postgres", "-D", "/var/lib/postgresql/data"], True),
    (["-c", "max_connections=200"], True),
    ([], True),
    (["/usr/bin/psql", "-c", "select 1"], False),
    (["createdb", "soma"], False),
])
def test_postgres_server_or_client(command, server):
    c = {"name": "postgres", "image": "postgres:16.4", "command": command}
    expect = ("FAILED", (lost("postgres", "postgres", "/var/lib/postgresql/data", "PGDATA"),)) if server else PASSED
    assert outcome(TASK, ecs(c)) == expect


# ------------------------------------------------------------------------------ pure helpers
from somastack_deploy.policies.rules.state import Container, Mount, _repo, data_paths, engine_of, findings  # noqa: E402


@pytest.mark.parametrize("image,repo", [
    ("docker.io/library/postgres:16.4@sha256:0f1e2d3c", "postgres"),
    ("milvusdb/milvus@sha256:0f1e2d3c", "milvus"),
    ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/soma/Redis:7.2", "redis"),
    ("localhost:5000/etcd", "etcd"),
    ("sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0", ""),
    ("", ""),
])
def test_repo_of_an_image_reference(image, repo):
    assert _repo(image) == repo


def C(hints=(), argv=(), env=None, mounts=(), name="svc") -> Container:
    return Container(name=name, hints=list(hints), argv=list(argv), env=dict(env or {}), mounts=list(mounts))


@pytest.mark.parametrize("hints,argv,engine", [
    (["ghcr.io/redis-labs/soma-agent:1"], [], None),        # the image's repository names the engine, not its path
    (["ghcr.io/postgres-tools/agent"], [], None),
    (["soma-agent:redis-7"], [], None),                     # nor its tag
    (["soma-agent:7-redis"], [], None),
    (["postgres"], [], "postgres"),                         # a label or name hint
    (["Milvus"], [], "milvus"),
    (["bitnami/kafka:3.7"], [], "kafka"),
    (["sha256:0f1e2d"], ["/usr/local/bin/redis-server", "/etc/redis/redis.conf"], "redis"),
    (["sha256:0f1e2d"], ["/opt/keycloak/bin/kc.sh", "start"], "keycloak"),
    (["sha256:0f1e2d"], ["/bin/sh", "-c", "redis-server"], None),
    (["sha256:0f1e2d"], [], None),
])
def test_engine_of(hints, argv, engine):
    assert engine_of(C(hints, argv)) == engine


MILVUS = ["milvus", "run", "standalone"]


@pytest.mark.parametrize("engine,argv,env,hints,paths", [
    ("milvus", MILVUS, {}, [], [("/var/lib/milvus/rdb_data", "RocksMQ")]),
    ("milvus", ["milvus", "run", "querynode"], {"ETCD_USE_EMBED": "true"}, [], []),
    ("milvus", MILVUS, {"ETCD_USE_EMBED": "True", "MQ_TYPE": "pulsar"}, [], [("/var/lib/milvus/etcd", "embedded etcd")]),
    ("milvus", MILVUS, {"ETCD_USE_EMBED": "true", "ETCD_DATA_DIR": "/milvus/etcd", "MQ_TYPE": "rocksmq",
                        "ROCKSMQ_PATH": "/milvus/rdb", "COMMON_STORAGETYPE": "Local", "LOCALSTORAGE_PATH": "/milvus/data"},
     [], [("/milvus/etcd", "embedded etcd"), ("/milvus/rdb", "RocksMQ"), ("/milvus/data", "local storage")]),
    ("milvus", MILVUS, {"MQ_TYPE": "", "COMMON_STORAGETYPE": "local"}, [],
     [("/var/lib/milvus/rdb_data", "RocksMQ"), ("/var/lib/milvus/data", "local storage")]),
    ("milvus", MILVUS, {"MQ_TYPE": "kafka", "COMMON_STORAGETYPE": "remote"}, [], []),
    ("etcd", ["/usr/local/bin/etcd", "--name", "soma"], {}, [], [("/default.etcd", "etcd data")]),
    ("etcd", ["etcd"], {"ETCD_DATA_DIR": "/etcd-data"}, [], [("/etcd-data", "etcd data")]),
    ("etcd", ["etcd", "--data-dir=/var/etcd"], {"ETCD_DATA_DIR": "/etcd-data"}, [], [("/var/etcd", "etcd data")]),
    ("etcd", [], {}, [], [("/default.etcd", "etcd data")]),
    ("etcd", ["/usr/local/bin/etcdctl", "endpoint", "health"], {}, [], []),
    ("etcd", ["etcdutl", "snapshot", "restore"], {}, [], []),
    ("etcd", ["sh", "-c", "etcdctl get x"], {}, [], []),
    ("etcd", ["/bin/bash", "-c", "etcdctl get x"], {}, [], []),
    ("kafka", ["/opt/kafka/bin/kafka-server-start.sh", "/opt/kafka/config/server.properties"], {}, ["apache/kafka:3.9.0"],
     [("/tmp/kafka-logs", "Kafka log.dirs")]),
    ("kafka", ["kafka-server-start.sh", "/etc/kafka/server.properties"], {}, [], [("/tmp/kafka-logs", "Kafka log.dirs")]),
    ("kafka", ["/opt/kafka/bin/kafka-topics.sh", "--create", "--topic", "t"], {}, [], []),
    ("kafka", [], {"KAFKA_LOG_DIRS": "/var/kafka/a, /var/kafka/b"}, [], [("/var/kafka/a", "Kafka log.dirs"),
                                                                          ("/var/kafka/b", "Kafka log.dirs")]),
    ("kafka", [], {"KAFKA_LOG_DIRS": "/a,/b,"}, [], [("/a", "Kafka log.dirs"), ("/b", "Kafka log.dirs")]),
    ("kafka", [], {"KAFKA_CFG_LOG_DIRS": "/bitnami/kafka/data"}, ["bitnami/kafka:3.7"],
     [("/bitnami/kafka/data", "Kafka log.dirs")]),
    ("kafka", [], {}, ["sha256:0f1e", "confluentinc/cp-kafka:7.6.1"], [("/var/lib/kafka/data", "Kafka log.dirs")]),
    ("kafka", [], {}, ["confluentinc/cp-server:7.6.1"], [("/var/lib/kafka/data", "Kafka log.dirs")]),
    ("postgres", ["postgres", "-c", "max_connections=200"], {}, [], [("/var/lib/postgresql/data", "PGDATA")]),
    ("postgres", ["docker-entrypoint.sh", "postgres"], {"PGDATA": "/pgdata/16"}, [], [("/pgdata/16", "PGDATA")]),
    ("redis", ["valkey-server", "--save", "60", "1"], {}, [], [("/data", "RDB snapshots")]),
    ("redis", ["docker-entrypoint.sh", "redis-server"], {}, [], [("/data", "RDB snapshots")]),
    ("redis", ["/usr/local/etc/redis/redis.conf", "--port", "6380"], {}, [], [("/data", "RDB snapshots")]),
    ("redis", ["redis-cli", "ping"], {}, [], []),
    ("redis", ["redis-server", "--save", '""'], {}, [], []),
    ("redis", ["redis-server", "--save", "", "--appendonly", "YES"], {}, [], [("/data", "AOF")]),
    ("redis", ["redis-server", "--save", "", "--appendonly", "no"], {}, [], []),
    ("redis", ["redis-server", "--dir", "/redis"], {}, [], [("/redis", "RDB snapshots")]),
    ("keycloak", ["/opt/keycloak/bin/kc.sh", "start", "--optimized"], {}, [], [("/opt/keycloak/data", "dev-file store")]),
    ("keycloak", ["start-dev"], {}, [], [("/opt/keycloak/data", "dev-file store")]),
    ("keycloak", ["start", "--db", "postgres"], {}, [], []),
    ("keycloak", ["start"], {"KC_DB": "postgres"}, [], []),
    ("keycloak", ["build"], {}, [], []),
    ("spicedb", ["spicedb", "serve", "--grpc-preshared-key", "k"], {}, [], [("", "memory datastore")]),
    ("spicedb", ["serve", "--datastore-engine", "postgres"], {}, [], []),
    ("spicedb", ["serve"], {"SPICEDB_DATASTORE_ENGINE": "postgres"}, [], []),
    ("spicedb", ["migrate", "head"], {}, [], []),
    ("unknown", ["serve"], {}, [], []),
])
def test_data_paths(engine, argv, env, hints, paths):
    assert data_paths(engine, C(hints, argv, env)) == paths


@pytest.mark.parametrize("mounts,durable", [
    ([Mount("/data/", True, "EFS volume")], True),                       # trailing slash on the mount path
    ([Mount("/", True, "EFS volume")], True),                            # a mount at the root covers everything
    ([Mount("/dat", True, "EFS volume")], False),                        # a prefix that is not a parent
    ([Mount("/", True, "EFS volume"), Mount("/data", False, "an emptyDir volume")], False),  # the deepest wins
    ([Mount("/data", False, "an emptyDir volume"), Mount("/", True, "EFS volume")], False),
    ([Mount("/data", True, "EFS volume"), Mount("/data/tmp", False, "an emptyDir volume")], True),
])
def test_the_deepest_covering_mount_decides(mounts, durable):
    c = C(["redis:7.2"], ["redis-server"], mounts=mounts, name="redis")
    assert (findings(c) == []) is durable


def test_memory_datastore_message():
    assert findings(C(["authzed/spicedb:v1.38.1"], ["spicedb", "serve"], name="spicedb")) == [
        "service spicedb: spicedb memory datastore keeps its data in process memory; configure a persistent datastore "
        "(a managed store such as RDS PostgreSQL)"]


# ------------------------------------------------------------------------------ docker containers
def _docker(**props) -> dict:
    return {"image": "sha256:0f1e2d3c4b5a6978", "name": "somastack-redis", "command": ["redis-server", "--appendonly", "yes"],
            **props}


@pytest.mark.parametrize("props,expect", [
    (_docker(volumes=[{"volumeName": "redis-data", "containerPath": "/data"}]), None),
    (_docker(volumes=[{"hostPath": "/srv/soma/redis", "containerPath": "/data"}]), None),
    (_docker(volumes=[{"hostPath": "/srv/soma/backup", "containerPath": "/backup"}]), "the container's ephemeral disk"),
    (_docker(volumes=[{"volumeName": "redis-data", "containerPath": "/backup"}]), "the container's ephemeral disk"),
    (_docker(volumes=[{"containerPath": "/data"}]), "an anonymous volume mounted at /data"),
    (_docker(mounts=[{"target": "/data", "type": "tmpfs"}]), "a tmpfs mount mounted at /data"),
    (_docker(mounts=[{"target": "/data", "type": "volume"}]), "a volume mount mounted at /data"),
    (_docker(mounts=[{"target": "/data", "source": "redis-data"}]), None),
    (_docker(mounts=[{"target": "/data", "type": "bind", "source": "/srv/soma/redis"}]), None),
    (_docker(mounts=[{"target": "/backup", "type": "bind", "source": "/srv/soma/redis"}]), "the container's ephemeral disk"),
])
def test_docker_mounts(props, expect):
    msg = lost("somastack-redis", "redis", "/data", "AOF", expect) if expect else None
    assert outcome(DOCKER, props) == (("FAILED", (msg,)) if msg else PASSED)


@pytest.mark.parametrize("props,expect", [
    # engine from the service label, the message names the service
    ({"image": "sha256:0f1e", "name": "soma-db", "labels": [{"label": "com.somastack.service", "value": "postgres"}]},
     lost("postgres", "postgres", "/var/lib/postgresql/data", "PGDATA")),
    # engine from the last part of the container name
    ({"image": "sha256:0f1e", "name": "somastack-postgres"}, lost("somastack-postgres", "postgres",
                                                                  "/var/lib/postgresql/data", "PGDATA")),
    ({"image": "sha256:0f1e", "name": "postgres"}, lost("postgres", "postgres", "/var/lib/postgresql/data", "PGDATA")),
    ({"image": "sha256:0f1e", "name": "soma-redis-exporter"}, None),
    ({"image": "sha256:0f1e", "name": "redis-exporter"}, None),
    # no name: the resource name
    ({"image": "postgres:16.4"}, lost("r", "postgres", "/var/lib/postgresql/data", "PGDATA")),
    ({"image": "postgres:16.4", "name": "pg", "envs": ["POSTGRES_INITDB_ARGS=--auth-host=scram-sha-256",
                                                        "PGDATA=/var/lib/postgresql/data/pg=16"]},
     lost("pg", "postgres", "/var/lib/postgresql/data/pg=16", "PGDATA")),
    ({"image": "quay.io/coreos/etcd:v3.5.17", "name": "etcd-check", "entrypoints": ["/usr/local/bin/etcdctl"],
      "command": ["endpoint", "health"]}, None),
    ({"image": "postgres:16.4", "name": "createdb", "mustRun": False}, None),
])
def test_docker_engine_name_and_env(props, expect):
    assert outcome(DOCKER, props) == (("FAILED", (expect,)) if expect else PASSED)


# ------------------------------------------------------------------------------ Kubernetes
def _k8s(container: dict, volumes: list | None = None, kind: str = DEPLOYMENT, claims: list | None = None) -> dict:
    pod = {"containers": [container]}
    if volumes is not None:
        pod["volumes"] = volumes
    spec = {"replicas": 1, "selector": {"matchLabels": {"app": "redis"}},
            "template": {"metadata": {"labels": {"app": "redis"}}, "spec": pod}}
    if claims is not None:
        spec["volumeClaimTemplates"] = claims
    return {"metadata": {"name": "redis", "namespace": "soma"}, "spec": spec}


REDIS_K8S = {"name": "redis", "image": "redis:7.2", "args": ["--appendonly", "yes"],
             "volumeMounts": [{"name": "data", "mountPath": "/data"}]}


@pytest.mark.parametrize("volumes,claims,kind,expect", [
    ([{"name": "data", "persistentVolumeClaim": {"claimName": "redis-data"}}], None, DEPLOYMENT, None),
    ([], [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"]}}], STATEFULSET, None),
    ([{"name": "data", "emptyDir": {}}], None, DEPLOYMENT, "an emptyDir volume mounted at /data"),
    ([{"name": "data", "hostPath": {"path": "/srv/redis"}}], None, DEPLOYMENT, "a hostPath volume of one node mounted at /data"),
    ([{"name": "data", "configMap": {"name": "redis-conf"}}], None, DEPLOYMENT, "a configMap volume mounted at /data"),
    ([{"name": "other", "persistentVolumeClaim": {"claimName": "x"}}], None, DEPLOYMENT,
     "an undeclared volume mounted at /data"),
    (None, None, DEPLOYMENT, "an undeclared volume mounted at /data"),
])
def test_kubernetes_volumes(volumes, claims, kind, expect):
    props = _k8s(REDIS_K8S, volumes, kind, claims)
    assert outcome(kind, props) == (("FAILED", (lost("redis", "redis", "/data", "AOF", expect),)) if expect else PASSED)


def test_kubernetes_command_args_image_and_unknown_pod():
    client = {"name": "etcd-check", "image": "quay.io/coreos/etcd:v3.5.17", "command": ["/usr/local/bin/etcdctl"],
              "args": ["endpoint", "health"]}
    assert outcome(DEPLOYMENT, _k8s(client)) == PASSED
    server = {"name": "etcd", "image": "quay.io/coreos/etcd:v3.5.17", "command": ["etcd"], "args": ["--data-dir", "/etcd"]}
    assert outcome(DEPLOYMENT, _k8s(server)) == ("FAILED", (lost("etcd", "etcd", "/etcd", "etcd data"),))
    assert outcome(STATEFULSET, {"metadata": {"name": "redis"}}) == ("UNKNOWN", ("pod spec is unknown",))
