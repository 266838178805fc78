"""Resilience guards against real services: a bring-up whose server exits ends the cycle
within seconds (reason, the server's last log line and the log path in the report) instead
of waiting out the deadline; the ledger entries are removed from every store at the end; a
PROD topology is refused without ``--yes`` before anything is touched."""

from __future__ import annotations

import json
import os
import time

import pytest

from somastack_deploy.checks.probes.base import ProbeContext
from somastack_deploy.checks.resilience import ledger as L
from somastack_deploy.checks.resilience import loop, report
from somastack_deploy.checks.resilience.cyclers.harness import HarnessCycler
from somastack_deploy.cli import main
from somastack_deploy.harness.base import Context
from somastack_deploy.harness.manager import Harness, default_cache_dir
from somastack_deploy.harness.services.redis import Redis


class _RedisThatExits(Redis):
    """The real Redis plug-in whose start command carries a directive redis-server rejects:
    the server starts, prints ``Bad directive or wrong number of arguments`` and exits 1."""

    def command(self, ctx):
        argv, env = super().command(ctx)
        return argv + ["--no-such-directive", "yes"], env


def _own_offset() -> int:
    """This module's own stack: the session offset + 700 (ports clear of the session stack)."""
    return int(os.environ.get("SOMASTACK_TEST_PORT_OFFSET", "10000")) + 700


@pytest.mark.services("redis")
def test_a_start_command_that_exits_ends_the_cycle_within_seconds(tmp_path):
    h = Harness(Context(state_dir=tmp_path / "stack", cache_dir=default_cache_dir(), port_offset=_own_offset()))
    try:
        topo = h.up(["redis"])
        h.specs["redis"] = _RedisThatExits()  # from now on every start of redis exits at once
        t0 = time.monotonic()
        rep = loop.run_cycles(topo, HarnessCycler(h, ["redis"]), cycles=2, hard=True, cycle_deadline_s=300,
                              probe_timeout_s=5, progress=False)
        wall = time.monotonic() - t0
    finally:
        h.down()
    assert not rep.passed and len(rep.cycles) == 2
    for c in rep.cycles:
        assert c.cycle_s < 15, (c.n, c.cycle_s)  # not the 300 s deadline
        assert not c.healthy and c.up_s is not None
        text = "\n".join(c.failures)
        assert "bring up: redis: exited with code 1" in text
        assert "Bad directive or wrong number of arguments" in text  # the server's own last line
        assert str(h.ctx.log_path("redis")) in text  # absolute log path
        assert "stopped waiting for health" in text and "not healthy within 300s" not in text
    assert wall < 40
    out = report.to_text(rep)
    assert "exited with code 1" in out and str(h.ctx.log_path("redis")) in out
    # redis stayed down: its ledger entry could not be removed, and the report says so
    (left,) = rep.ledger_cleanup["left"]
    assert left["service"] == "redis" and left["location"].startswith("key somastack:ledger:")
    assert "ledger: 0 of 1 entries removed" in out and "LEFT  redis: key somastack:ledger:" in out


@pytest.mark.services("postgres", "redis", "vault", "opa", "spicedb", "kafka", "milvus")
def test_ledger_entries_are_removed_from_every_store(topology):
    services = ["kafka", "milvus", "opa", "postgres", "redis", "spicedb", "vault"]
    run_id = L.new_run_id()
    entries, _, failures = loop.write_ledger(topology, services, run_id, 30.0)
    assert not failures and sorted(e.service for e in entries) == services
    ctxs = {s: ProbeContext(s, topology.services[s], topology, 30.0) for s in services}
    assert all(L.verdict(L.STORES[e.service], ctxs[e.service], e)[0] == L.VERDICT_INTACT for e in entries)
    out = loop.remove_ledger(topology, entries, 30.0)
    assert out["left"] == [] and len(out["removed"]) == len(entries)
    for e in entries:
        verdict, detail = L.verdict(L.STORES[e.service], ctxs[e.service], e)
        assert verdict == L.VERDICT_MISSING, (e.service, verdict, detail)
    # removing again is fine (already gone), and Kafka's partition starts after the entry
    assert loop.remove_ledger(topology, entries, 30.0)["left"] == []
    from confluent_kafka import TopicPartition
    from confluent_kafka import Consumer

    from somastack_deploy.checks.probes.kafka import config

    kafka = next(e for e in entries if e.service == "kafka")
    c = Consumer({**config(ctxs["kafka"]), "group.id": "ledger-test"})
    try:
        low, _high = c.get_watermark_offsets(TopicPartition(L.LEDGER_TOPIC, 0), timeout=30)
    finally:
        c.close()
    assert low > max(o for _, o in kafka.ref["positions"])


def _prod_topology(tmp_path):
    p = tmp_path / "prod.json"
    p.write_text(json.dumps({"version": 1, "stack": "prod-eu", "dimensions": {
        "software_mode": "SomaStackClusterMode", "environment": "PROD", "saas_bridge": False, "target": "LOCAL"},
        "services": {"redis": {"plane": "infrastructure", "endpoints": [{"protocol": "redis", "host": "127.0.0.1",
                                                                         "port": 1}]}}}))
    return p


def test_prod_topology_is_refused_without_yes(tmp_path, capsys):
    p = _prod_topology(tmp_path)
    t0 = time.monotonic()
    assert main(["resilience", "--topology", str(p), "--cycles", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "prod-eu" in err and "PROD" in err and "--yes" in err
    assert time.monotonic() - t0 < 5  # refused before any probe or cycle
    # with --yes it goes past the guard (here to the next input check: the harness target needs a state dir)
    code = main(["resilience", "--topology", str(p), "--cycles", "1", "--yes", "--target", "harness"])
    assert code == 2 and "--harness-state" in capsys.readouterr().err  # past the PROD guard


def test_help_says_what_resilience_and_probe_write(capsys):
    with pytest.raises(SystemExit):
        main(["resilience", "--help"])
    out = capsys.readouterr().out
    for needle in ("DOWN", "somastack_ledger", "somastack:ledger:", "somastack.ledger", "somastack-ledger",
                   "--keep-ledger", "PROD", "--yes", "somastack.probe", "somastack_probe_"):
        assert needle in out, needle
    with pytest.raises(SystemExit):
        main(["probe", "--help"])
    out = capsys.readouterr().out
    assert "somastack.probe" in out and "somastack_probe_" in out and "Read-only" in out
