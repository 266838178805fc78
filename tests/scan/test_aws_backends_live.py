"""``--resolve-secrets`` against real AWS API endpoints: LocalStack's community runtime from the
harness (``services("localstack")``, loopback only), driven through ``localstack-client``.

Secrets Manager: JSON and plain secrets, ``#/key`` (nested), version stages (``AWSCURRENT``,
``AWSPREVIOUS``, a custom label, a missing label), a missing secret, a missing key, one read per
secret. Parameter Store (``ref+awsssm://``): SecureString and String parameters, the vals
prefix form ``#/SUB``, ``?version=N``, a missing parameter and version. And the CLI as a user
runs it: ``preflight ENV --resolve-secrets`` in a subprocess with boto3's own
``AWS_ENDPOINT_URL``. Values are planted and must never appear in any finding or output.

What LocalStack's community edition does not do (IAM enforcement: every call is allowed) stays
checked with botocore's Stubber in ``test_secret_backends.py`` (access denied).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from somastack_deploy.config_contract import references, secret_backends
from somastack_deploy.config_contract.secret_backends import RULE_INVALID, RULE_MISSING, check_references

pytestmark = pytest.mark.services("localstack")

PLANTED = "planted-" + uuid.uuid4().hex  # never in any output
OLD = "planted-old-" + uuid.uuid4().hex
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def aws(topology, harness):
    """``(secretsmanager client, ssm client, unique prefix, endpoint URL)`` on the harness's
    LocalStack, with the test's secrets and parameters created under the prefix."""
    spec = harness.spec("localstack")
    sm = spec.client(harness.ctx, "secretsmanager")
    ssm = spec.client(harness.ctx, "ssm")
    p = f"soma-{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=f"{p}/db", SecretString=json.dumps({"password": PLANTED, "nested": {"user": "soma"}}))
    sm.create_secret(Name=f"{p}/plain", SecretString=PLANTED)
    sm.create_secret(Name=f"{p}/rotated", SecretString=json.dumps({"password": OLD}))
    sm.put_secret_value(SecretId=f"{p}/rotated", SecretString=json.dumps({"password": PLANTED}))  # old → AWSPREVIOUS
    sm.put_secret_value(SecretId=f"{p}/rotated", SecretString=json.dumps({"password": "staged-" + PLANTED}),
                        VersionStages=["STAGED"])
    ssm.put_parameter(Name=f"/{p}/db/password", Value=OLD, Type="SecureString")
    ssm.put_parameter(Name=f"/{p}/db/password", Value=PLANTED, Type="SecureString", Overwrite=True)  # version 2
    ssm.put_parameter(Name=f"/{p}/db/host", Value="db.internal", Type="String")
    return sm, ssm, p, spec.endpoint_url(harness.ctx)


def _resolve(ref, sm, ssm):
    return secret_backends.resolve(ref, secretsmanager_client=sm, ssm_client=ssm)


def test_json_secret_key_nested_key_and_whole_secret(aws):
    sm, ssm, p, _ = aws
    assert _resolve(f"ref+awssecrets://{p}/db#/password", sm, ssm) == PLANTED
    assert _resolve(f"ref+awssecrets://{p}/db#/nested/user", sm, ssm) == "soma"
    assert json.loads(_resolve(f"ref+awssecrets://{p}/db#/nested", sm, ssm)) == {"user": "soma"}
    assert json.loads(_resolve(f"ref+awssecrets://{p}/db", sm, ssm))["password"] == PLANTED
    assert _resolve(f"ref+awssecrets://{p}/plain", sm, ssm) == PLANTED
    arn = sm.describe_secret(SecretId=f"{p}/db")["ARN"]  # a full ARN, as AWS returns it
    assert _resolve(f"ref+awssecrets://{arn}#/password", sm, ssm) == PLANTED
    # a binary secret: its bytes as text; a key into it is a finding
    sm.create_secret(Name=f"{p}/binary", SecretBinary=PLANTED.encode("utf-8"))
    assert _resolve(f"ref+awssecrets://{p}/binary", sm, ssm) == PLANTED
    findings = check_references({"SOMA_API_TOKEN": f"ref+awssecrets://{p}/binary#/k"}, secretsmanager_client=sm)
    assert [f.rule for f in findings] == [RULE_MISSING] and PLANTED not in findings[0].message


