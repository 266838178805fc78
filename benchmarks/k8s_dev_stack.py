"""Wall time of the DEVELOPMENT stack (``Pulumi.k8s-dev.yaml``) on the harness cluster.

Usage::

    .venv/bin/python benchmarks/k8s_dev_stack.py [--port-offset 23000] [--json]

Starts the harness service ``kubernetes`` on a state dir of its own, copies the project into a
temporary directory with a ``Pulumi.k8s-dev.yaml`` pointing at the cluster (planted secret files,
small sizing, a file backend), then times the installed ``somastack-deploy``:

- ``up_s``: first ``up`` (every object created; the engine waits for Deployments, StatefulSets
  with bound claims and Jobs);
- ``noop_up_s``: a second ``up`` (no changes);
- ``preview_refresh_s``: ``preview --refresh``;
- ``destroy_s``: ``destroy --yes``;
- ``resources``: the number of resources created.

Prints a table (JSON with ``--json``); never prints a secret. Exit 1 when a step fails.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from somastack_deploy.harness.base import Context  # noqa: E402
from somastack_deploy.harness.manager import Harness, default_cache_dir  # noqa: E402

VARS = ("SOMA_SECRET_KEY", "OPENROUTER_API_KEY", "SPICEDB_API_KEY", "SOMA_MEMORY_API_TOKEN", "SOMA_DB_PASSWORD",
        "KEYCLOAK_ADMIN_PASSWORD")


def _project(base: Path, kubeconfig: str) -> tuple[Path, dict[str, str]]:
    proj, secrets_dir, state = base / "project", base / "secrets", base / "state"
    for d in (proj / "stacks", secrets_dir, state):
        d.mkdir(parents=True)
    shutil.copy(ROOT / "Pulumi.yaml", proj / "Pulumi.yaml")
    for var in VARS:
        (secrets_dir / var).write_text(secrets.token_urlsafe(16), encoding="utf-8")
    doc = yaml.safe_load((ROOT / "Pulumi.k8s-dev.yaml").read_text(encoding="utf-8"))
    doc["config"].update({"somastack:kubernetes": {"kubeconfig": kubeconfig, "namespace": "bench", "volumeSizeGiB": 1},
                          "somastack:secretsDir": str(secrets_dir),
                          "somastack:sizing": {"cpu": 256, "memoryMiB": 256, "ephemeralStorageGiB": 1,
                                               "desiredCount": 1}})
    (proj / "Pulumi.k8s-dev.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    env.update({"PULUMI_CONFIG_PASSPHRASE": secrets.token_urlsafe(16), "PULUMI_BACKEND_URL": state.as_uri(),
                "PULUMI_HOME": str(base / "home")})
    return proj, env


def _timed(args: list[str], proj: Path, env: dict[str, str]) -> tuple[float, dict]:
    exe = Path(sys.executable).parent / "somastack-deploy"
    t0 = time.monotonic()
    proc = subprocess.run([str(exe), *args, "--stack", "k8s-dev", "--format", "json"], cwd=proj, env=env,
                          capture_output=True, text=True, timeout=1800)
    elapsed = time.monotonic() - t0
    if proc.returncode != 0:
        sys.stderr.write(f"{args[0]} failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else '?'}\n")
        raise SystemExit(1)
    return elapsed, json.loads(proc.stdout)


def main(argv: list[str] | None = None) -> int:
    """Run the measurement (see the module docstring)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port-offset", type=int, default=23000)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="k8s-dev-bench-"))
    h = Harness(Context(state_dir=base / "services", cache_dir=default_cache_dir(), port_offset=args.port_offset))
    try:
        topo = h.up(["kubernetes"])
        kubeconfig = topo.services["kubernetes"].storage["kubeconfig"]
        from kubernetes import client
        from kubernetes import config as kube_config

        api = kube_config.new_client_from_config(config_file=kubeconfig)
        core = client.CoreV1Api(api)
        for node in core.list_node().items:  # a kubelet reports ephemeral-storage; the kwok node may not
            if "ephemeral-storage" not in (node.status.allocatable or {}):
                core.patch_node_status(node.metadata.name, {"status": {
                    "capacity": {"ephemeral-storage": "1Ti"}, "allocatable": {"ephemeral-storage": "1Ti"}}})
        api.close()
        proj, env = _project(base, kubeconfig)
        up_s, up = _timed(["up"], proj, env)
        noop_s, noop = _timed(["up"], proj, env)
        preview_s, _ = _timed(["preview", "--refresh"], proj, env)
        destroy_s, _ = _timed(["destroy", "--yes"], proj, env)
        figures = {"up_s": round(up_s, 1), "noop_up_s": round(noop_s, 1), "preview_refresh_s": round(preview_s, 1),
                   "destroy_s": round(destroy_s, 1), "resources": up["changes"].get("create", 0),
                   "noop_changes": noop["changes"]}
    finally:
        h.down()
        shutil.rmtree(base, ignore_errors=True)
    if args.json:
        print(json.dumps(figures, sort_keys=True))
    else:
        for k, v in figures.items():
            print(f"{k:20} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
