"""Target LOCAL (seed 001 §3.1 "Local Development", §2 "Docker Deployment").

:func:`build`: a docker bridge network, named volumes, and containers for PostgreSQL 16,
Redis 7 (AOF on), Kafka in KRaft mode (SomaStackClusterMode), Milvus standalone, Keycloak,
SpiceDB, OPA and the app services of the software mode, each with a health check, on the
seed 001 §1.1 ports published on 127.0.0.1 (:mod:`somastack_deploy.stacks.local.runtime`). Images are pinned
by tag. Secrets are ``${VAR}`` references to files in ``somastack:secretsDir``.
Settings: ``somastack:secretsDir`` (absolute path), ``somastack:postgresPassword`` and
``somastack:keycloakAdminPassword`` (``${VAR}`` references), ``somastack:images``.
"""

from __future__ import annotations

import os

import pulumi
import pulumi_docker as docker

from somastack_deploy.components.oss_data import KAFKA_IMAGE, OSSDataServices, OSSDataServicesArgs
from somastack_deploy.components.spec import Sizing

from .. import outputs
from ..common import StackContext, build_services
from ..settings import StackConfigError
from .runtime import DockerRuntime

#: SpiceDB's default image has no shell; the -debug variant has busybox for the secret wrapper.
SPICEDB_LOCAL_IMAGE = "authzed/spicedb:v1.38.1-debug"
#: Memory limits (MiB) per container on the local target, within seed 001 §2 "Host memory
#: budget: 15 GB total across containers" (sum: 13 824 MiB in SomaStackClusterMode).
LOCAL_MEMORY_MIB: dict[str, int] = {"postgres": 1024, "redis": 512, "kafka": 1536, "milvus": 2048,
                                    "keycloak": 1536, "spicedb": 512, "opa": 512, "apps": 2048}
LOCAL_BUDGET_MIB = 15 * 1024


def _local(key: str) -> Sizing:
    return Sizing(cpu_units=1024, memory_mib=LOCAL_MEMORY_MIB[key], desired_count=1)


def build(ctx: StackContext) -> pulumi.Output:
    """Create the local stack; returns the topology Output."""
    s = ctx.settings
    where = f"Pulumi.{ctx.stack}.yaml"
    cfg = pulumi.Config("somastack")
    secrets_dir = s.require("secretsDir", s.secrets_dir)
    if not os.path.isabs(secrets_dir):
        raise StackConfigError("must be an absolute path", path=where, variable="somastack:secretsDir")
    pg_ref = cfg.get("postgresPassword")
    if not pg_ref:
        raise StackConfigError("a ${VAR} reference is required", path=where, variable="somastack:postgresPassword")
    network = docker.Network("net", name=f"somastack-{ctx.stack}", driver="bridge")
    runtime = DockerRuntime(network_name=network.name, secrets_dir=secrets_dir, stack=ctx.stack)
    # PostgreSQL 16, Redis 7 (AOF on), Kafka KRaft (cluster mode); the alias keeps the URNs of
    # stacks created when this component was ``somastack:local:DataServices``.
    data = OSSDataServices("data", OSSDataServicesArgs(
        runtime=runtime, postgres_password_ref=pg_ref, kafka=ctx.cluster, images=dict(s.images), sizing=_local),
        opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(type_="somastack:local:DataServices")]))
    infra = {
        "postgres": outputs.service([outputs.endpoint("postgresql", host=data.postgres.host, port=5432)],
                                    engine="postgresql", version="16",
                                    credentials={"username": "soma", "password": pg_ref}),
        "redis": outputs.service([outputs.endpoint("redis", host=data.redis.host, port=6379)], engine="redis",
                                 version="7", storage={"aof": True}),
    }
    if data.kafka is not None:
        infra["kafka"] = outputs.service([outputs.endpoint("kafka", host="kafka", port=9092)], engine="kafka",
                                         version=KAFKA_IMAGE.rsplit(":", 1)[-1])
    images = {"spicedb": s.images.get("spicedb", SPICEDB_LOCAL_IMAGE)}
    explicit = pulumi.Config("somastack").get_object("sizing") is not None
    overrides = {} if explicit else {k: _local(k) for k in ("milvus", "keycloak", "spicedb", "opa", "apps")}
    entries = build_services(ctx, runtime, postgres=data.postgres, redis=data.redis, kafka=data.kafka, region=None,
                             agent_public_url=None, service_sizing=s.sizing, images=images, infra=infra,
                             sizing_overrides=overrides)
    pulumi.export("dockerNetwork", network.name)
    return outputs.export_outputs(ctx.stack, ctx.dimensions, with_published_endpoints(entries))


def with_published_endpoints(entries: dict[str, dict]) -> dict[str, dict]:
    """Put the port published on the host (``127.0.0.1``, same number) first in every service's
    endpoints, followed by the in-network one (``<key>:<port>``): post-deploy checks and the
    developer run on the host, the services among themselves use the network names."""
    out = {}
    for key, entry in entries.items():
        eps = list(entry["endpoints"])
        published = [{**ep, "host": "127.0.0.1"} for ep in eps if "port" in ep and "host" in ep]
        out[key] = {**entry, "endpoints": published[:1] + eps}
    return out