def test_version_stages(aws):
    sm, ssm, p, _ = aws
    assert _resolve(f"ref+awssecrets://{p}/rotated#/password", sm, ssm) == PLANTED
    assert _resolve(f"ref+awssecrets://{p}/rotated?version_stage=AWSCURRENT#/password", sm, ssm) == PLANTED
    assert _resolve(f"ref+awssecrets://{p}/rotated?version_stage=AWSPREVIOUS#/password", sm, ssm) == OLD
    assert _resolve(f"ref+awssecrets://{p}/rotated?version_stage=STAGED#/password", sm, ssm) == "staged-" + PLANTED
    findings = check_references({"SOMA_API_TOKEN": f"ref+awssecrets://{p}/rotated?version_stage=NOPE#/password"},
                                secretsmanager_client=sm)
    assert [(f.rule, f.variable) for f in findings] == [(RULE_MISSING, "SOMA_API_TOKEN")]


def test_missing_secret_missing_key_and_plain_secret_with_key_are_findings_without_values(aws):
    sm, ssm, p, _ = aws
    env = {"SOMA_DB_PASSWORD": f"ref+awssecrets://{p}/db#/password",
           "SOMA_DB_USER_PASSWORD": f"ref+awssecrets://{p}/db#/nope",
           "SOMA_API_TOKEN": f"ref+awssecrets://{p}/gone#/token",
           "SOMA_MEMORY_API_TOKEN": f"ref+awssecrets://{p}/plain#/token"}
    findings = check_references(env, secretsmanager_client=sm)
    assert sorted((f.rule, f.variable) for f in findings) == [
        (RULE_MISSING, "SOMA_API_TOKEN"), (RULE_MISSING, "SOMA_DB_USER_PASSWORD"), (RULE_MISSING, "SOMA_MEMORY_API_TOKEN")]
    by_var = {f.variable: f.message for f in findings}
    assert by_var["SOMA_API_TOKEN"].startswith(f"SOMA_API_TOKEN: ref+awssecrets://{p}/gone: no such secret in "
                                               "Secrets Manager (")
    assert "no key nope" in by_var["SOMA_DB_USER_PASSWORD"]
    assert "not a JSON object" in by_var["SOMA_MEMORY_API_TOKEN"]
    assert all(PLANTED not in f.message for f in findings)


def test_each_secret_is_read_once_and_a_failure_is_replayed(aws):
    """Counted on the real client's own event hook: one GetSecretValue per secret and stage."""
    sm, ssm, p, _ = aws
    calls: list[str] = []
    sm.meta.events.register("before-parameter-build.secrets-manager.GetSecretValue",
                            lambda params, **kw: calls.append(params["SecretId"]))
    env = {"A_PASSWORD": f"ref+awssecrets://{p}/db#/password", "B_PASSWORD": f"ref+awssecrets://{p}/db#/nope",
           "C_TOKEN": f"ref+awssecrets://{p}/gone#/a", "D_TOKEN": f"ref+awssecrets://{p}/gone#/b"}
    findings = check_references(env, secretsmanager_client=sm)
    assert sorted(calls) == [f"{p}/db", f"{p}/gone"]
    assert sorted(f.variable for f in findings) == ["B_PASSWORD", "C_TOKEN", "D_TOKEN"]


def test_ssm_parameters(aws):
    sm, ssm, p, _ = aws
    assert _resolve(f"ref+awsssm://{p}/db/password", sm, ssm) == PLANTED  # SecureString, decrypted
    assert _resolve(f"ref+awsssm:///{p}/db/password", sm, ssm) == PLANTED  # leading "/" written out
    assert _resolve(f"ref+awsssm://{p}/db#/password", sm, ssm) == PLANTED  # vals prefix form
    assert _resolve(f"ref+awsssm://{p}/db/password?version=1", sm, ssm) == OLD
    assert _resolve(f"ref+awsssm://{p}/db/host", sm, ssm) == "db.internal"
    env = {"SOMA_DB_PASSWORD": f"ref+awsssm://{p}/db/password", "SOMA_API_TOKEN": f"ref+awsssm://{p}/db/gone",
           "SOMA_MEMORY_API_TOKEN": f"ref+awsssm://{p}/db/password?version=9", "SECRET_KEY": "ref+awsssm://"}
    findings = check_references(env, ssm_client=ssm)
    assert sorted((f.rule, f.variable) for f in findings) == sorted([
        (RULE_MISSING, "SOMA_API_TOKEN"), (RULE_MISSING, "SOMA_MEMORY_API_TOKEN"), (RULE_INVALID, "SECRET_KEY")])
    assert all(PLANTED not in f.message and OLD not in f.message for f in findings)


