"""Sources: dotenv files (python-dotenv, line numbers, later wins), the process environment, a
Pulumi stack config file; unusable input → InputError naming file, line and variable."""

from __future__ import annotations

import pytest

from somastack_deploy.config_contract.errors import InputError
from somastack_deploy.config_contract.sources import PULUMI_SECURE, Origin, load_sources, read_dotenv, read_environ, read_pulumi_stack

from .helpers import CASES, DATA, DEV, FARGATE


def test_dotenv_values_and_lines():
    env, prov = read_dotenv(str(FARGATE))
    assert env["SA01_DEPLOYMENT_MODE"] == "PROD"
    assert env["SECRET_KEY"] == "ref+awssecrets://somastack/prod/django#/secret_key"
    lines = FARGATE.read_text().splitlines()
    for name, origin in prov.items():
        assert lines[origin.line - 1].startswith(f"{name}=")


def test_no_interpolation_keeps_references():
    env, _ = read_dotenv(str(DEV))
    assert env["SA01_DB_PASSWORD"] == "${LOCAL_DB_PASSWORD}"
    assert env["SA01_DB_DSN"] == "postgresql://soma:${LOCAL_DB_PASSWORD}@localhost:5432/somaagent01"


def test_later_file_wins_with_its_provenance():
    env, prov = load_sources([str(FARGATE), str(CASES / "vibe91-localhost.env")])
    assert env["SOMABRAIN_API_URL"] == "http://localhost:30101"
    assert prov["SOMABRAIN_API_URL"] == Origin(str(CASES / "vibe91-localhost.env"), 2)
    assert prov["SA01_DEPLOYMENT_MODE"].path == str(FARGATE)


def test_quotes_export_and_comments(tmp_path):
    f = tmp_path / "a.env"
    f.write_text('# comment\nexport A_X="quoted value"\nSOMA_DB_NAME=\'single\'  # trailing\n\nDEBUG=false\n')
    env, prov = read_dotenv(str(f))
    assert env == {"A_X": "quoted value", "SOMA_DB_NAME": "single", "DEBUG": "false"}
    assert prov["DEBUG"].line == 5


@pytest.mark.parametrize("content, line, variable", [
    ("A=1\nSECRET_KEY='unterminated\n", 2, "SECRET_KEY"),
    ("A=1\nB=2\nJUSTANAME\n", 3, "JUSTANAME"),
    ("A=1\n1BAD=x\n", 2, None),
])
def test_unparsable_lines(tmp_path, content, line, variable):
    f = tmp_path / "bad.env"
    f.write_text(content)
    with pytest.raises(InputError) as exc:
        read_dotenv(str(f))
    assert exc.value.path == str(f) and exc.value.line == line
    if variable:
        assert exc.value.variable == variable
    assert "unterminated" not in str(exc.value)  # the value is never echoed


def test_missing_unreadable_binary(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_dotenv(str(tmp_path / "nope.env"))
    with pytest.raises(InputError, match="directory"):
        read_dotenv(str(tmp_path))
    f = tmp_path / "bin.env"
    f.write_bytes(b"A=1\nB=\xff\xfe\n")
    with pytest.raises(InputError, match="UTF-8") as exc:
        read_dotenv(str(f))
    assert exc.value.line == 2


def test_environment_only_contract_names():
    env, prov = read_environ({"SOMA_DB_HOST": "db", "GITHUB_TOKEN": "ghp_x", "HOME": "/root", "DEBUG": "false"})
    assert env == {"SOMA_DB_HOST": "db", "DEBUG": "false"}
    assert prov["SOMA_DB_HOST"] == Origin("<environment>")


def test_precedence_files_then_stack_then_environment():
    env, prov = load_sources([str(FARGATE)], pulumi_stack_file=str(DATA / "Pulumi.example-prod.yaml"),
                             from_env=True, environ={"SOMA_MILVUS_PORT": "19531"})
    assert env["DEBUG"] == "false" and prov["DEBUG"].path.endswith("Pulumi.example-prod.yaml")
    assert env["SOMA_MILVUS_PORT"] == "19531" and prov["SOMA_MILVUS_PORT"].path == "<environment>"
    assert env["SA01_DB_HOST"].endswith("rds.amazonaws.com")


def test_pulumi_stack_file():
    path = str(DATA / "Pulumi.example-prod.yaml")
    env, prov = read_pulumi_stack(path)
    assert env == {"SA01_DEPLOYMENT_MODE": "PROD", "DEBUG": "false", "SOMA_MILVUS_PORT": "19530",
                   "SECRET_KEY": PULUMI_SECURE + "SECRET_KEY",
                   "SOMABRAIN_API_URL": "http://somabrain.prod.somastack.internal:30101"}
    assert prov["SA01_DEPLOYMENT_MODE"] == Origin(path, 7)
    assert "sizing" not in env and "certificateArn" not in env


def test_pulumi_secure_value_counts_as_reference():
    from somastack_deploy.config_contract import evaluate

    env, prov = load_sources([str(FARGATE)], pulumi_stack_file=str(DATA / "Pulumi.example-prod.yaml"))
    report = evaluate(env, provenance=prov)
    assert report.passed, [f.message for f in report.findings]


@pytest.mark.parametrize("text, line", [
    ("config:\n  somastack:ALLOWED_HOSTS: [a, b]\n", 2),
    ("config: [\n", 2),
    ("config: 3\n", 1),
])
def test_pulumi_stack_errors(tmp_path, text, line):
    f = tmp_path / "Pulumi.bad.yaml"
    f.write_text(text)
    with pytest.raises(InputError) as exc:
        read_pulumi_stack(str(f))
    assert exc.value.path == str(f) and exc.value.line == line


def test_pulumi_stack_empty_and_missing(tmp_path):
    f = tmp_path / "Pulumi.empty.yaml"
    f.write_text("encryptionsalt: v1:abc\n")
    assert read_pulumi_stack(str(f)) == ({}, {})
    with pytest.raises(InputError, match="file not found"):
        read_pulumi_stack(str(tmp_path / "Pulumi.none.yaml"))
