"""The stacks (fargate, eks, local) under the mock runtime: services by software mode, PROD vs
DEV, seed 001 ports, no secret in any container environment, deterministic topology, and the
contract gate aborting before any resource."""

from __future__ import annotations

import json

import pytest

from somastack_deploy.config_contract.catalog import is_secret_name
from somastack_deploy.config_contract.services import required_services
from somastack_deploy.config_contract.topology import Topology, is_reference

from stack_helpers import ROOT, STACKS, run, run_expecting, stack_config

#: Seed 001 §1.1 port of each container service.
SEED_PORTS = {"agent": 20020, "brain": 30101, "memory": 10101, "keycloak": 20880, "spicedb": 20051,
              "opa": 20181, "milvus": 19530, "postgres": 5432, "redis": 6379, "kafka": 9092}
APP_COMPONENTS = {"somastack:auth:Keycloak", "somastack:auth:SpiceDB", "somastack:policy:OPA",
                  "somastack:app:AppServices"}


def _mode(stack):
    return stack_config(stack)["somastack:SOMASTACK_SOFTWARE_MODE"]


def _ecs_containers(plan):
    out = {}
    for td in plan.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        for c in json.loads(td.props["containerDefinitions"]):
            out[c["name"]] = c
    return out


def _k8s_containers(plan):
    out = {}
    for token in ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:batch/v1:Job"):
        for r in plan.of_type(token):
            for c in r.props["spec"]["template"]["spec"]["containers"]:
                out[f"{r.props['metadata']['name']}/{c['name']}"] = c
    return out


@pytest.mark.parametrize("stack", STACKS)
def test_every_service_of_the_software_mode(plans, stack):
    plan = plans[stack]
    topo = Topology.model_validate(plan.stack_outputs["topology"])
    assert set(topo.services) == set(required_services(_mode(stack)))
    assert APP_COMPONENTS <= plan.types()
    tree = topo.tree["SomaStack"]
    assert tree["control plane"] == ["agent"]
    if _mode(stack) == "SomaStackClusterMode":
        assert tree["cognitive plane"] == ["brain"] and tree["memory plane"] == ["memory"]
        assert "somastack:vector:Milvus" in plan.types()
    else:
        assert "cognitive plane" not in tree and "somastack:vector:Milvus" not in plan.types()
    # every endpoint output is host+port+protocol (or a URL) and credentials are references
    for key, svc in topo.services.items():
        for i, ep in enumerate(svc.endpoints):
            assert ep.url or (ep.host and ep.port), key
            assert "localhost" not in (ep.host or "")
            # only the local stack publishes on the host's loopback, as its first endpoint
            assert (ep.host == "127.0.0.1") == (stack == "local-dev" and i == 0), (key, ep)
        for name, ref in svc.credentials.items():
            assert name in {"username", "realm"} or is_reference(ref), (key, name)


@pytest.mark.parametrize("stack", ["fargate-prod", "fargate-dev"])
def test_fargate_runs_each_service_as_a_fargate_service(plans, stack):
    plan = plans[stack]
    keys = set(required_services(_mode(stack))) - {"postgres", "redis", "kafka"}
    services = plan.of_type("aws:ecs/service:Service")
    assert len(services) == len(keys)
    assert all(s.props["launchType"] == "FARGATE" and s.props["waitForSteadyState"] for s in services)
    assert all(s.props["networkConfiguration"]["assignPublicIp"] is False for s in services)
    discovered = {r.props["name"] for r in plan.of_type("aws:servicediscovery/service:Service")}
    assert discovered == keys
    groups = plan.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert groups and all(g.props.get("retentionInDays") for g in groups)
    # only the gateway is behind the ALB
    public = [s for s in services if s.props.get("loadBalancers")]
    assert len(public) == 1 and public[0].props["loadBalancers"][0]["containerPort"] == 20020


