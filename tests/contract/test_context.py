"""The evaluation context (:mod:`config_contract.context`): where a finding is located and which
service it belongs to, alias values folded into canonical ones, and the host/port views that
never read a reference's text as a URL."""

from __future__ import annotations

import pytest

from somastack_deploy.config_contract.catalog import Alias
from somastack_deploy.config_contract.context import _map_alias_value, build_context, hosts_of, port_of_url
from somastack_deploy.config_contract.rules.vibe import ZeroFallbackRule
from somastack_deploy.config_contract.sources import Origin


# ---------------------------------------------------------------------------- hosts and ports

@pytest.mark.parametrize("var_type, value, hosts", [
    ("url", "redis://localhost:6379/0", ["localhost"]),
    ("dsn", "postgresql://soma@db.internal:5432/soma", ["db.internal"]),
    ("host", "127.0.0.1", ["127.0.0.1"]),
    ("hostports", "kafka-0.internal:9092,localhost:9093", ["kafka-0.internal", "localhost"]),
    # not a host-bearing type: a free-text value that happens to say localhost
    ("str", "localhost", []), ("secret", "localhost", []), ("int", "127", []),
    ("url", "", []), ("host", "", []),
    # references (and $VAR) are not URLs: a secret named "localhost" is not a loopback endpoint
    ("url", "ref+awssecrets://localhost#/url", []), ("dsn", "ref+vault://secret/db#/dsn", []),
    ("host", "${SOMA_MILVUS_HOST}", []), ("host", "$SOMA_MILVUS_HOST", []),
    ("dsn", "file:///run/somastack/credentials.json#postgres.dsn", []),
])
def test_hosts_of(var_type, value, hosts):
    assert hosts_of(var_type, value) == hosts


@pytest.mark.parametrize("value, port", [
    ("redis://r.internal:6380/0", 6380), ("http://a.internal/x", None), ("", None), ("http://a:0x1/", None),
    # a reference's text is never read as a URL, even when it looks like one
    ("ref+vault://vault:8200/soma#/url", None), ("ref+awssecrets://db:5432#/url", None), ("${SA01_REDIS_URL}", None),
])
def test_port_of_url(value, port):
    assert port_of_url(value) == port


# ---------------------------------------------------------------------------- findings

def test_finding_location_follows_the_spelling_used():
    # the canonical variable is set through its alias: the finding points at the alias's line
    ctx = build_context({"SOMA_DEPLOYMENT_MODE": "prod", "DEBUG": "true"},
                        {"SOMA_DEPLOYMENT_MODE": Origin("prod.env", 3), "DEBUG": Origin("<environment>")})
    f = ctx.finding(ZeroFallbackRule, "SA01_DEPLOYMENT_MODE", "m")
    assert (f.path, f.line) == ("prod.env", 3)
    assert ctx.location("SA01_DEPLOYMENT_MODE") == ("prod.env", 3)
    # a value from the process environment has no file
    assert ctx.location("DEBUG") == (None, None)
    assert ctx.location("NOT_SET_ANYWHERE") == (None, None)
    # at= locates the finding at another input name
    g = ctx.finding(ZeroFallbackRule, "SA01_DEPLOYMENT_MODE", "m", at="DEBUG", severity="warning")
    assert (g.path, g.line, g.severity, g.rule, g.message) == (None, None, "warning", "VIBE-91", "m")


@pytest.mark.parametrize("variable, service", [
    # catalogued: the catalog's service, whatever the prefix says
    ("DEBUG", "agent"), ("ALLOWED_HOSTS", "agent"),
    # not catalogued: by prefix
    ("SA01_SOMETHING_NEW", "agent"), ("SFM_SOMETHING_NEW", "memory"), ("SOMA_SOMETHING_NEW", "shared"),
    ("SOMASTACK_SOMETHING_NEW", "shared"), ("sa01_lower_case", "general"), ("OTHER_THING", "general"),
    (None, "general"), ("", "general"),
])
def test_finding_service(variable, service):
    ctx = build_context({})
    assert ctx.finding(ZeroFallbackRule, variable, "m").service == service


# ---------------------------------------------------------------------------- values

