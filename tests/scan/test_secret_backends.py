"""``--resolve-secrets`` backends.

Vault: a real OpenBao server (KV v2 at ``secret/``) from the harness (``services("vault")``).
AWS Secrets Manager and Parameter Store against a real endpoint (LocalStack's community
runtime): ``test_aws_backends_live.py``. Here only what that endpoint cannot show: access
denied (LocalStack's community edition does not enforce IAM) through botocore's ``Stubber``,
which checks the request against the ``secretsmanager`` service model, and an unreachable
endpoint (a closed loopback port).
"""

from __future__ import annotations

import json
import socket
import time
import uuid

import boto3
import pytest
from botocore.stub import Stubber

from somastack_deploy.config_contract import references, secret_backends
from somastack_deploy.config_contract.secret_backends import (RULE_DENIED, RULE_INVALID, RULE_MISSING, RULE_UNCONFIGURED,
                                             RULE_UNREACHABLE, BackendError, check_references, parse)

PLANTED = "planted-" + uuid.uuid4().hex  # a secret value that must never appear in output


# -- parsing ---------------------------------------------------------------------------------

def test_parse_vault_and_aws_references():
    ref = parse("ref+vault://secret/soma/db#/password")
    assert (ref.scheme, ref.path, ref.key) == ("vault", "secret/soma/db", ("password",))
    ref = parse("ref+awssecrets://soma/prod/db?region=eu-west-1#/creds/password")
    assert (ref.scheme, ref.path, ref.key, ref.params) == ("awssecrets", "soma/prod/db", ("creds", "password"),
                                                           {"region": "eu-west-1"})


@pytest.mark.parametrize("bad", ["ref+vault://secret#/k", "ref+vault://secret/x", "ref+vault://#/k",
                                 "ref+awssecrets://", "ref+vault://secret/a b#/k", "https://x"])
def test_parse_rejects_malformed(bad):
    with pytest.raises(BackendError) as err:
        parse(bad)
    assert err.value.rule == RULE_INVALID


def test_malformed_reference_is_a_finding():
    findings = check_references({"SOMA_DB_PASSWORD": "ref+vault://secret#/x"}, vault_addr="http://127.0.0.1:1",
                                vault_token="t")
    assert [(f.rule, f.variable) for f in findings] == [(RULE_INVALID, "SOMA_DB_PASSWORD")]


# -- Vault (real OpenBao) --------------------------------------------------------------------

@pytest.fixture
def vault(topology):
    """(addr, root token, hvac client, unique base path) on the harness's OpenBao."""
    import hvac

    svc = topology.services["vault"]
    endpoint = svc.endpoints[0]
    addr = f"http://{endpoint.host}:{endpoint.port}"
    token = references.resolve(svc.credentials["token"])
    client = hvac.Client(url=addr, token=token, timeout=30)
    base = f"scan-tests/{uuid.uuid4().hex[:8]}"
    client.secrets.kv.v2.create_or_update_secret(path=f"{base}/db", mount_point="secret",
                                                 secret={"password": PLANTED, "nested": {"user": "soma"}})
    return addr, token, client, base


@pytest.mark.services("vault")
def test_vault_reference_present_resolves(vault):
    addr, token, _, base = vault
    ref = f"ref+vault://secret/{base}/db#/password"
    assert secret_backends.resolve(ref, vault_addr=addr, vault_token=token) == PLANTED
    assert secret_backends.resolve(f"ref+vault://secret/data/{base}/db#/nested/user", vault_addr=addr,
                                   vault_token=token) == "soma"
    # through the shared resolver, with VAULT_ADDR/VAULT_TOKEN taken from the env set
    assert references.resolve(ref, env={"VAULT_ADDR": addr, "VAULT_TOKEN": token}) == PLANTED
    assert check_references({"SOMA_DB_PASSWORD": ref, "VAULT_ADDR": addr, "VAULT_TOKEN": token}) == []


@pytest.mark.services("vault")
def test_vault_missing_path_and_key(vault):
    addr, token, _, base = vault
    env = {"SOMA_DB_PASSWORD": f"ref+vault://secret/{base}/nope#/password",
           "SOMA_API_TOKEN": f"ref+vault://secret/{base}/db#/no_such_key",
           "SOMA_REDIS_PASSWORD": f"ref+vault://secret/{base}/db#/password",  # present
           "VAULT_ADDR": addr, "VAULT_TOKEN": token}
    findings = check_references(env)
    assert sorted((f.rule, f.variable, f.severity) for f in findings) == [
        (RULE_MISSING, "SOMA_API_TOKEN", "error"), (RULE_MISSING, "SOMA_DB_PASSWORD", "error")]
    text = json.dumps([f.to_dict() for f in findings])
    assert PLANTED not in text and token not in text
    assert "no_such_key" in text and f"{base}/nope" in text


