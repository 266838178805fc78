"""The harness against its real servers (PostgreSQL 16, Redis 7, OpenBao, Milvus 2.3).

One stack of its own (state dir under tmp, port offset 12000) is brought up with the CLI, as a
developer would, and then driven through the Python API: status, data surviving restarts and
kills, SIGKILL shown as dead, nothing left behind after ``down``, no credential on any output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import psutil
import pytest

from somastack_deploy.config_contract.references import resolve
from somastack_deploy.config_contract.topology import Topology, load_topology
from somastack_deploy.harness.base import Context
from somastack_deploy.harness.manager import Harness, default_cache_dir

MINE = ("postgres", "redis", "vault", "milvus")


def _free_offset() -> int:
    """First of 12500, 13500, … at which this module's loopback ports are free (the session
    stack of the pytest plug-in uses multiples of 1000, other sessions may run meanwhile)."""
    from somastack_deploy.harness.process import port_free

    for offset in range(12500, 40000, 1000):
        if all(port_free("127.0.0.1", base + offset) for base in (5432, 6379, 8200, 8201)):
            return offset
    raise RuntimeError("no free port offset")


OFFSET = _free_offset()


def cli(state_dir, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "somastack_deploy.harness.cli", "--state-dir", str(state_dir), "--port-offset", str(OFFSET), *args],
        capture_output=True, text=True, timeout=600,
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """(Harness, outputs of the CLI commands run so far) on a stack started by ``up``."""
    state = tmp_path_factory.mktemp("own-stack")
    outputs = [cli(state, "up", *MINE)]
    h = Harness(Context(state_dir=state, cache_dir=default_cache_dir(), port_offset=OFFSET))
    try:
        yield h, outputs
    finally:
        h.down()


def _secrets(h: Harness) -> list[str]:
    return [v for svc in h.credentials().values() for v in svc.values()]


def test_cli_up_writes_a_valid_topology(stack):
    h, outputs = stack
    up = outputs[0]
    assert up.returncode == 0, up.stderr
    topo = load_topology(str(h.topology_path))
    assert set(topo.services) == set(MINE)
    assert topo.stack == "harness"
    assert topo.dimensions.model_dump() == {"software_mode": "SomaStackClusterMode", "environment": "DEV",
                                            "saas_bridge": False, "target": "LOCAL"}
    assert topo.services["postgres"].endpoints[0].port == 5432 + OFFSET
    assert topo.services["redis"].endpoints[0].port == 6379 + OFFSET
    assert topo.services["vault"].endpoints[0].port == 8200 + OFFSET
    assert topo.services["milvus"].endpoints[0].port == 19530 + OFFSET
    assert topo.services["redis"].storage == {"aof": True, "rdb": True}
    assert all(topo.provenance[n] for n in MINE)
    assert "milvus-lite" not in topo.provenance["milvus"]
    assert (h.ctx.credentials_path.stat().st_mode & 0o777) == 0o600
    assert topo.tree == {"SomaStack": {"infrastructure": sorted(MINE)}}


def test_status_all_alive_and_ready(stack):
    h, _ = stack
    st = h.status()
    assert set(st) == set(MINE)
    for name, s in st.items():
        assert s.alive and s.ready and s.pid, name
        assert s.rss_bytes > 0


def _pg(h: Harness):
    import psycopg

    topo = h.topology().services["postgres"]
    ep = topo.endpoints[0]
    return psycopg.connect(host=ep.host, port=ep.port, user=topo.credentials["username"],
                           password=resolve(topo.credentials["password"]), dbname="somaagent01", autocommit=True)


def test_postgres_databases_pgvector_and_row_survive_restart(stack):
    h, _ = stack
    with _pg(h) as conn:
        dbs = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
        assert {"somaagent01", "somabrain", "somafractalmemory", "keycloak", "spicedb"} <= dbs
        assert conn.execute("SHOW server_version").fetchone()[0].startswith("16.")
        conn.execute("CREATE TABLE IF NOT EXISTS harness_t (v text)")
        token = uuid.uuid4().hex
        conn.execute("INSERT INTO harness_t VALUES (%s)", (token,))
    h.restart("postgres")
    with _pg(h) as conn:
        assert conn.execute("SELECT count(*) FROM harness_t WHERE v = %s", (token,)).fetchone()[0] == 1
    import psycopg

    ep = h.topology().services["postgres"].endpoints[0]
    with psycopg.connect(host=ep.host, port=ep.port, user="soma", password=resolve(
            h.topology().services["postgres"].credentials["password"]), dbname="somabrain") as conn:
        assert conn.execute("SELECT '[1,2]'::vector <-> '[1,3]'::vector").fetchone()[0] == 1.0
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(host=ep.host, port=ep.port, user="soma", password="wrong-planted", dbname="postgres",
                        connect_timeout=5)


def _redis(h: Harness):
    import redis

    svc = h.topology().services["redis"]
    ep = svc.endpoints[0]
    return redis.Redis(host=ep.host, port=ep.port, password=resolve(svc.credentials["password"]), socket_timeout=5)


def test_redis_kill_shows_dead_and_aof_keeps_the_key(stack):
    h, _ = stack
    r = _redis(h)
    token = uuid.uuid4().hex
    r.set("harness:key", token)
    r.close()
    pid = h.status()["redis"].pid
    h.kill("redis")
    st = h.status()["redis"]
    assert not st.alive and not st.ready
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    h.start("redis")
    assert h.status()["redis"].ready
    r = _redis(h)
    assert r.get("harness:key") == token.encode()
    r.close()
    import redis

    with pytest.raises(redis.AuthenticationError):
        redis.Redis(host="127.0.0.1", port=6379 + OFFSET, password="wrong-planted").ping()


def test_vault_secret_survives_restart_and_stop_start(stack):
    import hvac

    h, _ = stack
    svc = h.topology().services["vault"]
    url = f"http://{svc.endpoints[0].host}:{svc.endpoints[0].port}"
    client = hvac.Client(url=url, token=resolve(svc.credentials["token"]))
    client.secrets.kv.v2.create_or_update_secret(path="soma/harness", secret={"k": "v1"})
    h.restart("vault")
    client = hvac.Client(url=url, token=resolve(svc.credentials["token"]))
    assert client.sys.is_sealed() is False
    assert client.secrets.kv.v2.read_secret_version(path="soma/harness", raise_on_deleted_version=True)["data"]["data"] == {"k": "v1"}
    assert h.stop("vault") in (True, False)
    assert not h.status()["vault"].alive
    h.start("vault")
    assert client.secrets.kv.v2.read_secret_version(path="soma/harness", raise_on_deleted_version=True)["data"]["data"] == {"k": "v1"}


def test_milvus_serves_vectors_off_the_machine_interfaces(stack):
    from pymilvus import MilvusClient

    h, _ = stack
    ep = h.topology().services["milvus"].endpoints[0]
    assert not ep.host.startswith("127.")
    client = MilvusClient(uri=f"http://{ep.host}:{ep.port}", timeout=30)
    try:
        if "harness_v" in client.list_collections():
            client.drop_collection("harness_v")
        client.create_collection("harness_v", dimension=4)
        client.insert("harness_v", [{"id": i, "vector": [float(i), 0.0, 0.0, 1.0]} for i in range(1, 4)])
        client.flush("harness_v")
        assert "harness_v" in client.list_collections()
        assert client.get("harness_v", ids=[2])[0]["id"] == 2
    finally:
        client.close()
    h.restart("milvus")  # SIGINT, SIGKILL after the grace period, start again
    client = MilvusClient(uri=f"http://{ep.host}:{ep.port}", timeout=30)
    try:
        client.load_collection("harness_v")
        assert [r["id"] for r in client.get("harness_v", ids=[1, 3])] == [1, 3]
    finally:
        client.close()
    # Nothing of Milvus listens in the machine's own network namespace.
    listening = {c.laddr.port for c in psutil.net_connections("tcp") if c.status == psutil.CONN_LISTEN}
    assert ep.port not in listening and 9091 not in listening and 2379 not in listening


def test_cli_never_prints_credentials(stack):
    h, outputs = stack
    outputs.append(cli(h.ctx.state_dir, "status"))
    outputs.append(cli(h.ctx.state_dir, "status", "--json"))
    outputs.append(cli(h.ctx.state_dir, "up", "redis", "vault"))
    for name in MINE:
        outputs.append(cli(h.ctx.state_dir, "logs", name, "-n", "400"))
    secrets = _secrets(h)
    assert len(secrets) >= 4  # postgres, redis passwords; vault unseal key and root token
    for out in outputs:
        assert out.returncode == 0, out.stderr
        for secret in secrets:
            assert secret not in out.stdout and secret not in out.stderr
    topo_text = h.topology_path.read_text()
    for secret in secrets:
        assert secret not in topo_text
        assert secret not in (h.ctx.state_dir / "state.json").read_text()


def test_down_leaves_no_process_and_no_namespace(stack):
    h, _ = stack
    groups = {n: h.status()[n].pid for n in MINE}
    assert all(groups.values())
    netns = h.spec("milvus").netns(h.ctx)
    t0 = time.monotonic()
    h.down()
    assert time.monotonic() - t0 < 60
    left = []
    for p in psutil.process_iter():
        try:
            if os.getpgid(p.pid) in groups.values():
                left.append((p.pid, p.name()))
        except (OSError, psutil.Error):
            continue
    assert not left
    assert h.status() == {}
    assert not h.topology_path.exists()
    assert netns not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout


@pytest.mark.services("redis")
def test_pytest_fixture_starts_marked_service(topology, harness):
    assert isinstance(topology, Topology)
    assert topology.services["redis"].endpoints[0].port == 6379 + harness.ctx.port_offset
    assert harness.status()["redis"].ready


def test_unstartable_service_fails_the_test_not_skips(pytester, tmp_path):
    import socket

    pytester.makeconftest('pytest_plugins = ["somastack_deploy.harness.pytest_plugin"]\n')
    pytester.makepyfile(test_inner='''
import pytest

@pytest.mark.services("redis")
def test_needs_redis(topology):
    pass
''')
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind(("127.0.0.1", 6379 + 8000))  # +8000: every port below the ephemeral range
    blocker.listen()
    old = os.environ.get("SOMASTACK_TEST_PORT_OFFSET")
    os.environ["SOMASTACK_TEST_PORT_OFFSET"] = "8000"
    try:
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    finally:
        blocker.close()
        if old is None:
            os.environ.pop("SOMASTACK_TEST_PORT_OFFSET")
        else:
            os.environ["SOMASTACK_TEST_PORT_OFFSET"] = old
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*service could not be started: redis: port 14379 on 127.0.0.1 is already in use*"])


def test_an_offset_in_the_ephemeral_range_stops_with_the_ports_named(pytester):
    from somastack_deploy.harness.process import ephemeral_port_range

    low, high = ephemeral_port_range()
    if (low, high) != (32768, 60999):
        pytest.skip(f"this kernel's ephemeral range is {low}-{high}, not Linux's default")
    pytester.makeconftest('pytest_plugins = ["somastack_deploy.harness.pytest_plugin"]\n')
    pytester.makepyfile(test_inner='''
import pytest

@pytest.mark.services("redis")
def test_needs_redis(topology):
    pass
''')
    old = os.environ.get("SOMASTACK_TEST_PORT_OFFSET")
    os.environ["SOMASTACK_TEST_PORT_OFFSET"] = "14000"  # Keycloak 34880, OPA 34181, SpiceDB 34051
    try:
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    finally:
        if old is None:
            os.environ.pop("SOMASTACK_TEST_PORT_OFFSET")
        else:
            os.environ["SOMASTACK_TEST_PORT_OFFSET"] = old
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*SOMASTACK_TEST_PORT_OFFSET=14000: ports 34051, 34181, 34880 fall in the kernel's "
                                 "ephemeral port range*"])
