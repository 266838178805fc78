"""``somastack-deploy plan``: exit codes 0/1/2, output shapes, masking in every format."""

from __future__ import annotations

import importlib
import json
import sys

import pytest

from somastack_deploy.cli import main

PLANTED_PLAIN = "planted-Plain-Tok3n-9931"  # a plaintext secret the program puts in an env

STACK = """config:
  aws:region: eu-west-1
  somastack:SA01_DEPLOYMENT_TARGET: FARGATE
  somastack:mode: {mode}
  somastack:plantedToken: {planted}
  somastack:API_TOKEN:
    secure: v1:AAAABBBBcipher
"""


@pytest.fixture
def fake_program(monkeypatch):
    """Install tests/plan/plan_cli_program.py as ``somastack_deploy.stacks.program``."""
    monkeypatch.syspath_prepend(str(__import__("pathlib").Path(__file__).parent))
    monkeypatch.setitem(sys.modules, "somastack_deploy.stacks.program", importlib.import_module("plan_cli_program"))


def _stack(tmp_path, mode: str) -> str:
    path = tmp_path / f"Pulumi.fargate-dev-{mode}.yaml"
    path.write_text(STACK.format(mode=mode, planted=PLANTED_PLAIN))
    return str(path)


def _plan(capsys, *argv):
    rc = main(["plan", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_compliant_stack_exits_0_with_json_document(fake_program, tmp_path, capsys):
    rc, out, err = _plan(capsys, "--stack", "fargate-dev", "--stack-file", _stack(tmp_path, "ok"), "--format", "json")
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["version"] == 1 and doc["stack"] == "fargate-dev" and doc["target"] == "FARGATE"
    assert doc["policy"]["passed"] is True and doc["policy"]["violations"] == []
    assert doc["policy"]["counts"]["passed"] > 0
    by_name = {r["name"]: r for r in doc["resources"]}
    assert by_name["db"]["type"] == "aws:rds/instance:Instance" and by_name["db"]["parent"] is None
    assert by_name["db"]["props"]["storageEncrypted"] is True
    assert by_name["redis"]["props"]["authToken"] == "****"  # Pulumi secret input masked
    assert doc["outputs"]["api_token"] == "****" and doc["outputs"]["postgres"]["port"] == 5432


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_violations_exit_1_and_secrets_masked_in_every_format(fake_program, tmp_path, capsys, fmt):
    rc, out, err = _plan(capsys, "--stack", "fargate-dev", "--stack-file", _stack(tmp_path, "violate"), "--format", fmt)
    assert rc == 1
    assert PLANTED_PLAIN not in out + err
    assert "v1:AAAABBBBcipher" not in out + err
    if fmt == "json":
        doc = json.loads(out)
        assert doc["policy"]["passed"] is False
        got = {(v["policy"], v["resource"], v["level"]) for v in doc["policy"]["violations"]}
        assert got == {("no-plaintext-secret-in-container-env", "agent", "mandatory"),
                       ("rds-storage-encrypted", "db", "mandatory")}
        defs = json.loads({r["name"]: r for r in doc["resources"]}["agent"]["props"]["containerDefinitions"])
        assert {"name": "SA01_AUTH_TOKEN", "value": "****"} in defs[0]["environment"]
    elif fmt == "sarif":
        sarif = json.loads(out)
        assert sarif["version"] == "2.1.0"
        assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {"no-plaintext-secret-in-container-env", "rds-storage-encrypted"}
        assert all(r["level"] == "error" for r in sarif["runs"][0]["results"])
    else:
        assert "Policies: FAILED" in out and "SA01_AUTH_TOKEN is a secret variable" in out
        assert "aws:rds/instance:Instance  db" in out


def test_contract_violation_exits_1_with_message_no_traceback(fake_program, tmp_path, capsys):
    rc, out, err = _plan(capsys, "--stack", "fargate-dev", "--stack-file", _stack(tmp_path, "contract"))
    assert rc == 1 and out == ""
    assert "contract violation" in err and "VIBE-91" in err and "Traceback" not in err


def test_program_failure_exits_2_one_line(fake_program, tmp_path, capsys):
    rc, out, err = _plan(capsys, "--stack", "fargate-dev", "--stack-file", _stack(tmp_path, "crash"))
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and "availability_zones must list exactly 3 zones" in err


def test_stack_setting_error_exits_2_with_its_line(fake_program, tmp_path, capsys):
    rc, out, err = _plan(capsys, "--stack", "fargate-dev", "--stack-file", _stack(tmp_path, "setting"))
    assert rc == 2 and out == ""
    assert err == ("somastack-deploy: error: Pulumi.fargate-dev.yaml: somastack:availabilityZones: "
                   "must be a list of 3 zones\n")


def test_missing_stack_file_exits_2(fake_program, tmp_path, capsys):
    missing = tmp_path / "Pulumi.nope.yaml"
    rc, out, err = _plan(capsys, "--stack", "nope", "--stack-file", str(missing))
    assert rc == 2 and out == ""
    assert err == f"somastack-deploy: error: {missing}: stack file not found\n"


def test_bad_yaml_exits_2_naming_file_and_line(fake_program, tmp_path, capsys):
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text("config:\n  aws:region: eu-west-1\n  somastack:x: [1, 2\n  somastack:y: 3\n")
    rc, out, err = _plan(capsys, "--stack", "bad", "--stack-file", str(bad))
    assert rc == 2 and out == ""
    assert err.startswith(f"somastack-deploy: error: {bad}:4: not valid YAML") and err.count("\n") == 1


def test_unknown_format_is_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["plan", "--stack", "x", "--format", "xml"])
    assert exc.value.code == 2


def test_kubernetes_secret_data_always_masked():
    from somastack_deploy.plan.report import _props
    from somastack_deploy.plan.runner import CapturedResource

    r = CapturedResource(urn="u", type="kubernetes:core/v1:Secret", name="s", parent=None, parent_name=None,
                         parent_type=None, custom=True, id=None, provider=None, dependencies=(),
                         inputs={"metadata": {"name": "s"}, "stringData": {"HOST": PLANTED_PLAIN}, "data": {"x": "eA=="}},
                         outputs={})
    props = _props(r)
    assert props["stringData"] == {"HOST": "****"} and props["data"] == {"x": "****"}
    assert props["metadata"] == {"name": "s"}


def test_project_defaults_apply_under_stack_values(tmp_path):
    from somastack_deploy.plan.stackfile import with_project_defaults

    (tmp_path / "Pulumi.yaml").write_text("name: somastack\nruntime: python\nconfig:\n"
                                          "  logRetentionDays:\n    type: integer\n    default: 30\n"
                                          "  aws:region: eu-west-1\n  somastack:mode:\n    type: string\n")
    merged = with_project_defaults({"aws:region": "us-east-1"}, str(tmp_path))
    assert merged == {"somastack:logRetentionDays": 30, "aws:region": "us-east-1"}


def test_a_rule_that_raises_exits_1_with_the_rule_id(fake_program, tmp_path, capsys):
    """A policy rule that raises blocks like a mandatory violation: exit 1, the rule id and the
    exception's one line in the report, no traceback, no value."""
    from somastack_deploy.policies import REGISTRY, Rule

    token = "aws:cloudwatch/logGroup:LogGroup"

    class BrokenForTest(Rule):
        name, description, level, category, resource_types, source = (
            "broken-for-test", "d", "advisory", "logging", (token,), "test")

        def check(self, res):
            raise TypeError("can only concatenate str (not \"int\") to str")

    REGISTRY.add(BrokenForTest())
    try:
        rc, out, err = _plan(capsys, "--stack", "fargate-dev", "--stack-file", _stack(tmp_path, "ok"), "--format", "json")
    finally:
        REGISTRY.remove("broken-for-test")
    assert rc == 1, err
    doc = json.loads(out)
    assert doc["policy"]["passed"] is False and doc["policy"]["violations"] == []
    assert [(e["policy"], e["message"]) for e in doc["policy"]["errors"]] == [
        ("broken-for-test", 'TypeError: can only concatenate str (not "int") to str')]
    assert "Traceback" not in out + err