@pytest.mark.services("vault")
def test_vault_wrong_token_is_denied(vault):
    addr, token, _, base = vault
    wrong = "s." + uuid.uuid4().hex
    findings = check_references({"SOMA_DB_PASSWORD": f"ref+vault://secret/{base}/db#/password"},
                                vault_addr=addr, vault_token=wrong)
    assert [(f.rule, f.variable) for f in findings] == [(RULE_DENIED, "SOMA_DB_PASSWORD")]
    assert wrong not in findings[0].message and PLANTED not in findings[0].message


@pytest.mark.services("vault")
def test_vault_token_as_file_reference_in_env_set(vault, topology):
    addr, _, _, base = vault
    env = {"SOMA_DB_PASSWORD": f"ref+vault://secret/{base}/db#/password", "VAULT_ADDR": addr,
           "VAULT_TOKEN": topology.services["vault"].credentials["token"]}  # file:///…#vault.root_token
    assert check_references(env) == []


@pytest.mark.services("vault")
def test_vault_policy_without_read_is_denied(vault):
    addr, _, client, base = vault
    client.sys.create_or_update_policy(name="scan-tests-none", policy='path "secret/data/other/*" { capabilities = ["read"] }')
    limited = client.auth.token.create(policies=["scan-tests-none"], ttl="5m")["auth"]["client_token"]
    findings = check_references({"SOMA_DB_PASSWORD": f"ref+vault://secret/{base}/db#/password"},
                                vault_addr=addr, vault_token=limited)
    assert [f.rule for f in findings] == [RULE_DENIED]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_vault_unreachable_is_a_finding_not_a_hang():
    start = time.monotonic()
    findings = check_references({"SOMA_DB_PASSWORD": "ref+vault://secret/soma/db#/password"},
                                vault_addr=f"http://127.0.0.1:{_closed_port()}", vault_token=PLANTED, timeout_s=2)
    assert time.monotonic() - start < 10
    assert [f.rule for f in findings] == [RULE_UNREACHABLE]
    assert PLANTED not in findings[0].message


def test_resolve_of_an_unreachable_vault_raises_without_the_token(monkeypatch):
    monkeypatch.delenv("VAULT_ADDR", raising=False)
    addr = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(BackendError) as err:
        secret_backends.resolve("ref+vault://secret/soma/db#/password", vault_addr=addr, vault_token=PLANTED,
                                timeout_s=2)
    assert err.value.rule == RULE_UNREACHABLE
    assert str(err.value) == f"ref+vault://secret/soma/db: Vault at {addr} unreachable (timeout 2 s)"
    assert PLANTED not in str(err.value)


def test_vault_silent_server_times_out():
    """A listener that accepts but never answers: the timeout turns it into a finding."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        start = time.monotonic()
        findings = check_references({"X_PASSWORD": "ref+vault://secret/a/b#/c"}, vault_addr=f"http://127.0.0.1:{port}",
                                    vault_token="t", timeout_s=1)
    assert time.monotonic() - start < 8
    assert [f.rule for f in findings] == [RULE_UNREACHABLE]


def test_vault_unconfigured(monkeypatch):
    monkeypatch.delenv("VAULT_ADDR", raising=False)
    monkeypatch.delenv("VAULT_TOKEN", raising=False)
    findings = check_references({"SOMA_DB_PASSWORD": "ref+vault://secret/soma/db#/password"})
    assert [f.rule for f in findings] == [RULE_UNCONFIGURED]
    assert "VAULT_ADDR" in findings[0].message


@pytest.fixture
def no_aws_region(monkeypatch, tmp_path):
    """No region anywhere in boto3's chain (and no instance metadata lookups)."""
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "absent-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "absent-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_aws_unconfigured_is_a_finding_naming_the_reference(no_aws_region):
    findings = check_references({"SOMA_API_TOKEN": "ref+awssecrets://soma/prod/api#/token",
                                 "SOMA_DB_PASSWORD": "ref+awsssm://soma/prod/db#/password"})
    assert [(f.rule, f.variable, f.message) for f in findings] == [
        (RULE_UNCONFIGURED, "SOMA_API_TOKEN", "SOMA_API_TOKEN: ref+awssecrets://soma/prod/api: AWS not configured "
                                              "(NoRegionError) (issue 2 --resolve-secrets; seed 000 §4 Rule 164 "
                                              "(secrets from Vault))"),
        (RULE_UNCONFIGURED, "SOMA_DB_PASSWORD", "SOMA_DB_PASSWORD: ref+awsssm://soma/prod/db#/password: AWS not "
                                                "configured (NoRegionError) (issue 2 --resolve-secrets; seed 000 §4 "
                                                "Rule 164 (secrets from Vault))")]


