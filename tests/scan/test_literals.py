"""VIBE-164 in source: hardcoded secrets in code, compose/YAML, Dockerfiles and env files, found
by detect-secrets' plugins and filters plus the SomaStack plugins; baselines; no value leaks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid

import pytest

from somastack_deploy.config_contract.errors import InputError
from somastack_deploy.config_contract.scan import run_scan, scan_tree, write_baseline

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _hits(tmp_path, **kw):
    return [(f.path, f.line, f.variable) for f in run_scan(".", **kw) if f.rule == "VIBE-164"]


def test_somastack_dev_defaults_everywhere(tmp_path):
    _write(tmp_path, "saas/memory.py", 'API_TOKEN = "dev-token-7f3a9c"\nHEADER = "Authorization"\n')
    _write(tmp_path, "services/gateway/settings.py", "SECRET_KEY = 'django-insecure-q8x!v2k@9m#p'\n")
    _write(tmp_path, "infra/saas/docker-compose.yml", """\
        services:
          postgres:
            environment:
              POSTGRES_PASSWORD: soma
              POSTGRES_USER: soma
          memory:
            environment:
              SOMA_MEMORY_API_TOKEN: soma_dev_token
              KEYCLOAK_ADMIN_PASSWORD: somastack2024
    """)
    _write(tmp_path, "Dockerfile", "FROM python:3.11\nENV SOMA_API_TOKEN=dev-token-abc\nARG DB_PASSWORD=hunter22\n")
    _write(tmp_path, "deploy/.env", "SOMA_API_TOKEN=dev-token-env\nSA01_LOG_LEVEL=info\n")
    assert _hits(tmp_path) == [
        ("Dockerfile", 2, "SOMA_API_TOKEN"), ("Dockerfile", 3, "DB_PASSWORD"),
        ("deploy/.env", 1, "SOMA_API_TOKEN"),
        ("infra/saas/docker-compose.yml", 4, "POSTGRES_PASSWORD"),
        ("infra/saas/docker-compose.yml", 8, "SOMA_MEMORY_API_TOKEN"),
        ("infra/saas/docker-compose.yml", 9, "KEYCLOAK_ADMIN_PASSWORD"),
        ("saas/memory.py", 1, "API_TOKEN"),
        ("services/gateway/settings.py", 1, "SECRET_KEY"),
    ]


def test_detect_secrets_builtin_plugins_still_apply(tmp_path):
    _write(tmp_path, "aws.py", 'KEY_ID = "AKIAIOSFODNN7EXAMPLE"\n')
    _write(tmp_path, "conf.yaml", "db:\n  url: postgresql://soma:Xk2pLm9qZ@db.internal/soma\n")
    _write(tmp_path, "k.pem", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n")
    assert _hits(tmp_path) == [("aws.py", 1, "KEY_ID"), ("conf.yaml", 2, "url"), ("k.pem", 1, None)]


def test_references_and_placeholders_are_not_literals(tmp_path):
    _write(tmp_path, "prod.env", """\
        SOMA_DB_PASSWORD=ref+vault://secret/soma/db#/password
        SOMA_API_TOKEN=ref+awssecrets://soma/prod/api#/token
        SA01_AUTH_SECRET=${SA01_AUTH_SECRET}
        SOMA_REDIS_PASSWORD=
        SOMA_TOKEN_TTL=3600
    """)
    _write(tmp_path, "compose.yaml", "services:\n  a:\n    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}\n"
                                     "      SOMA_API_TOKEN: \"{{ vault_token }}\"\n")
    _write(tmp_path, "code.py", 'import os\nAPI_TOKEN = os.environ["SOMA_API_TOKEN"]\nmax_tokens = 4096\n'
                                'password = get_password()\n')
    assert _hits(tmp_path) == []


def test_allowlist_pragma_is_honoured(tmp_path):
    _write(tmp_path, "t.py", 'API_TOKEN = "dev-token-fixture"  # pragma: allowlist secret\n')
    assert _hits(tmp_path) == []


def test_severity_prod_error_dev_warning(tmp_path):
    _write(tmp_path, "a.py", 'API_TOKEN = "dev-token-1"\n')
    assert [f.severity for f in run_scan(".")] == ["error"]
    assert [f.severity for f in run_scan(".", environment="DEV")] == ["warning"]


def test_planted_secrets_never_in_output(tmp_path):
    planted = {
        "py": "dev-token-" + uuid.uuid4().hex[:12],
        "env": uuid.uuid4().hex[:8] + "Zq!x",
        "yaml": "Pw" + uuid.uuid4().hex[:14],
        "aws": "AKIA" + uuid.uuid4().hex[:16].upper(),
    }
    _write(tmp_path, "a.py", f'API_TOKEN = "{planted["py"]}"\nAWS_KEY = "{planted["aws"]}"\n')
    _write(tmp_path, "b.env", f"SOMA_DB_PASSWORD={planted['env']}\n")
    _write(tmp_path, "c.yml", f"db:\n  password: {planted['yaml']}\n")
    findings = run_scan(".")
    assert len(findings) == 4
    dumped = json.dumps([f.to_dict() for f in findings]) + "".join(repr(f) for f in findings)
    proc = subprocess.run([sys.executable, "-m", "somastack_deploy.config_contract.scan", str(tmp_path)], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode == 1 and proc.stdout.count("VIBE-164") == 4
    baseline = tmp_path / "accepted.json"
    write_baseline(".", str(baseline))
    for value in planted.values():
        assert value not in dumped
        assert value not in proc.stdout + proc.stderr
        assert value not in baseline.read_text()


def test_baseline_suppresses_accepted_and_reports_new(tmp_path):
    _write(tmp_path, "src/a.py", 'import os\nAPI_TOKEN = "dev-token-old"\nURL = os.getenv("SOMABRAIN_URL", "http://localhost:9696")\n')
    baseline = tmp_path / ".somastack-scan-baseline.json"
    assert write_baseline(".", str(baseline)) >= 2
    data = json.loads(baseline.read_text())
    assert set(data) >= {"version", "plugins_used", "filters_used", "results"}
    assert {e["type"] for e in data["results"]["src/a.py"]} >= {"SomaStack Dev Default", "VIBE-91 Loopback Fallback"}
    assert run_scan(".", baseline=str(baseline)) == []
    # a line moved and a new secret added: only the new one is reported
    _write(tmp_path, "src/a.py", '\nimport os\nAPI_TOKEN = "dev-token-old"\nNEW_TOKEN = "dev-token-new"\n'
                                 'URL = os.getenv("SOMABRAIN_URL", "http://localhost:9696")\n')
    assert [(f.rule, f.line) for f in run_scan(".", baseline=str(baseline))] == [("VIBE-164", 4)]


def test_detect_secrets_cli_baseline_works_and_default_name_is_found(tmp_path):
    _write(tmp_path, "a.py", 'KEY_ID = "AKIAIOSFODNN7EXAMPLE"\n')
    exe = os.path.join(os.path.dirname(sys.executable), "detect-secrets")
    out = subprocess.run([exe, "scan", "--all-files", "."], cwd=tmp_path, capture_output=True, text=True, check=True)
    (tmp_path / ".secrets.baseline").write_text(out.stdout)
    assert run_scan(".") == []  # .secrets.baseline picked up, and not scanned itself


@pytest.mark.parametrize("content", ["{not json", '{"results": []}', "[]"])
def test_unusable_baseline_is_input_error(tmp_path, content):
    (tmp_path / "b.json").write_text(content)
    with pytest.raises(InputError) as err:
        run_scan(".", baseline=str(tmp_path / "b.json"))
    assert "b.json" in str(err.value) and "\n" not in str(err.value)


def test_missing_path_and_baseline_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        run_scan(str(tmp_path / "nope"))
    with pytest.raises(InputError, match="cannot read baseline"):
        run_scan(".", baseline=str(tmp_path / "missing.json"))
    proc = subprocess.run([sys.executable, "-m", "somastack_deploy.config_contract.scan", str(tmp_path / "nope")], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_binary_and_excluded_dirs_are_skipped(tmp_path):
    (tmp_path / "blob.bin").write_bytes(b"\xff\xfe\x00API_TOKEN = \"dev-token-bin\"\x00\x80")
    _write(tmp_path, ".git/config", 'token = "dev-token-git"\n')
    _write(tmp_path, "node_modules/x/index.js", 'const API_TOKEN = "dev-token-js";\n')
    result = scan_tree(".", processes=1)
    assert result.files == 1 and result.secrets == []


def test_paths_are_shown_as_given(tmp_path):
    _write(tmp_path, "src/app/one.py", 'API_TOKEN = "dev-token-1"\n')
    assert [f.path for f in run_scan("src")] == ["src/app/one.py"]
    assert [f.path for f in run_scan("./src/app/")] == ["src/app/one.py"]
    assert [f.path for f in run_scan(str(tmp_path / "src"))] == [str(tmp_path / "src/app/one.py")]


def test_baseline_paths_are_relative_to_the_baseline_file(tmp_path):
    _write(tmp_path, "repo/src/a.py", 'API_TOKEN = "dev-token-1"\n')
    write_baseline("repo", "repo/.secrets.baseline")
    assert list(json.loads((tmp_path / "repo/.secrets.baseline").read_text())["results"]) == ["src/a.py"]
    assert run_scan("repo") == [] and run_scan("repo/src", baseline="repo/.secrets.baseline") == []


def test_single_file_path(tmp_path):
    path = _write(tmp_path, "one.py", 'API_TOKEN = "dev-token-1"\n')
    assert [(f.path, f.line) for f in run_scan("one.py")] == [("one.py", 1)]


@pytest.mark.parametrize("name, text", [
    ("dates.yaml", "when: 2001-13-45\npassword: Xq9vLm2pRt7wZ8bN\n"),  # PyYAML's constructor: ValueError
    ("deep.yaml", "a: " + "[" * 3000 + "]" * 3000 + "\npassword: Xq9vLm2pRt7wZ8bN\n"),  # RecursionError
])
def test_yaml_detect_secrets_cannot_transform_is_scanned_as_raw_lines(tmp_path, name, text):
    """detect-secrets' YAML transformer raises on these (its CLI stops with a traceback); the
    scan reads their raw lines, as for YAML that does not parse."""
    _write(tmp_path, name, text)
    _write(tmp_path, "z.env", "SOMA_DB_PASSWORD=Xq9vLm2pRt7wZ8bQ\n")
    assert _hits(tmp_path) == [(name, 2, "password"), ("z.env", 1, "SOMA_DB_PASSWORD")]


def _detect_secrets_lines(path) -> set[tuple[int, str]]:
    from detect_secrets.core.scan import scan_file

    from somastack_deploy.config_contract.scan import literals

    with literals.scan_settings(somastack_plugins=False):
        return {(s.line_number, s.type) for s in scan_file(str(path))}


@pytest.mark.parametrize("name, text, expected", [
    # an ini file: detect-secrets' ini transformer quotes the value, so the entropy plugin sees it
    ("app.ini", "[s]\nblob = Xq9vLm2pRt7wZ8bNkQ4sT1uV3wY5\n", {(2, "Base64 High Entropy String")}),
    # an "other" file whose first pass finds only SomaStack hits: the eager ini transform (with a
    # [global] header) still runs and adds the quoted entropy string; the SomaStack hit stays
    ("notes.txt", "API_TOKEN=dev-token-abc\nblob = Xq9vLm2pRt7wZ8bNkQ4sT1uV3wY5\n",
     {(1, "SomaStack Dev Default"), (1, "SomaStack Secret Assignment"), (2, "Base64 High Entropy String")}),
    # ... and a first-pass hit on a line the eager transform drops (a comment) is kept
    ("old.txt", "# old: dev-token-abc\nblob = Xq9vLm2pRt7wZ8bNkQ4sT1uV3wY5\n",
     {(1, "SomaStack Dev Default"), (2, "Base64 High Entropy String")}),
    # detect-secrets' lock-file filter drops a whole file by its name
    ("poetry.lock", 'password = "Xq9vLm2pRt7wZ8bN"\n', set()),
])
def test_transformers_and_file_filters_as_detect_secrets(tmp_path, name, text, expected):
    path = _write(tmp_path, name, text)
    found = {(h.line, h.type) for h in scan_tree(".", processes=1).secrets}
    assert found == expected
    ours = {item for item in found if not item[1].startswith("SomaStack")}
    assert ours == _detect_secrets_lines(path)
