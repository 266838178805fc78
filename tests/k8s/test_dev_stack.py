"""The DEVELOPMENT stack (``Pulumi.k8s-dev.yaml``: seed 003's "Kubernetes namespace with the full
OSS stack") deployed by ``somastack-deploy up`` into the harness cluster (real kube-apiserver,
kwok nodes: pods become Running/Ready and Jobs complete without a container runtime), then read
back with the ``kubernetes`` client.

The tests of this module run in order on one deployment: up → what exists → second up (no
changes) → out-of-band change seen by preview and named by refresh drift → destroy leaves
nothing. (The EKS cycler and ``drift --live k8s:`` run on the same objects applied without
Pulumi: tests/k8s/test_workloads_live.py.)
"""

from __future__ import annotations

import base64
import json
from datetime import datetime

import pytest
from k8s_manifests import PLANTED

pytestmark = pytest.mark.services("kubernetes")

STATEFUL = {"postgres": "/var/lib/postgresql/data", "redis": "/data", "kafka": "/var/lib/kafka/data",
            "milvus": "/var/lib/milvus", "opa": "/policies"}
DEPLOYMENTS = ("keycloak", "spicedb", "agent", "brain", "memory")
JOB_ORDER = ("memory-createdb", "memory-migrate", "brain-createdb", "brain-migrate", "agent-createdb", "agent-migrate")


@pytest.fixture(scope="module")
def deployed(dev_project):
    """``somastack-deploy up`` of the stack (once for the module); the CompletedProcess."""
    proc = dev_project.cli("up", "--stack", "k8s-dev", "--format", "json")
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc


def _apis(kube):
    from kubernetes import client

    return client.AppsV1Api(kube), client.CoreV1Api(kube), client.BatchV1Api(kube)


def test_up_creates_every_workload_available_in_the_namespace(deployed, dev_project, kube):
    doc = json.loads(deployed.stdout)
    assert doc["result"] == "succeeded" and doc["changes"]["create"] > 50
    assert "Updating (k8s-dev)" in deployed.stderr  # the engine's progress, on stderr
    apps, core, _ = _apis(kube)
    ns = dev_project.namespace
    assert core.read_namespace(ns).metadata.labels["somastack/stack"] == "k8s-dev"
    for name in DEPLOYMENTS:
        dep = apps.read_namespaced_deployment(name, ns)
        assert dep.status.available_replicas == dep.spec.replicas >= 1, name
        c = dep.spec.template.spec.containers[0]
        assert c.readiness_probe and c.liveness_probe and c.startup_probe, name
        assert c.resources.requests == {"cpu": "250m", "memory": "256Mi", "ephemeral-storage": "1Gi"}
    for name, path in STATEFUL.items():
        sts = apps.read_namespaced_stateful_set(name, ns)
        assert sts.status.ready_replicas == 1, name
        (mount,) = sts.spec.template.spec.containers[0].volume_mounts
        assert mount.mount_path == path
        pvc = core.read_namespaced_persistent_volume_claim(f"{mount.name}-{name}-0", ns)
        assert pvc.status.phase == "Bound" and pvc.spec.resources.requests["storage"] == "1Gi", name
    services = {s.metadata.name for s in core.list_namespaced_service(ns).items}
    assert services >= set(STATEFUL) | set(DEPLOYMENTS) | {f"{k}-headless" for k in STATEFUL}
    pdbs = {p.metadata.name for p in __import__("kubernetes").client.PolicyV1Api(kube)
            .list_namespaced_pod_disruption_budget(ns).items}
    assert pdbs == set(STATEFUL) | set(DEPLOYMENTS)
    hpas = __import__("kubernetes").client.AutoscalingV2Api(kube).list_namespaced_horizontal_pod_autoscaler(ns).items
    assert {h.metadata.name for h in hpas} == {"agent", "brain", "memory"}


def test_migration_jobs_completed_in_the_strict_order(deployed, dev_project, kube):
    _, _, batch = _apis(kube)
    jobs = {j.metadata.name: j for j in batch.list_namespaced_job(dev_project.namespace).items}
    for name in JOB_ORDER:
        assert jobs[name].status.succeeded == 1, name
    for before, after in zip(JOB_ORDER, JOB_ORDER[1:]):
        done: datetime = jobs[before].status.completion_time
        assert done <= jobs[after].status.start_time, (before, after)
    # the app Deployments were created after their migrate Job completed
    apps, _, _ = _apis(kube)
    for app in ("memory", "brain", "agent"):
        created = apps.read_namespaced_deployment(app, dev_project.namespace).metadata.creation_timestamp
        assert jobs[f"{app}-migrate"].status.completion_time <= created, app


