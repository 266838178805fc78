"""OPA (built from the Go module proxy) serving assets/opa: readiness, real decisions of the
SomaStack policy for each seed 003 enforcement level, and the storage option."""

from __future__ import annotations

import httpx
import pytest

from somastack_deploy.harness.services.opa import DECISION_PATH, OPA_VERSION


def _decide(topology, payload: dict) -> dict:
    ep = topology.services["opa"].endpoints[0]
    resp = httpx.post(f"http://{ep.host}:{ep.port}{DECISION_PATH}", json={"input": payload}, timeout=10)
    resp.raise_for_status()
    return resp.json()["result"]


@pytest.mark.services("opa")
def test_opa_is_ready_and_reports_what_runs(topology):
    svc = topology.services["opa"]
    ep = svc.endpoints[0]
    assert httpx.get(f"http://{ep.host}:{ep.port}{ep.health_path}", timeout=5).status_code == 200
    assert svc.version == OPA_VERSION.lstrip("v")
    assert svc.storage["backend"] == "memory" and svc.storage["durable"] is False
    assert "go install github.com/open-policy-agent/opa@" in topology.provenance["opa"]
    # the binary really is the pinned build
    version = httpx.get(f"http://{ep.host}:{ep.port}/v1/data/system/version", timeout=5)
    assert version.status_code == 200


@pytest.mark.services("opa")
def test_opa_serves_the_declared_data_document(topology):
    ep = topology.services["opa"].endpoints[0]
    got = httpx.get(f"http://{ep.host}:{ep.port}/v1/data/somastack/config/enforcement", timeout=5).json()
    assert got["result"] == {"LOCAL": "warn", "DEVELOPMENT": "observe", "TRAINING": "strict", "PRODUCTION": "enforce"}


CASES = [
    # (input, allow, permitted, enforcement, reason fragment or None)
    ({"tenant": "default", "mode": "PRODUCTION", "action": "model", "model": "slm/phi-3-mini"},
     True, True, "enforce", None),
    ({"tenant": "default", "mode": "PRODUCTION", "action": "model", "model": "openai/gpt-4o"},
     False, False, "enforce", 'model "openai/gpt-4o" is not allowed for tenant "default"'),
    # seed 003 LOCAL "warn": fail-open but the reason is reported
    ({"tenant": "default", "mode": "LOCAL", "action": "model", "model": "openai/gpt-4o"},
     True, False, "warn", "not allowed"),
    ({"tenant": "default", "mode": "DEVELOPMENT", "action": "delegate"},
     True, False, "observe", 'tenant "default" may not delegate'),
    ({"tenant": "enterprise", "mode": "PRODUCTION", "action": "delegate"}, True, True, "enforce", None),
    # seed 003 TRAINING strict: sensitive tools need explicit trainer approval
    ({"tenant": "enterprise", "mode": "TRAINING", "action": "tool", "tool": "host_exec"},
     False, False, "strict", "needs explicit trainer approval"),
    ({"tenant": "enterprise", "mode": "TRAINING", "action": "tool", "tool": "host_exec", "trainer_approval": True},
     True, True, "strict", None),
    # seed 004 §4.2: DEGRADED / LOCAL_ONLY route through the SLM tier only
    ({"tenant": "default", "mode": "PRODUCTION", "action": "model", "model": "openai/gpt-4o-mini", "agent_state": "DEGRADED"},
     False, False, "enforce", "allows only the SLM tier"),
    # seed 004 §4.2 ENTERPRISE_MODE: OSS/self-hosted only
    ({"tenant": "enterprise", "mode": "PRODUCTION", "action": "model", "model": "openai/gpt-4o"},
     False, False, "enforce", "OSS/self-hosted models only"),
    # an unknown mode fails closed; an unknown tenant is denied
    ({"tenant": "nobody", "mode": "SOMETHING", "action": "tool", "tool": "code_run"},
     False, False, "enforce", 'unknown tenant "nobody"'),
]


@pytest.mark.services("opa")
@pytest.mark.parametrize("payload,allow,permitted,enforcement,reason", CASES)
def test_opa_decisions_follow_the_policy(topology, payload, allow, permitted, enforcement, reason):
    result = _decide(topology, payload)
    assert result["allow"] is allow
    assert result["permitted"] is permitted
    assert result["enforcement"] == enforcement
    if reason is None:
        assert result["reasons"] == []
    else:
        assert any(reason in r for r in result["reasons"]), result["reasons"]


@pytest.mark.services("opa")
def test_opa_policy_data_is_owned_by_the_bundle(topology):
    ep = topology.services["opa"].endpoints[0]
    resp = httpx.put(f"http://{ep.host}:{ep.port}/v1/data/somastack/config/enforcement", json={"PRODUCTION": "warn"}, timeout=5)
    assert resp.status_code == 400 and "owned by bundle" in resp.text
    assert _decide(topology, CASES[1][0])["allow"] is False


def test_opa_disk_storage_keeps_data_api_documents_across_restart(private_stack):
    h, topo = private_stack(["opa"], {"opa": {"storage": "disk"}})
    svc = topo.services["opa"]
    assert svc.storage == {"backend": "disk", "durable": True, "policy_package": "somastack.authz"}
    base = f"http://{svc.endpoints[0].host}:{svc.endpoints[0].port}"
    doc = {"budget_usd": 125, "tenant": "default"}
    assert httpx.put(f"{base}/v1/data/runtime/tenant_budgets/default", json=doc, timeout=5).status_code == 204
    h.stop("opa")
    h.start("opa")
    assert httpx.get(f"{base}/v1/data/runtime/tenant_budgets/default", timeout=5).json()["result"] == doc
    # the policy still answers after the restart
    assert httpx.get(f"{base}/health", timeout=5).status_code == 200


@pytest.mark.services("opa")
def test_opa_memory_storage_loses_data_api_documents_on_restart(topology, harness):
    """The default (in-memory) store is what the topology says: not durable."""
    ep = topology.services["opa"].endpoints[0]
    base = f"http://{ep.host}:{ep.port}"
    assert httpx.put(f"{base}/v1/data/runtime/probe", json={"x": 1}, timeout=5).status_code == 204
    harness.stop("opa")
    harness.start("opa")
    assert httpx.get(f"{base}/v1/data/runtime/probe", timeout=5).json().get("result") is None