# -- AWS Secrets Manager: what LocalStack cannot show (Stubber; closed port) ------------------

@pytest.fixture
def sm():
    client = boto3.session.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x" * 20).client(
        "secretsmanager", region_name="eu-west-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_aws_access_denied(sm):
    client, stubber = sm
    stubber.add_client_error("get_secret_value", service_error_code="AccessDeniedException", http_status_code=400,
                             expected_params={"SecretId": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x"})
    findings = check_references({"SOMA_API_TOKEN": "ref+awssecrets://arn:aws:secretsmanager:eu-west-1:123456789012:secret:x#/t"},
                                secretsmanager_client=client)
    assert [f.rule for f in findings] == [RULE_DENIED]


def test_aws_unreachable_endpoint_is_a_finding():
    """A real boto3 client against a closed loopback port: connection refused → finding."""
    client = boto3.session.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x" * 20).client(
        "secretsmanager", region_name="eu-west-1", endpoint_url=f"http://127.0.0.1:{_closed_port()}",
        config=__import__("botocore.config").config.Config(connect_timeout=1, read_timeout=1,
                                                           retries={"max_attempts": 1}))
    start = time.monotonic()
    findings = check_references({"SOMA_API_TOKEN": "ref+awssecrets://soma/x#/t"}, secretsmanager_client=client)
    assert time.monotonic() - start < 10
    assert [f.rule for f in findings] == [RULE_UNREACHABLE]


def test_parse_ssm_references():
    from somastack_deploy.config_contract.secret_backends import ssm_name

    ref = parse("ref+awsssm://soma/prod/db?region=eu-west-1")
    assert (ref.scheme, ref.path, ref.key, ref.params) == ("awsssm", "soma/prod/db", (), {"region": "eu-west-1"})
    assert ssm_name(ref) == "/soma/prod/db"
    assert ssm_name(parse("ref+awsssm:///soma/prod/db")) == "/soma/prod/db"
    assert ssm_name(parse("ref+awsssm://soma/prod#/db/password")) == "/soma/prod/db/password"
    assert ssm_name(parse("ref+awsssm://soma/x?version=3")) == "/soma/x:3"
    assert ssm_name(parse("ref+awsssm://soma/x?label=blue")) == "/soma/x:blue"
    for bad in ("ref+awsssm://", "ref+awsssm:///", "ref+awsssm://a//b", "ref+awsssm://a b"):
        with pytest.raises(BackendError) as err:
            parse(bad)
        assert err.value.rule == RULE_INVALID


def test_ssm_access_denied_and_unreachable():
    from botocore.config import Config

    client = boto3.session.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x" * 20).client(
        "ssm", region_name="eu-west-1")
    with Stubber(client) as stubber:
        stubber.add_client_error("get_parameter", service_error_code="AccessDeniedException", http_status_code=400,
                                 expected_params={"Name": "/soma/x", "WithDecryption": True})
        findings = check_references({"SOMA_API_TOKEN": "ref+awsssm://soma/x"}, ssm_client=client)
    assert [f.rule for f in findings] == [RULE_DENIED]
    closed = boto3.session.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x" * 20).client(
        "ssm", region_name="eu-west-1", endpoint_url=f"http://127.0.0.1:{_closed_port()}",
        config=Config(connect_timeout=1, read_timeout=1, retries={"max_attempts": 1}))
    findings = check_references({"SOMA_API_TOKEN": "ref+awsssm://soma/x"}, ssm_client=closed)
    assert [f.rule for f in findings] == [RULE_UNREACHABLE]
    assert findings[0].message.startswith("SOMA_API_TOKEN: ref+awsssm://soma/x: Parameter Store unreachable "
                                          "(EndpointConnectionError, timeout 5 s)")


@pytest.mark.parametrize("code, rule, text", [
    ("AccessDeniedException", RULE_DENIED, "access denied by Parameter Store (AccessDeniedException)"),
    ("UnrecognizedClientException", RULE_DENIED, "access denied by Parameter Store (UnrecognizedClientException)"),
    ("InvalidSignatureException", RULE_DENIED, "access denied by Parameter Store (InvalidSignatureException)"),
    ("ExpiredTokenException", RULE_DENIED, "access denied by Parameter Store (ExpiredTokenException)"),
    ("InvalidKeyId", RULE_DENIED, "access denied by Parameter Store (InvalidKeyId)"),
    ("ParameterNotFound", RULE_MISSING, "no such parameter /soma/db/a/b in Parameter Store (ParameterNotFound)"),
    ("ParameterVersionLabelNotFound", RULE_MISSING,
     "no such parameter /soma/db/a/b in Parameter Store (ParameterVersionLabelNotFound)"),
    ("ValidationException", RULE_INVALID, "Parameter Store refused the name /soma/db/a/b (ValidationException)"),
    ("ThrottlingException", RULE_UNREACHABLE, "Parameter Store error ThrottlingException"),
])
def test_ssm_error_codes(code, rule, text):
    """Each Parameter Store error code (botocore's ssm model, through the Stubber) is one finding;
    the message names the reference (with its #/sub-path) and the parameter, never a value."""
    client = boto3.session.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x" * 20).client(
        "ssm", region_name="eu-west-1")
    with Stubber(client) as stubber:
        stubber.add_client_error("get_parameter", service_error_code=code, http_status_code=400,
                                 expected_params={"Name": "/soma/db/a/b", "WithDecryption": True})
        findings = check_references({"SOMA_API_TOKEN": "ref+awsssm://soma/db#/a/b"}, ssm_client=client)
    assert [(f.rule, f.message) for f in findings] == [
        (rule, f"SOMA_API_TOKEN: ref+awsssm://soma/db#/a/b: {text} (issue 2 --resolve-secrets; seed 000 §4 Rule 164 "
               "(secrets from Vault))")]


