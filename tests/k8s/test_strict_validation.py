"""A manifest with a mistyped field or an invalid quantity fails ``up`` against the real API
server with the settings of the SomaStack stacks (mocks accept anything):

- an invalid quantity: the provider's server-side apply (``enableServerSideApply``) is rejected
  by the kube-apiserver, as on EKS;
- an unknown field: the pulumi-kubernetes provider's ``Check`` would drop it silently (it
  normalizes built-in kinds through their Go types), so it never reaches the server's strict
  validation; the stack program's strict field check
  (:mod:`somastack_deploy.components.k8s_fields`, registered like ``stacks/program.py`` does)
  rejects it before. ``test_the_provider_alone_drops_an_unknown_field`` proves why it is needed.

A well-formed control object in the same program is created, so the failure is the field's."""

from __future__ import annotations

import secrets
import uuid

import pytest

pytestmark = pytest.mark.services("kubernetes")


def _program(kubeconfig: str, namespace: str, container_extra: dict, strict: bool = True):
    def program():
        import pulumi
        import pulumi_kubernetes as k8s

        from somastack_deploy.components import k8s_fields

        if strict:
            k8s_fields.register()

        provider = k8s.Provider("k8s", kubeconfig=kubeconfig, enable_server_side_apply=True)
        ns = k8s.core.v1.Namespace("ns", metadata={"name": namespace}, opts=pulumi.ResourceOptions(provider=provider))
        opts = pulumi.ResourceOptions(provider=provider, depends_on=[ns])
        k8s.core.v1.ConfigMap("control", metadata={"name": "control", "namespace": namespace}, data={"a": "1"},
                              opts=opts)
        labels = {"app": "bad"}
        k8s.apps.v1.Deployment("bad", metadata={"name": "bad", "namespace": namespace}, spec={
            "replicas": 1, "selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": {
                "containers": [{"name": "c", "image": "registry.invalid/x:1", **container_extra}]}}}, opts=opts)
    return program


@pytest.mark.parametrize("extra,needle", [
    ({"imagePullPolicyy": "Always"}, "unknown field spec.template.spec.containers[0].imagePullPolicyy"),
    ({"resources": {"requests": {"cpu": "4 vCPU"}}}, "quantities must match the regular expression"),
])
def test_malformed_manifest_fails_up(cluster, pulumi_bin, tmp_path, kube, extra, needle):
    from kubernetes import client
    from pulumi import automation as auto

    from somastack_deploy.checks.drift.engine import open_stack

    namespace = f"sv-{uuid.uuid4().hex[:8]}"
    state = tmp_path / "state"
    state.mkdir()
    env = {"PULUMI_CONFIG_PASSPHRASE": secrets.token_urlsafe(12), "PULUMI_HOME": str(tmp_path / "home")}
    stack = open_stack(_program(cluster, namespace, extra), "strict", state.as_uri(), project_name="strict",
                       create=True, env=env)
    try:
        with pytest.raises(auto.errors.CommandError) as info:
            stack.up(color="never")
        assert needle in str(info.value)
        core = client.CoreV1Api(kube)
        assert core.read_namespaced_config_map("control", namespace).data == {"a": "1"}
        assert client.AppsV1Api(kube).list_namespaced_deployment(namespace).items == []
    finally:
        stack.destroy(color="never")
        stack.workspace.remove_stack("strict", force=True)


def test_the_provider_alone_drops_an_unknown_field(cluster, pulumi_bin, tmp_path, kube):
    """Without the strict field check the same program succeeds and the field is gone: the
    provider's ``Check`` returns inputs without it (the engine's checked inputs), nothing is
    rejected — the reason the stack program registers the check."""
    import json

    from kubernetes import client

    from somastack_deploy.checks.drift.engine import open_stack

    namespace = f"sv-{uuid.uuid4().hex[:8]}"
    state = tmp_path / "state"
    state.mkdir()
    env = {"PULUMI_CONFIG_PASSPHRASE": secrets.token_urlsafe(12), "PULUMI_HOME": str(tmp_path / "home")}
    stack = open_stack(_program(cluster, namespace, {"imagePullPolicyy": "Always"}, strict=False), "loose",
                       state.as_uri(), project_name="strict", create=True, env=env)
    checked = []

    def on_event(ev):
        pre = ev.resource_pre_event
        if pre is not None and pre.metadata.type == "kubernetes:apps/v1:Deployment" and pre.metadata.new:
            checked.append(json.dumps(pre.metadata.new.inputs))

    try:
        stack.up(color="never", on_event=on_event)
        (container,) = client.AppsV1Api(kube).read_namespaced_deployment("bad", namespace).spec.template.spec.containers
        assert container.image == "registry.invalid/x:1" and container.image_pull_policy == "IfNotPresent"  # default
        assert checked and all("imagePullPolicyy" not in c and "registry.invalid/x:1" in c for c in checked)
    finally:
        stack.destroy(color="never")
        stack.workspace.remove_stack("loose", force=True)
