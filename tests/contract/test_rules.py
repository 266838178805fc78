"""Every rule has failing and passing cases on real files (examples/ and data/cases/)."""

from __future__ import annotations

import pytest

from somastack_deploy.config_contract.rules import registry

from .helpers import CASES, DEV, EKS, FARGATE, GOOD_EXAMPLES, SEEDS, report_of

# (rule id, files (later wins), services, variable, severity, line in the last file or None)
FAILING = [
    ("CONTRACT-VALUE", [FARGATE, CASES / "value-bad.env"], None, "SOMA_DB_PORT", "error", 2),
    ("CONTRACT-VALUE", [FARGATE, CASES / "value-bad.env"], None, "SA01_DEPLOYMENT_TARGET", "error", 3),
    ("CONTRACT-VALUE", [FARGATE, CASES / "value-bad.env"], None, "SOMA_SAAS_MODE", "error", 4),
    ("CONTRACT-UNKNOWN", [FARGATE, CASES / "unknown.env"], None, "SOMA_SAS_MODE", "error", 2),
    ("CONTRACT-UNKNOWN", [FARGATE, CASES / "unknown.env"], None, "SFM_AUTH_MDOE", "error", 3),
    ("CONTRACT-REQUIRED", [FARGATE, CASES / "required-empty.env"], None, "SPICEDB_API_KEY", "error", 2),
    ("CONTRACT-REQUIRED", [SEEDS / "seed000-5.1-dev.env"], None, "SA01_DB_DSN", "warning", None),
    ("CONTRACT-REQUIRED", [CASES / "required-dev-missing-keys.env"], None, "SPICEDB_API_KEY", "warning", None),
    ("CONTRACT-REQUIRED", [CASES / "required-dev-missing-keys.env", CASES / "required-prod.env"], None,
     "SPICEDB_API_KEY", "error", None),
    ("CONTRACT-REQUIRED", [SEEDS / "seed000-5.1-prod.env"], None, "SOMA_AGENT_MODE", "error", None),
    ("CONTRACT-ALIAS-CONFLICT", [FARGATE, CASES / "alias-conflict.env"], None, "SOMA_AAAS_MODE", "error", 2),
    ("CONTRACT-ALIAS-CONFLICT", [FARGATE, CASES / "alias-conflict.env"], None, "SOMA_INFRA__POSTGRES", "error", 3),
    ("CONTRACT-DEPRECATED", [FARGATE, CASES / "deprecated-spelling.env"], None, "SOMABRAIN_URL", "warning", 2),
    ("CONTRACT-DEPRECATED", [FARGATE, CASES / "deprecated-no-counterpart.env"], None, "SOMAGENT_MODE", "error", 3),
    ("CONTRACT-LEGACY-MODE", [FARGATE, CASES / "legacy-mode.env"], None, "SA01_DEPLOYMENT_MODE", "error", 2),
    ("VIBE-91", [FARGATE, CASES / "vibe91-localhost.env"], None, "SOMABRAIN_API_URL", "error", 2),
    ("VIBE-91", [FARGATE, CASES / "vibe91-missing.env"], None, "SOMA_KAFKA_BROKERS", "error", None),
    ("VIBE-164", [FARGATE, CASES / "vibe164-literal.env"], None, "SECRET_KEY", "error", 2),
    ("VIBE-164", [DEV, CASES / "vibe164-literal.env"], None, "SECRET_KEY", "warning", 2),
    ("VIBE-164-DEV-DEFAULT", [FARGATE, CASES / "vibe164-dev-default.env"], None, "SOMA_MEMORY_API_TOKEN", "error", 2),
    ("VIBE-164-DEV-DEFAULT", [DEV, CASES / "vibe164-dev-default.env"], None, "SOMA_MEMORY_API_TOKEN", "warning", 2),
    ("MODE-CLUSTER-PAIRING", [FARGATE, CASES / "pairing.env"], None, "MEMORY_ENABLED", "error", 2),
    ("MODE-CLUSTER-PAIRING", [FARGATE, CASES / "pairing.env"], None, "SOMA_MEMORY_API_TOKEN", "error", None),
    ("MODE-CLUSTER-AUTH", [FARGATE, CASES / "cluster-auth.env"], None, "SFM_AUTH_MODE", "error", 2),
    ("MODE-STANDALONE", [DEV, CASES / "standalone-dependency.env"], None, "SOMABRAIN_API_URL", "warning", 2),
    ("MODE-SAAS-BRIDGE", [DEV, CASES / "saas-bridge.env"], None, "SOMA_SAAS_MODE", "error", 2),
    ("MODE-SFM-TOKEN", [CASES / "sfm-token-missing.env"], ["memory"], "SOMA_API_TOKEN", "error", None),
    ("PROD-DJANGO", [FARGATE, CASES / "prod-django.env"], None, "DEBUG", "error", 2),
    ("PROD-DJANGO", [FARGATE, CASES / "prod-django.env"], None, "ALLOWED_HOSTS", "error", 3),
    ("PORT-NAMESPACE", [FARGATE, CASES / "port-namespace.env"], None, "SOMABRAIN_PORT", "error", 2),
    ("PORT-NAMESPACE", [FARGATE, CASES / "port-namespace.env"], None, "SOMAMEMORY_API_URL", "error", 3),
    ("RUNTIME-MODE", [FARGATE, CASES / "runtime-mode.env"], None, "SOMA_AGENT_MODE", "error", 2),
    ("RUNTIME-MODE", [FARGATE, CASES / "runtime-mode.env"], None, "SOMA_POLICY_ENFORCEMENT", "error", 3),
    ("RUNTIME-MODE", [DEV, CASES / "runtime-training.env"], None, "SOMA_KAFKA_TOPIC_PREFIX", "error", 4),
    ("RUNTIME-MODE", [DEV, CASES / "runtime-training.env"], None, "SOMA_KAFKA_RETENTION_MS", "error", 5),
]