def test_prod_and_dev_differ_where_the_seeds_say(plans):
    prod, dev = plans["fargate-prod"], plans["fargate-dev"]
    (db_p,), (db_d,) = prod.of_type("aws:rds/instance:Instance"), dev.of_type("aws:rds/instance:Instance")
    assert (db_p.props["multiAz"], db_p.props["deletionProtection"]) == (True, True)
    assert (db_d.props["multiAz"], db_d.props["deletionProtection"]) == (False, False)
    assert db_p.props["backupRetentionPeriod"] > db_d.props["backupRetentionPeriod"]
    assert len(prod.of_type("aws:ec2/natGateway:NatGateway")) == 3
    assert len(dev.of_type("aws:ec2/natGateway:NatGateway")) == 1
    (rg_p,), (rg_d,) = (p.of_type("aws:elasticache/replicationGroup:ReplicationGroup") for p in (prod, dev))
    # ElastiCache cluster mode on both (issue 12); PROD: 3 shards x 2 replicas, Multi-AZ; DEV: 1 x 1
    assert rg_p.props["automaticFailoverEnabled"] is True and rg_d.props["automaticFailoverEnabled"] is True
    assert (rg_p.props["numNodeGroups"], rg_p.props["replicasPerNodeGroup"]) == (3, 2)
    assert (rg_d.props["numNodeGroups"], rg_d.props["replicasPerNodeGroup"]) == (1, 1)
    # seed 001 §3.2: 4 vCPU, 16 GB, 30 GB per service in PROD
    for td in prod.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        assert (td.props["cpu"], td.props["memory"]) == ("4096", "16384")
        assert td.props["ephemeralStorage"]["sizeInGib"] == 30
    for td in dev.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        assert int(td.props["cpu"]) < 4096 and "ephemeralStorage" not in td.props
    (lb_p,), (lb_d,) = (p.of_type("aws:lb/loadBalancer:LoadBalancer") for p in (prod, dev))
    assert lb_p.props["enableDeletionProtection"] is True and lb_d.props["enableDeletionProtection"] is False


def test_ports_match_seed_001(plans):
    ecs = _ecs_containers(plans["fargate-prod"])
    for key in ("agent", "brain", "memory", "keycloak", "spicedb", "opa", "milvus"):
        assert ecs[key]["portMappings"][0]["containerPort"] == SEED_PORTS[key]
    k8s = _k8s_containers(plans["eks-prod"])
    for key in ("agent", "brain", "memory", "keycloak", "spicedb", "opa", "milvus"):
        assert k8s[f"{key}/{key}"]["ports"][0]["containerPort"] == SEED_PORTS[key]
    gateway = [s for s in plans["eks-prod"].of_type("kubernetes:core/v1:Service")
               if s.props["metadata"]["name"] == "agent"][0]
    assert gateway.props["spec"]["type"] == "ClusterIP" and gateway.props["spec"]["ports"][0]["port"] == 20020
    (ingress,) = plans["eks-prod"].of_type("kubernetes:networking.k8s.io/v1:Ingress")
    assert ingress.props["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"] == {
        "name": "agent", "port": {"number": 20020}}
    docker = {c.props["name"]: c for c in plans["local-dev"].of_type("docker:index/container:Container")}
    for key, port in SEED_PORTS.items():
        ports = docker[f"somastack-{key}"].props["ports"]
        assert ports[0]["internal"] == port and ports[0]["external"] == port and ports[0]["ip"] == "127.0.0.1"
    topo = plans["local-dev"].stack_outputs["topology"]["services"]
    assert {k: v["endpoints"][0]["port"] for k, v in topo.items()} == SEED_PORTS
    assert {k: v["endpoints"][1]["host"] for k, v in topo.items()} == {k: k for k in SEED_PORTS}


def _assert_no_secret(name: str, value: str, planted: list[str]):
    from urllib.parse import urlsplit

    from somastack_deploy.config_contract.catalog import lookup

    var = lookup(name)
    if var is not None and var.type == "dsn":  # a connection URL is a secret only with a password
        assert urlsplit(value).password is None, f"{name} carries a password"
    else:
        assert not (is_secret_name(name) and not name.endswith("_FILE")), f"secret variable {name} in environment"
    assert not is_reference(value), f"{name} carries a reference in plain environment"
    for p in planted:
        assert p not in value, f"{name} carries a secret value"


