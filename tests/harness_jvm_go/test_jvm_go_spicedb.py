"""SpiceDB built from the Go module proxy: readiness with the preshared key, the schema of
assets/spicedb/schema.zed really loaded, permissions computed from it, relationships surviving
a stop/start with the postgres datastore, and the in-memory datastore option."""

from __future__ import annotations

import re
import uuid

import grpc
import pytest
from authzed.api.v1 import (
    CheckPermissionRequest,
    CheckPermissionResponse,
    Consistency,
    InsecureClient,
    ObjectReference,
    ReadSchemaRequest,
    Relationship,
    RelationshipUpdate,
    SubjectReference,
    WriteRelationshipsRequest,
)

from somastack_deploy.config_contract.references import resolve
from somastack_deploy.harness.services.spicedb import SCHEMA_FILE
from jvm_go_helpers import secret_values

HAS = CheckPermissionResponse.PERMISSIONSHIP_HAS_PERMISSION
NO = CheckPermissionResponse.PERMISSIONSHIP_NO_PERMISSION


def _client(topology) -> InsecureClient:
    svc = topology.services["spicedb"]
    ep = svc.endpoints[0]
    return InsecureClient(f"{ep.host}:{ep.port}", resolve(svc.credentials["preshared_key"]))


def _rel(res_type, res_id, relation, subj_type, subj_id) -> RelationshipUpdate:
    return RelationshipUpdate(
        operation=RelationshipUpdate.Operation.OPERATION_TOUCH,
        relationship=Relationship(resource=ObjectReference(object_type=res_type, object_id=res_id), relation=relation,
                                  subject=SubjectReference(object=ObjectReference(object_type=subj_type, object_id=subj_id))),
    )


def _check(client, res_type, res_id, permission, user) -> int:
    return client.CheckPermission(CheckPermissionRequest(
        consistency=Consistency(fully_consistent=True),
        resource=ObjectReference(object_type=res_type, object_id=res_id), permission=permission,
        subject=SubjectReference(object=ObjectReference(object_type="user", object_id=user))), timeout=10).permissionship


def _write_tenant(client, tenant: str, agent: str) -> None:
    client.WriteRelationships(WriteRelationshipsRequest(updates=[
        _rel("tenant", tenant, "admin", "user", "alice"),
        _rel("tenant", tenant, "member", "user", "bob"),
        _rel("agent", agent, "tenant", "tenant", tenant),
    ]), timeout=10)


@pytest.mark.services("spicedb")
def test_spicedb_is_ready_with_the_schema_of_the_repo(topology):
    svc = topology.services["spicedb"]
    assert svc.storage == {"datastore": "postgres", "durable": True}
    assert "built from source" in topology.provenance["spicedb"] and "postgres" in topology.provenance["spicedb"]
    schema = _client(topology).ReadSchema(ReadSchemaRequest(), timeout=10).schema_text
    declared = set(re.findall(r"^definition (\w+)", SCHEMA_FILE.read_text(), re.M))
    assert set(re.findall(r"^definition (\w+)", schema, re.M)) == declared


@pytest.mark.services("spicedb")
def test_spicedb_refuses_a_wrong_preshared_key(topology):
    ep = topology.services["spicedb"].endpoints[0]
    bad = InsecureClient(f"{ep.host}:{ep.port}", "not-the-key")
    with pytest.raises(grpc.RpcError) as err:
        bad.ReadSchema(ReadSchemaRequest(), timeout=10)
    assert err.value.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)


@pytest.mark.services("spicedb")
def test_spicedb_permissions_follow_the_schema_and_survive_stop_start(topology, harness):
    client = _client(topology)
    tenant, agent = f"t{uuid.uuid4().hex[:10]}", f"a{uuid.uuid4().hex[:10]}"
    _write_tenant(client, tenant, agent)
    assert _check(client, "agent", agent, "configure", "alice") == HAS  # tenant->manage
    assert _check(client, "agent", agent, "invoke", "bob") == HAS  # tenant->access
    assert _check(client, "agent", agent, "configure", "bob") == NO
    assert _check(client, "agent", agent, "delegate", "mallory") == NO

    harness.stop("spicedb")
    harness.start("spicedb")

    client = _client(topology)
    assert _check(client, "agent", agent, "configure", "alice") == HAS
    assert _check(client, "agent", agent, "invoke", "bob") == HAS


@pytest.mark.services("spicedb")
def test_spicedb_key_never_on_the_command_line_or_in_topology(topology, harness):
    import psutil

    key = resolve(topology.services["spicedb"].credentials["preshared_key"])
    status = harness.status()["spicedb"]
    assert key not in " ".join(psutil.Process(status.pid).cmdline())
    assert key not in harness.topology_path.read_text()
    for value in secret_values(harness, "spicedb", "postgres"):
        assert value not in harness.ctx.log_path("spicedb").read_text()


def test_spicedb_memory_datastore_option_loses_relationships_on_restart(private_stack):
    h, topo = private_stack(["spicedb"], {"spicedb": {"datastore": "memory"}})
    assert topo.services["spicedb"].storage == {"datastore": "memory", "durable": False}
    assert "datastore memory" in topo.provenance["spicedb"]
    client = _client(topo)
    _write_tenant(client, "tmem", "amem")
    assert _check(client, "agent", "amem", "configure", "alice") == HAS
    h.stop("spicedb")
    h.start("spicedb")  # post-start writes the schema again; relationships are gone
    assert _check(_client(topo), "agent", "amem", "configure", "alice") == NO