def test_references_resolve_dispatches_to_the_backends(aws, monkeypatch):
    """``references.resolve`` (used by the checks) reads both schemes through boto3's default
    chain, pointed at LocalStack by boto3's own environment variables."""
    sm, ssm, p, url = aws
    for k, v in {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                 "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    assert references.resolve(f"ref+awssecrets://{p}/db#/password") == PLANTED
    assert references.resolve(f"ref+awsssm://{p}/db/password") == PLANTED


def test_cli_resolve_secrets_as_a_user_runs_it(aws, tmp_path):
    """``somastack-deploy preflight ENV --resolve-secrets`` in a subprocess from another
    directory, AWS endpoint and credentials from boto3's environment variables: exit 1 naming
    the missing secret, key and parameter; no value in stdout or stderr; exit 0 once fixed."""
    sm, ssm, p, url = aws
    base = open(os.path.join(ROOT, "examples", "dev-standalone-local.env"), encoding="utf-8").read()
    refs = {"SA01_DB_PASSWORD": f"ref+awssecrets://{p}/db#/password",
            "SPICEDB_API_KEY": f"ref+awssecrets://{p}/db#/missing_key",
            "OPENROUTER_API_KEY": f"ref+awssecrets://{p}/missing_secret",
            "SECRET_KEY": f"ref+awsssm://{p}/db/gone"}
    env_file = tmp_path / "dev.env"
    env_file.write_text(base + "\n" + "\n".join(f"{k}={v}" for k, v in refs.items()) + "\n")
    proc_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc_env.update({"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                     "AWS_DEFAULT_REGION": "us-east-1"})
    exe = os.path.join(os.path.dirname(sys.executable), "somastack-deploy")

    def preflight():
        return subprocess.run([exe, "preflight", "dev.env", "--resolve-secrets", "--format", "json"], cwd=tmp_path,
                              env=proc_env, capture_output=True, text=True, timeout=120)

    proc = preflight()
    assert proc.returncode == 1, proc.stderr
    missing = {(f["rule"], f["variable"]) for f in json.loads(proc.stdout)["findings"] if f["rule"].startswith("SECRET-REF")}
    assert missing == {(RULE_MISSING, "SPICEDB_API_KEY"), (RULE_MISSING, "OPENROUTER_API_KEY"),
                       (RULE_MISSING, "SECRET_KEY")}
    assert PLANTED not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr
    sm.update_secret(SecretId=f"{p}/db", SecretString=json.dumps({"password": PLANTED, "missing_key": PLANTED}))
    sm.create_secret(Name=f"{p}/missing_secret", SecretString=PLANTED)
    ssm.put_parameter(Name=f"/{p}/db/gone", Value=PLANTED, Type="SecureString")
    proc = preflight()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert PLANTED not in proc.stdout + proc.stderr


def test_localstack_listens_on_loopback_only_and_stays_out_of_the_topology(aws, topology, harness):
    """Every listening socket of LocalStack's process tree is on 127.0.0.1 (hypercorn, no DNS
    server); the topology document does not list it (it is not a SomaStack service)."""
    import psutil

    pid = harness.status()["localstack"].pid
    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    listening = [c.laddr for p in procs for c in p.net_connections(kind="inet")
                 if c.status == psutil.CONN_LISTEN or (c.type == 2 and not c.raddr)]
    assert listening and all(addr.ip == "127.0.0.1" for addr in listening), listening
    assert "localstack" not in topology.services
