"""The scan does only the work a file needs: no detect-secrets transformer, YAML load or Python
AST for a file the prefilter clears; the per-line memories give the answers a fresh judgement
gives; reading matches Python's text mode. (Behaviour, not timing: speed is measured in
``benchmarks/scan.py``.)"""

from __future__ import annotations

import ast
import configparser
import io
import random

import pytest
import yaml

import detect_secrets.transformers as transformers
from somastack_deploy.config_contract.scan import literals, read_text, scan_tree
from somastack_deploy.config_contract.scan.prefilter import Prefilter

CLEARED = {
    "app/views.py": '"""Views."""\nimport os\n\nNAME = os.getenv("SOMA_NAME", "api.example.com")\n'
                    "def handler(request):\n    return {'ok': True}\n",
    "app/notes.py": '"""Mentions localhost in a docstring only."""\nVALUE = 3\n',
    "k8s/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n",
    "k8s/commented.yaml": "# not simple (a comment), nothing to find\napiVersion: v1\nkind: ConfigMap\n",
    "compose/docker-compose.yml": "services:\n  web:\n    image: nginx:1.27\n    environment:\n      LOG_LEVEL: info\n",
    "env/app.env": "SOMA_PORT=8080\nSOMA_URL=http://svc.internal:8080\n",
    "docs/readme.md": "# Readme\n\nPlain prose without any key material at all.\n",
    "docker/Dockerfile": "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\n",
}

NEEDS_WORK = {
    "app/settings.py": 'import os\nREDIS = os.getenv("REDIS_HOST", "localhost")\n',
    "k8s/secret.yaml": "app:\n  password: Xq9vLm2pRt7wZ\n",
    "env/db.env": "DB_PASSWORD=Xq9vLm2pRt7w\nLOG=info\n",
}