def test_alias_values_are_mapped_case_insensitively_and_unknown_ones_kept():
    ctx = build_context({"SOMA_DEPLOYMENT_MODE": "Staging"})
    assert ctx.values["SA01_DEPLOYMENT_MODE"] == "PROD" and not ctx.invalid and ctx.prod
    # a value the alias's map does not know is kept (then judged invalid: PROD, the stricter)
    ctx = build_context({"SOMA_DEPLOYMENT_MODE": "production", "SOMASTACK_SOFTWARE_MODE": "StandAlone"})
    assert ctx.spellings["SA01_DEPLOYMENT_MODE"][0].mapped == "PRODUCTION"
    assert ctx.invalid == {"SA01_DEPLOYMENT_MODE"} and ctx.prod and ctx.used["SA01_DEPLOYMENT_MODE"] == "SOMA_DEPLOYMENT_MODE"
    # a value mapped to None has no counterpart
    ctx = build_context({"SOMAGENT_MODE": "test"})
    assert ctx.spellings["SOMA_AGENT_MODE"][0].mapped is None and "SOMA_AGENT_MODE" not in ctx.values


def test_canonical_value_map():
    ctx = build_context({"SA01_DEPLOYMENT_MODE": " staging "})
    assert ctx.values["SA01_DEPLOYMENT_MODE"] == "PROD" and not ctx.invalid


def test_case_sensitive_alias_value_map():
    alias = Alias(name="OLD_MODE", source="test", value_map={"on": "true", "gone": None})
    assert _map_alias_value(alias, "on") == "true"
    assert _map_alias_value(alias, "ON") == "ON"  # case matters: kept as written
    assert _map_alias_value(alias, "gone") is None
    assert _map_alias_value(Alias(name="X", source="test"), "anything") == "anything"


def test_none_values_are_empty():
    ctx = build_context({"SOMA_MILVUS_HOST": None, "DEBUG": "false"})
    assert ctx.raw == {"SOMA_MILVUS_HOST": "", "DEBUG": "false"}
    assert not ctx.is_set("SOMA_MILVUS_HOST") and ctx.is_set("DEBUG") and not ctx.is_set("ALLOWED_HOSTS")


def test_is_secret_reference_excludes_file_references_unless_allowed():
    from somastack_deploy.config_contract.context import is_secret_reference

    value = "file:///run/somastack/credentials.json#postgres.password"
    assert not is_secret_reference(value) and is_secret_reference(value, allow_file=True)
    assert is_secret_reference("ref+vault://secret/soma/db#/password") and not is_secret_reference("${X}hunter2")


def test_dimensions_fallbacks_and_invalid_values():
    ctx = build_context({"SA01_DEPLOYMENT_MODE": "", "SOMASTACK_SOFTWARE_MODE": "Cluster", "SOMA_SAAS_MODE": "maybe",
                         "SOMA_AGENT_MODE": "WHATEVER"})
    d = ctx.dimensions
    # empty = unset: the default DEV, not an invalid value evaluated as PROD
    assert (d.environment, d.software_mode, d.saas_bridge, d.target) == ("DEV", "StandAlone", False, "LOCAL")
    assert ctx.invalid == {"SOMASTACK_SOFTWARE_MODE", "SOMA_SAAS_MODE"} and not ctx.prod
    assert ctx.runtime_mode is None and ctx.services == frozenset({"agent"}) and not ctx.services_given
    spelling = ctx.spellings["SOMASTACK_SOFTWARE_MODE"][0]
    assert (spelling.name, spelling.raw, spelling.deprecated) == ("SOMASTACK_SOFTWARE_MODE", "Cluster", False)


def test_runtime_mode_services_and_bridge():
    ctx = build_context({"SOMASTACK_SOFTWARE_MODE": "SomaStackClusterMode", "SOMA_AGENT_MODE": "TRAINING",
                         "SOMA_SAAS_MODE": "true"})
    assert ctx.runtime_mode == "TRAINING" and ctx.cluster and ctx.dimensions.saas_bridge is True
    assert ctx.services == frozenset({"agent", "brain", "memory"}) and not ctx.services_given
    given = build_context({"SOMASTACK_SOFTWARE_MODE": "SomaStackClusterMode"}, services=["memory"])
    assert given.services == frozenset({"memory"}) and given.services_given is True
