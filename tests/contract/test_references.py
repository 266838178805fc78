"""Resolving references in memory (:func:`config_contract.references.resolve`): ``${VAR}`` from
the process, ``file:///ABS#a.b`` from an owner-only JSON file (the harness's credentials
convention), the backend schemes handed to :mod:`config_contract.secret_backends` with their
options, and errors that name the reference, never a value."""

from __future__ import annotations

import json
import os
import uuid

import pytest

from somastack_deploy.config_contract.references import ReferenceError_, resolve
from somastack_deploy.config_contract.secret_backends import RULE_UNCONFIGURED, BackendError

PLANTED = "planted-" + uuid.uuid4().hex


@pytest.fixture
def creds(tmp_path):
    """An owner-only credentials file like the harness writes; returns its path."""
    path = tmp_path / "credentials.json"
    path.write_text(json.dumps({"postgres": {"password": PLANTED, "port": 5432, "user": "soma"},
                                "label": "abc", "nested": {"a": {"b": [1, 2]}}}))
    os.chmod(path, 0o600)
    return path


def test_env_reference(monkeypatch):
    monkeypatch.setenv("SOMA_TEST_REF_VALUE", PLANTED)
    assert resolve("${SOMA_TEST_REF_VALUE}") == PLANTED
    monkeypatch.delenv("SOMA_TEST_REF_VALUE")
    with pytest.raises(ReferenceError_) as err:
        resolve("${SOMA_TEST_REF_VALUE}")
    assert str(err.value) == "environment variable SOMA_TEST_REF_VALUE is not set"


def test_file_reference_reads_a_dotted_key(creds):
    assert resolve(f"file://{creds}#postgres.password") == PLANTED
    assert resolve(f"file://{creds}#postgres.port") == "5432"  # str() of a JSON number
    assert resolve(f"file://{creds}#label") == "abc"


@pytest.mark.parametrize("key", ["postgres.missing", "missing", "label.b", "label.x", "postgres.password.x",
                                 "nested.a.c"])
def test_file_reference_missing_key(creds, key):
    # "label.b": the node is a string that happens to contain "b", still not an object with key b
    with pytest.raises(ReferenceError_) as err:
        resolve(f"file://{creds}#{key}")
    assert str(err.value) == f"{creds}: no key {key}"
    assert PLANTED not in str(err.value)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o700 | 0o020, 0o601])
def test_file_reference_refuses_files_others_can_reach(creds, mode):
    os.chmod(creds, mode)
    with pytest.raises(ReferenceError_) as err:
        resolve(f"file://{creds}#postgres.password")
    assert str(err.value) == f"{creds}: credential file is readable by group/others (chmod 600)"


def test_file_reference_owner_only_modes_are_fine(creds):
    for mode in (0o400, 0o600, 0o700):
        os.chmod(creds, mode)
        assert resolve(f"file://{creds}#postgres.user") == "soma"


def test_file_reference_unreadable_or_not_json(tmp_path):
    missing = tmp_path / "absent.json"
    with pytest.raises(ReferenceError_) as err:
        resolve(f"file://{missing}#a")
    assert str(err.value) == f"{missing}: No such file or directory"
    bad = tmp_path / "bad.json"
    bad.write_text("password=" + PLANTED)
    os.chmod(bad, 0o600)
    with pytest.raises(ReferenceError_) as err:
        resolve(f"file://{bad}#a")
    assert str(err.value) == f"{bad}: not JSON" and PLANTED not in str(err.value)


@pytest.mark.parametrize("value", ["hunter2", "${X}hunter2", "$X", "ref+pulumi-secure://somastack:dbPassword",
                                   "ref+vault://secret/db", ""])
def test_not_resolvable_here(value):
    # a Pulumi secret is resolved by Pulumi, not by this module
    with pytest.raises(ValueError) as err:
        resolve(value)
    assert str(err.value) == "not a secret reference"


def test_backend_schemes_go_to_the_secret_backends_with_their_options(monkeypatch):
    monkeypatch.delenv("VAULT_ADDR", raising=False)
    monkeypatch.delenv("VAULT_TOKEN", raising=False)
    # the options reach the backend: with an address but no token the backend asks for the token
    with pytest.raises(BackendError) as err:
        resolve("ref+vault://secret/soma/db#/password", vault_addr="http://127.0.0.1:9")
    assert err.value.rule == RULE_UNCONFIGURED and "no Vault token" in str(err.value)
    assert isinstance(err.value, ReferenceError_)
    with pytest.raises(BackendError) as err:
        resolve("ref+vault://secret/soma/db#/password")
    assert "no Vault server" in str(err.value)
