"""VIBE-91 in source: loopback fallbacks found by the Python AST (and ``${VAR:-…}`` defaults),
on real files written into tmp dirs; cases grep (seed 002 verification commands 2 and 3) gets
wrong."""

from __future__ import annotations

import re
import textwrap

import pytest

from somastack_deploy.config_contract.scan import run_scan
from somastack_deploy.config_contract.scan.fallbacks import is_loopback, scan_source


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _vibe91(tmp_path, **kw):
    return [(f.path, f.line, f.variable) for f in run_scan(".", **kw) if f.rule == "VIBE-91"]


@pytest.mark.parametrize("value", ["localhost", "LOCALHOST", "localhost:6379", "http://localhost:9696",
                                   "redis://user@localhost:6379/0", "127.0.0.1", "127.8.9.1:5432",
                                   "postgresql://soma@127.0.0.1/soma", "::1", "[::1]:8181", "http://[::1]:8181",
                                   "0.0.0.0", "http://0.0.0.0:8000", "api.localhost", "kafka-0:9092,localhost:9092"])
def test_loopback_values(value):
    assert is_loopback(value)


@pytest.mark.parametrize("value", ["db.internal", "http://somabrain:9696", "10.0.0.5", "128.0.0.1",
                                   "localhost.example.com", "http://mylocalhost:80", "", "ref+vault://soma/x#/y",
                                   "not a url at all", "kafka-0:9092,kafka-1:9092"])
def test_not_loopback_values(value):
    assert not is_loopback(value)


def test_getenv_family_defaults_are_hits(tmp_path):
    _write(tmp_path, "svc/settings.py", '''
        import os
        from os import getenv, environ
        REDIS = os.getenv("SOMA_REDIS_HOST", "localhost")
        BRAIN = os.environ.get("SOMABRAIN_URL", default="http://127.0.0.1:9696")
        KAFKA = os.environ.setdefault("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
        OPA = getenv("SA01_OPA_URL", "http://[::1]:8181")
        MEM = environ.get("SFM_URL") or "http://localhost:10101"
        PORT = 8000
        BIND = os.getenv("SA01_GATEWAY_URL", f"http://localhost:{PORT}")
    ''')
    assert _vibe91(tmp_path) == [("svc/settings.py", 4, "SOMA_REDIS_HOST"), ("svc/settings.py", 5, "SOMABRAIN_URL"),
                                 ("svc/settings.py", 6, "KAFKA_BOOTSTRAP_SERVERS"), ("svc/settings.py", 7, "SA01_OPA_URL"),
                                 ("svc/settings.py", 8, "SFM_URL"), ("svc/settings.py", 10, "SA01_GATEWAY_URL")]


def test_settings_style_defaults_are_hits(tmp_path):
    _write(tmp_path, "config.py", '''
        from pydantic import Field
        from pydantic_settings import BaseSettings, SettingsConfigDict
        import environ
        from decouple import config
        env = environ.Env()

        LOCAL_DB = "postgresql://soma@localhost:5432/soma"

        class AgentSettings(BaseSettings):
            model_config = SettingsConfigDict(env_prefix="SA01_")
            redis_url: str = "redis://localhost:6379/0"
            opa_url: str = Field("http://127.0.0.1:8181")
            keycloak_url: str = Field(default="http://keycloak:8080")
            spicedb: str = Field(default="localhost:50051", alias="SPICEDB_ENDPOINT")
            timeout_s: float = 5.0

        DB = env.str("SOMA_DB_DSN", default=LOCAL_DB)
        MILVUS = config("SOMA_MILVUS_HOST", default="localhost")
        KC = env("SA01_KEYCLOAK_URL", default="https://kc.example.com")
    ''')
    assert _vibe91(tmp_path) == [("config.py", 12, "SA01_REDIS_URL"), ("config.py", 13, "SA01_OPA_URL"),
                                 ("config.py", 15, "SPICEDB_ENDPOINT"), ("config.py", 18, "SOMA_DB_DSN"),
                                 ("config.py", 19, "SOMA_MILVUS_HOST")]


GREP_DECOYS = '''
    """Talks to SomaBrain. For local runs use http://localhost:9696 (see docs)."""
    import os
    import requests

    # os.getenv("SOMA_REDIS_HOST", "localhost")  <- the old way, removed
    ALLOWED_HOSTS = os.environ["SA01_ALLOWED_HOSTS"].split(",")
    REDIS = os.environ["SOMA_REDIS_HOST"]
    NAME = os.getenv("LOCALHOST_ALIAS_NAME")
    DB = os.getenv("SOMA_DB_HOST", "db.internal")


    def check(host: str) -> None:
        """Reject localhost: 127.0.0.1 must never be used in PROD."""
        if "localhost" in ALLOWED_HOSTS or host == "127.0.0.1":
            raise RuntimeError("localhost is not allowed (VIBE rule 91)")
        requests.get("http://localhost:8000/healthz", timeout=1)  # a call, not a fallback
        print(os.getenv("SOMA_MODE", "DEV"), "localhost")
'''