PLANTED = "planted-S3cr3t-value-7f9a"


def _planted_mocks():
    from somastack_deploy.plan.mocks import DEFAULT_SECRET_KEYS, SomaStackMocks

    class Planted(SomaStackMocks):
        def call(self, args):
            out = super().call(args)
            if args.token == "aws:secretsmanager/getSecretVersion:getSecretVersion":
                out = {**out, "secretString": json.dumps({k: f"{PLANTED}-{k}" for k in DEFAULT_SECRET_KEYS})}
            return out

    return Planted()


@pytest.mark.parametrize("stack", ["fargate-prod", "eks-prod", "local-dev"])
def test_no_secret_in_any_container_environment(stack):
    plan = run(stack, mocks=_planted_mocks())
    planted = [PLANTED]
    if stack == "fargate-prod":
        containers = _ecs_containers(plan)
        assert containers
        for c in containers.values():
            for e in c["environment"]:
                _assert_no_secret(e["name"], e["value"], planted)
            for s in c.get("secrets", []):
                assert s["valueFrom"].startswith("arn:aws:secretsmanager:")
        assert {s["name"] for s in containers["agent"]["secrets"]} >= {"SA01_DB_PASSWORD", "SECRET_KEY", "SPICEDB_API_KEY"}
    elif stack == "eks-prod":
        containers = _k8s_containers(plan)
        assert containers
        for c in containers.values():
            for e in c["env"]:
                if "value" in e:
                    _assert_no_secret(e["name"], e["value"], planted)
                else:
                    assert set(e["valueFrom"]) == {"secretKeyRef"}
        # the values sit in Kubernetes Secrets, which the runner masks
        secrets = plan.of_type("kubernetes:core/v1:Secret")
        assert secrets and all("stringData" in s.secret_inputs for s in secrets)
        assert any(PLANTED in json.dumps(s.props["stringData"]) for s in secrets)
    else:
        containers = plan.of_type("docker:index/container:Container")
        assert containers
        for c in containers:
            for entry in c.props.get("envs") or []:
                name, _, value = entry.partition("=")
                _assert_no_secret(name, value, planted)
        agent = [c for c in containers if c.props["name"] == "somastack-agent"][0]
        assert "SA01_DB_PASSWORD_FILE=/run/secrets/SOMA_DB_PASSWORD" in agent.props["envs"]
    dumped = json.dumps(plan.stack_outputs) + json.dumps([r.inputs for r in plan.resources])
    assert PLANTED not in dumped


def test_topology_output_identical_across_two_runs(plans):
    first = plans["fargate-prod"].stack_outputs["topology"]
    second = run("fargate-prod").stack_outputs["topology"]
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    assert Topology.model_validate(first).to_json() == Topology.model_validate(second).to_json()


def _counting_mocks():
    from somastack_deploy.plan.mocks import SomaStackMocks

    class Counting(SomaStackMocks):
        registered: list = []

        def new_resource(self, args):
            self.registered.append(args.typ)
            return super().new_resource(args)

    Counting.registered = []
    return Counting()


@pytest.mark.parametrize("variable,value", [
    ("SOMABRAIN_API_URL", "http://localhost:9696"),       # seed 001 chat plan §3.2 default
    ("KEYCLOAK_URL", "http://127.0.0.1:20880"),
])
def test_vibe_91_config_aborts_before_any_resource(variable, value):
    from somastack_deploy.components.contract_gate import ContractAbort

    config = {**stack_config("fargate-prod"), f"somastack:{variable}": value}
    mocks = _counting_mocks()
    err = run_expecting(ContractAbort, "fargate-prod", config, mocks=mocks)
    assert "VIBE-91" in str(err.value) and variable in str(err.value)
    assert mocks.registered == []


