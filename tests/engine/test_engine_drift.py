"""Engine drift end to end: ``pulumi up`` a JsonFile stack, change the file out of band,
``somastack_deploy.checks.drift.engine.engine_drift`` must report exactly the changed property (and nothing when
nothing changed). Real CLI (built from the Go module proxy), real dynamic provider, real files."""

from __future__ import annotations

import json

import pytest

from somastack_deploy.checks.drift.model import CHANGED, MISSING
from somastack_deploy.checks.drift.engine import EngineDriftError, engine_drift
from somastack_deploy.checks.drift.engine_cli import PulumiCliNotFound, find_cli_root
from somastack_deploy.checks.drift.engine import open_stack

from program import make_program  # tests/engine/fixtures (conftest puts it on sys.path)

PROJECT = "engine-drift-test"


@pytest.fixture()
def deployed(tmp_path, backend, pulumi_root):
    """One stack with two JSON files, deployed with ``pulumi up``; yields (program, paths)."""
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    program = make_program({"cfg-a": (str(a), {"replicas": 1, "mode": "prod"}),
                            "cfg-b": (str(b), {"replicas": 2, "mode": "dev"})})
    stack = open_stack(program, "dev", backend["url"], project_name=PROJECT, create=True,
                       cli_root=pulumi_root, env=backend["env"])
    out: list[str] = []
    result = stack.up(on_output=out.append, color="never")
    assert result.summary.resource_changes.get("create") == 3  # stack + 2 files
    assert json.loads(a.read_text()) == {"mode": "prod", "replicas": 1}
    assert backend["passphrase"] not in "".join(out)
    return program, a, b


def _drift(program, backend, root):
    return engine_drift(program, "dev", backend["url"], project_name=PROJECT, cli_root=root, env=backend["env"])


def test_no_change_no_drift(deployed, backend, pulumi_root):
    program, _, _ = deployed
    assert _drift(program, backend, pulumi_root) == []


def test_out_of_band_change_is_exactly_that_property(deployed, backend, pulumi_root):
    program, a, b = deployed
    a.write_text(json.dumps({"replicas": 3, "mode": "prod"}))
    items = _drift(program, backend, pulumi_root)
    assert [(i.object, i.field, i.change, i.expected, i.actual) for i in items] == [
        ("pulumi-python:dynamic:Resource cfg-a", "content.replicas", CHANGED, "1", "3")]
    assert all(backend["passphrase"] not in json.dumps(i.to_json()) for i in items)
    # preview only: the state still holds the deployed value, so drift is reported again
    assert len(_drift(program, backend, pulumi_root)) == 1


def test_deleted_out_of_band_is_missing(deployed, backend, pulumi_root):
    program, _, b = deployed
    b.unlink()
    items = _drift(program, backend, pulumi_root)
    assert [(i.object, i.field, i.change) for i in items] == [("pulumi-python:dynamic:Resource cfg-b", "", MISSING)]


def test_unknown_stack_is_a_one_line_error(tmp_path, backend, pulumi_root):
    with pytest.raises(EngineDriftError) as err:
        _drift(make_program({}), backend, pulumi_root)
    assert "\n" not in str(err.value) and "dev" in str(err.value)
    assert backend["passphrase"] not in str(err.value)


def test_no_cli_is_a_clear_error(tmp_path):
    with pytest.raises(PulumiCliNotFound, match="no Pulumi CLI at"):
        find_cli_root(tmp_path)


def test_file_backend_without_passphrase_is_a_clear_error(tmp_path, pulumi_root, monkeypatch):
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
    with pytest.raises(EngineDriftError, match="PULUMI_CONFIG_PASSPHRASE: not set"):
        engine_drift(make_program({}), "dev", f"file://{tmp_path}", project_name=PROJECT, cli_root=pulumi_root)


def test_project_directory(tmp_path, backend, pulumi_root):
    proj = tmp_path / "proj"
    proj.mkdir()
    target = tmp_path / "d.json"
    (proj / "Pulumi.yaml").write_text("name: engine-dir-test\nruntime: python\n")
    (proj / "__main__.py").write_text(
        "from json_file_resource import JsonFile\n"
        f"JsonFile('cfg-d', path={str(target)!r}, content={{'port': 20020}})\n")
    open_stack(proj, "dev", backend["url"], create=True, cli_root=pulumi_root, env=backend["env"]).up(color="never")
    assert engine_drift(proj, "dev", backend["url"], cli_root=pulumi_root, env=backend["env"]) == []
    target.write_text(json.dumps({"port": 20021}))
    items = engine_drift(proj, "dev", backend["url"], cli_root=pulumi_root, env=backend["env"])
    assert [(i.object, i.field, i.expected, i.actual) for i in items] == [
        ("pulumi-python:dynamic:Resource cfg-d", "content.port", "20020", "20021")]
