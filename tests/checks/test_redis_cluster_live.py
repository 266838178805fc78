"""The Redis cluster path (ElastiCache cluster mode on AWS, issue 12) against a real Redis
Cluster: the harness's Redis with option ``cluster`` (three masters on loopback).

The stack is this module's own (own state dir, port offset = the session's + 700), so the
session's plain Redis and this cluster never meet: the pytest marker form
``@pytest.mark.services("redis", options={"redis": {"cluster": True}})`` works too, but only
when no earlier test of the session started a plain Redis.
"""

from __future__ import annotations

import os
import time

import pytest

from somastack_deploy.checks.probes.base import ProbeContext, ProbeFailure
from somastack_deploy.checks.probes.redis import client, cluster_shape, probe_redis
from somastack_deploy.checks.resilience import ledger, loop
from somastack_deploy.checks.resilience.cyclers.harness import HarnessCycler
from somastack_deploy.config_contract.topology import Topology

#: Real servers (selected out by ``-m "not services"``); the stack is the module's own.
pytestmark = pytest.mark.services()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """(Harness, Topology) of a three-master Redis Cluster; torn down after the module."""
    from somastack_deploy.harness.base import Context
    from somastack_deploy.harness.manager import Harness, default_cache_dir

    offset = int(os.environ.get("SOMASTACK_TEST_PORT_OFFSET", "10000")) + 700
    h = Harness(Context(state_dir=tmp_path_factory.mktemp("redis-cluster"), cache_dir=default_cache_dir(),
                        port_offset=offset, options={"redis": {"cluster": True}}))
    try:
        yield h, h.up(["redis"])
    finally:
        h.down()


def ctx_of(topo: Topology, **changes) -> ProbeContext:
    svc = topo.services["redis"]
    if changes:
        svc = svc.model_copy(update=changes)
    return ProbeContext("redis", svc, topo, 5.0)


def test_harness_topology_declares_the_cluster_and_its_three_nodes(cluster):
    _, topo = cluster
    svc = topo.services["redis"]
    assert svc.cluster is not None and (svc.cluster.shards, svc.cluster.replicas_per_shard) == (3, 0)
    assert len({e.port for e in svc.endpoints}) == 3
    assert "cluster of 3 masters" in topo.provenance["redis"]


def test_probe_speaks_the_cluster_protocol_and_checks_cluster_info(cluster):
    _, topo = cluster
    ctx = ctx_of(topo)
    assert "cluster ok: 3 shards x 0 replicas, 16384 slots" in probe_redis(ctx)
    r = client(ctx)
    try:
        assert type(r).__name__ == "RedisCluster"
        for i in range(30):  # keys spread over the three shards: MOVED is followed by the client
            r.set(f"somastack:test:{i}", str(i))
        owners = {r.get_node_from_key(f"somastack:test:{i}").name for i in range(30)}
        assert len(owners) == 3 and [r.get(f"somastack:test:{i}") for i in (0, 29)] == [b"0", b"29"]
    finally:
        r.close()


def test_ledger_survives_hard_cycles_of_the_cluster(cluster):
    h, topo = cluster
    rep = loop.run_cycles(topo, HarnessCycler(h, ["redis"]), cycles=2, hard=True, cycle_deadline_s=90,
                          probe_timeout_s=5, services=["redis"], progress=False)
    assert rep.passed and all(c.data["redis"]["verdict"] == ledger.VERDICT_INTACT for c in rep.cycles)
    assert rep.durability["redis"]["durable"] is True and "AOF on" in rep.durability["redis"]["note"]


def test_drift_on_cluster_settings(cluster):
    from somastack_deploy.checks.drift.services import redis_drift
    from somastack_deploy.config_contract.topology import Cluster

    _, topo = cluster
    assert [i for i in redis_drift(ctx_of(topo), None) if i.object == "cluster"] == []
    items = redis_drift(ctx_of(topo, cluster=Cluster(shards=4, replicas_per_shard=1)), None)
    got = {(i.object, i.field, i.expected, i.actual) for i in items if i.object == "cluster"}
    assert got == {("cluster", "shards", "4", "3"), ("cluster", "replicas_per_shard", "1", "0")}
    undeclared = redis_drift(ctx_of(topo, cluster=None), None)
    assert {(i.field, i.expected, i.actual) for i in undeclared if i.object == "cluster"} == {("cluster_enabled", "no", "yes")}


def test_probe_fails_when_a_node_is_gone_and_passes_after_a_restart(cluster):
    h, topo = cluster
    ctx = ctx_of(topo)
    node = client(ctx, cluster=False)  # the first endpoint's node
    try:
        pw = ctx.secret("password")
        import redis

        third = topo.services["redis"].endpoints[2]
        victim = redis.Redis(host=third.host, port=third.port, password=pw, socket_timeout=2)
        try:
            victim.shutdown(nosave=True)
        except redis.exceptions.ConnectionError:
            pass  # the node closes the connection as it exits
        deadline = time.monotonic() + 30
        state = "ok"
        while time.monotonic() < deadline and state == "ok":  # cluster-node-timeout is 5 s
            state = node.cluster("INFO").get("cluster_state")
            time.sleep(0.5)
        assert state == "fail"
    finally:
        node.close()
    with pytest.raises(ProbeFailure) as err:
        probe_redis(ctx_of(topo))
    assert err.value.category == "unhealthy" and "CLUSTER INFO cluster_state:fail" in str(err.value)
    h.restart("redis")
    r = client(ctx_of(topo))
    try:
        assert cluster_shape(r)["state"] == "ok"
    finally:
        r.close()
    assert "cluster ok" in probe_redis(ctx_of(topo))
