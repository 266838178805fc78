"""Variables the Pulumi stack provides (catalog ``stack_provided``): ``preflight --stack-config``
accepts the bundled stack files, which leave the endpoint variables to the stack, and still
fails a stack file that sets a bad value itself."""

from __future__ import annotations

import json

import pytest

from .helpers import ROOT, cli

STACK_FILES = sorted(ROOT.glob("Pulumi.*-*.yaml"))
FORMATS = ("text", "json", "sarif", "junit")
PLANTED = "planted-Django-s3cret-4417"


def test_the_bundled_stack_files_exist():
    assert {p.name for p in STACK_FILES} == {"Pulumi.fargate-prod.yaml", "Pulumi.fargate-dev.yaml",
                                             "Pulumi.eks-prod.yaml", "Pulumi.local-dev.yaml", "Pulumi.k8s-dev.yaml"}


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name)
def test_bundled_stack_files_pass(path):
    code, out, err = cli("preflight", "--stack-config", path, "--format", "json")
    doc = json.loads(out)
    assert code == 0 and err == "", [(f["rule"], f["variable"]) for f in doc["findings"]]
    assert doc["passed"] is True


def _stack_file(tmp_path, extra: str, base: str = "Pulumi.fargate-prod.yaml"):
    """A copy of ``base`` whose config starts with the line ``extra`` (line 4), replacing the
    file's own binding of that key."""
    key = extra.split(":", 2)[1]
    lines = (ROOT / base).read_text(encoding="utf-8").splitlines(keepends=True)
    text = "".join(line for line in lines if not line.startswith(f"  somastack:{key}:"))
    head, sep, rest = text.partition("config:\n")
    path = tmp_path / base
    path.write_text(head + sep + extra + rest, encoding="utf-8")
    return path


def test_localhost_url_the_stack_file_sets_still_fails(tmp_path):
    """KEYCLOAK_URL is stack-provided, but a value the stack file sets is judged (VIBE-91)."""
    path = _stack_file(tmp_path, "  somastack:KEYCLOAK_URL: http://localhost:20880\n")
    code, out, _ = cli("preflight", "--stack-config", path, "--format", "json")
    doc = json.loads(out)
    assert code == 1
    errors = [(f["rule"], f["variable"], f["line"]) for f in doc["findings"] if f["severity"] == "error"]
    assert ("VIBE-91", "KEYCLOAK_URL", 4) in errors
    assert {v for _, v, _ in errors} == {"KEYCLOAK_URL"}  # nothing about the variables left to the stack


def test_alias_spelling_of_a_stack_provided_variable_is_judged(tmp_path):
    """SOMA_INFRA__POSTGRES is an alias of the stack-provided SOMA_DB_HOST: set, so judged."""
    path = _stack_file(tmp_path, "  somastack:SOMA_INFRA__POSTGRES: 127.0.0.1\n")
    code, out, _ = cli("preflight", "--stack-config", path, "--format", "json")
    assert code == 1
    assert any(f["rule"] == "VIBE-91" and f["line"] == 4 for f in json.loads(out)["findings"])


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("variable", ["SECRET_KEY", "SA01_DB_PASSWORD"])  # not / stack-provided
def test_literal_secret_in_a_stack_file_fails_and_is_never_printed(tmp_path, fmt, variable):
    path = _stack_file(tmp_path, f"  somastack:{variable}: {PLANTED}\n")
    code, out, err = cli("preflight", "--stack-config", path, "--format", fmt)
    assert code == 1
    assert "VIBE-164" in out and variable in out
    assert PLANTED not in out + err


def test_filter_applies_only_with_a_stack_config(tmp_path):
    """The same variables in an env file (no stack renders anything for it) still need the
    endpoints: the rule is about the stack file source, not a general relaxation."""
    from somastack_deploy.config_contract.sources import read_pulumi_stack

    env, _ = read_pulumi_stack(str(ROOT / "Pulumi.fargate-prod.yaml"))
    dotenv = tmp_path / "prod.env"
    dotenv.write_text("".join(f"{k}={v}\n" for k, v in env.items()), encoding="utf-8")
    code, out, _ = cli("preflight", dotenv, "--format", "json")
    missing = {f["variable"] for f in json.loads(out)["findings"] if f["rule"] == "VIBE-91"}
    assert code == 1 and {"SA01_DB_DSN", "SOMABRAIN_API_URL", "SOMA_DB_HOST"} <= missing
    code, _, _ = cli("preflight", dotenv, "--stack-config", ROOT / "Pulumi.fargate-prod.yaml")
    assert code == 0


def test_drop_stack_provided_keeps_what_is_set_and_other_variables():
    from somastack_deploy.config_contract import evaluate
    from somastack_deploy.config_contract.stack_provided import drop_stack_provided, evaluate_stack_config, stack_provided_names

    env = {"SA01_DEPLOYMENT_MODE": "PROD", "SOMASTACK_SOFTWARE_MODE": "StandAlone", "SA01_DEPLOYMENT_TARGET": "FARGATE",
           "SOMA_AGENT_MODE": "PRODUCTION", "DEBUG": "false", "ALLOWED_HOSTS": "api.example.com",
           "SECRET_KEY": "${SECRET_KEY}", "SPICEDB_API_KEY": "${SPICEDB_API_KEY}", "SA01_CHAT_PROVIDER": "openai",
           "OPENAI_API_KEY": "${OPENAI_API_KEY}", "OPA_URL": "http://localhost:20181"}
    full = evaluate(env)
    kept = drop_stack_provided(full, env)
    assert kept == evaluate_stack_config(env)
    dropped = [f for f in full.findings if f not in kept.findings]
    assert dropped and all(f.variable in stack_provided_names() and f.variable not in env for f in dropped)
    assert [(f.rule, f.variable) for f in kept.errors] == [("VIBE-91", "OPA_URL")]  # set: judged
    assert "SPICEDB_API_KEY" not in stack_provided_names()  # the stack reads it from its config
    assert {"SA01_DB_DSN", "SOMA_DB_HOST", "SOMABRAIN_API_URL", "KEYCLOAK_URL"} <= stack_provided_names()


def test_schema_marks_stack_provided_variables():
    code, out, _ = cli("schema")
    props = json.loads(out)["properties"]
    assert code == 0 and "PostgreSQL" in props["SA01_DB_DSN"]["x-stack-provided"]
    assert "x-stack-provided" not in props["SECRET_KEY"]
