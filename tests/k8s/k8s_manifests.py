"""Helpers of the tests/k8s tests (imported as ``k8s_manifests``: test dirs are not packages):
render a stack under the mock runtime, turn its Kubernetes resources into manifests, apply them
with server-side apply and strict field validation."""

from __future__ import annotations

import copy
import secrets
import sys
from pathlib import Path

#: The marker planted in every secret file of the DEVELOPMENT stack test project (never in output).
PLANTED = "planted-K8sDev-" + secrets.token_hex(6)

STACKS_DIR = Path(__file__).resolve().parents[1] / "stacks"
SKIP_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler")


def manifests(plan, namespace: str) -> list[dict]:
    """``apiVersion``/``kind`` + the resource's props, namespaced objects moved to ``namespace``."""
    out = []
    for r in plan.resources:
        if not r.custom or not r.type.startswith("kubernetes:") or r.type in SKIP_TYPES \
                or r.type.startswith("pulumi:providers"):
            continue
        _, group_version, kind = r.type.split(":")
        group, version = group_version.rsplit("/", 1)
        api_version = version if group == "core" else f"{group}/{version}"
        body = {"apiVersion": api_version, "kind": kind, **copy.deepcopy(r.props)}
        if kind == "Namespace":
            continue
        if "namespace" in body.get("metadata", {}):
            body["metadata"]["namespace"] = namespace
        if kind == "StorageClass":
            body["metadata"]["name"] = f"{body['metadata']['name']}-{namespace}"
        out.append(body)
    return out


def apply_all(kube, manifests: list[dict], dry_run: bool = True) -> list[str]:
    """Server-side apply each manifest (``fieldValidation=Strict``; ``dryRun=All`` unless
    ``dry_run`` is false); returns one ``"KIND NAME: STATUS SUMMARY"`` line per rejected object."""
    from kubernetes.dynamic import DynamicClient
    from kubernetes.dynamic.exceptions import DynamicApiError

    dyn = DynamicClient(kube)
    errors = []
    for body in manifests:
        res = dyn.resources.get(api_version=body["apiVersion"], kind=body["kind"])
        try:
            dyn.server_side_apply(res, body=body, field_manager="somastack-test", force_conflicts=True,
                                  query_params=[("fieldValidation", "Strict")] + ([("dryRun", "All")] if dry_run else []))
        except DynamicApiError as err:
            errors.append(f"{body['kind']} {body['metadata']['name']}: {err.status} {err.summary()}")
    return errors


def plan(stack: str, config=None, mocks=None):
    """The CapturedPlan of ``stack`` (its stack file, or ``config``) under the shared mocks."""
    if str(STACKS_DIR) not in sys.path:
        sys.path.insert(0, str(STACKS_DIR))
    from somastack_deploy.plan.runner import run_stack
    from somastack_deploy.plan.stackfile import load_stack_file
    from somastack_deploy.stacks.program import main

    root = STACKS_DIR.parents[1]
    return run_stack(stack, config or load_stack_file(str(root / f"Pulumi.{stack}.yaml")), main, mocks=mocks)


