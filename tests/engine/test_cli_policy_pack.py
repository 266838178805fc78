"""Python policy packs through the CLI built here (``pulumi preview --policy-pack``) on the
JsonFile program. No ``pulumi-language-python`` exists, so the CLI uses its fallback launcher
``pulumi-analyzer-policy-python`` (harness/install/pulumi/)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi.automation.errors import CommandError

from somastack_deploy.checks.drift.engine import open_stack

from program import make_program

REPO = Path(__file__).resolve().parents[2]
TEST_PACK = Path(__file__).parent / "fixtures" / "policy_pack"


def _stack(tmp_path, backend, root, files):
    return open_stack(make_program(files), "dev", backend["url"], project_name="engine-policy-test",
                      create=True, cli_root=root, env=backend["env"])


def test_repo_pack_loads_and_passes_resources_it_has_no_rule_for(tmp_path, backend, pulumi_root):
    stack = _stack(tmp_path, backend, pulumi_root, {"cfg": (str(tmp_path / "c.json"), {"mode": "prod"})})
    events = []
    result = stack.preview(policy_packs=[str(REPO / "policies")], on_event=events.append, color="never")
    assert "✅ somastack-policies@" in result.stdout  # the pack ran and passed
    assert [e.policy_event for e in events if e.policy_event] == []
    assert not (tmp_path / "c.json").exists()  # preview created nothing


def test_violation_reaches_the_cli_and_fails_the_preview(tmp_path, backend, pulumi_root):
    stack = _stack(tmp_path, backend, pulumi_root, {"ok": (str(tmp_path / "ok.json"), {"mode": "prod"}),
                                                    "bad": (str(tmp_path / "bad.json"), {"mode": "dev"})})
    events = []
    with pytest.raises(CommandError):
        stack.preview(policy_packs=[str(TEST_PACK)], on_event=events.append, color="never")
    violations = [e.policy_event for e in events if e.policy_event]
    assert [(v.policy_name, v.enforcement_level, v.resource_urn.rsplit("::", 1)[-1]) for v in violations] == [
        ("json-file-no-dev-mode", "mandatory", "bad")]
    assert backend["passphrase"] not in "".join(v.message for v in violations)
