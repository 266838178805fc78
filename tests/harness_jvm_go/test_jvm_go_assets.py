"""The declared service assets (assets/) and their loaders, without servers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from somastack_deploy.config_contract.errors import InputError
from somastack_deploy.harness.install.tools import assets_dir
from somastack_deploy.harness.services.kafka import load_topics, new_cluster_id
from somastack_deploy.harness.services.keycloak import CLIENT_ID, REALM, REALM_FILE, Keycloak
from somastack_deploy.harness.services.spicedb import SCHEMA_FILE

ASSETS = assets_dir()


def test_topics_yaml_declares_the_seed_004_topics_per_mode():
    mode, dev = load_topics()
    assert mode == "DEVELOPMENT" and all(t.config["retention.ms"] == "604800000" for t in dev)
    _, local = load_topics(mode="LOCAL")
    assert all(t.config["retention.ms"] == "-1" for t in local)
    _, training = load_topics(mode="TRAINING")  # seed 003: topics prefixed training.*
    assert {t.name for t in training} == {"training." + t.name for t in dev}


def test_topics_yaml_without_a_production_figure_is_refused():
    with pytest.raises(InputError) as err:
        load_topics(mode="PRODUCTION")
    assert "topics.yaml" in str(err.value) and "mode" in str(err.value)


def test_topics_yaml_errors_name_file_line_and_field(tmp_path: Path):
    bad = tmp_path / "topics.yaml"
    bad.write_text("mode: LOCAL\nmodes:\n  LOCAL: {retention_ms: 5}\ntopics:\n  - name: [unclosed\n")
    with pytest.raises(InputError) as err:
        load_topics(bad)
    assert str(err.value).startswith(f"{bad}:") and "YAML" in str(err.value)
    bad.write_text("mode: LOCAL\nmodes:\n  LOCAL: {retention_ms: 0}\ntopics: [{name: a}]\n")
    with pytest.raises(InputError, match="modes.LOCAL.retention_ms"):
        load_topics(bad)
    bad.write_text("mode: LOCAL\nmodes:\n  LOCAL: {retention_ms: 10}\ntopics: [{name: a, partitions: 0}]\n")
    with pytest.raises(InputError, match=r"topics\[0\].partitions"):
        load_topics(bad)


def test_cluster_ids_look_like_kafka_uuids():
    ids = {new_cluster_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{21}", i) for i in ids)


def test_realm_file_declares_a_confidential_client_and_no_secret():
    doc = json.loads(REALM_FILE.read_text())
    assert doc["realm"] == REALM
    (client,) = [c for c in doc["clients"] if c["clientId"] == CLIENT_ID]
    assert client["publicClient"] is False and client["clientAuthenticatorType"] == "client-secret"
    assert "secret" not in _all_keys(doc) and "credentials" not in _all_keys(doc)


def _all_keys(node) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in _all_keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _all_keys(v)}
    return set()


def test_realm_document_gets_the_generated_secret_in_memory_only(tmp_path: Path):
    from somastack_deploy.harness.base import Context

    ctx = Context(state_dir=tmp_path, cache_dir=tmp_path / "cache")
    before = REALM_FILE.read_text()
    doc = Keycloak().realm_document(ctx)
    secret = ctx.credentials()["keycloak"]["client_secret"]
    assert [c["secret"] for c in doc["clients"] if c["clientId"] == CLIENT_ID] == [secret]
    assert REALM_FILE.read_text() == before and secret not in before
    assert oct((tmp_path / "credentials.json").stat().st_mode & 0o777) == "0o600"


def test_spicedb_schema_defines_the_control_plane_objects():
    defs = set(re.findall(r"^definition (\w+)", SCHEMA_FILE.read_text(), re.M))
    assert {"user", "tenant", "agent", "memory_namespace", "conversation"} <= defs


def test_opa_bundle_owns_only_the_somastack_root():
    manifest = json.loads((ASSETS / "opa" / ".manifest").read_text())
    assert manifest["roots"] == ["somastack"]
    assert (ASSETS / "opa" / "somastack" / "authz.rego").read_text().count("package somastack.authz") == 1
    json.loads((ASSETS / "opa" / "somastack" / "config" / "data.json").read_text())


def test_failed_build_step_names_the_command_and_masks_planted_secrets(tmp_path: Path):
    from somastack_deploy.harness.base import InstallError
    from somastack_deploy.harness.install.tools import run

    planted = "s3cr3t-planted-value"
    script = tmp_path / "fail.sh"
    script.write_text(f"#!/bin/sh\necho 'connect postgres://soma:{planted}@127.0.0.1/spicedb refused' >&2\nexit 3\n")
    script.chmod(0o755)
    with pytest.raises(InstallError) as err:
        run([str(script)], what="spicedb: datastore migrate head", mask=(planted,))
    message = str(err.value)
    assert planted not in message and "***" in message
    assert message.startswith("spicedb: datastore migrate head: `") and "(exit 3)" in message
    with pytest.raises(InstallError, match="not found on PATH"):
        run([str(tmp_path / "missing")], what="x")
