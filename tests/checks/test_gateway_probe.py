"""The gateway probe's classification against a real HTTP server on loopback.

No real SomaAgent01 gateway is available here: a ``http.server`` serves the health body that
seed 002 §5.1/§5.2 documents (``{"status": "healthy", "mode": "STANDALONE"}``)."""

from __future__ import annotations

import socket

from somastack_deploy.checks import runner

from checks_helpers import HealthServer, topology_with


def _agent(port: int, path: str = "/api/v1/health") -> dict:
    return {"agent": {"plane": "control", "endpoints": [{"protocol": "http", "host": "127.0.0.1", "port": port,
                                                         "health_path": path}]}}


def _one(topo, timeout_s=3.0):
    rep = runner.run(topo, timeout_s=timeout_s, services=["agent"])
    assert len(rep.results) == 1
    return rep.results[0]


def test_healthy_standalone_passes():
    with HealthServer({"status": "healthy", "mode": "STANDALONE"}) as s:
        r = _one(topology_with(_agent(s.port)))
    assert r.status == "PASSED", r.reason
    assert r.id == "probe.gateway.health" and "STANDALONE" in r.detail


def test_cluster_mode_expects_saas():
    with HealthServer({"status": "healthy", "mode": "STANDALONE"}) as s:
        r = _one(topology_with(_agent(s.port), mode="SomaStackClusterMode"))
        assert r.status == "FAILED" and r.category == "wrong mode", r.reason
        s.body = {"status": "healthy", "mode": "AAAS"}  # the older spelling (seed 001) is accepted
        assert _one(topology_with(_agent(s.port), mode="SomaStackClusterMode")).status == "PASSED"


def test_degraded_status_is_unhealthy():
    with HealthServer({"status": "degraded", "mode": "STANDALONE"}) as s:
        r = _one(topology_with(_agent(s.port)))
    assert (r.status, r.category) == ("FAILED", "unhealthy")


def test_http_errors_classified():
    with HealthServer({"detail": "no"}, status=401) as s:
        assert _one(topology_with(_agent(s.port))).category == "auth rejected"
    with HealthServer({"status": "healthy"}, status=503) as s:
        assert _one(topology_with(_agent(s.port))).category == "unhealthy"
    with HealthServer(b"<html>", status=200) as s:
        assert _one(topology_with(_agent(s.port))).category == "protocol error"
    with HealthServer({"status": "healthy", "mode": "STANDALONE"}) as s:  # health path from the topology
        assert _one(topology_with(_agent(s.port, "/healthz"))).status == "FAILED"


def test_refused_and_timeout():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens any more
    r = _one(topology_with(_agent(port)))
    assert r.category == "refused"
    with HealthServer({"status": "healthy", "mode": "STANDALONE"}, delay_s=3.0) as s:
        r = _one(topology_with(_agent(s.port)), timeout_s=0.5)
    assert r.category == "timed out" and r.latency_ms < 1500


def test_missing_required_services_fail_unless_present_only():
    with HealthServer({"status": "healthy", "mode": "STANDALONE"}) as s:
        topo = topology_with(_agent(s.port))
        rep = runner.run(topo, timeout_s=2.0)
        missing = {r.service for r in rep.results if r.category == "missing"}
        assert missing == {"postgres", "redis", "keycloak", "spicedb", "opa"}
        assert not rep.healthy
        assert runner.run(topo, timeout_s=2.0, include_required=False).healthy


def test_wait_retries_until_healthy():
    with HealthServer({"status": "starting", "mode": "STANDALONE"}) as s:
        import threading

        threading.Timer(0.4, lambda: setattr(s, "body", {"status": "healthy", "mode": "STANDALONE"})).start()
        rep = runner.run(topology_with(_agent(s.port)), timeout_s=1.0, wait_s=60.0, services=["agent"])
    # behaviour, not speed: it retried, and it returned once healthy instead of waiting out wait_s
    assert rep.healthy and rep.attempts > 1 and rep.wall_ms < 60_000 / 2
