"""Fixtures for the Kafka / Keycloak / OPA / SpiceDB plug-in tests.

Most tests use the session stack of ``somastack_deploy.harness.pytest_plugin`` (marker ``services`` and the
``topology``/``harness`` fixtures). Options that differ from the session stack's defaults (OPA
disk storage, SpiceDB's in-memory datastore) need a second stack: ``private_stack`` is a
:class:`somastack_deploy.harness.manager.Harness` of its own (state dir under tmp, port offset
``SOMASTACK_TEST_PORT_OFFSET + 1000 + 100*i``, default 11000, 11100, …), torn down at module end.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from somastack_deploy.harness.base import Context
from somastack_deploy.harness.manager import Harness, HarnessError, default_cache_dir


@pytest.fixture(scope="module")
def private_stack(tmp_path_factory: pytest.TempPathFactory):
    """A factory ``(names, options) -> (Harness, Topology)`` bringing up a second stack."""
    base = int(os.environ.get("SOMASTACK_TEST_PORT_OFFSET", "10000")) + 1000
    made: list[Harness] = []

    def up(names: list[str], options: dict) -> tuple[Harness, object]:
        offset = base + 100 * len(made)  # one port range per private stack of the module
        state = Path(tmp_path_factory.mktemp("jvm-go-private"))
        h = Harness(Context(state_dir=state, cache_dir=default_cache_dir(), port_offset=offset,
                            options={k: dict(v) for k, v in options.items()}))
        made.append(h)
        try:
            return h, h.up(names)
        except HarnessError as err:
            pytest.fail(str(err), pytrace=False)

    try:
        yield up
    finally:
        for h in made:
            h.down()
