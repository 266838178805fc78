"""Pytest plug-in: real services for tests (registered in ``tests/conftest.py``).

Fixture API (stable; other test packages rely on it)
----------------------------------------------------
Marker::

    @pytest.mark.services("postgres", "redis")      # topology keys, see harness.registry
    def test_something(topology, harness): ...

``topology`` (function scope) -> :class:`somastack_deploy.config_contract.topology.Topology`
    Ensures every service named by the test's ``services`` markers (and their
    ``depends_on``) is installed, started and ready, starting only what is not already
    running in this session (services started by earlier tests are reused, never restarted
    between tests), and returns the *current* topology of the session stack (it may list
    more services than the marker names). Endpoints are ``topology.services[name].endpoints``
    (host/port; Milvus answers on a private network-namespace address, not 127.0.0.1);
    credentials are ``file:///…/credentials.json#svc.key`` references: resolve them with
    ``somastack_deploy.config_contract.references.resolve(ref)``. A service that cannot be installed or
    started makes the test FAIL (``pytest.fail``) with the reason and the log path; it is
    never skipped. A test without the marker gets a topology of whatever is running.

``harness`` (session scope) -> :class:`somastack_deploy.harness.manager.Harness`
    The session's running stack: ``state_dir`` under pytest's session tmp dir, port offset
    ``SOMASTACK_TEST_PORT_OFFSET`` if set, else the first of +10000, +11000, … at which all
    service ports are free (+10000: postgres 15432, redis 16379, vault 18200, …), so it
    never clashes with a developer's own stack; read ``harness.ctx.port_offset``, never
    assume it. A start fails the test when a needed port is taken meanwhile. Use it for fault tests: ``harness.kill(name)``,
    ``harness.stop(name)``, ``harness.start(name) -> Topology``, ``harness.status()``,
    ``harness.credentials()`` (dict, never print it), ``harness.ctx`` (the Context). A
    test that kills/stops a service must leave it running again (``harness.start(name)``)
    or the next ``topology`` fixture call restarts it (it checks liveness and readiness).
    Everything is torn down at session end (``Harness.down()``), no process left behind.

Session-wide options go through environment variables: ``SOMASTACK_TEST_PORT_OFFSET``,
``SOMASTACK_CACHE`` (install cache). Service options (e.g. Redis persistence) can be set
with ``@pytest.mark.services("redis", options={"redis": {"persistence": "none"}})`` only for
a service not yet started in the session (else the test fails, naming the conflict).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from somastack_deploy.config_contract.errors import InputError
from somastack_deploy.harness.base import Context
from somastack_deploy.harness.manager import Harness, HarnessError, default_cache_dir
from somastack_deploy.harness.process import ephemeral_port_range, port_free
from somastack_deploy.harness.registry import ALL_SERVICES, PluginError, load_spec

#: Default port offset of the test stack (seed 001 ports + 10000).
DEFAULT_TEST_PORT_OFFSET = 10000


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "services(*names, options=None): the test needs these real services from the harness "
        "(postgres, redis, kafka, keycloak, spicedb, opa, milvus, vault, kubernetes)",
    )


def _loopback_ports(offset: int) -> tuple[str, list[int]]:
    """The stack's host and every loopback port of every loadable plug-in at ``offset``."""
    ctx = Context(state_dir=Path("/nonexistent"), cache_dir=default_cache_dir(), port_offset=offset)
    ports: list[int] = []
    for name in ALL_SERVICES:
        try:
            spec = load_spec(name)
        except PluginError:
            continue
        ports.extend(spec.loopback_ports(ctx))
    return ctx.host, ports


def _ports_free(offset: int) -> bool:
    """True when every loopback port of every loadable plug-in is free at ``offset``."""
    host, ports = _loopback_ports(offset)
    return all(port_free(host, p) for p in ports)


def _ephemeral_ports(offset: int, span: tuple[int, int] | None = None) -> list[int]:
    """The service ports at ``offset`` that fall in ``span`` (``(low, high)``, inclusive; default
    the kernel's ephemeral port range, :func:`ephemeral_port_range`)."""
    low, high = span or ephemeral_port_range()
    return sorted(p for p in _loopback_ports(offset)[1] if low <= p <= high)


def _port_offset() -> int:
    """The session stack's port offset.

    ``SOMASTACK_TEST_PORT_OFFSET`` when set (a ``pytest.UsageError`` when it puts a service
    port in the kernel's ephemeral port range). Otherwise the first of 10000, 11000, …, then
    9000, 8000, … 1000, that keeps every service port below the ephemeral range and at which
    every service port is free (another test session or a developer's stack may hold some),
    each pytest-xdist worker taking its own share of the candidates."""
    raw = os.environ.get("SOMASTACK_TEST_PORT_OFFSET")
    span = ephemeral_port_range()  # read once for every offset judged below
    if raw is not None:
        try:
            offset = int(raw)
        except ValueError:
            raise pytest.UsageError(f"SOMASTACK_TEST_PORT_OFFSET: not an integer: {raw!r}") from None
        clashing = _ephemeral_ports(offset, span)
        if clashing:
            raise pytest.UsageError(
                f"SOMASTACK_TEST_PORT_OFFSET={offset}: ports {', '.join(map(str, clashing))} fall in the kernel's "
                f"ephemeral port range {span[0]}-{span[1]} (any outgoing connection may take them); use a smaller offset")
        return offset
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    count = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1))
    # +10000, +11000, … then +9000, +8000, … +1000, keeping every port below the ephemeral range
    steps = [DEFAULT_TEST_PORT_OFFSET + 1000 * k for k in range(0, 30)] + [1000 * k for k in range(9, 0, -1)]
    candidates = [offset for offset in steps if not _ephemeral_ports(offset, span)][index::count] or [DEFAULT_TEST_PORT_OFFSET]
    for offset in candidates:
        if _ports_free(offset):
            return offset
    return candidates[0]  # all taken: the start fails, naming the port


@pytest.fixture(scope="session")
def harness(tmp_path_factory: pytest.TempPathFactory):
    """The session's :class:`Harness` (see the module docstring); torn down at session end."""
    state_dir = Path(tmp_path_factory.mktemp("services", numbered=True))
    ctx = Context(state_dir=state_dir, cache_dir=default_cache_dir(), port_offset=_port_offset())
    h = Harness(ctx)
    try:
        yield h
    finally:
        h.down()


@pytest.fixture
def topology(request: pytest.FixtureRequest, harness: Harness):
    """Start the services named by the test's ``services`` markers; return the Topology."""
    names: list[str] = []
    options: dict = {}
    for marker in request.node.iter_markers("services"):
        names.extend(n for n in marker.args if n not in names)
        options.update(marker.kwargs.get("options") or {})
    for svc, opts in options.items():
        current = harness.ctx.options.get(svc)
        if current == opts:
            continue
        if svc in harness.started() and current != opts:
            pytest.fail(f"{svc}: already started in this session with options {current!r}; cannot apply {opts!r}")
        harness.ctx.options[svc] = dict(opts)
    try:
        return harness.up(names)
    except (HarnessError, InputError) as err:
        # Reported as the test's own failure (outcome "failed", not a setup error or a skip):
        # pytest_runtest_call below fails the test before its body runs.
        request.node.stash[_START_ERROR] = str(err)
        return None


_START_ERROR = pytest.StashKey[str]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    err = item.stash.get(_START_ERROR, None)
    if err is not None:
        pytest.fail(f"service could not be started: {err}", pytrace=False)
