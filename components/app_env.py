"""Render the environment of the app services (agent, brain, memory) from the provisioned
endpoints and the stack's contract variables. Pure functions, no Pulumi.

Sources: seed 000 §5.1-§5.4 (variable names), seed 001 §2.2-§2.5 (agent variables, defaults),
seed 001 §1.1 (ports). Rules:

- the stack's contract variables (``somastack:UPPER_CASE`` keys) go to the app services that
  read them (catalog ``services``); endpoint variables are rendered from what the stack
  provisioned and win over the config (the stack knows where its services are);
- a value that is a reference (``ref+awssecrets://…``, ``ref+vault://…``, ``${VAR}``,
  ``file:///…``) is a secret and goes to ``secrets``; everything else to ``env``;
- connection URLs never carry a password: the password is a separate secret
  (``SA01_DB_PASSWORD``, ``PGPASSWORD``, ``REDIS_PASSWORD``);
- Redis in cluster mode (ElastiCache cluster mode enabled): the Redis URL names the
  configuration endpoint without a database index (``rediss://HOST:6379``: a cluster has only
  database 0 and no ``SELECT``; redis-py's ``RedisCluster.from_url`` refuses any other index),
  and ``REDIS_CLUSTER_MODE=true`` tells the apps to use a cluster client
  (not in the seeds; no contract prefix, like ``KAFKA_SECURITY_PROTOCOL``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from somastack_deploy.config_contract.topology import is_reference

#: App service key → container port (seed 001 §1.1).
APP_PORTS: dict[str, int] = {"agent": 20020, "brain": 30101, "memory": 10101}
#: App service key → database name (seed 001 §2.2; seed 000 §5.3; brain: by analogy).
APP_DATABASES: dict[str, str] = {"agent": "somaagent01", "brain": "somabrain", "memory": "somafractalmemory"}
#: App service key → HTTP health path. Agent: seed 002 §5.1; brain/memory: not in the seeds,
#: ``/health`` assumed (documented in docs/stacks.md).
APP_HEALTH: dict[str, str] = {"agent": "/api/v1/health", "brain": "/health", "memory": "/health"}
#: Migration order of seed 001 §4: Memory → Brain → Agent.
MIGRATION_ORDER: tuple[str, ...] = ("memory", "brain", "agent")

#: The four dimensions (seed 000 §1): every app service gets them, so that each one's contract
#: check knows the environment (PROD fail-fast) and the software mode.
DIMENSIONS: frozenset[str] = frozenset({"SA01_DEPLOYMENT_MODE", "SOMASTACK_SOFTWARE_MODE", "SOMA_SAAS_MODE",
                                        "SA01_DEPLOYMENT_TARGET"})

#: The contract variables this module renders from provisioned endpoints are flagged in the
#: catalog (``somastack_deploy.config_contract.catalog.Var.stack_provided``; the set:
#: ``somastack_deploy.config_contract.stack_provided.stack_provided_names()``); tests/components check the two agree.


@dataclass(frozen=True, kw_only=True)
class Endpoints:
    """Resolved endpoints (plain strings) of the provisioned services.

    ``postgres_*``: host, port, user, password reference, libpq sslmode; ``redis_*``: host, port,
    TLS flag, password reference (``None``: no AUTH, local network); ``keycloak_url``,
    ``spicedb_host``/``spicedb_port``/``spicedb_key_ref``, ``opa_url``; ``kafka_brokers``
    (``host:port,…``), ``kafka_tls``, ``kafka_auth`` (``iam`` | ``none``) and
    ``milvus_host``/``milvus_port`` (None in StandAlone);
    ``brain_host``/``memory_host`` (None in StandAlone).
    """

    postgres_host: str
    postgres_port: int
    postgres_user: str
    postgres_password_ref: str
    postgres_sslmode: str
    redis_host: str
    redis_port: int
    redis_tls: bool
    redis_password_ref: str | None
    keycloak_url: str
    spicedb_host: str
    spicedb_port: int
    spicedb_key_ref: str
    opa_url: str
    kafka_brokers: str | None = None
    kafka_tls: bool = False
    kafka_auth: str = "none"
    milvus_host: str | None = None
    milvus_port: int | None = None
    brain_host: str | None = None
    memory_host: str | None = None
    redis_cluster: bool = False


def _routed(contract_env: Mapping[str, str], app: str) -> dict[str, str]:
    """The contract variables that ``app`` reads (catalog ``services``; unknown names: all)."""
    from somastack_deploy.config_contract.catalog import lookup

    out = {}
    for name, value in contract_env.items():
        var = lookup(name)
        if name in DIMENSIONS or var is None or app in var.services or not var.services:
            out[name] = value
    return out


def _saas_bridge(values: Mapping[str, str]) -> bool:
    """SOMA_SAAS_MODE (or its alias SOMA_AAAS_MODE) as a bool; an invalid value counts as false
    (the contract reports it)."""
    from somastack_deploy.config_contract.model import parse_bool

    try:
        return parse_bool(values.get("SOMA_SAAS_MODE") or values.get("SOMA_AAAS_MODE") or "false")
    except ValueError:
        return False


def _dsn(scheme: str, user: str | None, host: str, port: int, path: str, query: str = "") -> str:
    who = f"{user}@" if user else ""
    return f"{scheme}://{who}{host}:{port}/{path}" + (f"?{query}" if query else "")


def render_app_env(app: str, ep: Endpoints, contract_env: Mapping[str, str], *, target: str) -> tuple[dict[str, str], dict[str, str]]:
    """``(env, secrets)`` of app service ``app`` (``agent`` | ``brain`` | ``memory``).

    ``env``: plain variables; ``secrets``: variable → reference. ``contract_env``: the stack's
    contract variables; ``target``: ``SA01_DEPLOYMENT_TARGET``. Raises ``ValueError`` for an
    unknown ``app`` or when a cluster-mode endpoint it needs is missing.
    """
    if app not in APP_PORTS:
        raise ValueError(f"unknown app service {app!r}")
    values = _routed(contract_env, app)
    db = APP_DATABASES[app]
    pg_query = f"sslmode={ep.postgres_sslmode}"
    redis_scheme = "rediss" if ep.redis_tls else "redis"
    redis_url = f"{redis_scheme}://{ep.redis_host}:{ep.redis_port}" + ("" if ep.redis_cluster else "/0")
    rendered: dict[str, str] = {"SA01_DEPLOYMENT_TARGET": target}
    if ep.redis_cluster:
        rendered["REDIS_CLUSTER_MODE"] = "true"
    secrets: dict[str, str] = {}
    if ep.redis_password_ref:
        secrets["REDIS_PASSWORD"] = ep.redis_password_ref

    def need(value: str | None, what: str) -> str:
        if value is None:
            raise ValueError(f"{app}: the {what} endpoint is missing (SomaStackClusterMode needs it)")
        return value

    if app == "agent":
        rendered.update({
            "SA01_DB_HOST": ep.postgres_host, "SA01_DB_PORT": str(ep.postgres_port), "SA01_DB_NAME": db,
            "SA01_DB_USER": ep.postgres_user,
            "SA01_DB_DSN": _dsn("postgresql", ep.postgres_user, ep.postgres_host, ep.postgres_port, db, pg_query),
            "SA01_REDIS_URL": redis_url,
            "KEYCLOAK_URL": ep.keycloak_url,
            "SPICEDB_URL": f"http://{ep.spicedb_host}:{ep.spicedb_port}",
            "OPA_URL": ep.opa_url,
        })
        secrets["SA01_DB_PASSWORD"] = ep.postgres_password_ref
        secrets["SPICEDB_API_KEY"] = ep.spicedb_key_ref
        if values.get("SOMASTACK_SOFTWARE_MODE") == "SomaStackClusterMode":
            if not _saas_bridge(values):  # seed 000 §1.1: HTTP coupling only without the SaaS bridge
                rendered["SOMABRAIN_API_URL"] = f"http://{need(ep.brain_host, 'SomaBrain')}:{APP_PORTS['brain']}"
                rendered["SOMAMEMORY_API_URL"] = f"http://{need(ep.memory_host, 'SomaFractalMemory')}:{APP_PORTS['memory']}"
            rendered["SOMA_KAFKA_BROKERS"] = need(ep.kafka_brokers, "Kafka")
            rendered["SOMA_MILVUS_HOST"] = need(ep.milvus_host, "Milvus")
            rendered["SOMA_MILVUS_PORT"] = str(ep.milvus_port)
    else:
        rendered.update({
            "SOMA_DB_HOST": ep.postgres_host, "SOMA_DB_PORT": str(ep.postgres_port),
            "SOMA_MILVUS_HOST": need(ep.milvus_host, "Milvus"), "SOMA_MILVUS_PORT": str(ep.milvus_port),
            "SOMA_REDIS_HOST": ep.redis_host, "SOMA_REDIS_PORT": str(ep.redis_port),
        })
        secrets["PGPASSWORD"] = ep.postgres_password_ref
        if app == "brain":
            rendered.update({
                "SOMABRAIN_PORT": str(APP_PORTS["brain"]),
                "SOMA_DB_URL": _dsn("postgresql", ep.postgres_user, ep.postgres_host, ep.postgres_port, db, pg_query),
                "SOMA_REDIS_URL": redis_url,
                "SOMA_KAFKA_BROKERS": need(ep.kafka_brokers, "Kafka"),
            })
        else:
            rendered.update({"SOMA_API_PORT": str(APP_PORTS["memory"]), "SOMA_DB_NAME": db})
            token = contract_env.get("SOMA_API_TOKEN") or contract_env.get("SOMA_MEMORY_API_TOKEN")
            if token:
                secrets["SOMA_API_TOKEN"] = token
    if "SOMA_KAFKA_BROKERS" in rendered:
        # Client security of the brokers (not in the seeds; names without a contract prefix):
        # MSK IAM = SASL_SSL + OAUTHBEARER (aws-msk-iam-sasl-signer), TLS only = SSL.
        rendered["KAFKA_SECURITY_PROTOCOL"] = ("SASL_SSL" if ep.kafka_auth == "iam"
                                               else "SSL" if ep.kafka_tls else "PLAINTEXT")
        if ep.kafka_auth == "iam":
            rendered["KAFKA_SASL_MECHANISM"] = "OAUTHBEARER"
    env: dict[str, str] = {}
    for name, value in values.items():
        if name in rendered or name in secrets:
            continue
        if is_reference(value):
            secrets[name] = value
        else:
            env[name] = value
    env.update(rendered)
    return dict(sorted(env.items())), dict(sorted(secrets.items()))
