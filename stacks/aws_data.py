"""Managed data services shared by the fargate and eks targets: RDS PostgreSQL 16, ElastiCache
Redis 7 in cluster mode (its configuration endpoint and ``cluster`` shape in the topology) and
(SomaStackClusterMode) MSK Kafka, with their topology entries."""

from __future__ import annotations

from dataclasses import dataclass

from somastack_deploy.components.cache import Cache, CacheArgs
from somastack_deploy.components.database import Database, DatabaseArgs
from somastack_deploy.components.kafka import Kafka, KafkaArgs
from somastack_deploy.components.network import Network
from somastack_deploy.components.spec import KafkaEndpoint, PostgresEndpoint, RedisEndpoint

from . import outputs
from .common import StackContext


@dataclass
class AwsData:
    """The components and how services reach them; ``entries``: topology service entries."""

    database: Database
    cache: Cache
    kafka: Kafka | None
    postgres: PostgresEndpoint
    redis: RedisEndpoint
    kafka_endpoint: KafkaEndpoint | None
    entries: dict[str, dict]


def build_aws_data(ctx: StackContext, network: Network) -> AwsData:
    """Create Database, Cache and (cluster mode) Kafka in ``network``'s private subnets."""
    s, env = ctx.settings, ctx.dimensions.environment
    database = Database("db", DatabaseArgs(
        environment=env, subnet_ids=network.private_subnet_ids, security_group_id=network.database_security_group_id,
        instance_class=s.db_instance_class, tags=s.tags))
    cache = Cache("cache", CacheArgs(
        environment=env, subnet_ids=network.private_subnet_ids, security_group_id=network.cache_security_group_id,
        auth_token_ref=ctx.secret_ref("redis_auth_token", setting=True), node_type=s.cache_node_type,
        shards=s.cache_shards, replicas_per_shard=s.cache_replicas_per_shard, tags=s.tags))
    kafka = None
    if ctx.cluster:
        kafka = Kafka("kafka", KafkaArgs(
            environment=env, subnet_ids=network.private_subnet_ids, security_group_id=network.broker_security_group_id,
            instance_type=s.kafka_instance_type, log_retention_days=s.log_retention_days, tags=s.tags))
    postgres = PostgresEndpoint(host=database.address, port=database.port, user=database.username,
                                password_ref=database.password_ref, sslmode="require")
    redis = RedisEndpoint(host=cache.configuration_endpoint, port=cache.port, tls=True,
                          password_ref=cache.auth_token_ref, cluster=True)
    entries = {
        "postgres": outputs.service([outputs.endpoint("postgresql", host=database.address, port=database.port, tls=True)],
                                    engine="postgresql", version="16",
                                    credentials={"username": database.username, "password": database.password_ref}),
        "redis": outputs.service([outputs.endpoint("redis", host=cache.configuration_endpoint, port=cache.port, tls=True)],
                                 engine="redis", version="7", credentials={"password": cache.auth_token_ref},
                                 cluster={"shards": cache.shards, "replicas_per_shard": cache.replicas_per_shard}),
    }
    kafka_endpoint = None
    if kafka is not None:
        kafka_endpoint = KafkaEndpoint(brokers=kafka.bootstrap_brokers, tls=True, auth="iam",
                                       client_policy=kafka.client_policy)
        entries["kafka"] = outputs.service(
            kafka.bootstrap_brokers.apply(lambda b: [
                outputs.endpoint("kafka", host=hp.rsplit(":", 1)[0], port=int(hp.rsplit(":", 1)[1]), tls=True)
                for hp in sorted(b.split(","))]),
            engine="kafka")
    return AwsData(database=database, cache=cache, kafka=kafka, postgres=postgres, redis=redis,
                   kafka_endpoint=kafka_endpoint, entries=entries)
