"""The resolver's pure parts: where the Vault address and token come from (options, the env
set, the process; a token given as a reference), key lookup in a secret's data, the memo of
backend outcomes, descriptions without values, and the finding's shape."""

from __future__ import annotations

import json
import os
import uuid

import pytest

from somastack_deploy.config_contract import secret_backends as sb
from somastack_deploy.config_contract.grammar import references as grammar
from somastack_deploy.config_contract.secret_backends import (RULE_INVALID, RULE_MISSING, RULE_UNCONFIGURED, BackendError,
                                                              Reference, parse)

PLANTED = "planted-" + uuid.uuid4().hex


@pytest.fixture
def no_vault_env(monkeypatch):
    monkeypatch.delenv("VAULT_ADDR", raising=False)
    monkeypatch.delenv("VAULT_TOKEN", raising=False)


def test_vault_settings_precedence(no_vault_env, monkeypatch, tmp_path):
    env = {"VAULT_ADDR": "http://env-set:8200", "VAULT_TOKEN": "env-set-token"}
    assert sb._vault_settings(env, {"vault_addr": "http://opt:1", "vault_token": "opt"}) == ("http://opt:1", "opt")
    assert sb._vault_settings(env, {}) == ("http://env-set:8200", "env-set-token")
    monkeypatch.setenv("VAULT_ADDR", "http://process:8200")
    monkeypatch.setenv("VAULT_TOKEN", "process-token")
    assert sb._vault_settings({}, {}) == ("http://process:8200", "process-token")
    assert sb._vault_settings(None, {}) == ("http://process:8200", "process-token")
    assert sb._vault_settings({"VAULT_TOKEN": ""}, {}) == ("http://process:8200", "process-token")
    # a token in the env set may be a reference, resolved in memory
    monkeypatch.setenv("SOMA_TEST_VAULT_TOKEN", PLANTED)
    assert sb._vault_settings({"VAULT_TOKEN": "${SOMA_TEST_VAULT_TOKEN}"}, {})[1] == PLANTED
    creds = tmp_path / "c.json"
    creds.write_text(json.dumps({"vault": {"token": PLANTED}}))
    os.chmod(creds, 0o600)
    assert sb._vault_settings({"VAULT_TOKEN": f"file://{creds}#vault.token"}, {})[1] == PLANTED


def test_vault_settings_missing_and_unresolvable(no_vault_env):
    with pytest.raises(BackendError) as err:
        sb._vault_settings({}, {"vault_token": "t"})
    assert err.value.rule == RULE_UNCONFIGURED and "VAULT_ADDR" in str(err.value)
    with pytest.raises(BackendError) as err:
        sb._vault_settings({"VAULT_ADDR": "http://x:1"}, {})
    assert err.value.rule == RULE_UNCONFIGURED
    assert str(err.value) == "no Vault token: set VAULT_TOKEN (env set or process) or vault_token"
    with pytest.raises(BackendError) as err:
        sb._vault_settings({"VAULT_ADDR": "http://x:1", "VAULT_TOKEN": "${SOMA_TEST_UNSET_VAR_9}"}, {})
    assert err.value.rule == RULE_UNCONFIGURED and "reference cannot be resolved" in str(err.value)


def test_lookup_and_describe():
    ref = parse("ref+awssecrets://soma/db?region=eu-west-1#/a/b")
    assert ref.describe() == "ref+awssecrets://soma/db#/a/b"  # no query, no value
    assert Reference("vault", "secret/x", (), {}).describe() == "ref+vault://secret/x"
    assert sb._lookup({"a": {"b": 5}}, ref) == "5"
    assert sb._lookup({"a": {"b": {"c": [1]}}}, ref) == json.dumps({"c": [1]})
    assert sb._lookup({"a": {"b": [1, 2]}}, ref) == "[1, 2]"
    for data in ({"a": {}}, {"a": "text"}, {}):
        with pytest.raises(BackendError) as err:
            sb._lookup(data, ref)
        assert err.value.rule == RULE_MISSING
        assert str(err.value) == "ref+awssecrets://soma/db#/a/b: secret exists but has no key a/b"


def test_memo_replays_values_and_errors():
    calls = []

    def fetch_value():
        calls.append("v")
        return {"k": PLANTED}

    def fetch_error():
        calls.append("e")
        raise BackendError(RULE_MISSING, "gone")

    cache: dict = {}
    assert sb._memoized(cache, ("a",), fetch_value) == {"k": PLANTED}
    assert sb._memoized(cache, ("a",), fetch_value) == {"k": PLANTED}
    for _ in range(2):
        with pytest.raises(BackendError, match="gone"):
            sb._memoized(cache, ("b",), fetch_error)
    assert calls == ["v", "e"]


def test_vault_path_drops_a_data_segment():
    assert sb._vault_path(parse("ref+vault://secret/data/soma/db#/k")) == ("secret", "soma/db")
    assert sb._vault_path(parse("ref+vault://kv/soma/db#/k")) == ("kv", "soma/db")
    assert sb._vault_path(parse("ref+vault://secret/soma/data/x#/k")) == ("secret", "soma/data/x")


