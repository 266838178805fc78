"""The strict Kubernetes field check (:mod:`somastack_deploy.components.k8s_fields`): pure
function and as the stack transformation under the mock runtime (the real-server side is in
tests/k8s/test_strict_validation.py)."""

from __future__ import annotations

import pulumi_kubernetes as k8s
import pytest

from somastack_deploy.components.k8s_fields import UnknownFieldError, strict_fields, unknown_fields

LABELS = {"app": "x"}


def _spec(**container_extra) -> dict:
    return {"selector": {"matchLabels": LABELS}, "template": {"metadata": {"labels": LABELS}, "spec": {
        "containers": [{"name": "c", "image": "x:1", **container_extra}]}}}


def test_known_fields_in_both_spellings_pass():
    spec = _spec(imagePullPolicy="Always", image_pull_policy="Always",
                 env=[{"name": "A", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}],
                 resources={"requests": {"cpu": "1", "ephemeral-storage": "1Gi"}},
                 readinessProbe={"httpGet": {"path": "/h", "port": "http"}})
    assert unknown_fields(k8s.apps.v1.Deployment, {"metadata": {"name": "x", "annotations": {"a.b/c": "d"}},
                                                   "spec": spec}) == []
    assert unknown_fields(k8s.core.v1.Secret, {"metadata": {"name": "s"}, "string_data": {"K": "v"}}) == []


def test_unknown_fields_are_named_by_path():
    spec = _spec(imagePullPolicyy="Always", resources={"requests": {"cpu": "1"}, "limitz": {}})
    spec["replica"] = 2
    got = unknown_fields(k8s.apps.v1.Deployment, {"metadata": {"name": "x", "nam": "y"}, "spec": spec})
    assert got == ["metadata.nam", "spec.template.spec.containers[0].imagePullPolicyy",
                   "spec.template.spec.containers[0].resources.limitz", "spec.replica"]
    svc = {"metadata": {"name": "s"}, "spec": {"ports": [{"port": 80, "targetPortt": 8080}]}}
    assert unknown_fields(k8s.core.v1.Service, svc) == ["spec.ports[0].targetPortt"]
    # a CRD's free-form spec has no schema here; its metadata has
    assert unknown_fields(k8s.apiextensions.CustomResource, {"metadata": {"name": "v", "bogus": 1},
                                                             "spec": {"anything": 1}}) == ["metadata.bogus"]


def test_maps_of_objects_are_walked():
    """A CRD's schema is a map of property name → JSONSchemaProps objects."""
    schema = {"openAPIV3Schema": {"type": "object", "properties": {
        "spec": {"type": "object", "properties": {"size": {"type": "integer", "minimm": 1}}}}}}
    crd = {"metadata": {"name": "xs.example.io"}, "spec": {
        "group": "example.io", "names": {"kind": "X", "plural": "xs"}, "scope": "Namespaced",
        "versions": [{"name": "v1", "served": True, "storage": True, "schema": schema}]}}
    assert unknown_fields(k8s.apiextensions.v1.CustomResourceDefinition, crd) == [
        "spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.size.minimm"]


def test_top_level_properties_in_python_spelling():
    """Top-level keys come as the SDK stores them (``allowed_topologies``); paths use the
    Kubernetes name."""
    sc = {"metadata": {"name": "gp3"}, "provisioner": "ebs.csi.aws.com",
          "allowed_topologies": [{"matchLabelExpressions": [{"key": "zone", "values": ["a"], "valuez": []}]}]}
    assert unknown_fields(k8s.storage.v1.StorageClass, sc) == [
        "allowedTopologies[0].matchLabelExpressions[0].valuez"]


def test_outputs_are_not_inspected():
    import pulumi

    out = pulumi.Output.from_input([{"name": "c", "bogus": 1}])
    assert unknown_fields(k8s.core.v1.Pod, {"spec": {"containers": out}}) == []


def test_error_is_one_line_naming_resource_and_paths():
    err = UnknownFieldError("kubernetes:apps/v1:Deployment", "bad", [f"spec.f{i}" for i in range(7)])
    text = str(err)
    assert "\n" not in text and text.startswith("kubernetes:apps/v1:Deployment bad: unknown fields spec.f0, ")
    assert "(+2 more)" in text and err.paths[-1] == "spec.f6"
    five = str(UnknownFieldError("t", "n", [f"f{i}" for i in range(5)]))
    assert five.endswith("unknown fields f0, f1, f2, f3, f4 (not in the Kubernetes schema; the provider would drop it silently)")
    six = str(UnknownFieldError("t", "n", [f"f{i}" for i in range(6)]))
    assert "f4 (+1 more)" in six and "f5" not in six
    assert str(UnknownFieldError("t", "n", ["a.b"])).startswith("t n: unknown field a.b (")
    assert str(UnknownFieldError("t", "n", ["a", "b"])).startswith("t n: unknown fields a, b (")


def test_the_transformation_fails_the_program_under_mocks(run_program):
    def program(extra):
        def run():
            import pulumi

            from somastack_deploy.components import k8s_fields

            k8s_fields.register()
            k8s.core.v1.ConfigMap("ok", metadata={"name": "ok"}, data={"a": "1"})
            k8s.apps.v1.Deployment("d", metadata={"name": "d"}, spec=_spec(**extra))
            pulumi.export("done", True)
        return run

    plan = run_program(program({"imagePullPolicy": "Always"}))
    assert {r.name for r in plan.resources if r.custom} >= {"ok", "d"}
    with pytest.raises(UnknownFieldError, match=r"kubernetes:apps/v1:Deployment d: unknown field "
                                                r"spec\.template\.spec\.containers\[0\]\.imagePullPolicyy "):
        run_program(program({"imagePullPolicyy": "Always"}))


def test_non_kubernetes_resources_are_left_alone():
    class Args:  # the fields strict_fields reads
        type_, name, props, resource = "aws:s3/bucket:Bucket", "b", {"bogus": 1}, object()

    assert strict_fields(Args()) is None
    # the type decides, not the class: a non-kubernetes type is never checked
    Args.resource = k8s.apps.v1.Deployment.__new__(k8s.apps.v1.Deployment)
    Args.props = {"spec": {"bogus": 1}}
    assert strict_fields(Args()) is None
    Args.type_ = "kubernetes:apps/v1:Deployment"
    with pytest.raises(UnknownFieldError, match="spec.bogus"):
        strict_fields(Args())
    # a component (not a custom resource) of a kubernetes-like type is left alone
    Args.resource = object()
    assert strict_fields(Args()) is None


def test_works_in_a_fresh_interpreter():
    """The SDK's string annotations (``Output[T]``) resolve without other modules imported first
    (in a fresh process ``typing.get_type_hints`` alone raises NameError and nothing is checked)."""
    import subprocess
    import sys

    code = ("import pulumi_kubernetes as k8s\n"
            "from somastack_deploy.components.k8s_fields import unknown_fields\n"
            "print(unknown_fields(k8s.apps.v1.Deployment, {'spec': {'replica': 1}}))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "['spec.replica']", out.stderr[-2000:]
