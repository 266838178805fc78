"""Figures of the harness's Kubernetes control plane (service ``kubernetes``).

Usage::

    .venv/bin/python benchmarks/k8s_cluster.py [--cold] [--port-offset 22000] [--json]

On a stack of its own (temporary state dir, port offset 22000 by default) it measures:

- ``install_s``: seconds of ``somastack-services install kubernetes`` (the five ``go build``
  runs). 0.0 when the binaries are cached; with ``--cold`` the install goes into a fresh
  temporary cache (every Go module downloaded and compiled: minutes) and ``binaries_bytes`` is
  the size of what the cache keeps.
- ``first_up_s``: ``Harness.up(["kubernetes"])`` on an empty state dir (PKI, etcd init, node).
- ``warm_up_s``: ``down`` then ``up`` on the same state dir (binaries cached, etcd data kept).
- ``component_ready_s``: per component, seconds from its start to ready, from the supervisor's
  log of the warm start.
- ``rss_bytes``: resident memory per component and in total, after the warm start.
- ``deployment_available_s``: a 3-replica Deployment from create to ``Available``;
  ``job_complete_s``: a Job from create to ``Complete`` (kwok makes pods Ready/Succeeded).
- ``down_s``: ``Harness.down``.

Prints a table (JSON with ``--json``); never prints a credential. Exit 1 when the service
cannot be installed or started (the message names its log).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil  # noqa: E402

from somastack_deploy.harness.base import Context  # noqa: E402
from somastack_deploy.harness.manager import Harness, HarnessError, default_cache_dir  # noqa: E402
from somastack_deploy.harness.services.kubernetes import BINARIES, Kubernetes  # noqa: E402


def _wait(probe, timeout_s: float = 120.0) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        if probe():
            return time.monotonic() - t0
        time.sleep(0.1)
    raise HarnessError(f"condition not reached within {timeout_s:.0f} s")


def _workloads(kubeconfig: str) -> dict[str, float]:
    from kubernetes import client
    from kubernetes import config as kube_config

    api = kube_config.new_client_from_config(config_file=kubeconfig)
    core, apps, batch = client.CoreV1Api(api), client.AppsV1Api(api), client.BatchV1Api(api)
    ns = f"bench-{os.getpid()}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
    labels = {"app": "bench"}
    container = client.V1Container(name="c", image="registry.invalid/bench:1")
    t0 = time.monotonic()
    apps.create_namespaced_deployment(ns, client.V1Deployment(
        metadata=client.V1ObjectMeta(name="bench"),
        spec=client.V1DeploymentSpec(replicas=3, selector=client.V1LabelSelector(match_labels=labels),
                                     template=client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels=labels),
                                                                       spec=client.V1PodSpec(containers=[container])))))
    _wait(lambda: (apps.read_namespaced_deployment_status("bench", ns).status.available_replicas or 0) == 3)
    dep_s = time.monotonic() - t0
    t0 = time.monotonic()
    batch.create_namespaced_job(ns, client.V1Job(
        metadata=client.V1ObjectMeta(name="bench"),
        spec=client.V1JobSpec(template=client.V1PodTemplateSpec(
            spec=client.V1PodSpec(restart_policy="Never", containers=[container])))))
    _wait(lambda: (batch.read_namespaced_job_status("bench", ns).status.succeeded or 0) == 1)
    job_s = time.monotonic() - t0
    core.delete_namespace(ns)
    api.close()
    return {"deployment_available_s": dep_s, "job_complete_s": job_s}


def _components(h: Harness) -> dict[str, int]:
    leader = json.loads(h.state_path.read_text())["services"]["kubernetes"]["proc"]["pid"]
    rss: dict[str, int] = {}
    for p in psutil.process_iter():
        try:
            if os.getpgid(p.pid) != leader:
                continue
            name = os.path.basename(p.cmdline()[0])
            name = "supervisor" if name.startswith("python") else name
            rss[name] = rss.get(name, 0) + p.memory_info().rss
        except (OSError, psutil.Error, IndexError):
            continue
    return rss


def measure(*, cold: bool, port_offset: int) -> dict:
    """Run the measurements of the module docstring; returns the figures."""
    figures: dict = {"cold": cold}
    with tempfile.TemporaryDirectory(prefix="soma-k8s-bench-") as tmp:
        cache = Path(tmp) / "cache" if cold else default_cache_dir()
        ctx = Context(state_dir=Path(tmp) / "state", cache_dir=cache, port_offset=port_offset)
        h = Harness(ctx)
        figures["install_s"] = h.install(["kubernetes"])["kubernetes"]
        spec = Kubernetes()
        figures["binaries_bytes"] = sum(spec.binary(ctx, b).stat().st_size for b in BINARIES)
        try:
            t0 = time.monotonic()
            h.up(["kubernetes"])
            figures["first_up_s"] = time.monotonic() - t0
            h.down()
            t0 = time.monotonic()
            h.up(["kubernetes"])
            figures["warm_up_s"] = time.monotonic() - t0
            time.sleep(2)  # the supervisor logs kwok's start after the node is already Ready
            log = ctx.log_path("kubernetes").read_text().split("=== harness start")[-1]
            figures["component_ready_s"] = {m[0]: float(m[1]) for m in
                                            re.findall(r"supervisor: (\S+) (?:ready|done) in ([\d.]+) s", log)}
            figures["rss_bytes"] = _components(h)
            figures["rss_total_bytes"] = sum(figures["rss_bytes"].values())
            figures.update(_workloads(str(spec.kubeconfig_path(ctx))))
        finally:
            t0 = time.monotonic()
            h.down()
            figures["down_s"] = time.monotonic() - t0
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cold", action="store_true", help="install into a fresh temporary cache (minutes)")
    ap.add_argument("--port-offset", type=int, default=22000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    try:
        figures = measure(cold=args.cold, port_offset=args.port_offset)
    except HarnessError as err:
        print(f"kubernetes benchmark: {err}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(figures, indent=2, sort_keys=True))
        return 0
    print(f"install kubernetes   {figures['install_s']:.1f} s ({'cold, fresh cache' if args.cold else '0 = cached'});"
          f" binaries {figures['binaries_bytes'] / 2**20:.0f} MiB")
    print(f"first up             {figures['first_up_s']:.1f} s")
    print(f"warm up              {figures['warm_up_s']:.1f} s")
    for name, secs in figures["component_ready_s"].items():
        print(f"  {name:<24} ready in {secs:.1f} s")
    for name, rss in sorted(figures["rss_bytes"].items()):
        print(f"  rss {name:<20} {rss / 2**20:.0f} MiB")
    print(f"rss total            {figures['rss_total_bytes'] / 2**20:.0f} MiB")
    print(f"Deployment (3) Available {figures['deployment_available_s']:.1f} s; Job Complete {figures['job_complete_s']:.1f} s")
    print(f"down                 {figures['down_s']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