# (rule id, files, services): the rule is relevant here and must stay silent.
PASSING = [
    ("CONTRACT-VALUE", [FARGATE], None),
    ("CONTRACT-UNKNOWN", [FARGATE], None),
    ("CONTRACT-REQUIRED", [DEV], None),
    ("CONTRACT-ALIAS-CONFLICT", [FARGATE, CASES / "alias-same.env"], None),
    ("CONTRACT-DEPRECATED", [FARGATE, CASES / "alias-brain.env"], None),
    ("CONTRACT-LEGACY-MODE", [FARGATE], None),
    ("VIBE-91", [FARGATE], None),
    ("VIBE-91", [EKS], None),
    ("VIBE-91", [DEV], None),  # localhost is allowed in DEV
    ("VIBE-164", [FARGATE], None),
    ("VIBE-164", [EKS], None),
    ("VIBE-164-DEV-DEFAULT", [DEV], None),
    ("MODE-CLUSTER-PAIRING", [FARGATE], None),
    ("MODE-CLUSTER-PAIRING", [EKS], None),  # the SaaS bridge pairs in-process
    ("MODE-CLUSTER-AUTH", [FARGATE], None),
    ("MODE-STANDALONE", [DEV], None),
    ("MODE-SAAS-BRIDGE", [EKS], None),
    ("MODE-SFM-TOKEN", [SEEDS / "seed000-5.3-standalone.env"], ["memory"]),
    ("PROD-DJANGO", [FARGATE], None),
    ("PORT-NAMESPACE", [FARGATE], None),
    ("RUNTIME-MODE", [FARGATE], None),
    ("RUNTIME-MODE", [DEV], None),
]


def _ids(case):
    return f"{case[0]}:{case[3] if len(case) > 3 else '+'.join(p.name for p in case[1])}"


