"""Drift against the real services: a clean stack has no drift; an out-of-band change of a
Kafka topic's retention, a SpiceDB schema definition, a Redis setting or a Keycloak client is
reported on exactly that field; a baseline accepts it; config drift of a real process's
environment; no secret value in any output."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from somastack_deploy.checks.drift import model
from somastack_deploy.checks.drift.config import compare_env, proc_environ
from somastack_deploy.checks.drift.report import render_report
from somastack_deploy.checks.drift.services import service_drift
from somastack_deploy.checks.probes.base import ProbeContext
from somastack_deploy.cli import main

DRIFT_SERVICES = ("postgres", "redis", "kafka", "spicedb", "opa", "keycloak")
pytestmark = pytest.mark.services(*DRIFT_SERVICES)


def _drift(topology, services):
    items, checked, errors = service_drift(topology, services=list(services), timeout_s=10)
    assert not errors, errors
    assert set(checked) == set(services)
    return items


def _keys(items):
    return {(i.service, i.object, i.field, i.change) for i in items}


def test_clean_stack_has_no_service_drift(topology):
    assert _drift(topology, DRIFT_SERVICES) == []


def test_kafka_retention_change_is_drift_on_that_field(topology):
    from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource

    from somastack_deploy.checks.probes.kafka import config

    ctx = ProbeContext("kafka", topology.services["kafka"], topology, 10)
    admin = AdminClient(config(ctx))

    def set_retention(value):
        res = ConfigResource(ConfigResource.Type.TOPIC, "agent.messages", incremental_configs=[
            ConfigEntry("retention.ms", value, incremental_operation=AlterConfigOpType.SET)])
        for fut in admin.incremental_alter_configs([res]).values():
            fut.result(timeout=10)

    set_retention("3600000")
    try:
        items = _drift(topology, ["kafka"])
    finally:
        set_retention("604800000")
    assert _keys(items) == {("kafka", "topic agent.messages", "retention.ms", "changed")}
    (it,) = items
    assert (it.expected, it.actual, it.source) == ("604800000", "3600000", "assets/kafka/topics.yaml")
    assert _drift(topology, ["kafka"]) == []


def test_spicedb_schema_change_is_drift_on_that_definition(topology):
    from authzed.api.v1 import ReadSchemaRequest, WriteSchemaRequest

    from somastack_deploy.checks.probes.spicedb import client

    c = client(ProbeContext("spicedb", topology.services["spicedb"], topology, 10))
    original = c.ReadSchema(ReadSchemaRequest()).schema_text
    changed = original.replace("permission manage_billing = admin + billing_manager",
                               "permission manage_billing = admin + billing_manager + member")
    assert changed != original
    c.WriteSchema(WriteSchemaRequest(schema=changed))
    try:
        items = _drift(topology, ["spicedb"])
    finally:
        c.WriteSchema(WriteSchemaRequest(schema=original))
    assert _keys(items) == {("spicedb", "definition tenant", "permission manage_billing", "changed")}
    assert items[0].actual == "= admin + billing_manager + member"


def test_redis_setting_change_is_drift_on_that_field(topology):
    from somastack_deploy.checks.probes.redis import client

    r = client(ProbeContext("redis", topology.services["redis"], topology, 5))
    r.config_set("maxmemory-policy", "allkeys-lru")
    try:
        items = _drift(topology, ["redis"])
    finally:
        r.config_set("maxmemory-policy", "noeviction")
        r.close()
    assert _keys(items) == {("redis", "server", "maxmemory-policy", "changed")}
    assert (items[0].expected, items[0].actual) == ("noeviction", "allkeys-lru")


def test_keycloak_client_change_is_drift_on_that_field(topology, tmp_path, capsys):
    import httpx

    from somastack_deploy.checks.drift.services import keycloak_admin_token
    from somastack_deploy.checks.probes.keycloak import realm_url

    ctx = ProbeContext("keycloak", topology.services["keycloak"], topology, 10)
    base = realm_url(ctx).split("/realms/", 1)[0]
    with httpx.Client(timeout=10) as c:
        h = {"Authorization": f"Bearer {keycloak_admin_token(ctx, c, base)}"}
        (client,) = c.get(f"{base}/admin/realms/somastack/clients", params={"clientId": "soma-agent"}, headers=h).json()
        c.put(f"{base}/admin/realms/somastack/clients/{client['id']}", json={**client, "directAccessGrantsEnabled": True},
              headers=h).raise_for_status()
        try:
            items = _drift(topology, ["keycloak"])
            # the baseline accepts exactly this drift
            path = tmp_path / "topology.json"
            path.write_text(topology.to_json())
            base_file = tmp_path / "baseline.json"
            assert main(["drift", "--topology", str(path), "--services", "keycloak", "--format", "json",
                         "--write-baseline", str(base_file)]) == 1
            capsys.readouterr()
            assert main(["drift", "--topology", str(path), "--services", "keycloak", "--format", "json",
                         "--baseline", str(base_file)]) == 0
            out = capsys.readouterr().out
        finally:
            c.put(f"{base}/admin/realms/somastack/clients/{client['id']}", json=client, headers=h).raise_for_status()
    assert _keys(items) == {("keycloak", "client soma-agent", "directAccessGrantsEnabled", "changed")}
    doc = json.loads(out)
    assert doc["drift"] is False and len(doc["accepted"]) == 1


def test_cli_formats_exit_codes_and_no_secret(topology, harness, tmp_path, capsys):
    path = tmp_path / "topology.json"
    path.write_text(topology.to_json())
    secrets = [v for svc in harness.credentials().values() for v in svc.values() if len(str(v)) >= 6]
    for fmt in ("json", "markdown", "sarif", "text"):
        code = main(["drift", "--topology", str(path), "--services", ",".join(DRIFT_SERVICES), "--format", fmt])
        out, err = capsys.readouterr()
        assert code == 0, out + err
        assert not any(s in out or s in err for s in secrets)
    assert main(["drift", "--topology", str(path), "--baseline", str(tmp_path / "nope.json")]) == 2


def test_process_config_drift_compares_secrets_by_fingerprint(tmp_path):
    planted = "PLANTED-db-password-" + os.urandom(6).hex()
    env = {"PATH": os.environ.get("PATH", ""), "SA01_DEPLOYMENT_MODE": "DEV", "SOMA_DB_PASSWORD": planted,
           "SOMA_REDIS_HOST": "redis.internal", "SOMA_EXTRA_FLAG": "1"}
    proc = subprocess.Popen([sys.executable, "-c", "import time; print('up', flush=True); time.sleep(30)"], env=env,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "up"  # exec'd: /proc/PID/environ is the new one
        live = proc_environ(proc.pid)
        os.environ["SOMA_TEST_EXPECTED_DB_PASSWORD"] = "a-different-value"
        expected = {"SA01_DEPLOYMENT_MODE": "PROD", "SOMA_DB_PASSWORD": "${SOMA_TEST_EXPECTED_DB_PASSWORD}",
                    "SOMA_REDIS_HOST": "redis.internal", "SOMA_MILVUS_HOST": "milvus.internal"}
        items = compare_env(expected, live, service="agent", workload=f"process {proc.pid}")
        same = compare_env({"SOMA_DB_PASSWORD": "${PLANTED_REF}"}, live, service="agent", workload="p",
                           resolver=lambda ref: planted, is_known=lambda n: False)
    finally:
        proc.kill()
        proc.wait()
        os.environ.pop("SOMA_TEST_EXPECTED_DB_PASSWORD", None)
    got = {(i.field, i.change) for i in items}
    assert got == {("SA01_DEPLOYMENT_MODE", "changed"), ("SOMA_DB_PASSWORD", "changed"),
                   ("SOMA_MILVUS_HOST", "missing"), ("SOMA_EXTRA_FLAG", "extra")}
    secret = next(i for i in items if i.field == "SOMA_DB_PASSWORD")
    assert secret.secret and secret.expected == "${SOMA_TEST_EXPECTED_DB_PASSWORD}" and secret.actual.startswith("sha256:")
    assert same == []  # same value behind the reference: no drift, compared by fingerprint
    rep = model.DriftReport("t", items=items)
    for fmt in ("json", "markdown", "sarif", "text"):
        text = render_report(rep, fmt)
        assert planted not in text and "a-different-value" not in text
