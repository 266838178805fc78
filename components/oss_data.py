"""The open-source data engines run as containers (local docker, a Kubernetes namespace):
PostgreSQL 16, Redis 7 (AOF persistence) and Kafka in KRaft mode.

Type token ``somastack:data:OSSDataServices``. Each engine is a
:class:`~somastack_deploy.components.spec.ServiceSpec` with its data directory on a named volume
(``postgres-data``, ``redis-data``, ``kafka-data``), placed by the target's runtime: a docker
named volume on the local target, a PersistentVolumeClaim of a StatefulSet on Kubernetes
(:mod:`somastack_deploy.components.k8s_workloads`). Images are pinned by tag (seed 001 header:
PostgreSQL 16, Redis 7). The PostgreSQL password is a reference (``POSTGRES_PASSWORD`` secret);
the superuser is ``soma`` (seed 001 §2.2 ``SA01_DB_USER`` default).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pulumi

from .spec import HealthCheck, KafkaEndpoint, PostgresEndpoint, RedisEndpoint, ServiceRuntime, ServiceSpec, Sizing

TYPE = "somastack:data:OSSDataServices"
POSTGRES_IMAGE = "postgres:16.6"
REDIS_IMAGE = "redis:7.4.1"
KAFKA_IMAGE = "apache/kafka:3.8.1"
POSTGRES_USER = "soma"
#: Data directories (mount path of each engine's volume).
DATA_DIRS: dict[str, str] = {"postgres": "/var/lib/postgresql/data", "redis": "/data", "kafka": "/var/lib/kafka/data"}


def postgres_spec(*, image: str, password_ref: str, sizing: Sizing) -> ServiceSpec:
    """PostgreSQL 16 (``PGDATA`` in a sub-directory of the volume, as the image's docs advise
    for mount points that are file-system roots)."""
    return ServiceSpec(
        key="postgres", image=image, port=5432, protocol="postgresql",
        env={"POSTGRES_USER": POSTGRES_USER, "POSTGRES_DB": "postgres", "PGDATA": f"{DATA_DIRS['postgres']}/pgdata"},
        secrets={"POSTGRES_PASSWORD": password_ref},
        health=HealthCheck(command=("CMD-SHELL", f"pg_isready -U {POSTGRES_USER} -d postgres"), start_period_s=30),
        sizing=sizing, volumes={"postgres-data": DATA_DIRS["postgres"]})


def redis_spec(*, image: str, sizing: Sizing) -> ServiceSpec:
    """Redis 7 with the append-only file on (``--appendonly yes``)."""
    return ServiceSpec(
        key="redis", image=image, port=6379, protocol="redis", command=("redis-server", "--appendonly", "yes"),
        health=HealthCheck(command=("CMD", "redis-cli", "ping"), start_period_s=10),
        sizing=sizing, volumes={"redis-data": DATA_DIRS["redis"]})


def kafka_spec(*, image: str, host: str, sizing: Sizing) -> ServiceSpec:
    """Single-node Kafka, KRaft combined mode (broker + controller, node id 1), advertised as
    ``host:9092``; replication factors 1."""
    return ServiceSpec(
        key="kafka", image=image, port=9092, protocol="kafka",
        env={"KAFKA_NODE_ID": "1", "KAFKA_PROCESS_ROLES": "broker,controller",
             "KAFKA_LISTENERS": "PLAINTEXT://:9092,CONTROLLER://:9093",
             "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://{host}:9092",
             "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
             "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
             "KAFKA_CONTROLLER_QUORUM_VOTERS": f"1@{host}:9093",
             "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
             "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
             "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1", "KAFKA_LOG_DIRS": DATA_DIRS["kafka"]},
        health=HealthCheck(command=("CMD-SHELL", "/opt/kafka/bin/kafka-broker-api-versions.sh "
                                    "--bootstrap-server 127.0.0.1:9092 >/dev/null"), start_period_s=60),
        sizing=sizing, volumes={"kafka-data": DATA_DIRS["kafka"]})


@dataclass(kw_only=True)
class OSSDataServicesArgs:
    """``runtime``; ``postgres_password_ref``: reference of the superuser password; ``kafka``:
    run Kafka (SomaStackClusterMode); ``images``: overrides by key (``postgres``, ``redis``,
    ``kafka``); ``sizing``: key → :class:`Sizing`; ``kafka_host``: the name Kafka advertises
    (default: the runtime's host name for ``kafka``)."""

    runtime: ServiceRuntime
    postgres_password_ref: str
    kafka: bool
    sizing: Callable[[str], Sizing]
    images: Mapping[str, str] = field(default_factory=dict)
    kafka_host: str | None = None


class OSSDataServices(pulumi.ComponentResource):
    """Outputs: ``postgres_host``, ``redis_host``, ``kafka_brokers`` (None without Kafka).
    Attributes for the stacks: ``postgres`` (:class:`PostgresEndpoint`, sslmode ``disable``),
    ``redis`` (:class:`RedisEndpoint`, no AUTH), ``kafka`` (:class:`KafkaEndpoint` or None),
    ``ready``."""

    postgres_host: pulumi.Output[str]
    redis_host: pulumi.Output[str]
    kafka_brokers: str | None

    def __init__(self, name: str, args: OSSDataServicesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        images = dict(args.images)
        pg = args.runtime.deploy(f"{name}-postgres", postgres_spec(
            image=images.get("postgres", POSTGRES_IMAGE), password_ref=args.postgres_password_ref,
            sizing=args.sizing("postgres")), parent=self)
        redis = args.runtime.deploy(f"{name}-redis", redis_spec(image=images.get("redis", REDIS_IMAGE),
                                                                sizing=args.sizing("redis")), parent=self)
        self.ready = [*pg.ready, *redis.ready]
        self.kafka = None
        self.kafka_brokers = None
        if args.kafka:
            host = args.kafka_host or str(args.runtime.host_of("kafka"))
            k = args.runtime.deploy(f"{name}-kafka", kafka_spec(image=images.get("kafka", KAFKA_IMAGE), host=host,
                                                                sizing=args.sizing("kafka")), parent=self)
            self.ready += k.ready
            self.kafka_brokers = f"{host}:9092"
            self.kafka = KafkaEndpoint(brokers=self.kafka_brokers, tls=False, auth="none")
        self.postgres_host, self.redis_host = pg.host, redis.host
        self.postgres = PostgresEndpoint(host=pg.host, port=5432, user=POSTGRES_USER,
                                         password_ref=args.postgres_password_ref, sslmode="disable")
        self.redis = RedisEndpoint(host=redis.host, port=6379, tls=False, password_ref=None)
        self.register_outputs({"postgres_host": self.postgres_host, "redis_host": self.redis_host,
                               "kafka_brokers": self.kafka_brokers})
