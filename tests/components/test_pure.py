"""Pure helpers: app env rendering, ECS secret ARNs and container definitions, docker wrapper."""

from __future__ import annotations

import json

import pytest

from somastack_deploy.components.app_env import Endpoints, render_app_env
from somastack_deploy.components.spec import HealthCheck, OneOffTask, ServiceSpec

EP = Endpoints(postgres_host="db.internal", postgres_port=5432, postgres_user="soma",
               postgres_password_ref="ref+awssecrets://arn:aws:secretsmanager:us-east-1:1:secret:rds!db-x-AbCdEf#/password",
               postgres_sslmode="require", redis_host="cache.internal", redis_port=6379, redis_tls=True,
               redis_password_ref="ref+awssecrets://soma/redis#/auth_token", keycloak_url="http://keycloak.svc:20880",
               spicedb_host="spicedb.svc", spicedb_port=20051, spicedb_key_ref="ref+awssecrets://soma/spicedb#/key",
               opa_url="http://opa.svc:20181", kafka_brokers="b-1:9098,b-2:9098", milvus_host="milvus.svc",
               milvus_port=19530, brain_host="brain.svc", memory_host="memory.svc")


def test_render_agent_env_splits_secrets_and_renders_endpoints():
    contract = {"SOMASTACK_SOFTWARE_MODE": "SomaStackClusterMode", "SA01_DEPLOYMENT_MODE": "PROD",
                "SECRET_KEY": "ref+vault://secret/soma/django#/key", "DEBUG": "false",
                "SOMABRAIN_API_URL": "http://localhost:9696"}
    env, secrets = render_app_env("agent", EP, contract, target="FARGATE")
    assert env["SOMABRAIN_API_URL"] == "http://brain.svc:30101"  # the stack's endpoint wins
    assert env["SA01_DB_DSN"] == "postgresql://soma@db.internal:5432/somaagent01?sslmode=require"
    assert env["SA01_REDIS_URL"] == "rediss://cache.internal:6379/0" and env["DEBUG"] == "false"
    assert secrets == {"REDIS_PASSWORD": EP.redis_password_ref, "SA01_DB_PASSWORD": EP.postgres_password_ref,
                       "SECRET_KEY": "ref+vault://secret/soma/django#/key", "SPICEDB_API_KEY": EP.spicedb_key_ref}
    assert not set(env) & set(secrets)


def test_render_memory_and_brain():
    contract = {"SOMASTACK_SOFTWARE_MODE": "SomaStackClusterMode", "SA01_DEPLOYMENT_MODE": "PROD",
                "SOMA_MEMORY_API_TOKEN": "${TOKEN}", "SFM_AUTH_MODE": "oidc"}
    env, secrets = render_app_env("memory", EP, contract, target="EKS")
    assert env["SOMA_API_PORT"] == "10101" and env["SOMA_DB_HOST"] == "db.internal"
    assert env["SA01_DEPLOYMENT_MODE"] == "PROD" and secrets["SOMA_API_TOKEN"] == "${TOKEN}"
    env, secrets = render_app_env("brain", EP, contract, target="EKS")
    assert env["SOMABRAIN_PORT"] == "30101" and env["SOMA_KAFKA_BROKERS"] == "b-1:9098,b-2:9098"
    assert "PGPASSWORD" in secrets and "SOMA_MEMORY_API_TOKEN" in secrets
    with pytest.raises(ValueError, match="unknown app"):
        render_app_env("gateway", EP, contract, target="EKS")


