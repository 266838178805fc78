"""The catalog-level rules' findings word for word (CONTRACT-VALUE, CONTRACT-UNKNOWN,
CONTRACT-REQUIRED): what a user reads must name the variable, the expected shape and the seed
section, and say in DEV that PROD would fail."""

from __future__ import annotations

import pytest

from somastack_deploy.config_contract import evaluate
from somastack_deploy.config_contract.rules.values import validation

DEV_TAIL = "; allowed in DEV, PROD would fail (seed 000 §4 Rule 91, §7)"


def _by(report, rule):
    return {f.variable: f for f in report.findings if f.rule == rule}


@pytest.mark.parametrize("name,value,text", [
    ("SOMA_DB_PORT", "99999", "SOMA_DB_PORT must be a TCP port number 1-65535 (seed 000 §5.3, §5.4)"),
    ("SOMA_DB_PORT", "0", "SOMA_DB_PORT must be a TCP port number 1-65535 (seed 000 §5.3, §5.4)"),
    ("SA01_DEPLOYMENT_TARGET", "MARS", "SA01_DEPLOYMENT_TARGET must be one of LOCAL, FARGATE, EKS, ECS_EC2, EC2, "
                                      "APP_RUNNER (seed 000 §5.1; seed 001 §2.1)"),
    ("SOMA_SAAS_MODE", "maybe", "SOMA_SAAS_MODE must be true or false (seed 000 §1, §5.1; seed 001 §2.1 (as "
                                "SOMA_AAAS_MODE))"),
    ("SOMA_KAFKA_RETENTION_MS", "x1", "SOMA_KAFKA_RETENTION_MS must be an integer (seed 003 mode matrix (variable "
                                      "name assigned by this contract))"),
    ("SOMABRAIN_API_URL", "not a url", "SOMABRAIN_API_URL must be a URL (scheme://host[:port][/path]) or a reference "
                                       "(seed 001 §2.5; seed 000 §1.1)"),
    ("SA01_DB_DSN", "nope", "SA01_DB_DSN must be a connection URL (scheme://[user[:password]@]host[:port]/…) or a "
                            "reference (seed 001 §2.2)"),
    ("SOMA_MILVUS_HOST", "http://x", "SOMA_MILVUS_HOST must be a host name or IP address (no scheme) (seed 000 §5.2, "
                                     "§5.3, §5.4; seed 001 §2.5)"),
    ("SOMA_KAFKA_BROKERS", "a", "SOMA_KAFKA_BROKERS must be host:port[,host:port…] (seed 000 §5.2, §5.4; seed 001 "
                                "§2.5)"),
])
def test_value_messages(name, value, text):
    found = _by(evaluate({"SA01_DEPLOYMENT_MODE": "PROD", name: value}), "CONTRACT-VALUE")
    assert found[name].message == text and found[name].severity == "error"


def test_value_message_names_the_alias_used():
    found = _by(evaluate({"SA01_DEPLOYMENT_MODE": "PROD", "SOMA_AAAS_MODE": "perhaps"}), "CONTRACT-VALUE")
    assert found["SOMA_AAAS_MODE"].message.startswith("SOMA_AAAS_MODE (alias of SOMA_SAAS_MODE) must be true or false")


def test_a_legacy_value_is_left_to_the_alias_rules():
    report = evaluate({"SA01_DEPLOYMENT_MODE": "STANDALONE"})
    assert "SA01_DEPLOYMENT_MODE" not in _by(report, "CONTRACT-VALUE")
    assert "SA01_DEPLOYMENT_MODE" in _by(report, "CONTRACT-LEGACY-MODE")


def test_unknown_names_with_and_without_a_close_match():
    found = _by(evaluate({"SOMA_SAS_MODE": "x", "SOMA_ZZZ_QQQ": "1", "SOMASTACK_MODE_X": "1", "OTHER_VAR": "1"}),
                "CONTRACT-UNKNOWN")
    assert found["SOMA_SAS_MODE"].message == ("SOMA_SAS_MODE is not a contract variable (seed 000 §5, seed 001 §2); "
                                              "did you mean SOMA_SAAS_MODE?")
    assert found["SOMA_ZZZ_QQQ"].message == "SOMA_ZZZ_QQQ is not a contract variable (seed 000 §5, seed 001 §2)"
    assert "SOMASTACK_MODE_X" in found and "OTHER_VAR" not in found  # only contract prefixes are checked


def test_validation_is_computed_once_per_context():
    from somastack_deploy.config_contract.context import build_context

    ctx = build_context({"SOMA_DB_PORT": "x", "SOMA_NOPE": "1"})
    first = validation(ctx)
    assert first == ({"SOMA_DB_PORT": "must be a TCP port number 1-65535"}, ["SOMA_NOPE"])
    ctx.values["SOMA_DB_PORT"] = "5432"
    assert validation(ctx) is first


