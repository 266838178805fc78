"""``somastack-deploy up|preview|refresh|destroy`` with the real Pulumi CLI (no cluster needed:
these runs fail before any provider is used, or in the input checks). The successful paths run
against the harness cluster in tests/k8s."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def project(tmp_path, pulumi_root):
    """A copy of the project with a k8s-dev stack file, a file backend and a passphrase."""
    proj = tmp_path / "project"
    (proj / "stacks").mkdir(parents=True)
    shutil.copy(ROOT / "Pulumi.yaml", proj / "Pulumi.yaml")
    shutil.copy(ROOT / "Pulumi.k8s-dev.yaml", proj / "Pulumi.k8s-dev.yaml")
    (tmp_path / "state").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    env.update({"PULUMI_CONFIG_PASSPHRASE": "pp-" + secrets.token_urlsafe(12),
                "PULUMI_BACKEND_URL": (tmp_path / "state").as_uri(), "PULUMI_HOME": str(tmp_path / "home")})
    return proj, env


def _cli(args, cwd, env):
    exe = Path(sys.executable).parent / "somastack-deploy"
    return subprocess.run([str(exe), *args], cwd=str(cwd), env=env, capture_output=True, text=True, timeout=300)


def _edit(proj: Path, **config):
    path = proj / "Pulumi.k8s-dev.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["config"].update(config)
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")


def test_input_errors_are_one_line_exit_2(project, tmp_path):
    proj, env = project
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cases = [
        (["up", "--stack", "k8s-dev"], elsewhere, "no Pulumi project (Pulumi.yaml)"),
        (["up", "--stack", "nope", "--cwd", str(proj)], elsewhere, "Pulumi.nope.yaml: --stack: no such stack file"),
        (["destroy", "--stack", "k8s-dev"], proj, "destroy deletes every resource of stack k8s-dev: add --yes"),
        (["up", "--stack", "k8s-dev", "--cwd", str(tmp_path / "missing")], elsewhere, "not a directory"),
        (["refresh", "--stack", "k8s-dev"], proj, "no such stack in this backend"),
    ]
    for args, cwd, message in cases:
        proc = _cli(args, cwd, env)
        assert proc.returncode == 2, (args, proc.stderr)
        assert message in proc.stderr and proc.stderr.count("\n") == 1 and proc.stdout == "", (args, proc.stderr)
    no_pass = {k: v for k, v in env.items() if k != "PULUMI_CONFIG_PASSPHRASE"}
    proc = _cli(["preview", "--stack", "k8s-dev"], proj, no_pass)
    assert proc.returncode == 2 and "PULUMI_CONFIG_PASSPHRASE: not set" in proc.stderr


def test_contract_violation_fails_the_preview_in_one_line(project):
    proj, env = project
    _edit(proj, **{"somastack:SOMASTACK_SOFTWARE_MODE": "ClusterModeX"})
    proc = _cli(["preview", "--stack", "k8s-dev"], proj / "stacks", env)  # found upwards from a sub-directory
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("somastack-deploy: preview k8s-dev failed: config contract violated (stack config of k8s-dev):")
    assert "SOMASTACK_SOFTWARE_MODE must be one of StandAlone, SomaStackClusterMode" in last
    assert "Previewing update (k8s-dev)" in proc.stderr and "Traceback" not in proc.stderr + proc.stdout
    assert proc.stdout == ""


def test_stack_setting_error_is_one_line(project, tmp_path):
    proj, env = project
    _edit(proj, **{"somastack:kubernetes": {"kubeconfig": "relative/kubeconfig"}})
    proc = _cli(["preview", "--stack", "k8s-dev", "--format", "json"], proj, env)
    assert proc.returncode == 1 and proc.stderr.strip().endswith(
        "Pulumi.k8s-dev.yaml: somastack:kubernetes: kubeconfig: must be an absolute path")
    assert env["PULUMI_CONFIG_PASSPHRASE"] not in proc.stderr + proc.stdout and proc.stdout == ""


def test_failure_line_is_the_resources_own_error():
    """The provider's multi-line error (as the engine reported it for an apply conflict) becomes
    one line naming the resource and keeping the specific cause at its end."""
    from pulumi.automation.events import DiagnosticEvent

    from somastack_deploy.commands.stack_ops import MAX_LINE, diagnostic_error

    urn = "urn:pulumi:k8s-dev::somastack::somastack:k8s:Workloads$kubernetes:apps/v1:Deployment::k8s-keycloak-deployment"
    conflict = ('Preview failed: 1 error occurred:\n\t* the Kubernetes API server reported that "ns/keycloak" failed to '
                "fully initialize or become live: Server-Side Apply field conflict detected. See https://www.pulumi.com/"
                "registry/packages/kubernetes/how-to-guides/managing-resources-with-server-side-apply/#handle-field-"
                'conflicts-on-existing-resources for troubleshooting help.\nThe resource managed by field manager '
                '"pulumi-kubernetes-57bd014b" had an apply conflict: Apply failed with 1 conflict: conflict with '
                '"OpenAPI-Generator" using apps/v1: .spec.replicas\n\n')
    events = [DiagnosticEvent(message="using pulumi-resource-kubernetes from $PATH\n", color="never", severity="warning"),
              DiagnosticEvent(message=conflict, color="never", severity="error", urn=urn),
              DiagnosticEvent(message="preview failed\n", color="never", severity="error")]
    line = diagnostic_error(events)
    assert line.startswith('k8s-keycloak-deployment: the Kubernetes API server reported that "ns/keycloak" failed')
    assert line.endswith('conflict with "OpenAPI-Generator" using apps/v1: .spec.replicas')
    assert "\n" not in line and len(line) <= MAX_LINE + len("k8s-keycloak-deployment: ") and " … " in line
    # only the engine's summary: no specific error
    assert diagnostic_error(events[2:]) is None and diagnostic_error([]) is None
    # a program error on the stack: the message alone
    stack = DiagnosticEvent(message="config contract violated: X\n", color="never", severity="error",
                            urn="urn:pulumi:k8s-dev::somastack::pulumi:pulumi:Stack::somastack-k8s-dev")
    assert diagnostic_error([stack]) == "config contract violated: X"
