"""The target-neutral part of every stack: the services that run as containers.

Given a :class:`somastack_deploy.components.spec.ServiceRuntime` (fargate, eks or local) and the data endpoints
the target provisioned (PostgreSQL, Redis, Kafka), :func:`build_services` creates Milvus
(SomaStackClusterMode), Keycloak, SpiceDB, OPA and the app services of the software mode, and
returns the topology service entries of everything (:mod:`somastack_deploy.stacks.outputs`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from somastack_deploy.components.app_services import AppServices, AppServicesArgs
from somastack_deploy.components.keycloak import Keycloak, KeycloakArgs
from somastack_deploy.components.milvus import Milvus, MilvusArgs
from somastack_deploy.components.opa import OPA, OPAArgs
from somastack_deploy.components.spec import KafkaEndpoint, PostgresEndpoint, RedisEndpoint, ServiceRuntime, Sizing
from somastack_deploy.components.spicedb import SpiceDB, SpiceDBArgs
from somastack_deploy.config_contract.topology import Dimensions

from . import outputs
from .settings import StackConfigError, StackSettings


@dataclass(frozen=True, kw_only=True)
class StackContext:
    """What a target program needs: ``stack`` name, ``dimensions`` (seed 000 §1),
    ``contract_env`` (checked), ``settings``."""

    stack: str
    dimensions: Dimensions
    contract_env: Mapping[str, str]
    settings: StackSettings

    @property
    def prod(self) -> bool:
        return self.dimensions.environment == "PROD"

    @property
    def cluster(self) -> bool:
        return self.dimensions.software_mode == "SomaStackClusterMode"

    def secret_ref(self, name: str, *, setting: bool = False) -> str:
        """The reference of contract variable (or, with ``setting``, stack setting) ``name``.
        Raises :class:`StackConfigError` when it is not set."""
        value = (getattr(self.settings, name) if setting else self.contract_env.get(name)) or None
        if value is None:
            key = {"keycloak_admin_password": "keycloakAdminPassword", "redis_auth_token": "redisAuthToken"}.get(name, name)
            raise StackConfigError("a secret reference is required here", path=f"Pulumi.{self.stack}.yaml",
                                   variable=f"somastack:{key}")
        return value


#: Endpoint protocol of an ALB target group in the topology (read by ``somastack_deploy.checks.probes.alb``).
TARGET_GROUP_PROTOCOL = "aws-elbv2-target-group"


def build_services(ctx: StackContext, runtime: ServiceRuntime, *, postgres: PostgresEndpoint,
                   redis: RedisEndpoint, kafka: KafkaEndpoint | None, region: str | None,
                   agent_public_url: pulumi.Input[str] | None, service_sizing: Sizing,
                   agent_target_group_arn: pulumi.Input[str] | None = None,
                   agent_alternate_target_group_arn: pulumi.Input[str] | None = None,
                   images: Mapping[str, str] | None = None,
                   infra: Mapping[str, dict] | None = None,
                   sizing_overrides: Mapping[str, Sizing] | None = None) -> dict[str, dict]:
    """Create the container services and return all topology service entries.

    ``region``: AWS region (S3 for Milvus/OPA) or None (local volumes); ``agent_public_url``:
    the HTTPS URL of the gateway behind the load balancer (None on the local target);
    ``agent_target_group_arn``: the gateway's ALB target group, exported as an endpoint
    ``{"protocol": "aws-elbv2-target-group", "url": ARN}`` that the ALB target-health probe reads
    (``agent_alternate_target_group_arn``: the green group of a blue/green pair, exported too);
    ``service_sizing``: sizing of Keycloak/SpiceDB/OPA/Milvus (``sizing_overrides`` by service
    key win); ``images``: image overrides by service key; ``infra``: topology entries of the
    data services the target provisioned (postgres, redis, kafka).
    """
    overrides = dict(sizing_overrides or {})

    def sized(key: str) -> Sizing:
        return overrides.get(key, service_sizing)

    images = dict(images or {})
    s = ctx.settings
    prod = ctx.prod

    def image(key: str, default: str) -> str:
        return images.get(key) or s.images.get(key) or default

    from somastack_deploy.components import keycloak as kc, milvus as mv, opa as op, spicedb as sp

    milvus = None
    if ctx.cluster:
        milvus = Milvus("milvus", MilvusArgs(runtime=runtime, region=region, image=image("milvus", mv.IMAGE),
                                             sizing=sized("milvus"), force_destroy=not prod, tags=s.tags))
    keycloak = Keycloak("keycloak", KeycloakArgs(
        runtime=runtime, database=postgres, image=image("keycloak", kc.IMAGE), sizing=sized("keycloak"),
        admin_password_ref=ctx.secret_ref("keycloak_admin_password", setting=True),
        realm=ctx.contract_env.get("KEYCLOAK_REALM") or "somastack"))
    spicedb = SpiceDB("spicedb", SpiceDBArgs(
        runtime=runtime, database=postgres, image=image("spicedb", sp.IMAGE), sizing=sized("spicedb"),
        preshared_key_ref=ctx.secret_ref("SPICEDB_API_KEY")))
    opa = OPA("opa", OPAArgs(runtime=runtime, region=region, image=image("opa", op.IMAGE), sizing=sized("opa"),
                             force_destroy=not prod, tags=s.tags))

    endpoints: dict[str, pulumi.Input] = {
        "postgres_host": postgres.host, "postgres_port": postgres.port, "postgres_user": postgres.user,
        "postgres_password_ref": postgres.password_ref, "postgres_sslmode": postgres.sslmode,
        "redis_host": redis.host, "redis_port": redis.port, "redis_tls": redis.tls,
        "redis_password_ref": redis.password_ref, "redis_cluster": redis.cluster,
        "keycloak_url": keycloak.url, "spicedb_host": spicedb.host, "spicedb_port": spicedb.port,
        "spicedb_key_ref": spicedb.preshared_key_ref, "opa_url": opa.url,
    }
    if ctx.cluster:
        endpoints.update(kafka_brokers=kafka.brokers if kafka else None, milvus_host=milvus.host,
                         milvus_port=milvus.port, kafka_tls=kafka.tls if kafka else False,
                         kafka_auth=kafka.auth if kafka else "none")
    kafka_policies = ({app: kafka.client_policy for app in ("agent", "brain")}
                      if ctx.cluster and kafka is not None and kafka.client_policy is not None else {})
    apps = AppServices("apps", AppServicesArgs(
        runtime=runtime, software_mode=ctx.dimensions.software_mode, target=ctx.dimensions.target,
        contract_env=ctx.contract_env, endpoints=endpoints, images={k: v for k, v in s.images.items()
                                                                    if k in ("agent", "brain", "memory")},
        sizing=overrides.get("apps", s.sizing), task_policies=kafka_policies, depends_on=[*keycloak.ready, *spicedb.ready, *opa.ready,
                                     *(milvus.ready if milvus else [])]))

    entries: dict[str, dict] = dict(infra or {})
    entries["keycloak"] = outputs.service(
        [outputs.endpoint("http", host=keycloak.host, port=keycloak.port, health_path="/health/ready")],
        engine="keycloak", version=image("keycloak", kc.IMAGE).rsplit(":", 1)[-1],
        credentials={"realm": keycloak.realm, "admin_password": ctx.secret_ref("keycloak_admin_password", setting=True)})
    entries["spicedb"] = outputs.service(
        [outputs.endpoint("grpc", host=spicedb.host, port=spicedb.port)],
        engine="spicedb", version=image("spicedb", sp.IMAGE).rsplit(":", 1)[-1],
        credentials={"preshared_key": spicedb.preshared_key_ref})
    entries["opa"] = outputs.service(
        [outputs.endpoint("http", host=opa.host, port=opa.port, health_path="/health")],
        engine="opa", version=image("opa", op.IMAGE).rsplit(":", 1)[-1])
    if milvus is not None:
        entries["milvus"] = outputs.service(
            [outputs.endpoint("grpc", host=milvus.host, port=milvus.port)],
            engine="milvus", version=image("milvus", mv.IMAGE).rsplit(":", 1)[-1])
    from somastack_deploy.components.app_env import APP_HEALTH

    for app, info in apps.services.items():
        eps = [outputs.endpoint(info["protocol"], host=info["host"], port=info["port"], health_path=APP_HEALTH[app])]
        if app == "agent" and agent_public_url is not None:
            eps.insert(0, outputs.endpoint("https", url=agent_public_url, tls=True, health_path=APP_HEALTH[app]))
        if app == "agent" and agent_target_group_arn is not None:
            eps.append(outputs.endpoint(TARGET_GROUP_PROTOCOL, url=agent_target_group_arn))
        if app == "agent" and agent_alternate_target_group_arn is not None:
            eps.append(outputs.endpoint(TARGET_GROUP_PROTOCOL, url=agent_alternate_target_group_arn))
        creds = {}
        if app == "memory" and ctx.contract_env.get("SOMA_MEMORY_API_TOKEN"):
            creds["api_token"] = ctx.contract_env["SOMA_MEMORY_API_TOKEN"]
        entries[app] = outputs.service(eps, credentials=creds)
    return entries
