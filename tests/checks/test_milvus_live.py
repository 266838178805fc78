"""Milvus (the real 2.3.x standalone server of the harness): the probe's canary collection
round trip, one down/up cycle with the ledger vector intact, no collection drift."""

from __future__ import annotations

import pytest

from somastack_deploy.checks import runner
from somastack_deploy.checks.drift.services import service_drift
from somastack_deploy.checks.resilience import loop, report
from somastack_deploy.checks.resilience.cyclers.harness import HarnessCycler

pytestmark = pytest.mark.services("milvus")


def test_milvus_probe_cycle_and_drift(topology, harness):
    rep = runner.run(topology, timeout_s=20, wait_s=60, services=["milvus"])
    assert rep.healthy, [r.reason for r in rep.results]
    assert rep.results[0].id == "probe.milvus.canary"
    res = loop.run_cycles(topology, HarnessCycler(harness, ["milvus"]), cycles=1, cycle_deadline_s=180,
                          probe_timeout_s=20, services=["milvus"], progress=False)
    assert res.passed, report.to_text(res)
    assert res.cycles[0].data["milvus"]["verdict"] == "INTACT"
    items, checked, errors = service_drift(topology, services=["milvus"], timeout_s=20)
    assert (items, checked, errors) == ([], ["milvus"], [])
