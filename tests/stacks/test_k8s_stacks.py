"""The Kubernetes layer (``somastack:k8s:Workloads``) in the eks-prod and k8s-dev stacks, under the
mock runtime (the fast path; tests/k8s applies the same program to a real API server)."""

from __future__ import annotations

import json
import os

import pytest
from stack_helpers import run, run_expecting, stack_config

from somastack_deploy.components.oss_data import DATA_DIRS

PLANTED = "planted-K8s-S3cret-5d21"
SECRET_VARS = ("SOMA_SECRET_KEY", "OPENROUTER_API_KEY", "SPICEDB_API_KEY", "SOMA_MEMORY_API_TOKEN",
               "SOMA_DB_PASSWORD", "KEYCLOAK_ADMIN_PASSWORD")


def dev_config(secrets_dir, **extra) -> dict:
    """k8s-dev's stack file with ``secretsDir`` → ``secrets_dir`` holding a planted value per variable."""
    os.makedirs(secrets_dir, exist_ok=True)
    for var in SECRET_VARS:
        with open(os.path.join(secrets_dir, var), "w", encoding="utf-8") as fh:
            fh.write(f"{PLANTED}-{var}\n")
    return {**stack_config("k8s-dev"), "somastack:secretsDir": str(secrets_dir), **extra}


@pytest.fixture(scope="module")
def dev_plan(tmp_path_factory):
    return run("k8s-dev", dev_config(tmp_path_factory.mktemp("secrets")))


@pytest.fixture(scope="module")
def eks_plan():
    return run("eks-prod")


def _by_name(plan, token):
    return {r.props["metadata"]["name"]: r for r in plan.of_type(token)}


def _ancestors(plan, res) -> set[str]:
    """URNs ``res`` depends on, directly or transitively."""
    seen, todo = set(), list(res.dependencies)
    while todo:
        urn = todo.pop()
        if urn not in seen:
            seen.add(urn)
            todo += list(plan.by_urn(urn).dependencies)
    return seen


def _containers(plan):
    out = {}
    for token in ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:batch/v1:Job"):
        for r in plan.of_type(token):
            for c in r.props["spec"]["template"]["spec"]["containers"]:
                out[f"{r.props['metadata']['name']}/{c['name']}"] = c
    return out


def test_dev_stack_runs_the_full_oss_stack_in_one_namespace(dev_plan):
    deployments = _by_name(dev_plan, "kubernetes:apps/v1:Deployment")
    statefulsets = _by_name(dev_plan, "kubernetes:apps/v1:StatefulSet")
    assert set(statefulsets) == {"postgres", "redis", "kafka", "milvus", "opa"}
    assert set(deployments) == {"keycloak", "spicedb", "agent", "brain", "memory"}
    (ns,) = dev_plan.of_type("kubernetes:core/v1:Namespace")
    assert ns.props["metadata"]["name"] == "somastack-dev"
    for r in dev_plan.resources:
        if r.type.startswith("kubernetes:") and r.type not in ("kubernetes:core/v1:Namespace",):
            assert r.props["metadata"]["namespace"] == "somastack-dev", r.name
    (provider,) = [r for r in dev_plan.resources if r.type == "pulumi:providers:kubernetes"]
    assert provider.props["enableServerSideApply"] in (True, "true")
    assert provider.props["kubeconfig"] == os.path.expanduser("~/.kube/config")
    topo = dev_plan.stack_outputs["topology"]
    assert topo["dimensions"]["target"] == "EKS"
    assert set(topo["services"]) == {"postgres", "redis", "kafka", "milvus", "keycloak", "spicedb", "opa", "agent",
                                     "brain", "memory"}
    assert topo["services"]["kafka"]["endpoints"][0]["host"] == "kafka.somastack-dev.svc.cluster.local"
    assert dev_plan.stack_outputs["workloads"]["postgres"] == "StatefulSet"


