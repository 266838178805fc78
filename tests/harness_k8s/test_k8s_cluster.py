"""The harness's real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
kube-scheduler v1.35.4, kwok v0.8.0): reachable with its kubeconfig through the ``kubernetes``
client, workloads really reconcile (Deployment available, Job complete, claim bound), Secrets
stored, server-side strict field validation, server version, and no process left after down."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import psutil
import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from somastack_deploy.config_contract.references import resolve
from somastack_deploy.harness.base import Context
from somastack_deploy.harness.manager import Harness, HarnessError, default_cache_dir
from somastack_deploy.harness.services.kubernetes import NODE_NAME, STORAGE_CLASS

from k8s_helpers import wait_for

pytestmark = pytest.mark.services("kubernetes")


def _labels(app: str) -> dict:
    return {"app": app}


def _container(name: str = "app") -> client.V1Container:
    return client.V1Container(name=name, image="registry.invalid/somastack/app:1.0",
                              resources=client.V1ResourceRequirements(requests={"cpu": "100m", "memory": "64Mi"}))


def test_topology_entry_and_kubeconfig(topology):
    svc = topology.services["kubernetes"]
    ep = svc.endpoints[0]
    assert ep.protocol == "kubernetes" and ep.tls and ep.url.startswith("https://127.0.0.1:")
    assert svc.version == "1.35.4" and svc.plane == "infrastructure"
    token = resolve(svc.credentials["token"])
    ca = resolve(svc.credentials["ca_crt"])
    assert len(token) >= 32 and ca.startswith("-----BEGIN CERTIFICATE-----")
    assert token not in topology.to_json()  # only references in the document
    kubeconfig = Path(svc.storage["kubeconfig"])
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
    creds = Path(svc.credentials["token"][len("file://"):].partition("#")[0])
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    # the API answers with the token and the CA from the references (no kubeconfig needed)
    cfg = client.Configuration()
    cfg.host = ep.url
    cfg.api_key = {"authorization": f"Bearer {token}"}
    ca_file = kubeconfig.parent / "ca-from-topology.crt"
    ca_file.write_text(ca)
    cfg.ssl_ca_cert = str(ca_file)
    with client.ApiClient(cfg) as api:
        assert client.VersionApi(api).get_code().git_version == "v1.35.4"


def test_server_version_and_ready_node(kube):
    version = client.VersionApi(kube).get_code()
    assert version.git_version == "v1.35.4" and (version.major, version.minor) == ("1", "35")
    node = client.CoreV1Api(kube).read_node(NODE_NAME)
    assert node.metadata.annotations["kwok.x-k8s.io/node"] == "fake"
    assert {c.type: c.status for c in node.status.conditions}["Ready"] == "True"


def test_anonymous_and_wrong_token_are_refused(topology, kube):
    ep = topology.services["kubernetes"].endpoints[0]
    cfg = client.Configuration()
    cfg.host = ep.url
    cfg.ssl_ca_cert = kube.configuration.ssl_ca_cert
    cfg.api_key = {"authorization": "Bearer not-a-valid-token"}
    with client.ApiClient(cfg) as api, pytest.raises(ApiException) as err:
        client.CoreV1Api(api).list_namespace()
    assert err.value.status == 401


def test_deployment_becomes_available(kube, namespace):
    apps = client.AppsV1Api(kube)
    dep = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="web", labels=_labels("web")),
        spec=client.V1DeploymentSpec(
            replicas=2, selector=client.V1LabelSelector(match_labels=_labels("web")),
            template=client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels=_labels("web")),
                                              spec=client.V1PodSpec(containers=[_container()]))))
    apps.create_namespaced_deployment(namespace, dep)

    def available():
        st = apps.read_namespaced_deployment_status("web", namespace).status
        conds = {c.type: c.status for c in (st.conditions or [])}
        return st.available_replicas == 2 and conds.get("Available") == "True" and st

    wait_for(available, what="Deployment web Available with 2 replicas")
    pods = client.CoreV1Api(kube).list_namespaced_pod(namespace, label_selector="app=web").items
    assert len(pods) == 2
    assert all(p.spec.node_name == NODE_NAME and p.status.phase == "Running" and p.status.pod_ip for p in pods)


def test_job_completes(kube, namespace):
    batch = client.BatchV1Api(kube)
    job = client.V1Job(
        metadata=client.V1ObjectMeta(name="migrate"),
        spec=client.V1JobSpec(backoff_limit=0, template=client.V1PodTemplateSpec(
            spec=client.V1PodSpec(restart_policy="Never", containers=[_container("migrate")]))))
    batch.create_namespaced_job(namespace, job)

    def complete():
        st = batch.read_namespaced_job_status("migrate", namespace).status
        conds = {c.type: c.status for c in (st.conditions or [])}
        return st.succeeded == 1 and conds.get("Complete") == "True" and st

    wait_for(complete, what="Job migrate Complete")


def test_secret_is_stored_and_read_back(kube, namespace):
    core = client.CoreV1Api(kube)
    core.create_namespaced_secret(namespace, client.V1Secret(
        metadata=client.V1ObjectMeta(name="db"), type="Opaque", string_data={"password": "s3cr3t-value"}))
    got = core.read_namespaced_secret("db", namespace)
    import base64

    assert base64.b64decode(got.data["password"]).decode() == "s3cr3t-value"
    assert got.type == "Opaque"


def test_claim_of_the_default_storage_class_binds(kube, namespace):
    storage = client.StorageV1Api(kube).read_storage_class(STORAGE_CLASS)
    assert storage.metadata.annotations["storageclass.kubernetes.io/is-default-class"] == "true"
    core = client.CoreV1Api(kube)
    core.create_namespaced_persistent_volume_claim(namespace, client.V1PersistentVolumeClaim(
        metadata=client.V1ObjectMeta(name="data"),
        spec=client.V1PersistentVolumeClaimSpec(access_modes=["ReadWriteOnce"],
                                                resources=client.V1VolumeResourceRequirements(requests={"storage": "1Gi"}))))
    claim = wait_for(lambda: (c := core.read_namespaced_persistent_volume_claim("data", namespace)).status.phase == "Bound" and c,
                     what="PersistentVolumeClaim data Bound")
    assert claim.spec.storage_class_name == STORAGE_CLASS  # defaulted by the admission plugin


def test_strict_field_validation_rejects_unknown_fields(topology, namespace):
    """Raw requests (the typed client would refuse the typo itself): the server validates."""
    import ssl

    import httpx

    svc = topology.services["kubernetes"]
    headers = {"Authorization": f"Bearer {resolve(svc.credentials['token'])}"}
    verify = ssl.create_default_context(cadata=resolve(svc.credentials["ca_crt"]))
    base = f"{svc.endpoints[0].url}/api/v1/namespaces/{namespace}"
    typo = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"a": "b"},
            "dataa": {"typo": "x"}}
    with httpx.Client(headers=headers, verify=verify, timeout=10) as http:
        strict = http.post(f"{base}/configmaps", params={"fieldValidation": "Strict"}, json=typo)
        assert strict.status_code == 400 and 'unknown field "dataa"' in strict.json()["message"]
        assert http.get(f"{base}/configmaps/cfg").status_code == 404  # nothing stored
        bad_quantity = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [
            {"name": "c", "image": "x", "resources": {"requests": {"cpu": "lots"}}}]}}
        refused = http.post(f"{base}/pods", params={"fieldValidation": "Strict"}, json=bad_quantity)
        assert refused.status_code == 400 and "quantities must match" in refused.json()["message"]
        good = {k: v for k, v in typo.items() if k != "dataa"}
        assert http.post(f"{base}/configmaps", params={"fieldValidation": "Strict"}, json=good).status_code == 201
        # without Strict the server's default (Warn) stores the object and only warns
        warned = http.post(f"{base}/configmaps", json={**typo, "metadata": {"name": "cfg2"}})
        assert warned.status_code == 201 and 'unknown field \\"dataa' in warned.headers.get("warning", "")


def test_down_leaves_no_process(tmp_path: Path):
    """A private cluster (own state dir, port offset +1500) comes up and ``down`` stops every
    component of its process group."""
    offset = int(os.environ.get("SOMASTACK_TEST_PORT_OFFSET", "10000")) + 1500
    h = Harness(Context(state_dir=tmp_path / "stack", cache_dir=default_cache_dir(), port_offset=offset))
    try:
        h.up(["kubernetes"])
        leader = json.loads(h.state_path.read_text())["services"]["kubernetes"]["proc"]["pid"]
        members = [p for p in psutil.process_iter(["name"]) if _pgid(p.pid) == leader]
        names = {os.path.basename(p.cmdline()[0]) for p in members if p.cmdline()}
        assert {"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"} <= names
        assert h.status()["kubernetes"].rss_bytes > 100 * 2**20
    except HarnessError as err:
        pytest.fail(str(err), pytrace=False)
    finally:
        h.down()
    alive = [p for p in members if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert alive == []


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None
