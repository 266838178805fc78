"""Our own stacks plan offline and pass every policy (needs ``stacks/program.py`` and the
``Pulumi.<stack>.yaml`` files of the components + stacks work)."""

from __future__ import annotations

import json
import os

import pytest

from somastack_deploy.policies import check
from somastack_deploy.plan.report import build
from somastack_deploy.plan.runner import run_stack
from somastack_deploy.plan.stackfile import load_stack_file, with_project_defaults

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STACKS = ("local-dev", "fargate-prod", "fargate-dev", "eks-prod")


_PLANS: dict = {}


def _plan(stack: str):
    """(config, CapturedPlan) of ``Pulumi.<stack>.yaml``, computed once per test session."""
    if stack not in _PLANS:
        from somastack_deploy.stacks.program import main

        config = with_project_defaults(load_stack_file(os.path.join(ROOT, f"Pulumi.{stack}.yaml")), ROOT)
        _PLANS[stack] = (config, run_stack(stack, config, main))
    return _PLANS[stack]


#: eks-prod's Milvus Deployment mounts an emptyDir at /var/lib/milvus (rule stateful-data-durable,
#: issue 12); the EKS fix (a StatefulSet with a gp3 volume claim template) is the Kubernetes
#: workloads branch's. Strict: the marker must go when that lands.
_EKS_DURABLE_PENDING = pytest.mark.xfail(strict=True, reason="issue 12: EKS Milvus on a PVC (k8s-workloads branch)")


@pytest.mark.parametrize("stack", [s if s != "eks-prod" else pytest.param(s, marks=_EKS_DURABLE_PENDING)
                                   for s in STACKS])
def test_own_stack_passes_every_policy(stack):
    config, plan = _plan(stack)
    results = check(plan.resources)
    failed = [(r.rule, r.resource, r.messages) for r in results if r.status == "FAILED"]
    assert failed == []
    unknown = [(r.rule, r.resource, r.messages) for r in results if r.status == "UNKNOWN"]
    assert unknown == []
    assert any(r.status == "PASSED" for r in results)
    report = build(plan, config=config, stack=stack)
    assert report.passed and report.doc["policy"]["violations"] == []


@pytest.mark.parametrize("stack", ["fargate-prod", "eks-prod"])
def test_prod_stack_has_checked_prod_resources(stack):
    _, plan = _plan(stack)
    rules = {r.rule for r in check(plan.resources) if r.status == "PASSED"}
    assert {"rds-storage-encrypted", "rds-prod-high-availability", "redis-encryption", "msk-tls-in-transit",
            "alb-https-only", "no-public-datastore", "required-tags", "no-plaintext-secret-in-container-env"} <= rules


def test_plan_cli_on_real_stack_aborts_on_vibe_91(tmp_path, capsys):
    from somastack_deploy.cli import main

    text = open(os.path.join(ROOT, "Pulumi.fargate-prod.yaml"), encoding="utf-8").read()
    assert "config:\n" in text
    bad = tmp_path / "Pulumi.fargate-prod.yaml"
    bad.write_text(text.replace("config:\n", "config:\n  somastack:KEYCLOAK_URL: http://localhost:20880\n", 1))
    rc = main(["plan", "--stack", "fargate-prod", "--stack-file", str(bad), "--format", "json"])
    out, err = capsys.readouterr()
    assert rc == 1 and out == ""
    assert "VIBE-91: KEYCLOAK_URL points at localhost in PROD" in err and "Traceback" not in err


def test_plan_cli_on_real_stack_json_masks_secrets(capsys):
    from somastack_deploy.cli import main

    rc = main(["plan", "--stack", "eks-prod", "--format", "json"])
    out, _ = capsys.readouterr()
    doc = json.loads(out)
    assert rc in (0, 1) and doc["target"] == "EKS" and len(doc["resources"]) > 50
    secrets = [r for r in doc["resources"] if r["type"] == "kubernetes:core/v1:Secret"]
    assert secrets and all(set(v for v in r["props"].get("stringData", {}).values()) <= {"****"} for r in secrets)
    # the mock's generated secret values (Secrets Manager) never reach the output
    assert "mock-password-" not in out and "mock-auth_token-" not in out