def test_stateful_engines_keep_their_data_dir_on_a_claim(dev_plan, eks_plan):
    mounts = {"postgres": DATA_DIRS["postgres"], "redis": DATA_DIRS["redis"], "kafka": DATA_DIRS["kafka"],
              "milvus": "/var/lib/milvus"}
    for key, path in mounts.items():
        sts = _by_name(dev_plan, "kubernetes:apps/v1:StatefulSet")[key]
        spec = sts.props["spec"]
        claims = {c["metadata"]["name"]: c for c in spec["volumeClaimTemplates"]}
        (mount,) = spec["template"]["spec"]["containers"][0]["volumeMounts"]
        assert mount["mountPath"] == path and mount["name"] in claims
        assert claims[mount["name"]]["spec"]["resources"]["requests"]["storage"] == "10Gi"
        assert "volumes" not in spec["template"]["spec"]  # no emptyDir anywhere
        assert spec["replicas"] == 1 and spec["serviceName"] == f"{key}-headless"
    milvus = _by_name(dev_plan, "kubernetes:apps/v1:StatefulSet")["milvus"]
    env = {e["name"]: e.get("value") for e in milvus.props["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["ETCD_DATA_DIR"].startswith("/var/lib/milvus/")
    # EKS: Milvus's embedded etcd on a gp3 claim; the StorageClass is EBS gp3, encrypted
    (milvus,) = eks_plan.of_type("kubernetes:apps/v1:StatefulSet")
    (claim,) = milvus.props["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["storageClassName"] == "gp3" and claim["spec"]["resources"]["requests"]["storage"] == "50Gi"
    (sc,) = eks_plan.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    assert sc.props["provisioner"] == "ebs.csi.aws.com" and sc.props["parameters"]["type"] == "gp3"
    assert sc.props["parameters"]["encrypted"] == "true" and sc.props["reclaimPolicy"] == "Retain"
    assert sc.props["volumeBindingMode"] == "WaitForFirstConsumer"


def test_migration_jobs_chain_memory_brain_agent_in_the_dev_stack(dev_plan):
    jobs = _by_name(dev_plan, "kubernetes:batch/v1:Job")
    deployments = _by_name(dev_plan, "kubernetes:apps/v1:Deployment")
    order = ["memory-createdb", "memory-migrate", "memory", "brain-createdb", "brain-migrate", "brain",
             "agent-createdb", "agent-migrate", "agent"]
    nodes = [jobs.get(n) or deployments[n] for n in order]
    for before, after in zip(nodes, nodes[1:]):
        assert before.urn in after.dependencies, (before.name, after.name)
    # the first createdb Job waits for PostgreSQL's StatefulSet
    postgres = _by_name(dev_plan, "kubernetes:apps/v1:StatefulSet")["postgres"]
    for name in ("keycloak-createdb", "spicedb-createdb", "memory-createdb"):
        assert postgres.urn in jobs[name].dependencies, name


def test_hpa_pdb_and_no_vpa_by_default(dev_plan, eks_plan):
    for plan in (dev_plan, eks_plan):
        hpas = _by_name(plan, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
        assert set(hpas) == {"agent", "brain", "memory"}
        deployments = _by_name(plan, "kubernetes:apps/v1:Deployment")
        for key, hpa in hpas.items():
            assert hpa.props["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": key}
            assert hpa.props["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 70
            assert "replicas" not in deployments[key].props["spec"]  # owned by the HPA
        workloads = set(deployments) | set(_by_name(plan, "kubernetes:apps/v1:StatefulSet"))
        pdbs = _by_name(plan, "kubernetes:policy/v1:PodDisruptionBudget")
        assert set(pdbs) == workloads and all(p.props["spec"]["maxUnavailable"] == 1 for p in pdbs.values())
        assert plan.of_type("kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler") == []
    hpa = _by_name(eks_plan, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")["agent"]
    assert (hpa.props["spec"]["minReplicas"], hpa.props["spec"]["maxReplicas"]) == (2, 10)
    assert _by_name(eks_plan, "kubernetes:apps/v1:Deployment")["keycloak"].props["spec"]["replicas"] == 2


def test_vpa_objects_only_when_the_stack_enables_them(tmp_path):
    config = stack_config("eks-prod")
    config["somastack:eks"] = {**config["somastack:eks"], "vpa": True, "vpaUpdateMode": "Auto", "hpaMaxReplicas": 6}
    plan = run("eks-prod", config)
    vpas = _by_name(plan, "kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler")
    workloads = set(_by_name(plan, "kubernetes:apps/v1:Deployment")) | set(_by_name(plan, "kubernetes:apps/v1:StatefulSet"))
    assert set(vpas) == workloads
    agent, milvus = vpas["agent"].props["spec"], vpas["milvus"].props["spec"]
    assert agent["resourcePolicy"]["containerPolicies"][0]["controlledResources"] == ["memory"]  # HPA scales on CPU
    assert milvus["updatePolicy"] == {"updateMode": "Auto"}
    assert milvus["targetRef"] == {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "milvus"}
    releases = {r.props["chart"]: r for r in plan.of_type("kubernetes:helm.sh/v3:Release")}
    assert "vpa" in releases and all(r.urn in _ancestors(plan, vpas["agent"]) for r in releases.values())
    assert _by_name(plan, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")["agent"].props["spec"]["maxReplicas"] == 6


def test_eks_gateway_ingress_for_the_load_balancer_controller(eks_plan):
    config = stack_config("eks-prod")
    (ing,) = eks_plan.of_type("kubernetes:networking.k8s.io/v1:Ingress")
    ann = ing.props["metadata"]["annotations"]
    assert ing.props["spec"]["ingressClassName"] == "alb"
    assert ann["alb.ingress.kubernetes.io/certificate-arn"] == config["somastack:certificateArn"]
    assert ann["external-dns.alpha.kubernetes.io/hostname"] == config["somastack:publicHostname"]
    assert ing.props["spec"]["rules"][0]["host"] == config["somastack:publicHostname"]
    assert ann["alb.ingress.kubernetes.io/target-type"] == "ip"
    assert "deletion_protection.enabled=true" in ann["alb.ingress.kubernetes.io/load-balancer-attributes"]
    public = {r.id for r in eks_plan.of_type("aws:ec2/subnet:Subnet") if "-public-" in r.name}
    assert set(ann["alb.ingress.kubernetes.io/subnets"].split(",")) == public and len(public) == 3
    assert eks_plan.stack_outputs["topology"]["services"]["agent"]["endpoints"][0]["url"] == \
        f"https://{config['somastack:publicHostname']}"


def test_eks_add_ons_pinned_with_irsa(eks_plan):
    releases = {r.props["chart"]: r.props for r in eks_plan.of_type("kubernetes:helm.sh/v3:Release")}
    assert set(releases) == {"cert-manager", "aws-load-balancer-controller", "external-dns"}
    assert all(p["version"][0].isdigit() or p["version"].startswith("v") for p in releases.values())
    (addon,) = eks_plan.of_type("aws:eks/addon:Addon")
    assert addon.props["addonName"] == "aws-ebs-csi-driver" and addon.props["addonVersion"]
    roles = {r.name: r for r in eks_plan.of_type("aws:iam/role:Role")}
    lbc = json.loads(roles["eks-lbc-role"].props["assumeRolePolicy"])["Statement"][0]
    assert lbc["Action"] == "sts:AssumeRoleWithWebIdentity"
    (sub,) = [v for k, v in lbc["Condition"]["StringEquals"].items() if k.endswith(":sub")]
    assert sub == "system:serviceaccount:kube-system:aws-load-balancer-controller"
    sa = releases["aws-load-balancer-controller"]["values"]["serviceAccount"]
    assert sa["annotations"]["eks.amazonaws.com/role-arn"] == roles["eks-lbc-role"].outputs["arn"]
    ebs_role = roles["eks-ebs-csi-role"]
    assert addon.props["serviceAccountRoleArn"] == ebs_role.outputs["arn"]


@pytest.mark.parametrize("which", ["dev", "eks"])
def test_no_secret_value_in_a_configmap_or_env_literal(tmp_path, which):
    from test_stacks import PLANTED as EKS_PLANTED, _assert_no_secret, _planted_mocks

    if which == "dev":
        plan, planted = run("k8s-dev", dev_config(tmp_path / "s")), PLANTED
    else:
        plan, planted = run("eks-prod", mocks=_planted_mocks()), EKS_PLANTED
    for cm in plan.of_type("kubernetes:core/v1:ConfigMap"):
        for name, value in cm.props["data"].items():
            _assert_no_secret(name, value, [planted])
    for c in _containers(plan).values():
        for e in c.get("env", []):
            if "value" in e:
                _assert_no_secret(e["name"], e["value"], [planted])
            else:
                assert set(e["valueFrom"]) == {"secretKeyRef"}
    secrets = plan.of_type("kubernetes:core/v1:Secret")
    assert secrets and all("stringData" in s.secret_inputs for s in secrets)
    if which == "dev":  # the file's value, without its trailing newline
        agent = [s for s in secrets if s.props["metadata"]["name"] == "agent-secrets"][0]
        assert agent.props["stringData"]["SECRET_KEY"] == f"{PLANTED}-SOMA_SECRET_KEY"
    assert any(planted in json.dumps(s.props["stringData"]) for s in secrets)
    dumped = json.dumps(plan.stack_outputs) + json.dumps([r.inputs for r in plan.resources])
    assert planted not in dumped


def test_dev_stack_config_errors_are_one_line(tmp_path):
    from somastack_deploy.stacks.settings import StackConfigError

    base = dev_config(tmp_path / "s")
    err = run_expecting(StackConfigError, "k8s-dev", {**base, "somastack:kubernetes": {"kubeconfig": "kube.yaml"}})
    assert str(err.value) == "Pulumi.k8s-dev.yaml: somastack:kubernetes: kubeconfig: must be an absolute path"
    err = run_expecting(StackConfigError, "k8s-dev", {**base, "somastack:kubernetes": {"kubeconfig": "/k", "nodes": 3}})
    assert "unknown keys nodes" in str(err.value)
    err = run_expecting(StackConfigError, "k8s-dev", {**base, "somastack:kubernetes": {"kubeconfig": "/k",
                                                                                      "namespace": "Soma_Dev"}})
    assert "namespace: a DNS label" in str(err.value)
    os.remove(tmp_path / "s" / "SPICEDB_API_KEY")
    with pytest.raises(Exception) as info:
        run("k8s-dev", base)
    msg = str(info.value)
    assert "SPICEDB_API_KEY" in msg and "secret file" in msg and PLANTED not in msg and "\n" not in msg.strip()


@pytest.mark.parametrize("key,value,message", [
    ("hpaCpuUtilization", 0, "hpaCpuUtilization: an integer 1..100"),
    ("hpaCpuUtilization", 101, "hpaCpuUtilization: an integer 1..100"),
    ("hpaMaxReplicas", "many", "hpaMaxReplicas: an integer 1..1000"),
    ("volumeSizeGiB", True, "volumeSizeGiB: an integer 1..16384"),
    ("vpa", "maybe", "vpa: true or false"),
    ("vpaUpdateMode", "Sometimes", "vpaUpdateMode: one of Off, Initial, Recreate, Auto"),
])
def test_kubernetes_settings_are_checked(tmp_path, key, value, message):
    from somastack_deploy.stacks.settings import StackConfigError

    config = dev_config(tmp_path / "s")
    config["somastack:kubernetes"] = {**config["somastack:kubernetes"], key: value}
    err = run_expecting(StackConfigError, "k8s-dev", config)
    assert str(err.value) == f"Pulumi.k8s-dev.yaml: somastack:kubernetes: {message}"


def test_kubernetes_settings_in_range_are_used(tmp_path):
    config = dev_config(tmp_path / "s")
    config["somastack:kubernetes"] = {**config["somastack:kubernetes"], "hpaCpuUtilization": 100,
                                      "hpaMaxReplicas": "1000", "volumeSizeGiB": 1, "vpa": "true"}
    plan = run("k8s-dev", config)
    hpa = _by_name(plan, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")["agent"].props["spec"]
    assert hpa["maxReplicas"] == 1000 and hpa["metrics"][0]["resource"]["target"]["averageUtilization"] == 100
    assert plan.of_type("kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler")


def test_contract_gates_the_dev_stack_before_any_resource(tmp_path):
    from test_stacks import _counting_mocks

    from somastack_deploy.components.contract_gate import ContractAbort

    config = {**dev_config(tmp_path / "s"), "somastack:SOMASTACK_SOFTWARE_MODE": "ClusterModeX"}
    mocks = _counting_mocks()
    err = run_expecting(ContractAbort, "k8s-dev", config, mocks=mocks)
    assert "SOMASTACK_SOFTWARE_MODE" in str(err.value) and mocks.registered == []


def test_dispatch_selects_the_kubeconfig_program():
    from types import SimpleNamespace

    from somastack_deploy.stacks.program import program_for

    assert program_for("EKS", SimpleNamespace(kubernetes={})) == "somastack_deploy.stacks.eks"
    assert program_for("EKS", SimpleNamespace(kubernetes={"kubeconfig": "/k"})) == "somastack_deploy.stacks.kubernetes"
    assert program_for("FARGATE", SimpleNamespace(kubernetes={"kubeconfig": "/k"})) == "somastack_deploy.stacks.fargate"


def test_every_workload_object_carries_patch_force(dev_plan, eks_plan):
    """The stack owns the fields it declares: every object of the Workloads component is
    annotated so that ``up`` forces its server-side apply over fields changed out of band."""
    from somastack_deploy.components.k8s_workloads import PATCH_FORCE

    for plan in (dev_plan, eks_plan):
        objs = [r for r in plan.resources if r.custom and r.type.startswith("kubernetes:")
                and "somastack:k8s:Workloads" in r.urn]
        assert len(objs) > 40
        for r in objs:
            assert (r.props["metadata"].get("annotations") or {}).items() >= PATCH_FORCE.items(), r.urn
        ingress = [r for r in objs if r.type == "kubernetes:networking.k8s.io/v1:Ingress"]
        for r in ingress:  # merged with the load balancer controller's annotations, not replacing them
            assert "alb.ingress.kubernetes.io/listen-ports" in r.props["metadata"]["annotations"]