def test_ecs_value_from_and_iam_resource():
    """A name gets a partial ARN and the ``-??????`` wildcard, whatever its tail looks like; a full
    ARN is used as is; the partition is the one passed in."""
    from somastack_deploy.stacks.fargate.runtime import execution_policy_arn, secret_source, secrets_policy_document, value_from

    kw = dict(partition="aws", region="us-east-1", account_id="123456789012")
    vf = value_from("ref+awssecrets://somastack/prod/django#/secret_key", **kw)
    assert vf == "arn:aws:secretsmanager:us-east-1:123456789012:secret:somastack/prod/django:secret_key::"
    src = secret_source("ref+awssecrets://somastack/prod/django#/secret_key", **kw)
    assert src.partial and src.policy_resource == "arn:aws:secretsmanager:us-east-1:123456789012:secret:somastack/prod/django-??????"
    tail = secret_source("ref+awssecrets://somastack/prod/db-secret", **kw)  # "-secret": 7 characters
    assert tail.partial and tail.value_from.endswith(":secret:somastack/prod/db-secret")
    assert tail.policy_resource.endswith(":secret:somastack/prod/db-secret-??????")
    full_ref = "ref+awssecrets://arn:aws:secretsmanager:us-east-1:1:secret:rds!db-x-AbCdEf#/password"
    full = secret_source(full_ref, **kw)
    assert value_from(full_ref, **kw) == full.value_from == "arn:aws:secretsmanager:us-east-1:1:secret:rds!db-x-AbCdEf:password::"
    assert not full.partial and full.policy_resource == "arn:aws:secretsmanager:us-east-1:1:secret:rds!db-x-AbCdEf"
    cn = secret_source("ref+awssecrets://soma/x", partition="aws-cn", region="cn-north-1", account_id="1")
    assert cn.arn == "arn:aws-cn:secretsmanager:cn-north-1:1:secret:soma/x"
    assert execution_policy_arn("aws-cn") == "arn:aws-cn:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    doc = json.loads(secrets_policy_document([src, full, src]))
    assert doc == {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
                                                           "Resource": sorted({src.policy_resource, full.policy_resource})}]}
    with pytest.raises(ValueError, match="ref\\+vault") as err:
        value_from("ref+vault://secret/x#/y", **kw)
    assert "secret/x" not in str(err.value)


def test_ecs_container_definitions_secrets_and_init_order():
    from somastack_deploy.stacks.fargate.runtime import container_definitions

    spec = ServiceSpec(key="spicedb", image="authzed/spicedb:v1", port=20051, protocol="grpc",
                       health=HealthCheck(command=("CMD", "grpc_health_probe", "-addr=127.0.0.1:20051")),
                       init=(OneOffTask(name="createdb", image="postgres:16.6", command=("sh", "-c", "x")),
                             OneOffTask(name="migrate", command=("migrate", "head"))))
    defs = container_definitions(spec=spec, command=["serve"], env={"A": "1"}, secrets={"KEY": "arn:k"},
                                 init=[(spec.init[0], {"PGHOST": "db"}, {"PGPASSWORD": "arn:p"}), (spec.init[1], {}, {})],
                                 log_group="/somastack/x/spicedb", region="us-east-1")
    by = {d["name"]: d for d in defs}
    assert [d["name"] for d in defs] == ["spicedb-createdb", "spicedb-migrate", "spicedb"]
    assert by["spicedb-createdb"]["essential"] is False and by["spicedb-createdb"]["image"] == "postgres:16.6"
    assert by["spicedb-migrate"]["dependsOn"] == [{"containerName": "spicedb-createdb", "condition": "SUCCESS"}]
    assert by["spicedb"]["dependsOn"] == [{"containerName": "spicedb-migrate", "condition": "SUCCESS"}]
    assert by["spicedb"]["secrets"] == [{"name": "KEY", "valueFrom": "arn:k"}]
    assert {"name": "PGPASSWORD", "valueFrom": "arn:p"} in by["spicedb-createdb"]["secrets"]
    assert all(e["name"] not in ("KEY", "PGPASSWORD") for d in defs for e in d["environment"])
    assert by["spicedb"]["healthCheck"]["command"][0] == "CMD"
    assert json.dumps(defs, sort_keys=True) == json.dumps(container_definitions(
        spec=spec, command=["serve"], env={"A": "1"}, secrets={"KEY": "arn:k"},
        init=[(spec.init[0], {"PGHOST": "db"}, {"PGPASSWORD": "arn:p"}), (spec.init[1], {}, {})],
        log_group="/somastack/x/spicedb", region="us-east-1"), sort_keys=True)


def test_docker_secret_files_and_wrapper():
    from somastack_deploy.stacks.local.runtime import secret_file, wrapper

    assert secret_file("${SOMA_DB_PASSWORD}", "x") == "/run/secrets/SOMA_DB_PASSWORD"
    with pytest.raises(ValueError, match="local target"):
        secret_file("ref+awssecrets://a#/b", "x")
    w = wrapper({"B": "/run/secrets/B", "A": "/run/secrets/A"})
    assert w[:2] == ["/bin/sh", "-c"] and w[2].index("export A=") < w[2].index("export B=")
    assert w[2].endswith('exec "$@"')


