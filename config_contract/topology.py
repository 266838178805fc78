"""The topology document: the one schema that Pulumi stack outputs, the real-services
harness and the post-deploy checks exchange.

Source: ``../shared/design/topology.md`` (proposal) and seed 000 §6 (the deterministic
``SomaStack`` tree with control, cognitive, memory planes and infrastructure). This module
is now the source of truth; ``somastack-deploy schema --topology`` prints its JSON Schema.

Shape (``version`` 1)::

    {"version": 1, "stack": "fargate-prod",
     "dimensions": {"software_mode": "SomaStackClusterMode", "environment": "PROD",
                    "saas_bridge": false, "target": "FARGATE"},
     "services": {"postgres": {"plane": "infrastructure", "engine": "postgresql",
                               "version": "16", "endpoints": [{"protocol": "postgresql",
                               "host": "db.internal", "port": 5432, "tls": true}],
                               "credentials": {"password": "ref+awssecrets://soma/db#/password"}}},
     "tree": {"SomaStack": {"control plane": ["agent"], ...}},
     "provenance": {"postgres": "pgserver 0.1.4 (PostgreSQL 16.x)"}}

Credentials are references only (grammar: :mod:`somastack_deploy.config_contract.grammar.references`):
``ref+vault://PATH#/KEY``, ``ref+awssecrets://NAME[#/KEY]``, ``ref+awsssm://PATH``, ``${VAR}`` or
``file:///ABS_PATH#KEY`` (a JSON file readable only by its owner, written by the
harness). A literal secret is rejected by validation.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .grammar.references import is_reference as _is_reference

TOPOLOGY_VERSION = 1

#: Stable service keys (design/topology.md).
SERVICE_KEYS: tuple[str, ...] = (
    "postgres",
    "redis",
    "kafka",
    "milvus",
    "keycloak",
    "spicedb",
    "opa",
    "vault",
    "agent",
    "brain",
    "memory",
)

Plane = Literal["control", "cognitive", "memory", "infrastructure"]

#: Which plane each service belongs to (seed 000 §6; auth/policy/vault sit in infrastructure).
PLANE_OF: dict[str, Plane] = {
    "agent": "control",
    "brain": "cognitive",
    "memory": "memory",
    "postgres": "infrastructure",
    "redis": "infrastructure",
    "kafka": "infrastructure",
    "milvus": "infrastructure",
    "keycloak": "infrastructure",
    "spicedb": "infrastructure",
    "opa": "infrastructure",
    "vault": "infrastructure",
}

#: Tree labels of seed 000 §6, in their fixed order.
TREE_LABELS: dict[Plane, str] = {
    "control": "control plane",
    "cognitive": "cognitive plane",
    "memory": "memory plane",
    "infrastructure": "infrastructure",
}

def is_reference(value: str, *, allow_file: bool = True) -> bool:
    """True when ``value`` is a whole secret reference, not a literal: the topology document's
    view of :func:`somastack_deploy.config_contract.grammar.references.is_reference`, where
    ``file:///ABS/PATH#KEY`` (the harness's credential files) is allowed by default."""
    return _is_reference(value, allow_file=allow_file)


class Endpoint(BaseModel):
    """One way to reach a service.

    Either ``url`` or ``host`` + ``port`` is given. ``protocol`` names the wire protocol
    (``postgresql``, ``redis``, ``kafka``, ``grpc``, ``http``, ``https``). ``health_path`` is an
    HTTP path such as ``/api/v1/health``. Ports are TCP ports (1-65535).
    """

    model_config = ConfigDict(extra="forbid")

    protocol: str
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    url: str | None = None
    tls: bool = False
    health_path: str | None = None

    @model_validator(mode="after")
    def _url_or_host(self) -> "Endpoint":
        if not self.url and not (self.host and self.port):
            raise ValueError("an endpoint needs either url or host and port")
        return self