def _write(root, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def work(monkeypatch):
    """Counts of the expensive steps: detect-secrets' transformers, YAML loads, AST parses."""
    counts = {"transform": 0, "yaml": 0, "ast": 0}

    def counted(name, original):
        def wrapper(*args, **kwargs):
            counts[name] += 1
            return original(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(transformers, "get_transformed_file", counted("transform", transformers.get_transformed_file))
    monkeypatch.setattr(yaml, "CSafeLoader", counted("yaml", yaml.CSafeLoader))
    monkeypatch.setattr(yaml, "SafeLoader", counted("yaml", yaml.SafeLoader))
    monkeypatch.setattr(ast, "parse", counted("ast", ast.parse))
    return counts


def test_cleared_files_get_no_transform_yaml_load_or_ast(tmp_path, work):
    _write(tmp_path, CLEARED)
    result = scan_tree(str(tmp_path), processes=1)
    assert result.files == len(CLEARED)
    assert (result.secrets, result.fallbacks, result.unparsed) == ([], [], [])
    assert work == {"transform": 0, "yaml": 0, "ast": 0}


def test_files_that_need_the_work_get_it(tmp_path, work):
    _write(tmp_path, NEEDS_WORK)
    result = scan_tree(str(tmp_path), processes=1)
    assert {h.path.rsplit("/", 1)[-1] for h in result.secrets} == {"secret.yaml", "db.env"}
    assert [h.variable for h in result.fallbacks] == ["REDIS_HOST"]
    # simple YAML: detect-secrets' transform computed through libyaml; the env file: eager ini
    assert work["ast"] == 1 and work["yaml"] >= 1 and work["transform"] == 1


def test_simple_yaml_with_a_candidate_but_no_secret_is_proven_clean_without_a_yaml_load(tmp_path, work):
    _write(tmp_path, {"k8s/env.yaml": "app:\n  password: ${DB_PASSWORD}\n  api_token: ref+vault://secret/soma\n"})
    result = scan_tree(str(tmp_path), processes=1)
    assert result.secrets == []
    assert work == {"transform": 0, "yaml": 0, "ast": 0}


def test_yaml_that_is_not_simple_gets_detect_secrets_transformer(tmp_path, work):
    _write(tmp_path, {"k8s/secret.yaml": "app:  # the app\n  password: Xq9vLm2pRt7wZ\n"})
    result = scan_tree(str(tmp_path), processes=1)
    assert [(h.line, h.type) for h in result.secrets] == [(2, "Secret Keyword"), (2, "SomaStack Secret Assignment")]
    assert work["transform"] == 1


@pytest.mark.parametrize("text", [
    "# Title\n\nprose without delimiters\n", "FROM python:3\nWORKDIR /app\n", "x\n", "=x\n", "A=1\nB\n",
])
def test_eager_ini_transform_skipped_only_where_configparser_fails(text):
    from detect_secrets.transformers.config import _parse_file

    class Named(io.StringIO):
        name = "file.txt"

    assert literals.eager_ini_fails(text)
    with pytest.raises(configparser.Error):
        _parse_file(Named(text), add_header=True)


@pytest.mark.parametrize("text", ["A=1\nB: 2\n  continued\n", "[s]\na = 1\n", "a=1\n;c\n#d\n\n", " lead\n", "[x\n"])
def test_eager_ini_transform_kept_where_it_may_parse(text):
    assert not literals.eager_ini_fails(text)


def test_dockerfile_with_an_env_secret_is_still_found_without_the_eager_transform(tmp_path, work):
    _write(tmp_path, {"Dockerfile": "FROM python:3.11\nWORKDIR /app\nENV DB_PASSWORD=Xq9vLm2pRt7w\n"})
    result = scan_tree(str(tmp_path), processes=1)
    assert [(h.line, h.type) for h in result.secrets] == [(3, "SomaStack Secret Assignment")]
    assert work["transform"] == 0


def test_remembered_candidates_equal_a_fresh_judgement(monkeypatch):
    """The per-line memory (also when it overflows and starts afresh) never changes a result."""
    from detect_secrets.settings import get_plugins

    from somastack_deploy.config_contract.scan import prefilter as prefilter_mod

    rng = random.Random(5)
    pool = ['password = "Xq9vLm2pRt7w"', "SOMA_GRAPH_QUEUE=http://svc.internal:8080", "AKIAIOSFODNN7EXAMPLE",
            "x = 1", 'key: "c29tYXN0YWNrLXNlY3JldC1rZXktZm9yLXRlc3RzLW9ubHkx"', "", "API_TOKEN: dev-token-abc",
            "plain words", "ip 8.8.8.8 here", "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"]
    monkeypatch.setattr(prefilter_mod, "LINE_CACHE_SIZE", 5)
    with literals.scan_settings():
        gates = Prefilter(list(get_plugins()))
        for _ in range(40):
            lines = [rng.choice(pool) + rng.choice(["", "\n"]) for _ in range(rng.randint(1, 12))]
            for eager in (False, True):
                assert gates.candidates(lines, eager=eager) == gates.judge(lines, eager=eager)


def test_plugin_memory_keeps_file_kinds_apart(tmp_path):
    """One line, two kinds of file: in code an unquoted right-hand side is an expression, in an
    env file it is a literal; remembering the first must not answer for the second."""
    _write(tmp_path, {"a/conf.py": "API_TOKEN = some_call_result\n", "b/conf.env": "API_TOKEN = some_call_result\n",
                      "c/more.py": "API_TOKEN = some_call_result\n"})
    result = scan_tree(str(tmp_path), processes=1)
    assert [h.path.split("/")[-2] for h in result.secrets] == ["b"]


@pytest.mark.parametrize("data", [b"a\r\nb\rc\n", b"\xef\xbb\xbfx\r\n", b"plain", b"", b"a\r", "\xe9\r\n".encode()])
def test_read_text_is_text_mode(tmp_path, data):
    path = tmp_path / "f"
    path.write_bytes(data)
    with open(path, encoding="utf-8") as fh:
        assert read_text(str(path)) == fh.read()


def test_read_text_rejects_binary(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(UnicodeDecodeError):
        read_text(str(path))