def test_literal_secret_in_prod_config_aborts_before_any_resource():
    from somastack_deploy.components.contract_gate import ContractAbort

    config = {**stack_config("fargate-prod"), "somastack:SECRET_KEY": "a-literal-django-secret-1234"}
    mocks = _counting_mocks()
    err = run_expecting(ContractAbort, "fargate-prod", config, mocks=mocks)
    assert "VIBE-164" in str(err.value) and "a-literal-django-secret-1234" not in str(err.value)
    assert mocks.registered == []


def test_unsupported_target_and_bad_settings_are_one_line_errors():
    from somastack_deploy.stacks.settings import StackConfigError

    config = {**stack_config("fargate-dev"), "somastack:SA01_DEPLOYMENT_TARGET": "APP_RUNNER"}
    err = run_expecting(StackConfigError, "fargate-dev", config)
    assert "SA01_DEPLOYMENT_TARGET" in str(err.value) and "\n" not in str(err.value)
    config = {**stack_config("fargate-prod"), "somastack:sizing": {"cpu": 1024}}
    err = run_expecting(StackConfigError, "fargate-prod", config)
    assert str(err.value).startswith("Pulumi.fargate-prod.yaml: somastack:sizing: below the PROD minimum")
    config = dict(stack_config("fargate-dev"))
    del config["somastack:certificateArn"]
    err = run_expecting(StackConfigError, "fargate-dev", config)
    assert "somastack:certificateArn: required" in str(err.value)


def test_migrations_run_memory_brain_agent_before_the_app_services(plans):
    plan = plans["eks-prod"]
    jobs = {r.props["metadata"]["name"]: r for r in plan.of_type("kubernetes:batch/v1:Job")}
    deployments = {r.props["metadata"]["name"]: r for r in plan.of_type("kubernetes:apps/v1:Deployment")}
    order = ["memory-createdb", "memory-migrate", "memory", "brain-createdb", "brain-migrate", "brain",
             "agent-createdb", "agent-migrate", "agent"]
    nodes = [jobs.get(n) or deployments[n] for n in order]
    for before, after in zip(nodes, nodes[1:]):
        assert before.urn in after.dependencies, (before.name, after.name)
    assert jobs["agent-migrate"].props["spec"]["template"]["spec"]["containers"][0]["args"] == [
        "python", "manage.py", "migrate", "--noinput"]
    # fargate: init containers with condition SUCCESS, services chained memory -> brain -> agent
    ecs = _ecs_containers(plans["fargate-prod"])
    assert ecs["agent"]["dependsOn"] == [{"containerName": "agent-migrate", "condition": "SUCCESS"}]
    assert ecs["agent-migrate"]["dependsOn"] == [{"containerName": "agent-createdb", "condition": "SUCCESS"}]
    svc = {r.name: r for r in plans["fargate-prod"].of_type("aws:ecs/service:Service")}
    assert svc["apps-memory-service"].urn in svc["apps-brain-service"].dependencies
    assert svc["apps-brain-service"].urn in svc["apps-agent-service"].dependencies


def test_eks_cluster_is_built_from_aws_eks_resources(plans):
    plan = plans["eks-prod"]
    assert len(plan.of_type("aws:eks/cluster:Cluster")) == 1
    (ng,) = plan.of_type("aws:eks/nodeGroup:NodeGroup")
    assert ng.props["scalingConfig"]["minSize"] == 3
    (provider,) = [r for r in plan.resources if r.type == "pulumi:providers:kubernetes"]
    assert "kubeconfig" in provider.secret_inputs
    # the ALB belongs to the AWS Load Balancer Controller (Ingress class alb), not to the program
    assert plan.of_type("aws:autoscaling/attachment:Attachment") == [] and plan.of_type("aws:lb/targetGroup:TargetGroup") == []
    for dep in plan.of_type("kubernetes:apps/v1:Deployment") + plan.of_type("kubernetes:apps/v1:StatefulSet"):
        c = dep.props["spec"]["template"]["spec"]["containers"][0]
        assert c["resources"]["requests"] == {"cpu": "4000m", "memory": "16384Mi", "ephemeral-storage": "30Gi"}
        assert {"readinessProbe", "livenessProbe", "startupProbe"} <= set(c)