def test_no_secret_value_in_any_configmap_or_env_literal(deployed, dev_project, kube):
    apps, core, batch = _apis(kube)
    ns = dev_project.namespace
    for m in core.list_namespaced_config_map(ns).items:
        assert PLANTED not in json.dumps(m.data or {}), m.metadata.name
    templates = [d.spec.template for d in apps.list_namespaced_deployment(ns).items]
    templates += [s.spec.template for s in apps.list_namespaced_stateful_set(ns).items]
    templates += [j.spec.template for j in batch.list_namespaced_job(ns).items]
    refs = 0
    for t in templates:
        for c in t.spec.containers:
            for e in c.env or []:
                assert PLANTED not in (e.value or ""), e.name
                refs += e.value_from is not None and e.value_from.secret_key_ref is not None
    assert refs > 10
    # the values are in the Secrets (and only there)
    secret = core.read_namespaced_secret("agent-secrets", ns)
    assert base64.b64decode(secret.data["SECRET_KEY"]).decode() == f"{PLANTED}-SOMA_SECRET_KEY"
    for text in dev_project.outputs:
        assert PLANTED not in text and dev_project.passphrase not in text


def test_second_up_changes_nothing(deployed, dev_project):
    proc = dev_project.cli("up", "--stack", "k8s-dev", "--format", "json", "--expect-no-changes")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout)["changes"] == {}


def test_preview_shows_an_out_of_band_change_and_up_repairs_it(deployed, dev_project, kube):
    apps, _, _ = _apis(kube)
    ns = dev_project.namespace
    apps.patch_namespaced_deployment("keycloak", ns, {"spec": {"replicas": 3}})
    proc = dev_project.cli("preview", "--stack", "k8s-dev", "--refresh", "--expect-no-changes", "--format", "json",
                           cwd=dev_project.dir / "stacks")  # from a sub-directory: the project is found upwards
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert json.loads(proc.stdout)["changes"] == {"update": 1}  # only the patched Deployment
    assert "k8s-keycloak-deployment" in proc.stderr and "replicas: 3 => 1" in proc.stderr  # the engine's diff
    proc = dev_project.cli("up", "--stack", "k8s-dev", "--refresh", "--format", "json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert apps.read_namespaced_deployment("keycloak", ns).spec.replicas == 1


def test_refresh_drift_names_the_exact_field(deployed, dev_project, kube):
    from somastack_deploy.checks.drift.engine import infra_drift

    apps, core, _ = _apis(kube)
    ns = dev_project.namespace
    dep = apps.read_namespaced_deployment("spicedb", ns)
    image = dep.spec.template.spec.containers[0].image
    bumped = image.rsplit(":", 1)[0] + ":v0.0.1-drift"
    apps.patch_namespaced_deployment("spicedb", ns, {"spec": {"template": {"spec": {"containers": [
        {"name": "spicedb", "image": bumped}]}}}})
    apps.patch_namespaced_deployment("agent", ns, {"spec": {"template": {"spec": {"containers": [
        {"name": "agent", "env": [{"name": "SA01_CHAT_PROVIDER", "value": "openai"}]}]}}}})
    items, notes = infra_drift("k8s-dev", str(dev_project.dir), env=dev_project.env)
    assert notes == []
    found = {(i.object.rsplit(" ", 1)[-1], i.field): (i.expected, i.actual) for i in items}
    image_field = [k for k in found if k[0].endswith("spicedb-deployment") and k[1].endswith(".image")]
    assert image_field and found[image_field[0]] == (image, bumped), found
    env_field = [k for k in found if k[0] == "k8s-apps-agent-deployment" and ".env[" in k[1]]
    assert env_field and found[env_field[0]] == ("openrouter", "openai"), found
    proc = dev_project.cli("up", "--stack", "k8s-dev", "--refresh")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert apps.read_namespaced_deployment("spicedb", ns).spec.template.spec.containers[0].image == image


def test_destroy_leaves_nothing(deployed, dev_project, kube):
    from kubernetes.client.rest import ApiException

    proc = dev_project.cli("destroy", "--stack", "k8s-dev")
    assert proc.returncode == 2 and "--yes" in proc.stderr  # never without confirmation
    proc = dev_project.cli("destroy", "--stack", "k8s-dev", "--yes", "--format", "json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout)["changes"]["delete"] > 50
    apps, core, batch = _apis(kube)
    import time

    deadline = time.monotonic() + 120
    while True:
        try:
            core.read_namespace(dev_project.namespace)
        except ApiException as err:
            assert err.status == 404
            break
        assert time.monotonic() < deadline, "namespace still present 120 s after destroy"
        time.sleep(1)
    selector = "app.kubernetes.io/part-of=somastack"
    assert apps.list_deployment_for_all_namespaces(label_selector=selector).items == []
    assert apps.list_stateful_set_for_all_namespaces(label_selector=selector).items == []
    assert batch.list_job_for_all_namespaces(label_selector=selector).items == []
    assert core.list_persistent_volume_claim_for_all_namespaces(label_selector=selector).items == []
