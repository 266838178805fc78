"""The pulumi-kubernetes provider plugin built here (harness/install/pulumi/
build-provider-kubernetes.sh) drives the harness cluster through the Pulumi engine: an
Automation API inline program (local file backend, the CLI built by build.sh) creates a
Namespace, Deployment, Service, Secret and Job, the engine waits for them (Deployment
available, Job complete), the objects are read back with the ``kubernetes`` client, and
``destroy`` removes them. The plugin is used from PATH (ambient): nothing is downloaded into
PULUMI_HOME.

Fails (never skips) when the CLI or the plugin is not built: run ``somastack-services install``.
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
from pathlib import Path

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from somastack_deploy.checks.drift.engine_cli import PulumiCliNotFound, find_cli_root

pytestmark = pytest.mark.services("kubernetes")

NAMESPACE = "pulumi-e2e"


@pytest.fixture(scope="module")
def pulumi_bin() -> Path:
    """``<cache>/pulumi/bin`` holding ``pulumi`` and ``pulumi-resource-kubernetes``."""
    try:
        root = find_cli_root()
    except PulumiCliNotFound as exc:
        pytest.fail(f"Pulumi CLI not built: {exc}", pytrace=False)
    plugin = root / "bin" / "pulumi-resource-kubernetes"
    if not plugin.is_file():
        pytest.fail(f"pulumi-kubernetes provider not built: no {plugin} (run `somastack-services install`)",
                    pytrace=False)
    return root / "bin"


def _program(kubeconfig: str, secret_value: str):
    def program():
        import pulumi
        import pulumi_kubernetes as k8s

        provider = k8s.Provider("harness", kubeconfig=pulumi.Output.secret(kubeconfig))
        opts = pulumi.ResourceOptions(provider=provider)
        ns = k8s.core.v1.Namespace("ns", metadata={"name": NAMESPACE}, opts=opts)
        meta = lambda name, **kw: {"name": name, "namespace": ns.metadata["name"], **kw}  # noqa: E731
        labels = {"app": "web"}
        container = {"name": "web", "image": "registry.invalid/somastack/web:1.0",
                     "ports": [{"containerPort": 8080}],
                     "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                     "envFrom": [{"secretRef": {"name": "web-secret"}}]}
        secret = k8s.core.v1.Secret("secret", metadata=meta("web-secret"), string_data={"TOKEN": secret_value},
                                    opts=opts)
        dep = k8s.apps.v1.Deployment(
            "web", metadata=meta("web", labels=labels),
            spec={"replicas": 2, "selector": {"matchLabels": labels},
                  "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}},
            opts=pulumi.ResourceOptions(provider=provider, depends_on=[secret]))
        svc = k8s.core.v1.Service("web-svc", metadata=meta("web"),
                                  spec={"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]},
                                  opts=pulumi.ResourceOptions(provider=provider, depends_on=[dep]))
        job = k8s.batch.v1.Job("migrate", metadata=meta("migrate"),
                               spec={"backoffLimit": 0, "template": {"spec": {
                                   "restartPolicy": "Never",
                                   "containers": [{"name": "migrate", "image": "registry.invalid/somastack/migrate:1.0"}]}}},
                               opts=opts)
        pulumi.export("deployment", dep.metadata["name"])
        pulumi.export("ready_replicas", dep.status["ready_replicas"])
        pulumi.export("cluster_ip", svc.spec["cluster_ip"])
        pulumi.export("job_succeeded", job.status["succeeded"])

    return program


def test_inline_program_creates_waits_for_and_destroys_workloads(topology, pulumi_bin, tmp_path: Path):
    from pulumi import automation as auto

    svc = topology.services["kubernetes"]
    kubeconfig_path = svc.storage["kubeconfig"]
    kubeconfig = Path(kubeconfig_path).read_text()
    secret_value = "sv-" + secrets.token_urlsafe(16)
    passphrase = "pp-" + secrets.token_urlsafe(16)
    state, home = tmp_path / "state", tmp_path / "pulumi-home"
    state.mkdir()
    env = {"PULUMI_CONFIG_PASSPHRASE": passphrase, "PULUMI_HOME": str(home), "PULUMI_SKIP_UPDATE_CHECK": "true",
           "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
           "PATH": os.pathsep.join([str(pulumi_bin), str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    opts = auto.LocalWorkspaceOptions(
        pulumi_command=auto.PulumiCommand(root=str(pulumi_bin.parent), skip_version_check=True), env_vars=env,
        project_settings=auto.ProjectSettings(name="k8s-e2e", runtime="python",
                                              backend=auto.ProjectBackend(url=f"file://{state}")))
    stack = auto.create_or_select_stack(stack_name="harness", project_name="k8s-e2e",
                                        program=_program(kubeconfig, secret_value), opts=opts)
    out: list[str] = []
    up = stack.up(on_output=out.append)
    text = "\n".join(out) + up.stdout + (up.stderr or "")
    assert up.summary.result == "succeeded", text
    assert up.outputs["ready_replicas"].value == 2 and up.outputs["job_succeeded"].value == 1
    assert up.outputs["cluster_ip"].value.startswith("10.96.")
    assert secret_value not in text and passphrase not in text

    api = client.ApiClient(_config(kubeconfig_path))
    try:
        apps, core, batch = client.AppsV1Api(api), client.CoreV1Api(api), client.BatchV1Api(api)
        assert apps.read_namespaced_deployment("web", NAMESPACE).status.available_replicas == 2
        assert batch.read_namespaced_job("migrate", NAMESPACE).status.succeeded == 1
        assert core.read_namespaced_service("web", NAMESPACE).spec.ports[0].port == 80
        data = core.read_namespaced_secret("web-secret", NAMESPACE).data
        assert base64.b64decode(data["TOKEN"]).decode() == secret_value
        # ambient plugin: the engine downloaded no provider plugin
        plugins = home / "plugins"
        assert not plugins.exists() or not any(p.name.startswith("resource-kubernetes") for p in plugins.iterdir())

        second = stack.preview()
        assert set(second.change_summary) <= {"same"}, second.change_summary  # nothing to do

        down = stack.destroy(on_output=out.append)
        assert down.summary.result == "succeeded"
        with pytest.raises(ApiException) as err:
            apps.read_namespaced_deployment("web", NAMESPACE)
        assert err.value.status == 404
    finally:
        api.close()
        stack.workspace.remove_stack("harness", force=True)


def _config(kubeconfig_path: str) -> client.Configuration:
    from kubernetes import config as kube_config

    cfg = client.Configuration()
    kube_config.load_kube_config(config_file=kubeconfig_path, client_configuration=cfg)
    return cfg