@pytest.mark.parametrize("case", FAILING, ids=[_ids(c) for c in FAILING])
def test_failing_case(case):
    rule, files, services, variable, severity, line = case
    report = report_of(*files, services=services)
    hits = [f for f in report.findings if f.rule == rule and f.variable == variable]
    assert hits, f"{rule} did not report {variable}: {[(f.rule, f.variable) for f in report.findings]}"
    hit = hits[0]
    assert hit.severity == severity
    assert variable in hit.message and "seed" in hit.message
    if line is not None:
        assert (hit.path, hit.line) == (str(files[-1]), line)
    if severity == "error":
        assert not report.passed


@pytest.mark.parametrize("case", PASSING, ids=[f"{c[0]}:{'+'.join(p.name for p in c[1])}" for c in PASSING])
def test_passing_case(case):
    rule, files, services = case
    report = report_of(*files, services=services)
    assert [f for f in report.findings if f.rule == rule] == []


def test_every_rule_has_failing_and_passing_cases():
    ids = {r.id for r in registry()}
    assert ids == {c[0] for c in FAILING}
    assert ids == {c[0] for c in PASSING}


def test_rule_metadata_is_complete():
    for rule in registry():
        assert rule.id and rule.name and rule.description
        assert rule.severity in ("error", "warning")
        assert "seed" in rule.source


@pytest.mark.parametrize("path", GOOD_EXAMPLES, ids=lambda p: p.name)
def test_good_examples_have_no_finding(path):
    report = report_of(path)
    assert report.findings == [], [f.message for f in report.findings]


def test_did_you_mean():
    report = report_of(FARGATE, CASES / "unknown.env")
    msgs = {f.variable: f.message for f in report.findings if f.rule == "CONTRACT-UNKNOWN"}
    assert "did you mean SOMA_SAAS_MODE?" in msgs["SOMA_SAS_MODE"]
    assert "did you mean SFM_AUTH_MODE?" in msgs["SFM_AUTH_MDOE"]
    assert "TZ" not in msgs  # not a contract prefix


def test_alias_value_maps():
    from somastack_deploy.config_contract import evaluate

    base = dict(_env(FARGATE))
    base.pop("SA01_DEPLOYMENT_MODE")
    report = evaluate({**base, "SOMA_DEPLOYMENT_MODE": "staging"})
    assert report.dimensions.environment == "PROD"  # staging has no DEV counterpart: PROD rules apply
    assert any(f.rule == "CONTRACT-DEPRECATED" and "staging" in f.message.lower() for f in report.findings)
    base.pop("SOMA_AGENT_MODE")
    report = evaluate({**base, "SA01_DEPLOYMENT_MODE": "PROD", "SOMAGENT_MODE": "PRODUCTION-ENTERPRISE"})
    assert report.runtime_mode == "PRODUCTION"
    assert report.passed


def test_invalid_environment_is_evaluated_as_prod():
    from somastack_deploy.config_contract import evaluate

    env = {**_env(DEV), "SA01_DEPLOYMENT_MODE": "PRODUCTION"}
    report = evaluate(env)
    assert report.dimensions.environment == "PROD"
    assert any(f.rule == "CONTRACT-VALUE" and f.variable == "SA01_DEPLOYMENT_MODE" for f in report.findings)
    assert any(f.rule == "VIBE-91" for f in report.findings)


def test_memory_and_agent_tokens_must_match():
    from somastack_deploy.config_contract import evaluate

    env = {**_env(FARGATE), "SOMA_API_TOKEN": "ref+awssecrets://somastack/prod/memory#/other"}
    report = evaluate(env)
    assert any(f.rule == "CONTRACT-ALIAS-CONFLICT" and f.variable == "SOMA_API_TOKEN" for f in report.findings)


def _env(path):
    from somastack_deploy.config_contract.sources import read_dotenv

    return read_dotenv(str(path))[0]