def test_parse_is_the_grammar_plus_the_backends_path_form():
    """One owner of the reference grammar: the resolver's parse is the grammar's Reference, with
    the path as the backends read it (no trailing "/" on Vault paths, no "/" around SSM paths)."""
    assert Reference is grammar.Reference
    for text in ("ref+vault://secret/soma/db#/password", "ref+awssecrets://soma/db?region=eu-west-1#/k",
                 "ref+awsssm://soma/db", "ref+awsssm:///soma/db/?version=3#/sub"):
        ref, base = parse(text), grammar.parse_reference(text)
        assert (ref.scheme, ref.key, dict(ref.params), ref.text) == (base.scheme, base.key, dict(base.params), text)
    assert parse("ref+vault://secret/soma/db/#/k").path == "secret/soma/db"
    assert parse("ref+awsssm:///soma/db/?version=3#/sub").path == "soma/db"
    assert parse("ref+awssecrets://soma/db/").path == "soma/db/"  # a secret name is used as written
    assert parse("ref+awsssm:///Xray/api_key").path == "Xray/api_key"  # only "/" is stripped
    assert parse("ref+vault://secret/soma/TAX/#/k").path == "secret/soma/TAX"
    with pytest.raises(BackendError) as err:
        parse("ref+gcpsecrets://p#/k")
    assert str(err.value) == "not a ref+vault://, ref+awssecrets:// or ref+awsssm:// reference"
    for text in grammar.BACKEND_SCHEMES:
        assert text in sb.SCHEMES


def test_parse_details():
    ref = parse("ref+vault://secret/soma/db/#//pass//word/")
    assert (ref.path, ref.key) == ("secret/soma/db", ("pass", "word"))
    ref = parse("ref+awssecrets://arn:aws:secretsmanager:r:1:secret:x-AbCdEf?version_stage=AWSPREVIOUS&region=r#k")
    assert (ref.path, ref.key, ref.params) == ("arn:aws:secretsmanager:r:1:secret:x-AbCdEf", ("k",),
                                               {"version_stage": "AWSPREVIOUS", "region": "r"})
    assert parse("ref+awssecrets://x?region=a&region=b").params == {"region": "b"}
    for bad, text in (("ref+awssecrets:///x", "malformed ref+awssecrets:// reference (expected ref+awssecrets://NAME[#/KEY])"),
                      ("ref+vault://secret/x", "malformed ref+vault:// reference (expected ref+vault://MOUNT/PATH#/KEY)"),
                      ("ref+vault://secret#/k", "ref+vault://secret: a Vault reference needs MOUNT/PATH and #/KEY"),
                      ("ref+vault://secret/x/#/", "ref+vault://secret/x: a Vault reference needs MOUNT/PATH and #/KEY"),
                      ("ref+awsssm:///", "malformed ref+awsssm:// reference (expected ref+awsssm://PATH[#/SUBPATH])"),
                      ("ref+awsssm://soma//db", "malformed ref+awsssm:// reference"),
                      ("ref+awsssm://soma/db#/a#b", "malformed ref+awsssm:// reference"),
                      ("ref+pulumi-secure://somastack:dbPassword", "not a ref+vault://"),
                      ("${SOMA_DB_PASSWORD}", "not a ref+vault://"),
                      ("nope", "not a ref+vault://, ref+awssecrets:// or ref+awsssm:// reference")):
        with pytest.raises(BackendError) as err:
            parse(bad)
        assert text in str(err.value) and err.value.rule == RULE_INVALID


def test_check_references_finding_shape_and_only_backend_values(no_vault_env):
    env = {"SOMA_DB_PASSWORD": "ref+vault://secret/soma/db#/password", "PLAIN": PLANTED, "ENVREF": "${X}",
           "SA01_DB_PASSWORD": "  ref+vault://secret/soma/db#/password  ", "EMPTY": None}
    findings = sb.check_references(env)
    assert [(f.rule, f.variable, f.service, f.path, f.line, f.severity) for f in findings] == [
        (RULE_UNCONFIGURED, "SA01_DB_PASSWORD", "agent", None, None, "error"),
        (RULE_UNCONFIGURED, "SOMA_DB_PASSWORD", "general", None, None, "error")]  # not a catalog name
    assert findings[0].message.startswith("SA01_DB_PASSWORD: no Vault server: set VAULT_ADDR")
    assert findings[0].message.endswith("(issue 2 --resolve-secrets; seed 000 §4 Rule 164 (secrets from Vault))")
    assert all(PLANTED not in f.message for f in findings)


def test_resolve_takes_the_env_set_option(no_vault_env):
    with pytest.raises(BackendError) as err:
        sb.resolve("ref+vault://secret/soma/db#/password", env={"VAULT_ADDR": "http://127.0.0.1:9"})
    assert "VAULT_TOKEN" in str(err.value)


def test_rule_meta_names_every_rule_once():
    ids = [m["id"] for m in sb.RULE_META]
    assert ids == ["SECRET-REF-MISSING", "SECRET-REF-DENIED", "SECRET-REF-UNREACHABLE", "SECRET-REF-UNCONFIGURED",
                   "SECRET-REF-INVALID"]
    assert all(m["severity"] == "error" and m["description"] and m["name"] for m in sb.RULE_META)
    assert sb.SCHEMES == ("vault", "awssecrets", "awsssm")
