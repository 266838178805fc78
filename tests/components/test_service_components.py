"""Keycloak, SpiceDB, OPA, Milvus and AppServices placed by a real runtime (docker),
the rendered app environment, and the contract gate inside the render."""

from __future__ import annotations

import pulumi
import pytest

from somastack_deploy.components.spec import PostgresEndpoint

CLUSTER_PROD = {
    "SA01_DEPLOYMENT_MODE": "PROD", "SOMASTACK_SOFTWARE_MODE": "SomaStackClusterMode", "SOMA_SAAS_MODE": "false",
    "SA01_DEPLOYMENT_TARGET": "LOCAL", "SOMA_AGENT_MODE": "PRODUCTION", "DEBUG": "false",
    "ALLOWED_HOSTS": "api.example.org", "SECRET_KEY": "${SECRET_KEY}", "SA01_CHAT_PROVIDER": "openai",
    "OPENAI_API_KEY": "${OPENAI_API_KEY}", "SPICEDB_API_KEY": "${SPICEDB_API_KEY}",
    "SOMA_MEMORY_API_TOKEN": "${SOMA_MEMORY_API_TOKEN}", "SFM_AUTH_MODE": "oidc",
}
IMAGES = {"agent": "reg/agent:1.0", "brain": "reg/brain:1.0", "memory": "reg/memory:1.0"}


def _docker_runtime():
    from somastack_deploy.stacks.local.runtime import DockerRuntime

    return DockerRuntime(network_name="somastack-test", secrets_dir="/srv/secrets", stack="test")


def _pg(host="postgres"):
    return PostgresEndpoint(host=host, port=5432, user="soma", password_ref="${SOMA_DB_PASSWORD}", sslmode="disable")


def _containers(plan):
    return {c.props["name"]: c for c in plan.of_type("docker:index/container:Container")}


def test_keycloak_spicedb_opa_milvus_on_seed_ports(run_program):
    from somastack_deploy.components.keycloak import Keycloak, KeycloakArgs
    from somastack_deploy.components.milvus import Milvus, MilvusArgs
    from somastack_deploy.components.opa import OPA, OPAArgs
    from somastack_deploy.components.spicedb import SpiceDB, SpiceDBArgs

    def program():
        rt = _docker_runtime()
        kc = Keycloak("keycloak", KeycloakArgs(runtime=rt, database=_pg(), admin_password_ref="${KC_ADMIN}"))
        sp = SpiceDB("spicedb", SpiceDBArgs(runtime=rt, database=_pg(), preshared_key_ref="${SPICEDB_KEY}"))
        opa = OPA("opa", OPAArgs(runtime=rt, region=None))
        mv = Milvus("milvus", MilvusArgs(runtime=rt, region=None))
        pulumi.export("urls", {"keycloak": kc.url, "opa": opa.url, "spicedb": sp.host, "milvus": mv.host})

    plan = run_program(program)
    assert {"somastack:auth:Keycloak", "somastack:auth:SpiceDB", "somastack:policy:OPA",
            "somastack:vector:Milvus"} <= plan.types()
    c = _containers(plan)
    for key, port in (("keycloak", 20880), ("spicedb", 20051), ("opa", 20181), ("milvus", 19530)):
        assert c[f"somastack-{key}"].props["ports"][0]["internal"] == port
        assert c[f"somastack-{key}"].props["healthcheck"]["tests"][0] in ("CMD", "CMD-SHELL")
    assert plan.stack_outputs["urls"] == {"keycloak": "http://keycloak:20880", "opa": "http://opa:20181",
                                          "spicedb": "spicedb", "milvus": "milvus"}
    # SpiceDB: createdb, then migrate head, then serve (each waits for the previous)
    mig, db = c["somastack-spicedb-migrate"], c["somastack-spicedb-createdb"]
    assert mig.props["command"][-2:] == ["migrate", "head"] and mig.props["attach"] is True
    assert db.urn in mig.dependencies and mig.urn in c["somastack-spicedb"].dependencies
    # secrets: files only, wrapper exports them; no value, no reference in envs
    sp_env = c["somastack-spicedb"].props["envs"]
    assert "SPICEDB_GRPC_PRESHARED_KEY_FILE=/run/secrets/SPICEDB_KEY" in sp_env
    assert not any(e.startswith("SPICEDB_GRPC_PRESHARED_KEY=") or "${" in e for e in sp_env)
    assert "SPICEDB_DATASTORE_CONN_URI=postgres://soma@postgres:5432/spicedb?sslmode=disable" in sp_env
    assert c["somastack-spicedb"].props["entrypoints"][:2] == ["/bin/sh", "-c"]
    assert any(v.get("containerPath") == "/run/secrets" and v.get("readOnly") for v in c["somastack-keycloak"].props["volumes"])
    assert "KC_HTTP_PORT=20880" in c["somastack-keycloak"].props["envs"]