@pytest.mark.parametrize("provider,key", [("openai", "OPENAI_API_KEY"), ("anthropic", "ANTHROPIC_API_KEY"),
                                          ("openrouter", "OPENROUTER_API_KEY"), (None, "OPENROUTER_API_KEY")])
def test_required_provider_key_in_prod_and_dev(provider, key):
    env = {"SA01_CHAT_PROVIDER": provider} if provider else {}
    prod = _by(evaluate({**env, "SA01_DEPLOYMENT_MODE": "PROD"}), "CONTRACT-REQUIRED")
    dev = _by(evaluate({**env, "SA01_DEPLOYMENT_MODE": "DEV"}), "CONTRACT-REQUIRED")
    other_keys = {"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENROUTER_API_KEY"} - {key}
    assert key in prod and key in dev and not other_keys & (set(prod) | set(dev))
    assert prod[key].severity == "error" and dev[key].severity == "warning"
    assert prod[key].message.startswith(f"{key} is not set: required for SA01_CHAT_PROVIDER={provider or 'openrouter'}, "
                                        "no default (seed 001")
    assert dev[key].message == prod[key].message + DEV_TAIL


def test_required_in_prod_only_and_endpoints_left_to_vibe_91():
    prod = _by(evaluate({"SA01_DEPLOYMENT_MODE": "PROD"}), "CONTRACT-REQUIRED")
    dev = _by(evaluate({"SA01_DEPLOYMENT_MODE": "DEV"}), "CONTRACT-REQUIRED")
    for name in ("DEBUG", "ALLOWED_HOSTS", "SECRET_KEY", "SOMA_AGENT_MODE"):
        assert prod[name].message.startswith(f"{name} is not set: required in PROD, no default (seed")
        assert name not in dev
    assert prod["SA01_DB_PASSWORD"].message == "SA01_DB_PASSWORD is not set: required, no default (seed 001 §2.2)"
    assert dev["SA01_DB_PASSWORD"].message == prod["SA01_DB_PASSWORD"].message + DEV_TAIL
    assert "SA01_DB_DSN" not in prod and "SA01_DB_DSN" in dev  # in PROD VIBE-91 names the missing endpoint
    assert "SA01_DEPLOYMENT_MODE" not in prod and "SA01_DEPLOYMENT_MODE" not in dev


def test_unset_environment_is_a_warning_and_dev_semantics_apply():
    found = _by(evaluate({}), "CONTRACT-REQUIRED")
    assert found["SA01_DEPLOYMENT_MODE"].severity == "warning"
    assert found["SA01_DEPLOYMENT_MODE"].message == ("SA01_DEPLOYMENT_MODE is not set: DEV assumed (seed 001 §2.1 "
                                                     "default); set DEV or PROD explicitly")
    assert {f.severity for f in found.values()} == {"warning"}


def test_an_invalid_environment_is_evaluated_as_prod():
    found = _by(evaluate({"SA01_DEPLOYMENT_MODE": "QA"}), "CONTRACT-REQUIRED")
    assert found["SPICEDB_API_KEY"].severity == "error" and not found["SPICEDB_API_KEY"].message.endswith(DEV_TAIL)


def test_empty_value_counts_as_unset_and_inactive_services_are_skipped():
    found = _by(evaluate({"SA01_DEPLOYMENT_MODE": "PROD", "SPICEDB_API_KEY": ""}), "CONTRACT-REQUIRED")
    assert "SPICEDB_API_KEY" in found
    memory_only = _by(evaluate({"SA01_DEPLOYMENT_MODE": "PROD"}, services=["memory"]), "CONTRACT-REQUIRED")
    assert not {"SPICEDB_API_KEY", "SA01_DB_PASSWORD", "OPENROUTER_API_KEY"} & set(memory_only)


def test_did_you_mean_needs_a_close_match():
    """difflib cutoff 0.75: SOMA_VAULT is only 0.6-similar to SOMA_VAULT_ENABLED, no suggestion."""
    found = _by(evaluate({"SOMA_VAULT": "1", "SOMA_SAAS": "1"}), "CONTRACT-UNKNOWN")
    assert found["SOMA_VAULT"].message == "SOMA_VAULT is not a contract variable (seed 000 §5, seed 001 §2)"
    assert found["SOMA_SAAS"].message.endswith("did you mean SOMA_SAAS_MODE?")


def test_values_after_a_legacy_value_are_still_validated():
    found = _by(evaluate({"SA01_DEPLOYMENT_MODE": "STANDALONE", "SOMA_DB_PORT": "x"}), "CONTRACT-VALUE")
    assert set(found) == {"SOMA_DB_PORT"}