def test_stack_outputs_carry_endpoints_and_references_only(plans):
    out = plans["fargate-prod"].stack_outputs
    assert set(out) >= {"stack", "dimensions", "endpoints", "secretReferences", "topology"}
    assert out["endpoints"]["keycloak"] == [{"health_path": "/health/ready", "host": "keycloak.somastack.internal",
                                             "port": 20880, "protocol": "http", "tls": False}]
    refs = out["secretReferences"]
    assert refs["postgres"]["password"].startswith("ref+awssecrets://arn:aws:secretsmanager:")
    assert refs["spicedb"]["preshared_key"] == "ref+awssecrets://somastack/prod/spicedb#/preshared_key"
    assert out["topology"]["dimensions"] == {"software_mode": "SomaStackClusterMode", "environment": "PROD",
                                             "saas_bridge": False, "target": "FARGATE"}


def test_local_containers_fit_the_seed_001_memory_budget(plans):
    from somastack_deploy.stacks.local import LOCAL_BUDGET_MIB

    services = [c for c in plans["local-dev"].of_type("docker:index/container:Container")
                if c.props.get("mustRun") is not False]
    assert len(services) == 10
    total = sum(c.props["memory"] for c in services)
    assert 0 < total <= LOCAL_BUDGET_MIB
    for c in services:
        hc = c.props["healthcheck"]
        assert hc["tests"][0] in ("CMD", "CMD-SHELL") and c.props["wait"] is True
    images = {i.props["name"] for i in plans["local-dev"].of_type("docker:index/remoteImage:RemoteImage")}
    assert images and all(":" in i.rsplit("/", 1)[-1] and not i.endswith(":latest") for i in images)
    kafka = [c for c in services if c.props["name"] == "somastack-kafka"][0]
    assert "KAFKA_PROCESS_ROLES=broker,controller" in kafka.props["envs"]  # KRaft, no ZooKeeper


def test_pulumi_entry_point_runs_the_program():
    """``Pulumi.yaml`` says ``main: stacks/``: Pulumi runs ``stacks/__main__.py`` with
    ``stacks/`` as sys.path[0]; the entry point must still find the packages."""
    import runpy
    import sys

    import yaml

    project = yaml.safe_load(open(f"{ROOT}/Pulumi.yaml", encoding="utf-8"))
    assert project["runtime"] == {"name": "python", "options": {"virtualenv": ".venv"}}
    assert project["main"] == "stacks/"
    saved = list(sys.path)
    try:
        from somastack_deploy.plan.runner import run_stack

        plan = run_stack("fargate-dev", stack_config("fargate-dev"),
                         lambda: runpy.run_path(f"{ROOT}/{project['main']}", run_name="__main__"))
    finally:
        sys.path[:] = saved
    assert plan.stack_outputs["topology"]["stack"] == "fargate-dev"


def test_msk_iam_clients_get_a_kafka_policy_and_security_settings(plans):
    plan = plans["fargate-prod"]
    policies = {r.name: json.loads(r.props["policy"]) for r in plan.of_type("aws:iam/rolePolicy:RolePolicy")}
    for app in ("agent", "brain"):
        statements = policies[f"apps-{app}-task-policy"]["Statement"]
        assert any("kafka-cluster:Connect" in st["Action"] and st["Resource"][0].startswith("arn:aws:kafka:")
                   for st in statements)
    assert "apps-memory-task-policy" not in policies
    env = {e["name"]: e["value"] for e in _ecs_containers(plan)["agent"]["environment"]}
    assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL" and env["KAFKA_SASL_MECHANISM"] == "OAUTHBEARER"
    assert all(b.endswith(":9098") for b in env["SOMA_KAFKA_BROKERS"].split(","))
    # execution roles may read exactly the referenced secrets
    exec_policy = policies["apps-agent-exec-secrets"]["Statement"][0]
    assert exec_policy["Action"] == ["secretsmanager:GetSecretValue"]
    assert "arn:aws:secretsmanager:us-east-1:123456789012:secret:somastack/prod/django-??????" in exec_policy["Resource"]