def test_opa_and_milvus_use_private_s3_buckets_on_aws(run_program):
    from somastack_deploy.components.milvus import Milvus, MilvusArgs
    from somastack_deploy.components.opa import OPA, OPAArgs

    def program():
        rt = _docker_runtime()
        OPA("opa", OPAArgs(runtime=rt, region="eu-west-1"))
        Milvus("milvus", MilvusArgs(runtime=rt, region="eu-west-1"))

    plan = run_program(program)
    assert len(plan.of_type("somastack:storage:PrivateBucket")) == 2
    c = _containers(plan)
    assert any(a.startswith("--set=services.s3.url=https://") for a in c["somastack-opa"].props["command"])
    assert "bundles.somastack.resource=bundles/somastack.tar.gz" in " ".join(c["somastack-opa"].props["command"])
    milvus_env = c["somastack-milvus"].props["envs"]
    assert "MINIO_USE_IAM=true" in milvus_env and "COMMON_STORAGETYPE=remote" in milvus_env


def _apps(contract_env, mode, host="postgres"):
    from somastack_deploy.components.app_services import AppServices, AppServicesArgs

    def program():
        rt = _docker_runtime()
        eps = {"postgres_host": host, "postgres_port": 5432, "postgres_user": "soma",
               "postgres_password_ref": "${SOMA_DB_PASSWORD}", "postgres_sslmode": "disable",
               "redis_host": "redis", "redis_port": 6379, "redis_tls": False, "redis_password_ref": None,
               "keycloak_url": "http://keycloak:20880", "spicedb_host": "spicedb", "spicedb_port": 20051,
               "spicedb_key_ref": "${SPICEDB_API_KEY}", "opa_url": "http://opa:20181"}
        if mode == "SomaStackClusterMode":
            eps.update(kafka_brokers="kafka:9092", milvus_host="milvus", milvus_port=19530)
        apps = AppServices("apps", AppServicesArgs(runtime=rt, software_mode=mode, target="LOCAL",
                                                   contract_env=contract_env, endpoints=eps, images=IMAGES))
        pulumi.export("services", apps.services)
    return program


def test_app_services_cluster_mode_order_and_env(run_program):
    plan = run_program(_apps(CLUSTER_PROD, "SomaStackClusterMode"))
    c = _containers(plan)
    assert {"somastack-agent", "somastack-brain", "somastack-memory"} <= set(c)
    assert plan.stack_outputs["services"] == {
        "memory": {"host": "memory", "port": 10101, "protocol": "http"},
        "brain": {"host": "brain", "port": 30101, "protocol": "http"},
        "agent": {"host": "agent", "port": 20020, "protocol": "http"}}
    chain = ["memory-createdb", "memory-migrate", "memory", "brain-createdb", "brain-migrate", "brain",
             "agent-createdb", "agent-migrate", "agent"]
    nodes = [c[f"somastack-{n}"] for n in chain]
    for before, after in zip(nodes, nodes[1:]):
        assert before.urn in after.dependencies
    env = dict(e.split("=", 1) for e in c["somastack-agent"].props["envs"])
    assert env["SOMABRAIN_API_URL"] == "http://brain:30101" and env["SOMAMEMORY_API_URL"] == "http://memory:10101"
    assert env["SA01_DB_DSN"] == "postgresql://soma@postgres:5432/somaagent01?sslmode=disable"
    assert env["SOMA_MEMORY_API_TOKEN_FILE"] == "/run/secrets/SOMA_MEMORY_API_TOKEN"
    assert "SOMA_MEMORY_API_TOKEN" not in env and "SECRET_KEY" not in env
    memory = dict(e.split("=", 1) for e in c["somastack-memory"].props["envs"])
    assert memory["SOMA_API_PORT"] == "10101" and memory["SOMA_DB_NAME"] == "somafractalmemory"


def test_app_services_standalone_runs_the_agent_only(run_program):
    env = {**CLUSTER_PROD, "SOMASTACK_SOFTWARE_MODE": "StandAlone"}
    del env["SOMA_MEMORY_API_TOKEN"], env["SFM_AUTH_MODE"]
    plan = run_program(_apps(env, "StandAlone"))
    names = set(_containers(plan))
    assert "somastack-agent" in names and not {"somastack-brain", "somastack-memory"} & names
    assert plan.of_type("somastack:app:AppServices")[0].outputs["apps"] == ["agent"]


def test_rendered_env_breaking_vibe_91_registers_no_app_resource(run_program):
    from somastack_deploy.components.contract_gate import ContractAbort
    from somastack_deploy.plan.mocks import SomaStackMocks

    class Counting(SomaStackMocks):
        names: list = []

        def new_resource(self, args):
            self.names.append(args.name)
            return super().new_resource(args)

    mocks = Counting()
    with pytest.raises(ContractAbort) as err:
        run_program(_apps(CLUSTER_PROD, "SomaStackClusterMode", host="localhost"), mocks=mocks)
    assert "VIBE-91" in str(err.value) and "localhost" in str(err.value)
    assert not [n for n in mocks.names if n.startswith("apps-")]
    assert not [n for n in mocks.names if "reg-agent" in n or "reg-brain" in n or "reg-memory" in n]
    assert "apps" in mocks.names  # the component itself exists; none of its children


def test_images_must_be_pinned():
    from somastack_deploy.components.app_services import AppServicesArgs

    with pytest.raises(ValueError, match="pin the image"):
        AppServicesArgs(runtime=None, software_mode="StandAlone", target="LOCAL", contract_env={}, endpoints={},
                        images={"agent": "reg/agent:latest"})
    with pytest.raises(ValueError, match="no image for agent"):
        AppServicesArgs(runtime=None, software_mode="StandAlone", target="LOCAL", contract_env={}, endpoints={},
                        images={})