def test_grep_false_hits_are_not_findings(tmp_path):
    path = _write(tmp_path, "decoys.py", GREP_DECOYS)
    text = path.read_text()
    # what seed 002's verification commands 2 and 3 would report:
    grep2 = [ln for ln in text.splitlines() if re.search(r"localhost|127\.0\.0\.1", ln) and "# " not in ln]
    grep3 = [ln for ln in text.splitlines() if re.search(r"os.getenv.*localhost", ln)]
    assert len(grep2) >= 4 and len(grep3) == 2
    assert _vibe91(tmp_path) == []


def test_compose_interpolation_defaults(tmp_path):
    _write(tmp_path, "infra/docker-compose.yml", '''
        services:
          agent:
            environment:
              SOMA_REDIS_URL: ${SOMA_REDIS_URL:-redis://localhost:6379}
              SOMABRAIN_URL: ${SOMABRAIN_URL:-http://somabrain:9696}
              # SOMA_KAFKA: ${SOMA_KAFKA:-localhost:9092}
            healthcheck:
              test: ["CMD", "curl", "-sf", "http://localhost:20020/healthz"]
    ''')
    _write(tmp_path, "Dockerfile", "FROM python:3.11\nENV SOMA_DB_HOST=${SOMA_DB_HOST-127.0.0.1}\n")
    assert _vibe91(tmp_path) == [("Dockerfile", 2, "SOMA_DB_HOST"), ("infra/docker-compose.yml", 5, "SOMA_REDIS_URL")]


def test_severity_follows_environment_and_message_names_variable(tmp_path):
    _write(tmp_path, "a.py", 'import os\nX = os.getenv("SOMABRAIN_URL", "http://localhost:9696")\n')
    prod, = run_scan(".")
    dev, = run_scan(".", environment="DEV")
    assert (prod.severity, dev.severity) == ("error", "warning")
    assert prod.rule == "VIBE-91" and "SOMABRAIN_URL" in prod.message and "Rule 91" in prod.message
    assert prod.service == "agent"


def test_unparsable_python_is_reported_not_crashed(tmp_path):
    _write(tmp_path, "broken.py", 'import os\nX = os.getenv("A", "localhost"\n')
    findings = run_scan(".")
    assert [(f.rule, f.severity, f.path) for f in findings] == [("SCAN-UNPARSED", "warning", "broken.py")]
    assert findings[0].line == 2
    assert findings[0].message == "Python syntax error: not checked for VIBE-91 fallbacks"


@pytest.mark.parametrize("expression", [
    "+".join(["1"] * 30000),   # ast.parse: RecursionError during AST construction
    "not " * 100000 + "1",     # the parser's own stack: MemoryError
])
def test_python_nested_deeper_than_the_stack_is_reported_not_crashed(tmp_path, expression):
    """A SCAN-UNPARSED warning, not a traceback, and the other files are still scanned."""
    _write(tmp_path, "deep.py", 'import os\nX = os.getenv("A", "http://localhost:1")\nY = ' + expression + "\n")
    _write(tmp_path, "ok.py", 'import os\nX = os.getenv("A", "http://localhost:1")\n')
    findings = run_scan(".")
    assert [(f.rule, f.path, f.message.split(":")[0]) for f in findings] == [
        ("SCAN-UNPARSED", "deep.py", "nested too deeply to parse"), ("VIBE-91", "ok.py", "A")]


def test_listen_address_defaults_are_not_fallbacks():
    source = ('import os\nA = os.getenv("SA01_BIND_HOST", "0.0.0.0")\nB = os.getenv("LISTEN_ADDR", "0.0.0.0:8080")\n'
              'C = os.getenv("SA01_BIND_HOST", "127.0.0.1")\nD = os.getenv("SOMA_DB_HOST", "0.0.0.0")\n')
    assert [(h.line, h.variable) for h in scan_source(source, "m.py")] == [(4, "SA01_BIND_HOST"), (5, "SOMA_DB_HOST")]


def test_scan_source_direct():
    hits = scan_source('import os\nA = os.getenv("X", "localhost")\nB = os.getenv("Y", "x")\n', "m.py")
    assert [(h.line, h.variable, h.kind) for h in hits] == [(2, "X", "getenv")]
