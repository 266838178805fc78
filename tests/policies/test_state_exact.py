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
