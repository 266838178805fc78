"""Stack outputs: endpoints, secret references and the ``topology`` document.

The ``topology`` output is a :class:`somastack_deploy.config_contract.topology.Topology` (version 1) as a dict
(``model_dump(mode="json", exclude_none=True)``) with the deterministic seed 000 §6 tree
(control plane: agent; cognitive plane: brain; memory plane: memory; infrastructure: the
rest). Post-deploy checks read it with ``pulumi stack output --json`` → ``topology``.
Credentials are references only; the Topology model rejects a literal.

Other outputs: ``stack``, ``dimensions``, ``endpoints`` (service key → list of
``{protocol, host, port | url, tls, health_path}``) and ``secretReferences`` (service key →
credential name → reference).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from somastack_deploy.config_contract.topology import PLANE_OF, Dimensions, Topology


def endpoint(protocol: str, *, host: pulumi.Input[str] | None = None, port: int | None = None,
             url: pulumi.Input[str] | None = None, tls: bool = False, health_path: str | None = None) -> dict:
    """One endpoint entry (inputs may be Outputs); see :class:`somastack_deploy.config_contract.topology.Endpoint`."""
    out: dict[str, Any] = {"protocol": protocol, "tls": tls}
    if host is not None:
        out["host"] = host
    if port is not None:
        out["port"] = port
    if url is not None:
        out["url"] = url
    if health_path is not None:
        out["health_path"] = health_path
    return out


def service(endpoints: list[dict], *, engine: str | None = None, version: str | None = None,
            credentials: Mapping[str, pulumi.Input[str]] | None = None,
            storage: Mapping[str, Any] | None = None, cluster: Mapping[str, Any] | None = None) -> dict:
    """One service entry (plane filled in by :func:`build_topology` from the key); ``cluster``:
    ``{"shards", "replicas_per_shard"}`` of a sharded service (Redis Cluster), see
    :class:`somastack_deploy.config_contract.topology.Cluster`."""
    out: dict[str, Any] = {"endpoints": endpoints}
    if cluster:
        out["cluster"] = dict(cluster)
    if engine:
        out["engine"] = engine
    if version:
        out["version"] = version
    if credentials:
        out["credentials"] = dict(credentials)
    if storage:
        out["storage"] = dict(storage)
    return out


def topology_document(stack: str, dimensions: Dimensions, services: Mapping[str, dict]) -> dict:
    """Validate and return the topology dict for resolved ``services`` (plain values).

    Raises ``pydantic.ValidationError`` when an entry breaks the schema (e.g. a literal
    credential, a port out of range, an unknown service key).
    """
    entries = {key: {"plane": PLANE_OF[key], **value} for key, value in sorted(services.items())}
    topo = Topology(stack=stack, dimensions=dimensions, services=entries)
    return topo.model_dump(mode="json", exclude_none=True)


def export_outputs(stack: str, dimensions: Dimensions, services: Mapping[str, dict]) -> pulumi.Output:
    """Export ``stack``, ``dimensions``, ``endpoints``, ``secretReferences`` and ``topology``.

    ``services``: service key → :func:`service` entry whose values may be Outputs. Returns the
    topology Output (for tests and callers that need it).
    """
    resolved = pulumi.Output.from_input({k: v for k, v in services.items()})
    topology = resolved.apply(lambda s: topology_document(stack, dimensions, s))
    pulumi.export("stack", stack)
    pulumi.export("dimensions", dimensions.model_dump(mode="json"))
    pulumi.export("endpoints", topology.apply(lambda t: {k: v["endpoints"] for k, v in t["services"].items()}))
    pulumi.export("secretReferences", topology.apply(
        lambda t: {k: v["credentials"] for k, v in t["services"].items() if v.get("credentials")}))
    pulumi.export("topology", topology)
    return topology
