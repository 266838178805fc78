"""Scan precision and recall (issue 9): each "not a secret" filter on a real scanned file, the
cases next to them that must stay findings, and the VIBE-91 host grammar shared with preflight."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from somastack_deploy.config_contract.grammar.folding import fold
from somastack_deploy.config_contract.scan import run_scan
from somastack_deploy.config_contract.scan.fallbacks import needs_ast, scan_source
from somastack_deploy.config_contract.scan.plugins import (SomaStackSecretAssignmentDetector, is_not_a_literal,
                                                           is_secret_reference, is_shell_interpolation,
                                                           is_word_or_number)


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _secret_lines(**kw):
    return [(f.path, f.line) for f in run_scan(".", **kw) if f.rule == "VIBE-164"]


# ---------------------------------------------------------------- not secrets (one filter each)

@pytest.mark.parametrize("name, text", [
    # URL without userinfo (issue 9: 146 .env false positives)
    ("svc.env", "SOMA_RESPONSE_TOKEN=http://svc.internal:8080\nSOMA_GRAPH_TOKEN=https://api.example.com/v1\n"),
    # image reference (issue 9: 16 Kubernetes YAML false positives)
    ("deploy.yaml", "spec:\n  containers:\n    - name: a\n      image: somastack/memory_token:latest\n"
                    "    - name: b\n      image: ghcr.io/soma/session_secret:1.2.3\n"),
    # field-name constants: the name's own word, a header name
    ("fields.py", 'PASSWORD_FIELD = "password"\nTOKEN_KEY = "token"\nTOKEN_HEADER = "X-Auth-Token"\n'
                  'AUTH_TOKEN_HEADER = "Authorization"\n'),
    # placeholders
    ("example.env", "SOMA_DB_PASSWORD=changeme\nSOMA_API_TOKEN=<your token>\nSOMA_SECRET_KEY=xxx\n"
                    "SA01_AUTH_TOKEN=CHANGEME_IN_VAULT\nSOMA_REDIS_PASSWORD=****\n"),
    # references and interpolations
    ("refs.env", "SOMA_DB_PASSWORD=ref+vault://secret/soma/db#/password\nSOMA_API_TOKEN=${SOMA_API_TOKEN}\n"
                 "SOMA_SECRET_KEY=ref+awssecrets://soma/prod/app#/secret_key\nSOMA_KAFKA_PASSWORD=ref+awsssm://soma/kafka\n"
                 "SA01_AUTH_TOKEN=$SA01_AUTH_TOKEN\nSOMA_S3_TOKEN=${SOMA_S3_TOKEN:?required}\n"
                 "SOMA_X_PASSWORD=${SOMA_X_PASSWORD:-}\nSOMA_Y_PASSWORD=${SOMA_Y_PASSWORD:-changeme}\n"),
    ("docker-compose.yml", "services:\n  a:\n    environment:\n      SOMA_DB_PASSWORD: ${SOMA_DB_PASSWORD}\n"
                           "      SOMA_API_TOKEN: '{{ .Values.token }}'\n"),
    # numbers, booleans, sizes
    ("flags.env", "SOMA_SESSION_TOKEN=true\nSOMA_TOKEN_TTL=3600\nSOMA_MAX_TOKEN=4096\nSOMA_RESET_TOKEN=10s\n"),
])
def test_not_a_secret(tmp_path, name, text):
    _write(tmp_path, name, text)
    assert _secret_lines() == []


# ---------------------------------------------------------------- still secrets (recall)

@pytest.mark.parametrize("name, text, lines", [
    # text around a reference is a literal (issue 10: preflight already says so)
    (".env", "SECRET_KEY=${X}hunter2-very-secret-value\n", [1]),
    ("app.env", "SOMA_DB_PASSWORD=hunter2x${X}\n", [1]),
    ("docker-compose.yml", "services:\n  a:\n    environment:\n      SOMA_DB_PASSWORD: ${SOMA_DB_PASSWORD:-Xq9vLm2pRt7w}\n",
     [4]),
    # a URL with userinfo, an image-looking value with credentials, a field name with more text
    ("svc.env", "SOMA_RESPONSE_TOKEN=http://soma:Xq9vLm2pRt7w@svc.internal:8080\n", [1]),
    ("fields.py", 'PASSWORD_FIELD = "password123"\nSESSION_TOKEN = "X-Session-Xq9vLm2pRt7w"\n', [1, 2]),
    ("deploy.yaml", "env:\n  - name: x\n    SOMA_API_TOKEN: Xq9vLm2pRt7wZk\n", [3]),
])
def test_still_a_secret(tmp_path, name, text, lines):
    _write(tmp_path, name, text)
    found = run_scan(".")
    assert sorted({f.line for f in found if f.rule == "VIBE-164"}) == lines
    for finding in found:
        assert "hunter2" not in finding.message and "Xq9vLm2pRt7w" not in finding.message


def test_allowlist_pragma_and_baseline_keep_working(tmp_path):
    _write(tmp_path, "a.env", "SOMA_API_TOKEN=Xq9vLm2pRt7wZk  # pragma: allowlist secret\nSOMA_DB_PASSWORD=Zq9vLm2pRt7wZk\n")
    assert _secret_lines() == [("a.env", 2)]
    from somastack_deploy.config_contract.scan import write_baseline

    assert write_baseline(".", ".secrets.baseline") >= 1
    assert _secret_lines() == []


# ---------------------------------------------------------------- the filters themselves

@pytest.mark.parametrize("value, expected", [
    ("${X}", True), ("${X:?set it}", True), ("${X:-}", True), ("${X-}", True), ("${X:-changeme}", True),
    ("${X:-ref+vault://a/b#/c}", True), ("${X:+x}", True),
    ("${X:-hunter2x}", False), ("${X}hunter2", False), ("a${X}", False), ("${X", False), ("${1X}", False),
])
def test_shell_interpolation(value, expected):
    assert is_shell_interpolation(value) is expected


@pytest.mark.parametrize("value", ["true", "False", "null", "~", "3600", "1.5", "10s", "64mb"])
def test_words_and_numbers(value):
    assert is_word_or_number(value) and is_not_a_literal(value)


@pytest.mark.parametrize("value", ["hunter2", "123abc", "1.5.6x", "truex", "Xq9vLm2pRt7w"])
def test_literals(value):
    assert not is_not_a_literal(value)


def test_reference_filter_is_full_match_or_a_cut_reference_on_the_line():
    line = "SOMA_DB_PASSWORD=ref+vault://secret/soma/db#/password"
    assert is_secret_reference("ref+vault://secret/soma/db#/password")
    assert is_secret_reference("ref+vault://secret/soma/db", line)  # the ini transformer cut it at '#'
    assert not is_secret_reference("ref+vault://secret/soma/db")  # alone: not a whole reference
    assert not is_secret_reference("${X}hunter2-very-secret-value", "SECRET_KEY=${X}hunter2-very-secret-value")
    assert not is_secret_reference("hunter2-very-secret-value", "SECRET_KEY=${X}hunter2-very-secret-value")


def test_assignment_plugin_prefilter_pattern_covers_every_reported_line():
    plugin = SomaStackSecretAssignmentDetector()
    lines = ['API_TOKEN = "dev-token-abc"', "password: Xq9vLm2pRt7w", '"db_password": "Xq9vLm2pRt7w"',
             "ENV SOMA_API_TOKEN dev-token-x", "ARG DB_PASSWORD Xq9vLm2pRt7w", "  - SOMA_PWD=Xq9vLm2pRt7w",
             "SECRET_KEY := 'Xq9vLm2pRt7w'", "export SOMA_SECRET=Xq9vLm2pRt7w", "x_pass = 'Xq9vLm2pRt7w'",
             "SOMA_PRİVATE_KEY=Xq9vLm2pRt7w", "  ENV\u2003DB_PAſſWORD Xq9vLm2pRt7w", "x_pwd\u00a0=\t'Xq9vLm2pRt7w'",
             "ARG SOMA_A\u212aIA_TOKEN Xq9vLm2pRt7w", "\"db_token\" :\u3000'Xq9vLm2pRt7w'"]
    for line in lines:
        assert list(plugin.analyze_string(line)), line
        assert plugin.prefilter_pattern.search(line), line
        assert any(part.search(fold(line)) for part in plugin.prefilter_folded_parts), line
    for line in ["def memory_token_store(request):", "set the password in Vault.", "ENV STORE_PATH=/x",
                 "ARG X\n_TOKEN x", "token_ = 1"]:
        assert not list(plugin.analyze_string(line)), line
        assert not any(part.search(fold(line)) for part in plugin.prefilter_folded_parts), line


# ---------------------------------------------------------------- VIBE-91 in source

@pytest.mark.parametrize("default, found", [
    ("localhost.localdomain", True), ("0.0.0.0:8000", True), ("kafka:9092,localhost:9093", True),
    ("LOCALHOST.", True), ("[::ffff:127.0.0.1]:80", True), ("http://api.localhost", True),
    ("localhost-proxy.example.com", False), ("kafka-0:9092,kafka-1:9092", False), ("169.254.169.254", False),
])
def test_fallback_defaults_use_the_host_grammar(tmp_path, default, found):
    _write(tmp_path, "settings.py", f'import os\nX = os.getenv("SOMA_X_URL", "{default}")\n')
    assert bool([f for f in run_scan(".") if f.rule == "VIBE-91"]) is found


@pytest.mark.parametrize("source", [
    'import os\nX = os.getenv(\n    "SOMA_REDIS_HOST",\n    "localhost",\n)\n',
    'import os\nX = os.getenv("A",\n  default="localhost:6379")\n',
    'import os\nH = "localhost"\nX = os.getenv("A", H)\n',
    'import os\nX = os.environ.get("A") or (\n    "http://127.0.0.1:8000"\n)\n',
    'import os\nX = os.getenv("A", f"http://localhost:{PORT}")\n',
    'import os\nX = os.getenv("A", "local" "host")\n' if False else 'import os\nX = os.getenv("A", "127.0" ".0.1")\n',
    'from pydantic_settings import BaseSettings\nclass S(BaseSettings):\n    redis_host: str = "localhost"\n',
])
def test_needs_ast_never_skips_a_reported_default(source):
    assert scan_source(source, "m.py"), source
    assert needs_ast(source)


@pytest.mark.parametrize("source", [
    '"""Connects to localhost only in the docs."""\nimport os\n',
    'import os\n# localhost is rejected\nif "localhost" in ALLOWED:\n    raise RuntimeError("localhost is not allowed")\n',
    'import os\nif host == "localhost":\n    pass\nx = data[::1]\nlocalhost_url = os.getenv("A")\n',
])
def test_needs_ast_skips_harmless_mentions(source):
    assert not scan_source(source, "m.py")
    assert not needs_ast(source)


_PIECES = ['"localhost"', "'127.0.0.1:8080'", '"""see localhost docs"""', "# localhost", "localhost_url",
           'if h == "localhost":', "x = ", "os.getenv(", '"A", ', ")", "\n", "\n", "    ", "y", "[::1]",
           '"http://localhost:1"', "log('localhost down')", "LOCALHOST"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=14))
def test_needs_ast_is_the_per_line_judgement_of_every_line_with_a_loopback_word(parts):
    """The reference: every line holding a loopback word is judged whole (first and last lines,
    no trailing newline, several words on a line, words on neighbouring lines)."""
    from somastack_deploy.config_contract.grammar.hosts import may_name_local_host
    from somastack_deploy.config_contract.scan.fallbacks import line_needs_ast

    source = "".join(parts)
    expected = any(line_needs_ast(line) for line in source.split("\n") if may_name_local_host(line))
    assert needs_ast(source) == expected


@pytest.mark.parametrize("source", [
    '"localhost")\n',  # the word at the very start: the whole first line is judged
    'import os\nX = os.getenv(\n"localhost")',  # at a line start, on the last line without newline
    'import os\nX = os.getenv("A", "x") or "localhost"',  # the last line ends with the literal
])
def test_needs_ast_judges_the_whole_line_at_the_edges(source):
    assert needs_ast(source)
