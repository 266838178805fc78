"""The topology document's schema (:mod:`config_contract.topology`, version 1): endpoints,
credentials as references only, known service keys, the seed 000 §6 tree, deterministic JSON
and reading a document from a file."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from somastack_deploy.config_contract.topology import (PLANE_OF, SERVICE_KEYS, Endpoint, Service, Topology,
                                                        build_tree, is_reference, load_topology)

DIMS = {"software_mode": "SomaStackClusterMode", "environment": "PROD", "saas_bridge": False, "target": "FARGATE"}


def _svc(key: str, **extra) -> dict:
    return {"plane": PLANE_OF[key], "endpoints": [{"protocol": "tcp", "host": f"{key}.internal", "port": 443}], **extra}


def _doc(**services) -> dict:
    return {"version": 1, "stack": "fargate-prod", "dimensions": DIMS, "services": services}


# ---------------------------------------------------------------------------- endpoints

@pytest.mark.parametrize("endpoint", [
    {"protocol": "http", "url": "https://api.example.com"},
    {"protocol": "redis", "host": "r.internal", "port": 6379},
    {"protocol": "https", "host": "a", "port": 1}, {"protocol": "https", "host": "a", "port": 65535},
])
def test_valid_endpoints(endpoint):
    assert Endpoint(**endpoint).protocol == endpoint["protocol"]


@pytest.mark.parametrize("endpoint", [
    {"protocol": "redis", "host": "r.internal"}, {"protocol": "redis", "port": 6379}, {"protocol": "redis"},
    {"protocol": "redis", "host": "", "port": 6379}, {"protocol": "http", "url": ""},
    {"protocol": "redis", "host": "r", "port": 0}, {"protocol": "redis", "host": "r", "port": 65536},
    {"protocol": "redis", "host": "r", "port": 6379, "tls_mode": "on"},  # extra keys are forbidden
])
def test_invalid_endpoints(endpoint):
    with pytest.raises(ValidationError):
        Endpoint(**endpoint)


def test_endpoint_message_says_what_is_missing():
    with pytest.raises(ValidationError) as err:
        Endpoint(protocol="redis", host="r")
    assert "an endpoint needs either url or host and port" in str(err.value)


# ---------------------------------------------------------------------------- credentials

@pytest.mark.parametrize("ref", [
    "ref+vault://secret/soma/db#/password", "ref+awssecrets://soma/db#/password", "ref+awsssm://soma/db",
    "${SOMA_DB_PASSWORD}", "file:///run/somastack/credentials.json#postgres.password",
])
def test_credentials_are_references(ref):
    assert Service(**_svc("postgres", credentials={"password": ref, "token": ref})).credentials["password"] == ref
    assert is_reference(ref)


def test_file_references_only_where_the_topology_allows_them():
    ref = "file:///run/somastack/credentials.json#postgres.password"
    assert is_reference(ref) and not is_reference(ref, allow_file=False)


@pytest.mark.parametrize("key", ["password", "token", "api_key", "secret", "Username"])
def test_a_literal_credential_is_rejected(key):
    with pytest.raises(ValidationError) as err:
        Service(**_svc("postgres", credentials={key: "hunter2-literal"}))
    assert f"credential {key!r} must be a reference" in str(err.value)
    assert "hunter2-literal" not in str(err.value).split("input_value")[0]


@pytest.mark.parametrize("key", ["username", "user", "client_id", "realm", "database"])
def test_identifiers_may_be_literals(key):
    assert Service(**_svc("keycloak", credentials={key: "soma"})).credentials[key] == "soma"


# ---------------------------------------------------------------------------- the document

def test_unknown_service_keys_are_named():
    with pytest.raises(ValidationError) as err:
        Topology.model_validate(_doc(postgres=_svc("postgres"), mongodb=_svc("postgres"), zk=_svc("postgres")))
    assert "unknown service keys ['mongodb', 'zk']" in str(err.value)
    assert Topology.model_validate(_doc(**{k: _svc(k) for k in SERVICE_KEYS})).services.keys() == set(SERVICE_KEYS)


def test_service_needs_an_endpoint_and_a_known_plane():
    with pytest.raises(ValidationError):
        Service(plane="infrastructure", endpoints=[])
    with pytest.raises(ValidationError):
        Service(plane="data", endpoints=[{"protocol": "tcp", "host": "a", "port": 1}])


def test_tree_is_filled_in_seed_order():
    topo = Topology.model_validate(_doc(redis=_svc("redis"), agent=_svc("agent"), postgres=_svc("postgres"),
                                        memory=_svc("memory")))
    assert topo.tree == {"SomaStack": {"control plane": ["agent"], "memory plane": ["memory"],
                                       "infrastructure": ["postgres", "redis"]}}
    assert list(topo.tree["SomaStack"]) == ["control plane", "memory plane", "infrastructure"]
    # a given tree is kept
    given = {"SomaStack": {"infrastructure": ["redis"]}}
    assert Topology.model_validate({**_doc(redis=_svc("redis"), agent=_svc("agent")), "tree": given}).tree == given


def test_build_tree_from_plane_names():
    assert build_tree({"brain": "cognitive", "kafka": "infrastructure", "agent": "control", "opa": "infrastructure"}) == {
        "SomaStack": {"control plane": ["agent"], "cognitive plane": ["brain"], "infrastructure": ["kafka", "opa"]}}
    assert build_tree({}) == {"SomaStack": {}}


def test_to_json_is_deterministic(tmp_path):
    doc = _doc(redis=_svc("redis", storage={"aof": True}), agent=_svc("agent"))
    a = Topology.model_validate(doc).to_json()
    b = Topology.model_validate(dict(reversed(list(doc.items())))).to_json()
    assert a == b and a.endswith("}\n") and not a.endswith("\n\n")
    assert a.startswith('{\n  "dimensions": {\n    "environment": "PROD"')  # sorted keys, 2-space indent
    parsed = json.loads(a)
    assert "cluster" not in parsed["services"]["redis"] and "url" not in parsed["services"]["redis"]["endpoints"][0]
    assert parsed["version"] == 1 and parsed["services"]["redis"]["storage"] == {"aof": True}
    path = tmp_path / "topology.json"
    path.write_text(a, encoding="utf-8")
    assert load_topology(str(path)).to_json() == a


def test_load_topology_errors(tmp_path):
    with pytest.raises(OSError):
        load_topology(str(tmp_path / "absent.json"))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**_doc(redis=_svc("redis")), "version": 2}))
    with pytest.raises(ValueError):
        load_topology(str(bad))
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({**_doc(redis=_svc("redis")), "owner": "me"}))
    with pytest.raises(ValueError):
        load_topology(str(extra))


def test_cluster_shape():
    svc = Service(**_svc("redis", cluster={"shards": 3, "replicas_per_shard": 0}))
    assert (svc.cluster.shards, svc.cluster.replicas_per_shard) == (3, 0)
    for bad in ({"shards": 0, "replicas_per_shard": 1}, {"shards": 1, "replicas_per_shard": -1}):
        with pytest.raises(ValidationError):
            Service(**_svc("redis", cluster=bad))