@pytest.mark.parametrize("key,value,message", [
    ("somastack:availabilityZones", ["us-east-1a", "us-east-1b"], "exactly 3 availability zones"),
    ("somastack:certificateArn", "not-an-arn", "ACM certificate ARN"),
    ("somastack:images", {"agent": "reg/agent:latest"}, "pin the image by tag"),
    ("somastack:redisAuthToken", "hunter2-literal-token", "must be a secret reference"),
    ("somastack:logRetentionDays", "10", "CloudWatch retention"),
])
def test_bad_stack_settings_are_one_line_errors_naming_the_key(key, value, message):
    from somastack_deploy.stacks.settings import StackConfigError

    config = {**stack_config("fargate-dev"), key: value}
    err = run_expecting(StackConfigError, "fargate-dev", config)
    text = str(err.value)
    assert text.startswith(f"Pulumi.fargate-dev.yaml: {key}: ") and message in text and "\n" not in text
    assert "hunter2" not in text


def test_pulumi_encrypted_contract_variable_is_rejected():
    from somastack_deploy.plan.runner import SecretValue
    from somastack_deploy.stacks.settings import StackConfigError

    config = {**stack_config("fargate-dev"), "somastack:SECRET_KEY": SecretValue("planted-django-key-0123456789")}
    err = run_expecting(StackConfigError, "fargate-dev", config)
    assert "somastack:SECRET_KEY" in str(err.value) and "planted-django-key" not in str(err.value)


def test_component_outputs_equal_their_typed_attributes(plans):
    """Every component registers exactly its annotated output attributes, with type tokens
    ``somastack:<area>:<Name>`` and children named after it."""
    from somastack_deploy.components import (app_services, bucket, cache, database, file_system, k8s_workloads, kafka,
                                             keycloak, load_balancer, milvus, network, opa, oss_data, spicedb)

    classes = {m.TYPE: getattr(m, m.TYPE.rsplit(":", 1)[1]) for m in (
        app_services, bucket, cache, database, file_system, kafka, keycloak, load_balancer, milvus, network, opa, spicedb)}
    classes[k8s_workloads.TYPE] = k8s_workloads.KubernetesWorkloads
    classes[oss_data.TYPE] = oss_data.OSSDataServices
    seen = set()
    for stack in ("fargate-prod", "eks-prod", "local-dev"):
        plan = plans[stack]
        for comp in plan.resources:
            if comp.type not in classes or (stack == "local-dev" and comp.type != oss_data.TYPE):
                continue
            seen.add(comp.type)
            cls = classes[comp.type]
            # an optional output that is None (e.g. the blue/green ARNs of the EKS load balancer) is not registered
            optional = getattr(cls, "OPTIONAL_OUTPUTS", frozenset())
            assert set(comp.outputs) <= set(cls.__annotations__), comp.type
            assert set(cls.__annotations__) - set(comp.outputs) <= optional, comp.type
            assert all(child.name.startswith(comp.name + "-") for child in plan.children(comp)), comp.name
    assert seen == set(classes)


@pytest.mark.parametrize("stack", ["fargate-prod"])
def test_agent_exports_its_alb_target_group_for_the_target_health_probe(plans, stack):
    plan = plans[stack]
    groups = plan.of_type("aws:lb/targetGroup:TargetGroup")
    # fargate: the blue/green pair (blue = the gateway group, then green); eks: one group
    groups = sorted(groups, key=lambda g: g.name != "lb-gateway-tg")  # blue (the gateway group) first
    assert [g.name for g in groups] == (["lb-gateway-tg", "lb-gateway-green-tg"] if stack == "fargate-prod"
                                        else ["lb-gateway-tg"])
    endpoints = plan.stack_outputs["topology"]["services"]["agent"]["endpoints"]
    tg = [e for e in endpoints if e["protocol"] == "aws-elbv2-target-group"]
    assert tg == [{"protocol": "aws-elbv2-target-group", "url": g.outputs["arn"], "tls": False} for g in groups]
    assert "aws-elbv2-target-group" not in {e["protocol"] for e in plans["local-dev"].stack_outputs["topology"]["services"]["agent"]["endpoints"]}
