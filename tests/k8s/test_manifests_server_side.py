"""Every Kubernetes object the eks-prod and k8s-dev programs render (under the mock runtime) is
accepted by the real kube-apiserver: server-side apply with ``fieldValidation=Strict`` (a
mistyped field, an invalid quantity or a wrong type is a 400 there, while mocks accept
anything), as a dry run (``dryRun=All``) into a fresh namespace.

EKS objects that need a third-party CRD (``VerticalPodAutoscaler``) or a controller's chart
(Helm releases) are the only ones left out; the Ingress of class ``alb``, HPA, PDB, StatefulSets
with claim templates and the ``gp3`` StorageClass are checked."""

from __future__ import annotations

import copy
import uuid

import pytest

pytestmark = pytest.mark.services("kubernetes")

from k8s_manifests import apply_all as _apply_all, manifests as _manifests, plan as _plan, STACKS_DIR  # noqa: E402


@pytest.fixture()
def fresh_namespace(kube):
    from kubernetes import client

    name = f"ms-{uuid.uuid4().hex[:8]}"
    core = client.CoreV1Api(kube)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    try:
        yield name
    finally:
        core.delete_namespace(name)


def test_eks_prod_objects_pass_strict_server_side_validation(kube, fresh_namespace):
    manifests = _manifests(_plan("eks-prod"), fresh_namespace)
    kinds = {m["kind"] for m in manifests}
    assert {"Deployment", "StatefulSet", "Job", "Service", "Secret", "PodDisruptionBudget",
            "HorizontalPodAutoscaler", "Ingress", "StorageClass"} <= kinds
    assert _apply_all(kube, manifests) == []


def test_k8s_dev_objects_pass_strict_server_side_validation(kube, fresh_namespace, tmp_path, cluster):
    from somastack_deploy.plan.stackfile import load_stack_file

    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    for var in ("SOMA_SECRET_KEY", "OPENROUTER_API_KEY", "SPICEDB_API_KEY", "SOMA_MEMORY_API_TOKEN",
                "SOMA_DB_PASSWORD", "KEYCLOAK_ADMIN_PASSWORD"):
        (secrets_dir / var).write_text("x", encoding="utf-8")
    config = load_stack_file(str(STACKS_DIR.parents[1] / "Pulumi.k8s-dev.yaml"))
    config["somastack:secretsDir"] = str(secrets_dir)
    config["somastack:kubernetes"] = {"kubeconfig": cluster, "namespace": fresh_namespace}
    manifests = _manifests(_plan("k8s-dev", config), fresh_namespace)
    assert len(manifests) > 50
    assert _apply_all(kube, manifests) == []


def test_a_malformed_object_is_rejected(kube, fresh_namespace):
    """The check above can fail: the same path rejects a mistyped field and a bad quantity."""
    manifests = _manifests(_plan("eks-prod"), fresh_namespace)
    dep = next(m for m in manifests if m["kind"] == "Deployment")
    bad_field = copy.deepcopy(dep)
    bad_field["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    bad_qty = copy.deepcopy(dep)
    bad_qty["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "4 vCPU"
    errors = _apply_all(kube, [bad_field, bad_qty])
    assert len(errors) == 2
    # server-side apply: the typed patch fails on an undeclared field (HTTP 500 from the apiserver)
    assert "imagePullPolicyy: field not declared in schema" in errors[0]
    assert "quantities must match the regular expression" in errors[1]
