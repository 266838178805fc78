"""Cycler for Kubernetes Deployments (EKS) through the kubernetes Python client.

Two strategies:

- ``scale`` (default): patch the ``scale`` subresource to 0 replicas, wait until no pod of the
  Deployment runs (``status.replicas`` 0), scale back to the original count;
- ``restart``: ``kubectl rollout restart`` semantics, i.e. patch the pod template annotation
  ``kubectl.kubernetes.io/restartedAt`` with the current time (rolling; never fully down).

``bring_up`` waits for the rollout like ``kubectl rollout status``: ``observedGeneration`` ≥
``generation`` and updated = ready = available = desired replicas. ``hard`` deletes the pods
with ``grace_period_seconds=0``. Request bodies are checked against the client's models.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

from .base import Cycler, CyclerError

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"


def restart_patch(now: datetime | None = None) -> dict:
    """The strategic-merge patch of ``kubectl rollout restart``."""
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}


def scale_patch(replicas: int) -> dict:
    """The body of a ``PATCH …/deployments/NAME/scale``."""
    return {"spec": {"replicas": int(replicas)}}


def rollout_complete(dep) -> bool:
    """``kubectl rollout status`` condition on a ``V1Deployment``."""
    st, spec = dep.status, dep.spec
    want = spec.replicas if spec.replicas is not None else 1
    return ((st.observed_generation or 0) >= (dep.metadata.generation or 0)
            and (st.updated_replicas or 0) == want and (st.ready_replicas or 0) == want
            and (st.available_replicas or 0) == want and (st.replicas or 0) == want)


class EKSCycler(Cycler):
    name = "eks"

    def __init__(self, apps_api, core_api, namespace: str, deployments: list[str], *, strategy: str = "scale",
                 rollout_timeout_s: float = 600.0, poll_s: float = 2.0):
        if strategy not in ("scale", "restart"):
            raise ValueError(f"unknown EKS strategy {strategy!r}")
        self.apps, self.core, self.ns, self.deployments = apps_api, core_api, namespace, list(deployments)
        self.strategy, self.rollout_timeout_s, self.poll_s = strategy, rollout_timeout_s, poll_s
        self.replicas: dict[str, int] = {}

    @classmethod
    def from_kubeconfig(cls, namespace: str, deployments: list[str], **kw) -> "EKSCycler":
        from kubernetes import client, config

        config.load_kube_config()
        return cls(client.AppsV1Api(), client.CoreV1Api(), namespace, deployments, **kw)

    def take_down(self, *, hard: bool = False) -> None:
        for name in self.deployments:
            dep = self.apps.read_namespaced_deployment(name, self.ns)
            self.replicas.setdefault(name, dep.spec.replicas if dep.spec.replicas is not None else 1)
            if self.strategy == "scale":
                self.apps.patch_namespaced_deployment_scale(name, self.ns, scale_patch(0))
            else:
                self.apps.patch_namespaced_deployment(name, self.ns, restart_patch())
            if hard:
                selector = ",".join(f"{k}={v}" for k, v in (dep.spec.selector.match_labels or {}).items())
                self.core.delete_collection_namespaced_pod(self.ns, label_selector=selector, grace_period_seconds=0)

    def is_down(self) -> bool:
        if self.strategy == "restart":
            return True
        return all((self.apps.read_namespaced_deployment_status(n, self.ns).status.replicas or 0) == 0
                   for n in self.deployments)

    def bring_up(self) -> None:
        if self.strategy == "scale":
            for name in self.deployments:
                self.apps.patch_namespaced_deployment_scale(name, self.ns, scale_patch(self.replicas.get(name, 1)))
        deadline = time.monotonic() + self.rollout_timeout_s
        pending = list(self.deployments)
        while pending:
            pending = [n for n in pending if not rollout_complete(self.apps.read_namespaced_deployment_status(n, self.ns))]
            if not pending:
                return
            if time.monotonic() > deadline:
                raise CyclerError(f"rollout of {', '.join(pending)} not complete within {self.rollout_timeout_s:g}s")
            time.sleep(self.poll_s)

    def describe(self) -> str:
        return f"eks {self.ns} ({', '.join(self.deployments)}; {self.strategy})"
