"""The harness's Redis cluster mode without starting it: slot layout, ports, option check,
config files (the live cluster is in tests/checks/test_redis_cluster_live.py)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from somastack_deploy.harness.base import Context, InstallError
from somastack_deploy.harness.registry import ALL_SERVICES, load_spec
from somastack_deploy.harness.services import redis_cluster


def ctx(tmp_path: Path, offset: int = 18000, **opts) -> Context:
    return Context(state_dir=tmp_path, cache_dir=tmp_path / "cache", port_offset=offset, options={"redis": opts})


def test_slot_ranges_cover_every_slot_once():
    ranges = redis_cluster.slot_ranges()
    assert ranges[0][0] == 0 and ranges[-1][1] == 16383 and len(ranges) == 3
    assert all(b[0] == a[1] + 1 for a, b in zip(ranges, ranges[1:]))


def test_cluster_ports_and_option(tmp_path):
    spec = load_spec("redis")
    c = ctx(tmp_path, cluster=True)
    assert spec.ports(c) == {"node0": 24379, "node1": 24380, "node2": 24381}
    assert spec.loopback_ports(c) == [24379, 24380, 24381, 24382, 24383, 24384]
    assert spec.ports(ctx(tmp_path)) == {"redis": 24379} and spec.loopback_ports(ctx(tmp_path)) == [24379]
    with pytest.raises(InstallError, match="cluster='yes'"):
        spec.ports(ctx(tmp_path, cluster="yes"))


@pytest.mark.parametrize("delta", [-3000, -2000, -1000, 0, 1000, 2000, 3000])
def test_cluster_ports_never_meet_another_service_of_a_stack_at_another_offset(tmp_path, delta):
    mine = set(load_spec("redis").loopback_ports(ctx(tmp_path, 20000, cluster=True)))
    others = set()
    for name in ALL_SERVICES:
        spec = load_spec(name)
        if name == "redis" and delta == 0:
            continue
        others |= set(spec.loopback_ports(Context(state_dir=tmp_path, cache_dir=tmp_path, port_offset=20000 + delta)))
    assert not mine & others


def test_node_configs_are_private_and_carry_the_cluster_settings(tmp_path):
    c = ctx(tmp_path, cluster=True)
    spec = load_spec("redis")
    spec.prepare(c)
    confs = sorted((tmp_path / "data" / "redis").glob("node-*/redis.conf"))
    assert len(confs) == 3
    for i, conf in enumerate(confs):
        assert stat.S_IMODE(conf.stat().st_mode) == 0o600
        lines = conf.read_text().splitlines()
        assert f"port {24379 + i}" in lines and f"cluster-port {24382 + i}" in lines
        assert "cluster-enabled yes" in lines and f"dir {conf.parent}" in lines
        assert sum(ln.startswith("port ") for ln in lines) == 1 and any(ln.startswith("masterauth ") for ln in lines)
    argv, _ = spec.command(c)
    assert argv[:2] == ["/bin/sh", "-c"] and argv[2].count("redis.conf") == 3 and argv[2].endswith("& wait")