def test_health_check_needs_path_or_command():
    with pytest.raises(ValueError):
        HealthCheck()
    assert HealthCheck(path="/health").exec_command(8080)[0] == "CMD-SHELL"


def test_sizing_quantities():
    from somastack_deploy.components.spec import Sizing

    s = Sizing(cpu_units=4096, memory_mib=16384)
    assert (s.k8s_cpu, s.k8s_memory) == ("4000m", "16384Mi")


def test_saas_bridge_drops_the_http_coupling_urls():
    contract = {"SOMASTACK_SOFTWARE_MODE": "SomaStackClusterMode", "SOMA_SAAS_MODE": "true"}
    env, _ = render_app_env("agent", EP, contract, target="EKS")
    assert "SOMABRAIN_API_URL" not in env and "SOMAMEMORY_API_URL" not in env
    assert env["SOMA_KAFKA_BROKERS"] == "b-1:9098,b-2:9098"
    env, _ = render_app_env("agent", EP, {**contract, "SOMA_SAAS_MODE": "false"}, target="EKS")
    assert env["SOMABRAIN_API_URL"] == "http://brain.svc:30101"


def test_catalog_stack_provided_flags_match_what_the_stack_renders():
    """One rule: the contract variables render_app_env produces from the endpoints are exactly
    the catalog's ``stack_provided`` ones (what preflight --stack-config and the stack-config gate
    let a stack file leave unset). SPICEDB_API_KEY is wired from the stack config (the stack
    requires it there), so it is not stack-provided."""
    from somastack_deploy.config_contract.catalog import lookup
    from somastack_deploy.config_contract.stack_provided import stack_provided_names

    contract = {"SOMASTACK_SOFTWARE_MODE": "SomaStackClusterMode", "SA01_DEPLOYMENT_MODE": "PROD",
                "SOMA_MEMORY_API_TOKEN": "${TOKEN}"}
    rendered: set[str] = set()
    for app in ("agent", "brain", "memory"):
        env, secrets = render_app_env(app, EP, contract, target="FARGATE")
        rendered |= {lookup(n).name for n in (*env, *secrets) if lookup(n) is not None}
    from_config = {lookup(n).name for n in contract} | {"SPICEDB_API_KEY"}
    assert rendered - from_config == stack_provided_names()


@pytest.mark.parametrize(("ref", "expected"), [
    ("ref+awssecrets://soma/redis#/auth_token", ("soma/redis", "auth_token")),
    ("ref+awssecrets://soma/redis#auth_token", ("soma/redis", "auth_token")),
    ("ref+awssecrets://soma/redis", ("soma/redis", None)),
    ("ref+awssecrets://arn:aws:secretsmanager:us-east-1:1:secret:rds!db-x-AbCdEf#/password",
     ("arn:aws:secretsmanager:us-east-1:1:secret:rds!db-x-AbCdEf", "password")),
])
def test_parse_aws_secret_ref_reads_name_and_key_by_the_one_grammar(ref, expected):
    from somastack_deploy.components.spec import aws_secret_ref, parse_aws_secret_ref

    assert parse_aws_secret_ref(ref) == expected
    assert parse_aws_secret_ref(aws_secret_ref(*expected)) == expected  # round trip


@pytest.mark.parametrize(("ref", "says"), [
    ("ref+vault://secret/soma/redis#/auth_token", "not a ref+awssecrets://"),
    ("plain-hunter2-value", "not a ref+awssecrets://"),
    ("ref+awssecrets://soma/redis#/auth_token trailing", "not a ref+awssecrets://"),
    ("ref+awssecrets://soma/redis#/a/b", "nested key"),
    ("ref+awssecrets://soma/redis?region=eu-west-1#/auth_token", "query"),
])
def test_parse_aws_secret_ref_refuses_other_shapes_without_the_value(ref, says):
    from somastack_deploy.components.spec import parse_aws_secret_ref

    with pytest.raises(ValueError) as err:
        parse_aws_secret_ref(ref)
    assert says in str(err.value) and "hunter2" not in str(err.value) and "soma/redis" not in str(err.value)
