"""Relative path options against a real stack: ``somastack-services up`` with a relative
``--state-dir``, then ``probe`` and ``drift`` with the same relative ``--harness-state``, all
from a working directory outside the checkout: healthy, no drift, exit 0."""

from __future__ import annotations

import io
import json
import os
from contextlib import redirect_stderr, redirect_stdout

import pytest


def _run(main, argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.services("redis")
def test_relative_state_dir_up_probe_drift(tmp_path, monkeypatch):
    from somastack_deploy.cli import main
    from somastack_deploy.harness.cli import main as services

    offset = str(int(os.environ.get("SOMASTACK_TEST_PORT_OFFSET", "10000")) + 700)
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(services, ["up", "--state-dir", "rel/state", "--port-offset", offset, "redis"])
    try:
        assert code == 0, err
        assert (tmp_path / "rel" / "state" / "topology.json").is_file()
        code, out, err = _run(main, ["probe", "--harness-state", "rel/state", "--services", "redis",
                                     "--present-only", "--format", "json"])
        assert code == 0, out + err
        code, out, err = _run(main, ["drift", "--harness-state", "rel/state", "--services", "redis",
                                     "--format", "json", "--output", "drift.json"])
        doc = json.loads((tmp_path / "drift.json").read_text())
        assert code == 0, json.dumps(doc)[:2000] + err
        assert doc["items"] == [] and doc["errors"] == []
        code, out, err = _run(services, ["status", "--state-dir", "rel/state"])
        assert code == 0 and "redis" in out and "ready" in out
    finally:
        code, out, err = _run(services, ["down", "--state-dir", "rel/state"])
        assert code == 0, err
