"""The public API: evaluate / enforce / ContractViolation / load_sources, rendered per-service env,
Finding → Result conversion, lazy imports."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .helpers import FARGATE, ROOT


def _env():
    from somastack_deploy.config_contract import load_sources

    return load_sources([str(FARGATE)])[0]


def test_evaluate_plain_dict():
    from somastack_deploy.config_contract import Report, evaluate

    report = evaluate(_env())
    assert isinstance(report, Report) and report.passed and report.errors == []
    assert report.dimensions.target == "FARGATE"
    assert report.to_dict()["services"] == ["agent", "brain", "memory"]


def test_enforce_raises_contract_violation_with_one_line_messages():
    from somastack_deploy.config_contract import ContractViolation, enforce

    env = {**_env(), "SOMABRAIN_API_URL": "http://localhost:30101", "SECRET_KEY": "lit-Secret-0042-value"}
    with pytest.raises(ContractViolation) as exc:
        enforce(env)
    text = str(exc.value)
    assert "VIBE-91: SOMABRAIN_API_URL points at localhost" in text
    assert "VIBE-164: SECRET_KEY is a literal secret" in text
    assert "0042" not in text
    assert exc.value.report.errors
    assert enforce(_env()).passed


def test_rendered_service_env():
    """A Pulumi program evaluates each service's rendered env on its own."""
    from somastack_deploy.config_contract import evaluate

    env = _env()
    brain_keys = ["SA01_DEPLOYMENT_MODE", "SOMASTACK_SOFTWARE_MODE", "SOMA_DB_URL", "SOMA_DB_HOST", "SOMA_REDIS_URL",
                  "SOMA_KAFKA_BROKERS", "SOMA_MILVUS_HOST", "SOMA_MILVUS_PORT", "SOMABRAIN_PORT"]
    brain = evaluate({k: env[k] for k in brain_keys}, services=["brain"])
    assert brain.passed, [f.message for f in brain.findings]
    broken = evaluate({k: env[k] for k in brain_keys if k != "SOMA_KAFKA_BROKERS"}, services=["brain"])
    assert [(f.rule, f.variable) for f in broken.errors] == [("VIBE-91", "SOMA_KAFKA_BROKERS")]
    with pytest.raises(ValueError):
        evaluate(env, services=["gateway"])


def test_finding_to_result_and_report_extend():
    from somastack_deploy.config_contract import Finding, evaluate

    report = evaluate(_env())
    scan = Finding(rule="VIBE-164", severity="error", variable=None, service="general", path="src/settings.py",
                   line=12, message="literal token in code")
    report.extend([scan])
    assert not report.passed and report.findings == [scan]
    from somastack_deploy.commands.preflight import finding_to_result

    result = finding_to_result(scan, rule_name="zero-hardcode")
    assert (result.rule_id, result.level, result.group, result.path, result.line, result.status) == \
        ("VIBE-164", "error", "general", "src/settings.py", 12, "FAILED")
    with pytest.raises(ValueError):
        Finding(rule="X", severity="info", variable=None, service="general", path=None, line=None, message="m")


def test_import_is_lazy():
    code = ("import sys, config_contract; assert 'pydantic' not in sys.modules, 'eager';"
            "config_contract.evaluate; assert 'somastack_deploy.config_contract.rules' not in sys.modules")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_catalog_is_consistent():
    from somastack_deploy.config_contract.catalog import CATALOG, alias_index, by_name, lookup
    from somastack_deploy.config_contract.model import contract_model

    names = [v.name for v in CATALOG]
    assert len(names) == len(set(names))
    assert not set(alias_index()) & set(by_name())
    defaults = {v.name: v.default for v in CATALOG if v.default is not None}
    contract_model().model_validate(defaults)  # every default satisfies its own type
    for v in CATALOG:
        assert v.services and "seed" in v.source and v.description
        assert (v.type == "enum") == bool(v.allowed)
        for a in v.aliases:
            assert lookup(a.name) is v


# Every variable named in seed 000 §1/§5 and seed 001 §2 (tables and examples), read off the seeds.
SEED_VARIABLES = """
SOMASTACK_SOFTWARE_MODE SA01_DEPLOYMENT_MODE SOMA_SAAS_MODE SA01_DEPLOYMENT_TARGET SA01_CHAT_PROVIDER SA01_CHAT_MODEL
DEBUG ALLOWED_HOSTS SECRET_KEY DJANGO_SECRET_KEY SOMA_SECRET_KEY SOMA_DEPLOYMENT_MODE SOMABRAIN_PORT SOMA_API_PORT
SOMA_DB_URL DATABASE_URL SOMA_REDIS_URL REDIS_URL SOMA_KAFKA_BROKERS SOMA_MILVUS_HOST SOMA_MILVUS_PORT SFM_AUTH_MODE
SOMA_API_TOKEN SOMA_DB_NAME SOMA_DB_HOST SOMA_INFRA__POSTGRES SOMA_DB_PORT SOMA_INFRA__MILVUS SOMA_MEMORY_MODE
SOMA_REDIS_HOST SOMA_INFRA__REDIS SOMA_REDIS_PORT SOMA_INFRA__KAFKA VAULT_ADDR VAULT_TOKEN SOMA_AAAS_MODE
SA01_DB_DSN SA01_REDIS_URL SA01_DB_HOST SA01_DB_PORT SA01_DB_NAME SA01_DB_USER SA01_DB_PASSWORD KEYCLOAK_URL
KEYCLOAK_REALM KEYCLOAK_CLIENT_ID SPICEDB_URL SPICEDB_API_KEY OPA_URL AAAS_DEFAULT_CHAT_MODEL OPENAI_API_KEY
ANTHROPIC_API_KEY LAGO_API_URL LAGO_API_KEY SMTP_HOST SMTP_PORT SMTP_USER SMTP_PASSWORD SOMABRAIN_API_URL
SOMAMEMORY_API_URL SOMA_MEMORY_API_TOKEN MILVUS_HOST MILVUS_PORT KAFKA_BOOTSTRAP_SERVERS MEMORY_ENABLED VOICE_ENABLED
MCP_ENABLED CODE_EXECUTION_ENABLED SOMA_AGENT_MODE SOMAGENT_MODE SOMABRAIN_URL SOMAFRACTALMEMORY_URL
OPENROUTER_API_KEY GROQ_API_KEY SA01_ENABLE_AGENTIQ_GOVERNOR
""".split()


def test_catalog_covers_the_seeds():
    from somastack_deploy.config_contract.catalog import lookup

    assert [n for n in SEED_VARIABLES if lookup(n) is None] == []
