"""No plaintext secret in a container environment (ECS, Kubernetes, Docker), nor in a
Kubernetes ConfigMap.

Source: seed 000 §4 Rule 164 (zero-hardcode), seed 001 §3.2 ("Secrets Manager for secrets"),
issue 3 ("secrets passed through the task definition's ``secrets``, never ``environment``"),
AWS ECS developer guide "Pass sensitive data to an Amazon ECS container", Kubernetes docs
"Distribute credentials securely using Secrets" (``valueFrom.secretKeyRef``).
"""

from __future__ import annotations

from typing import Any

from ..registry import NotApplicable, ResourceInput, Rule, Unknown
from ..secretscan import secret_reason
from ._env import ecs_container_definitions

ECS_TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
DOCKER_CONTAINER = "docker:index/container:Container"
K8S_CONFIGMAP = "kubernetes:core/v1:ConfigMap"

#: Kubernetes workload type → path to its pod spec (Kubernetes API reference).
K8S_POD_SPEC: dict[str, tuple[str, ...]] = {
    "kubernetes:apps/v1:Deployment": ("spec", "template", "spec"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "kubernetes:core/v1:Pod": ("spec",),
    "kubernetes:core/v1:ReplicationController": ("spec", "template", "spec"),
}


def _ecs(res: ResourceInput) -> list[str]:
    out = []
    for c in ecs_container_definitions(res):
        cname = (c or {}).get("name", "?")
        for env in (c or {}).get("environment") or []:
            reason = secret_reason(str(env.get("name", "")), env.get("value"))
            if reason:
                out.append(f"container {cname}: {reason}; use the task definition's secrets (valueFrom a Secrets Manager ARN)")
    return out


def _k8s(res: ResourceInput) -> list[str]:
    pod = res.get(*K8S_POD_SPEC[res.type])
    if pod is None:
        raise Unknown("pod spec is unknown")
    out = []
    for kind in ("initContainers", "containers", "ephemeralContainers"):
        for c in pod.get(kind) or []:
            for env in (c or {}).get("env") or []:
                if "value" not in env:
                    continue  # valueFrom: secretKeyRef / configMapKeyRef / fieldRef
                reason = secret_reason(str(env.get("name", "")), env.get("value"))
                if reason:
                    out.append(f"container {c.get('name', '?')}: {reason}; use valueFrom.secretKeyRef")
    return out


def _docker(res: ResourceInput) -> list[str]:
    out = []
    for item in res.props.get("envs") or []:
        name, sep, value = str(item).partition("=")
        if not sep:
            continue
        reason = secret_reason(name, value)
        if reason:
            out.append(f"container {res.props.get('name') or res.name}: {reason}; mount it as a file (*_FILE) instead")
    return out


class NoPlaintextSecretInContainerEnv(Rule):
    """``no-plaintext-secret-in-container-env``: No plaintext secret in a container environment (ECS task
    definition, Kubernetes workload, Docker container)."""

    name = "no-plaintext-secret-in-container-env"
    description = "No plaintext secret in a container environment (ECS task definition, Kubernetes workload, Docker container)."
    level = "mandatory"
    category = "secrets"
    resource_types = (ECS_TASK_DEFINITION, DOCKER_CONTAINER, *K8S_POD_SPEC)
    source = "seed 000 §4 Rule 164; seed 001 §3.2; AWS ECS 'Pass sensitive data to a container'"

    def check(self, res: ResourceInput) -> list[str]:
        """Flags an environment variable whose name is a secret (contract catalog) or whose value is
        shaped like one (:func:`somastack_deploy.policies.secretscan.secret_reason`)."""
        if res.type == ECS_TASK_DEFINITION:
            return _ecs(res)
        if res.type == DOCKER_CONTAINER:
            return _docker(res)
        if res.type in K8S_POD_SPEC:
            return _k8s(res)
        raise NotApplicable()


class NoSecretInConfigmap(Rule):
    """``no-secret-in-configmap``: No secret in a Kubernetes ConfigMap (ConfigMaps are not encrypted; use a
    Secret)."""

    name = "no-secret-in-configmap"
    description = "No secret in a Kubernetes ConfigMap (ConfigMaps are not encrypted; use a Secret)."
    level = "mandatory"
    category = "secrets"
    resource_types = (K8S_CONFIGMAP,)
    source = "seed 000 §4 Rule 164; Kubernetes docs 'ConfigMaps' (not for confidential data)"

    def check(self, res: ResourceInput) -> list[str]:
        """Flags ConfigMap ``data`` keys that are secret names or hold secret-shaped values."""
        data: dict[str, Any] = res.props.get("data") or {}
        return [f"key {reason}; use a Secret" for key, value in sorted(data.items())
                if (reason := secret_reason(str(key), value))]


#: This module's rules, in report order.
RULES: tuple[type[Rule], ...] = (NoPlaintextSecretInContainerEnv, NoSecretInConfigmap)
