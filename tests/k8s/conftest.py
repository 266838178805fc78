"""Fixtures for the SomaStack Kubernetes layer against the harness cluster (marker
``services("kubernetes")``): the real kube-apiserver with kwok nodes, the Pulumi CLI and the
pulumi-kubernetes provider plugin built into the cache.

``cluster`` (module scope) starts the harness service ``kubernetes`` and returns its kubeconfig
path; it gives the kwok node an ``ephemeral-storage`` capacity like every real kubelet reports
(the workloads request it, seed 001 §3.2). ``dev_project`` is a copy of the project (``Pulumi.yaml``
and a ``Pulumi.k8s-dev.yaml`` pointing at the cluster, a fresh namespace, planted secret files,
small sizing), a file backend and a passphrase; ``dev_project.cli(...)`` runs the installed
``somastack-deploy`` in a subprocess from the project directory, as a user would.

These tests FAIL (never skip) when the CLI or the plugin is missing: run ``somastack-services install``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
from k8s_manifests import PLANTED  # noqa: E402
SECRET_VARS = ("SOMA_SECRET_KEY", "OPENROUTER_API_KEY", "SPICEDB_API_KEY", "SOMA_MEMORY_API_TOKEN",
               "SOMA_DB_PASSWORD", "KEYCLOAK_ADMIN_PASSWORD")


@pytest.fixture(scope="module")
def pulumi_bin() -> Path:
    """``<cache>/pulumi/bin`` holding ``pulumi`` and ``pulumi-resource-kubernetes``."""
    from somastack_deploy.checks.drift.engine_cli import PulumiCliNotFound, find_cli_root

    try:
        root = find_cli_root()
    except PulumiCliNotFound as exc:
        pytest.fail(f"Pulumi CLI not built: {exc}", pytrace=False)
    plugin = root / "bin" / "pulumi-resource-kubernetes"
    if not plugin.is_file():
        pytest.fail(f"pulumi-kubernetes provider not built: no {plugin} (run `somastack-services install`)",
                    pytrace=False)
    return root / "bin"


@pytest.fixture(scope="module")
def cluster(harness) -> str:
    """Kubeconfig path of the harness cluster (started for this module)."""
    from kubernetes import client
    from kubernetes import config as kube_config

    topo = harness.up(["kubernetes"])
    kubeconfig = topo.services["kubernetes"].storage["kubeconfig"]
    api = kube_config.new_client_from_config(config_file=kubeconfig)
    try:
        core = client.CoreV1Api(api)
        for node in core.list_node().items:
            if (node.metadata.annotations or {}).get("kwok.x-k8s.io/node") != "fake":
                continue
            if "ephemeral-storage" not in (node.status.allocatable or {}):
                patch = {"status": {"capacity": {"ephemeral-storage": "1Ti"},
                                    "allocatable": {"ephemeral-storage": "1Ti"}}}
                core.patch_node_status(node.metadata.name, patch)
    finally:
        api.close()
    return kubeconfig


@pytest.fixture()
def kube(cluster):
    """An ApiClient for the cluster (closed after the test)."""
    from kubernetes import config as kube_config

    api = kube_config.new_client_from_config(config_file=cluster)
    try:
        yield api
    finally:
        api.close()


@dataclass
class Project:
    """A project directory with the ``k8s-dev`` stack file, and how to run the CLI on it."""

    dir: Path
    namespace: str
    env: dict[str, str]
    passphrase: str
    kubeconfig: str
    outputs: list[str] = field(default_factory=list)

    def cli(self, *args: str, cwd: Path | None = None, timeout_s: float = 900) -> subprocess.CompletedProcess:
        """Run ``somastack-deploy ARGS`` (the installed console script) from ``cwd`` (default:
        the project directory); stdout/stderr captured as text and kept in ``outputs``."""
        exe = Path(sys.executable).parent / "somastack-deploy"
        proc = subprocess.run([str(exe), *args], cwd=str(cwd or self.dir), env=self.env, capture_output=True,
                              text=True, timeout=timeout_s)
        self.outputs.append(proc.stdout + proc.stderr)
        return proc


@pytest.fixture(scope="module")
def dev_project(tmp_path_factory, cluster, pulumi_bin) -> Project:
    """See the module docstring. The namespace is ``sd-<random>``."""
    base = tmp_path_factory.mktemp("k8s-dev")
    proj, secrets_dir, state = base / "project", base / "secrets", base / "state"
    for d in (proj / "stacks", secrets_dir, state):
        d.mkdir(parents=True)
    shutil.copy(ROOT / "Pulumi.yaml", proj / "Pulumi.yaml")
    for var in SECRET_VARS:
        (secrets_dir / var).write_text(f"{PLANTED}-{var}\n", encoding="utf-8")
        os.chmod(secrets_dir / var, 0o600)
    namespace = f"sd-{uuid.uuid4().hex[:8]}"
    doc = yaml.safe_load((ROOT / "Pulumi.k8s-dev.yaml").read_text(encoding="utf-8"))
    doc["config"].update({
        "somastack:kubernetes": {"kubeconfig": cluster, "namespace": namespace, "volumeSizeGiB": 1},
        "somastack:secretsDir": str(secrets_dir),
        "somastack:sizing": {"cpu": 256, "memoryMiB": 256, "ephemeralStorageGiB": 1, "desiredCount": 1},
        "somastack:ALLOWED_HOSTS": f"agent.{namespace}.svc.cluster.local",
    })
    (proj / "Pulumi.k8s-dev.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    passphrase = "pp-" + secrets.token_urlsafe(18)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "KUBECONFIG"))}
    env.update({"PULUMI_CONFIG_PASSPHRASE": passphrase, "PULUMI_BACKEND_URL": state.as_uri(),
                "PULUMI_HOME": str(base / "pulumi-home"), "KUBECONFIG": cluster})
    return Project(dir=proj, namespace=namespace, env=env, passphrase=passphrase, kubeconfig=cluster)
