"""``somastack-deploy drift --stack`` path end to end with the real Pulumi engine (CLI v3.259.0
built from the Go module proxy by ``harness/install/pulumi/build.sh``): a local-backend stack
with one resource (a dynamic-provider file, provider defined in this test) is changed, then
deleted out of band; :func:`somastack_deploy.checks.drift.engine.infra_drift` on the project directory (only
``Pulumi.yaml``, existing stack) reports exactly that property, then the missing resource.
``--stack`` reads the stack's ``topology`` output through the same CLI."""

from __future__ import annotations

import json
import os

import pytest

from somastack_deploy.checks import sources
from somastack_deploy.checks.drift.engine import infra_drift, open_stack

TOPOLOGY = {"version": 1, "stack": "drift-e2e", "dimensions": {"software_mode": "StandAlone", "environment": "DEV",
                                                              "saas_bridge": False, "target": "LOCAL"},
            "services": {"redis": {"plane": "infrastructure",
                                   "endpoints": [{"protocol": "redis", "host": "127.0.0.1", "port": 6379}],
                                   "credentials": {"password": "ref+vault://secret/soma/redis#/password"}}}}


def test_refresh_preview_reports_out_of_band_changes(pulumi_root, tmp_path, monkeypatch):
    import pulumi
    import pulumi.dynamic as dyn

    target = tmp_path / "managed.conf"
    env = {"PULUMI_BACKEND_URL": f"file://{tmp_path / 'state'}", "PULUMI_CONFIG_PASSPHRASE": "not-a-secret-e2e",
           "PULUMI_HOME": str(tmp_path / "home")}
    (tmp_path / "state").mkdir()
    for k, v in env.items():
        monkeypatch.setenv(k, v)

    class FileProvider(dyn.ResourceProvider):
        def create(self, props):
            with open(props["path"], "w") as fh:
                fh.write(props["content"])
            return dyn.CreateResult(id_=props["path"], outs=dict(props))

        def read(self, id_, props):
            if not os.path.exists(id_):
                return dyn.ReadResult(None, {})
            with open(id_) as fh:
                return dyn.ReadResult(id_, {**props, "content": fh.read()})

        def delete(self, id_, props):
            if os.path.exists(id_):
                os.remove(id_)

    class LocalFile(dyn.Resource):
        def __init__(self, name, props):
            super().__init__(FileProvider(), name, props)

    def program():
        LocalFile("retention-config", {"path": str(target), "content": "retention.ms=604800000\n"})
        pulumi.export("topology", json.dumps(TOPOLOGY))

    stack = open_stack(program, "drift-e2e", None, project_name="somastack-drift-e2e", create=True,
                       cli_root=pulumi_root, env=env)
    assert stack.up(on_output=lambda _: None).summary.result == "succeeded"
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "Pulumi.yaml").write_text("name: somastack-drift-e2e\nruntime: python\n")

    assert infra_drift("drift-e2e", str(proj), env=env) == ([], [])
    topo = sources.from_stack("drift-e2e", cwd=str(proj), pulumi=str(pulumi_root / "bin" / "pulumi"))
    assert topo.stack == "drift-e2e" and "redis" in topo.services

    target.write_text("retention.ms=3600000\n")
    items, _ = infra_drift("drift-e2e", str(proj), env=env)
    assert [(i.kind, i.field, i.change, i.expected, i.actual) for i in items] == [
        ("infra", "content", "changed", "retention.ms=604800000\n", "retention.ms=3600000\n")]
    assert items[0].object == "pulumi-python:dynamic:Resource retention-config"

    target.unlink()
    items, _ = infra_drift("drift-e2e", str(proj), env=env)
    assert [(i.object, i.change) for i in items] == [("pulumi-python:dynamic:Resource retention-config", "missing")]
    assert "not-a-secret-e2e" not in json.dumps([i.to_json() for i in items])