def test_a_region_botocore_refuses_is_a_finding(no_aws_region):
    """A typo in ``?region=`` (an underscore): botocore refuses to build the client
    (InvalidRegionError, a BotoCoreError) before any request; one finding per reference."""
    findings = check_references({"SOMA_API_TOKEN": "ref+awssecrets://soma/x?region=eu_west_1#/t",
                                 "SOMA_DB_PASSWORD": "ref+awsssm://soma/db?region=eu_west_1"})
    assert [(f.rule, f.message.split(" (issue")[0]) for f in findings] == [
        (RULE_UNREACHABLE, "SOMA_API_TOKEN: ref+awssecrets://soma/x: Secrets Manager call failed (InvalidRegionError)"),
        (RULE_UNREACHABLE, "SOMA_DB_PASSWORD: ref+awsssm://soma/db: Parameter Store call failed (InvalidRegionError)")]


def test_vault_address_without_scheme_and_token_with_a_newline(monkeypatch):
    """Two user mistakes found before any connection: VAULT_ADDR without http(s):// and a token
    read from a file with its trailing newline (requests refuses the header)."""
    monkeypatch.delenv("VAULT_ADDR", raising=False)
    ref = {"SOMA_DB_PASSWORD": "ref+vault://secret/soma/db#/password"}
    findings = check_references(ref, vault_addr="vault.internal:8200", vault_token=PLANTED)
    assert [(f.rule, f.message.split(" (issue")[0]) for f in findings] == [
        (RULE_UNCONFIGURED, "SOMA_DB_PASSWORD: ref+vault://secret/soma/db: VAULT_ADDR 'vault.internal:8200' is not "
                            "an http(s) URL")]
    addr = f"http://127.0.0.1:{_closed_port()}"
    findings = check_references(ref, vault_addr=addr, vault_token=PLANTED + "\n")
    assert [(f.rule, f.message.split(" (issue")[0]) for f in findings] == [
        (RULE_UNREACHABLE, f"SOMA_DB_PASSWORD: ref+vault://secret/soma/db: Vault at {addr} request failed (InvalidHeader)")]
    assert all(PLANTED not in f.message for f in findings)


@pytest.mark.parametrize("ref, service", [("ref+awssecrets://soma/x#/t", "Secrets Manager"),
                                          ("ref+awsssm://soma/x", "Parameter Store")])
def test_aws_silent_endpoint_times_out_once(no_aws_region, monkeypatch, ref, service):
    """The client this module builds (no client passed in): the reference's region, the
    ``timeout_s`` read timeout and one attempt, against a listener that accepts and never answers
    (boto3's ``AWS_ENDPOINT_URL``): one finding within a few seconds, not boto3's 60 s x retries."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x" * 20)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.getsockname()[1]}")
        start = time.monotonic()
        findings = check_references({"SOMA_API_TOKEN": ref.replace("soma/x", "soma/x?region=eu-west-1", 1)},
                                    timeout_s=1)
        elapsed = time.monotonic() - start
        server.setblocking(False)
        attempts = 0
        while True:  # every connection the client opened waits in the backlog
            try:
                server.accept()[0].close()
            except BlockingIOError:
                break
            attempts += 1
    assert [(f.rule, f.message.split(" (issue")[0]) for f in findings] == [
        (RULE_UNREACHABLE, f"SOMA_API_TOKEN: {ref.split('#')[0]}: {service} unreachable (ReadTimeoutError, "
                           "timeout 1 s)")]
    assert attempts == 1 and elapsed < 8  # one attempt, no retries
    # the region comes from the options when the reference has none
    findings = check_references({"SOMA_API_TOKEN": ref}, aws_region="eu-west-1", timeout_s=0.5,
                                vault_addr="unused")
    assert [f.rule for f in findings] == [RULE_UNREACHABLE]
