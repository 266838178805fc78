"""The k8s-dev stack's rendered objects applied for real (server-side apply, strict field
validation, no Pulumi) into a fresh namespace of the harness cluster; kwok makes the pods Ready.
On those real Deployments: the EKS cycler (``scale`` 0→n and ``restart`` = ``kubectl rollout
restart``, waiting like ``kubectl rollout status``) and ``drift --live k8s:NS/DEPLOYMENT``.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
from k8s_manifests import apply_all, manifests, plan

pytestmark = pytest.mark.services("kubernetes")

DEPLOYMENTS = ("keycloak", "spicedb", "agent", "brain", "memory")


def _wait(probe, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not reached within {timeout_s:.0f} s", pytrace=False)
        time.sleep(0.5)


@pytest.fixture(scope="module")
def workloads(cluster, tmp_path_factory):
    """Namespace with the k8s-dev objects applied and every Deployment available."""
    from kubernetes import client
    from kubernetes import config as kube_config

    from somastack_deploy.plan.stackfile import load_stack_file
    from k8s_manifests import STACKS_DIR

    api = kube_config.new_client_from_config(config_file=cluster)
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    ns = f"wl-{uuid.uuid4().hex[:8]}"
    secrets_dir = tmp_path_factory.mktemp("secrets")
    for var in ("SOMA_SECRET_KEY", "OPENROUTER_API_KEY", "SPICEDB_API_KEY", "SOMA_MEMORY_API_TOKEN",
                "SOMA_DB_PASSWORD", "KEYCLOAK_ADMIN_PASSWORD"):
        (secrets_dir / var).write_text("x", encoding="utf-8")
    config = load_stack_file(str(STACKS_DIR.parents[1] / "Pulumi.k8s-dev.yaml"))
    config.update({"somastack:secretsDir": str(secrets_dir),
                   "somastack:kubernetes": {"kubeconfig": cluster, "namespace": ns, "volumeSizeGiB": 1},
                   "somastack:sizing": {"cpu": 256, "memoryMiB": 256, "ephemeralStorageGiB": 1, "desiredCount": 1}})
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
    try:
        assert apply_all(api, manifests(plan("k8s-dev", config), ns), dry_run=False) == []
        for name in DEPLOYMENTS:
            _wait(lambda n=name: (apps.read_namespaced_deployment_status(n, ns).status.available_replicas or 0) >= 1,
                  120, f"deployment {name} available")
        yield api, ns
    finally:
        core.delete_namespace(ns)
        api.close()


def test_eks_cycler_scales_and_restarts_the_real_deployments(workloads):
    from kubernetes import client

    from somastack_deploy.checks.resilience.cyclers.base import CyclerError
    from somastack_deploy.checks.resilience.cyclers.eks import RESTARTED_AT, EKSCycler, rollout_complete

    api, ns = workloads
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    apps.patch_namespaced_deployment_scale("keycloak", ns, {"spec": {"replicas": 2}})
    _wait(lambda: rollout_complete(apps.read_namespaced_deployment_status("keycloak", ns)), 60, "keycloak at 2")
    scale = EKSCycler(apps, core, ns, ["keycloak", "spicedb"], strategy="scale", rollout_timeout_s=120, poll_s=0.5)
    scale.take_down(hard=True)
    assert scale.replicas == {"keycloak": 2, "spicedb": 1}
    _wait(scale.is_down, 60, "both deployments at 0 replicas")
    pods = core.list_namespaced_pod(ns, label_selector="app.kubernetes.io/name=keycloak").items
    assert all(p.metadata.deletion_timestamp for p in pods)
    scale.bring_up()
    for name, want in (("keycloak", 2), ("spicedb", 1)):
        dep = apps.read_namespaced_deployment_status(name, ns)
        assert rollout_complete(dep) and dep.status.available_replicas == want, name

    restart = EKSCycler(apps, core, ns, ["brain"], strategy="restart", rollout_timeout_s=120, poll_s=0.5)
    before = apps.read_namespaced_deployment("brain", ns)
    old_rs = {r.metadata.name for r in apps.list_namespaced_replica_set(
        ns, label_selector="app.kubernetes.io/name=brain").items}
    restart.take_down()
    restart.bring_up()
    after = apps.read_namespaced_deployment("brain", ns)
    assert after.metadata.generation == before.metadata.generation + 1
    assert RESTARTED_AT in after.spec.template.metadata.annotations and rollout_complete(after)
    new_rs = {r.metadata.name for r in apps.list_namespaced_replica_set(
        ns, label_selector="app.kubernetes.io/name=brain").items}
    assert new_rs - old_rs, "a rollout restart makes a new ReplicaSet"

    # a rollout that cannot complete is reported after the timeout, not waited for forever
    apps.patch_namespaced_deployment("memory", ns, {"spec": {"template": {"spec": {
        "nodeSelector": {"somastack/no-such-node": "x"}}}}})
    stuck = EKSCycler(apps, core, ns, ["memory"], strategy="restart", rollout_timeout_s=3, poll_s=0.5)
    with pytest.raises(CyclerError, match="rollout of memory not complete within 3s"):
        stuck.bring_up()


def test_drift_live_reads_the_real_deployment_env(workloads, cluster, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from kubernetes import client

    from somastack_deploy.checks.drift.config import compare_env, k8s_environ

    api, ns = workloads
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    live = k8s_environ(apps, ns, "agent", core)["agent"]
    config = {k: v for k, v in live.items() if not v.startswith("k8s-secret://")}
    assert config["SA01_DB_NAME"] == "somaagent01" and config["SA01_DEPLOYMENT_TARGET"] == "EKS"
    assert live["SECRET_KEY"] == "k8s-secret://agent-secrets#SECRET_KEY"  # a reference, never the value
    refs = {k: v for k, v in live.items() if v.startswith("k8s-secret://")}
    assert "SECRET_KEY" in refs and len(refs) >= 4
    expected = {**config, **refs, "SA01_DB_NAME": "somaagent01-renamed"}
    items = compare_env(expected, live, service="agent", workload=f"deployment {ns}/agent")
    assert [(i.field, i.change) for i in items] == [("SA01_DB_NAME", "changed")]

    env_file = tmp_path / "expected.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in sorted(expected.items())), encoding="utf-8")
    topo = tmp_path / "topology.json"
    topo.write_text(json.dumps({"version": 1, "stack": "k8s-dev", "dimensions": {
        "software_mode": "SomaStackClusterMode", "environment": "DEV", "saas_bridge": False, "target": "EKS"},
        "services": {}}), encoding="utf-8")
    exe = Path(sys.executable).parent / "somastack-deploy"
    env = {**os.environ, "KUBECONFIG": cluster}

    def cli(*args):
        return subprocess.run([str(exe), "drift", "--topology", str(topo), "--expected-env", str(env_file), *args],
                              cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120)

    proc = cli("--live", f"k8s:{ns}/agent", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    fields = {(i["field"], i["change"]) for i in report["items"] if i["kind"] == "config"}
    assert fields == {("SA01_DB_NAME", "changed")}, report
    proc = cli("--live", f"k8s:{ns}/no-such-deployment")
    assert proc.returncode == 2 and "HTTP 404" in proc.stderr and "Traceback" not in proc.stderr
    proc = cli("--live", "k8s:only-a-namespace")
    assert proc.returncode == 2 and "k8s:NAMESPACE/DEPLOYMENT" in proc.stderr


def test_drift_live_resolves_envfrom_sources(workloads):
    """A Deployment that takes its env from a ConfigMap and a Secret (``envFrom``): the live env
    has the ConfigMap's values and the Secret's keys as references; ``env`` wins."""
    from kubernetes import client

    from somastack_deploy.checks.drift.config import k8s_environ

    api, ns = workloads
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="ef-cm"),
                                                             data={"A": "1", "B": "from-cm"}))
    core.create_namespaced_secret(ns, client.V1Secret(metadata=client.V1ObjectMeta(name="ef-sec"),
                                                      string_data={"TOKEN": "planted-envfrom-value"}))
    labels = {"app": "ef"}
    apps.create_namespaced_deployment(ns, client.V1Deployment(
        metadata=client.V1ObjectMeta(name="ef"), spec=client.V1DeploymentSpec(
            replicas=1, selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels=labels), spec=client.V1PodSpec(
                containers=[client.V1Container(
                    name="c", image="registry.invalid/x:1",
                    env_from=[client.V1EnvFromSource(config_map_ref=client.V1ConfigMapEnvSource(name="ef-cm")),
                              client.V1EnvFromSource(secret_ref=client.V1SecretEnvSource(name="ef-sec"), prefix="S_"),
                              client.V1EnvFromSource(config_map_ref=client.V1ConfigMapEnvSource(
                                  name="missing", optional=True))],
                    env=[client.V1EnvVar(name="B", value="from-env")])])))))
    live = k8s_environ(apps, ns, "ef", core)["c"]
    assert live == {"A": "1", "B": "from-env", "S_TOKEN": "k8s-secret://ef-sec#TOKEN"}
    assert "planted-envfrom-value" not in repr(live)
    assert k8s_environ(apps, ns, "ef")["c"] == {"B": "from-env"}  # without core_api: env only