class Cluster(BaseModel):
    """A sharded deployment (Redis Cluster; ElastiCache "cluster mode enabled"): clients must
    speak the cluster protocol (``CLUSTER SLOTS``, ``MOVED``/``ASK`` redirections) to the
    service's endpoint (a configuration endpoint or any node). ``shards``: node groups owning
    the 16 384 hash slots; ``replicas_per_shard``: replicas of each shard's primary."""

    model_config = ConfigDict(extra="forbid")

    shards: int = Field(ge=1)
    replicas_per_shard: int = Field(ge=0)


class Service(BaseModel):
    """One service of a stack: its plane, engine/version and endpoints, and credential references."""

    model_config = ConfigDict(extra="forbid")

    plane: Plane
    engine: str | None = None
    version: str | None = None
    endpoints: list[Endpoint] = Field(min_length=1)
    credentials: dict[str, str] = Field(default_factory=dict)
    #: Durable storage as configured (e.g. ``{"aof": true}`` for Redis); checks read it.
    storage: dict[str, str | bool | int] = Field(default_factory=dict)
    #: Set when the service is sharded (Redis Cluster): checks then use a cluster client.
    cluster: Cluster | None = None

    @field_validator("credentials")
    @classmethod
    def _references_only(cls, value: dict[str, str]) -> dict[str, str]:
        for key, ref in value.items():
            if key in {"username", "user", "client_id", "realm", "database"}:
                continue  # identifiers, not secrets
            if not is_reference(ref):
                raise ValueError(f"credential {key!r} must be a reference (ref+vault://, ref+awssecrets://, ${{VAR}} or file:///), not a literal")
        return value


class Dimensions(BaseModel):
    """The four deployment dimensions (seed 000 §1)."""

    model_config = ConfigDict(extra="forbid")

    software_mode: Literal["StandAlone", "SomaStackClusterMode"]
    environment: Literal["DEV", "PROD"]
    saas_bridge: bool
    target: Literal["LOCAL", "FARGATE", "EKS", "ECS_EC2", "EC2", "APP_RUNNER"]


class Topology(BaseModel):
    """The topology document (version 1). See the module docstring for the shape."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = TOPOLOGY_VERSION
    stack: str
    dimensions: Dimensions
    services: dict[str, Service]
    tree: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    #: Free-text note per service on what actually runs (e.g. "milvus-lite fallback").
    provenance: dict[str, str] = Field(default_factory=dict)

    @field_validator("services")
    @classmethod
    def _known_keys(cls, value: dict[str, Service]) -> dict[str, Service]:
        unknown = sorted(set(value) - set(SERVICE_KEYS))
        if unknown:
            raise ValueError(f"unknown service keys {unknown}; expected a subset of {list(SERVICE_KEYS)}")
        return value

    @model_validator(mode="after")
    def _fill_tree(self) -> "Topology":
        if not self.tree:
            self.tree = build_tree(self.services)
        return self

    def to_json(self) -> str:
        """Deterministic JSON: sorted keys, 2-space indent, trailing newline (byte-identical
        for the same input, seed 000 §6)."""
        return json.dumps(self.model_dump(mode="json", exclude_none=True), sort_keys=True, indent=2) + "\n"


def build_tree(services: dict[str, Service] | dict[str, str]) -> dict[str, dict[str, list[str]]]:
    """Deterministic ``SomaStack`` tree (seed 000 §6): plane label → sorted service keys.

    ``services`` maps service key → :class:`Service` (or → plane name). Planes with no
    service are omitted. Order of labels is fixed: control, cognitive, memory, infrastructure.
    """
    planes: dict[str, list[str]] = {}
    for plane, label in TREE_LABELS.items():
        members = sorted(
            key for key, svc in services.items() if (svc if isinstance(svc, str) else svc.plane) == plane
        )
        if members:
            planes[label] = members
    return {"SomaStack": planes}


def load_topology(path: str) -> Topology:
    """Read and validate a topology file.

    Raises ``OSError`` when unreadable, ``ValueError`` (pydantic ``ValidationError``) when the
    document does not match version 1 of the schema.
    """
    with open(path, encoding="utf-8") as fh:
        return Topology.model_validate_json(fh.read())
