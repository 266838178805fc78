"""The resiliency loop against the real harness (seed 002 §5.3, "Rule 122").

- ten cycles (SIGKILL, ``--hard``) of postgres + redis + vault + opa + spicedb pass with the
  ledger intact (OPA's in-memory data reported as not durable, not as loss);
- two graceful cycles including Kafka (its JVM takes ~17 s to start here, so ten Kafka cycles
  would dominate CI time; the figures are in benchmarks/checks.py);
- with Redis persistence off, the data loss is detected and named (own stack, own ports).
"""

from __future__ import annotations

import json

import pytest

from somastack_deploy.checks.resilience import loop, report
from somastack_deploy.checks.resilience.cyclers.harness import HarnessCycler

FAST = ["postgres", "redis", "vault", "opa", "spicedb"]


@pytest.mark.services(*FAST)
def test_ten_hard_cycles_keep_the_ledger(topology, harness):
    cycler = HarnessCycler(harness, FAST)
    rep = loop.run_cycles(topology, cycler, cycles=10, hard=True, cycle_deadline_s=120, probe_timeout_s=5,
                          services=FAST, progress=False)
    assert not rep.setup_failures, rep.setup_failures
    assert len(rep.cycles) == 10
    assert rep.passed, report.to_text(rep)
    for c in rep.cycles:
        assert c.healthy and c.time_to_healthy_s is not None
        for svc in ("postgres", "redis", "vault", "spicedb"):
            assert c.data[svc]["verdict"] == "INTACT", (c.n, svc, c.data[svc])
        assert c.data["opa"]["verdict"] == loop.LOST_NOT_DURABLE  # reported, not silently passed
    assert rep.durability["opa"]["durable"] is False and rep.durability["redis"]["durable"] is True
    r = rep.recovery()
    assert r["recovered"] == 10 and r["p50_s"] <= r["p95_s"] <= r["max_s"]
    html = report.to_html(rep)
    assert "<svg" in html and html.count("<rect") >= 10
    doc = json.loads(report.to_json(rep))
    assert doc["version"] == 1 and doc["passed"] is True and len(doc["cycles"]) == 10
    # the ledger is removed at the end (Redis' key is gone)
    assert rep.ledger_cleanup["left"] == [] and len(rep.ledger_cleanup["removed"]) == len(rep.ledger)
    assert f"ledger: {len(rep.ledger)} of {len(rep.ledger)} entries removed" in report.to_text(rep)
    redis_entry = next(e for e in rep.ledger if e.service == "redis")
    assert loop.L.verdict(loop.L.STORES["redis"], loop._contexts(topology, ["redis"], 5)["redis"],
                          redis_entry)[0] == "MISSING"
    # no secret value (the ledger's Vault secret or a credential) in any report
    secrets = [v for svc in harness.credentials().values() for v in svc.values() if len(str(v)) >= 6]
    for text in (html, report.to_text(rep), report.to_json(rep)):
        assert not any(s in text for s in secrets)


@pytest.mark.services("kafka", "postgres", "redis")
def test_graceful_cycles_with_kafka(topology, harness):
    services = ["kafka", "postgres", "redis"]
    rep = loop.run_cycles(topology, HarnessCycler(harness, services), cycles=2, cycle_deadline_s=180,
                          probe_timeout_s=10, services=services, progress=False)
    assert rep.passed, report.to_text(rep)
    assert all(c.data["kafka"]["verdict"] == "INTACT" for c in rep.cycles)


# Marked so that `-m "not services"` leaves it out; it starts its own Redis (persistence off) on
# its own ports (the session's port offset + 700) instead of the session stack's.
@pytest.mark.services("redis")
def test_redis_without_persistence_loses_data_and_is_named(tmp_path):
    import os

    from somastack_deploy.harness.base import Context
    from somastack_deploy.harness.manager import Harness, default_cache_dir

    offset = int(os.environ.get("SOMASTACK_TEST_PORT_OFFSET", "20300")) + 700
    h = Harness(Context(state_dir=tmp_path / "stack", cache_dir=default_cache_dir(), port_offset=offset,
                        options={"redis": {"persistence": "none"}}))
    try:
        topo = h.up(["redis"])
        assert topo.services["redis"].storage.get("aof") is False
        rep = loop.run_cycles(topo, HarnessCycler(h, ["redis"]), cycles=1, cycle_deadline_s=60, probe_timeout_s=5,
                              progress=False)
    finally:
        h.down()
    assert not rep.passed
    assert rep.durability["redis"]["durable"] is False
    (cycle,) = rep.cycles
    assert cycle.healthy and cycle.data["redis"]["verdict"] == loop.LOST_NOT_DURABLE
    assert rep.data_loss and rep.data_loss[0].startswith("cycle 1: redis:")
    assert "no durable storage configured" in rep.data_loss[0] and "AOF off" in rep.data_loss[0]
    assert "DATA LOSS: cycle 1: redis" in report.to_text(rep)
