"""SpiceDB probe: gRPC with the preshared key, ReadSchema, then one CheckPermission.

The check asks for the first permission of the first definition that has one, with a probe
subject; any definite answer (has / no permission) proves the engine evaluates the schema.
Source: authzed API v1 (``SchemaService.ReadSchema``, ``PermissionsService.CheckPermission``);
seed 001 §1.1 (SpiceDB 20051). Credentials: ``preshared_key`` (reference).
"""

from __future__ import annotations

import re

from .base import MISSING, PROTOCOL, ProbeContext, ProbeFailure, register

_DEF = re.compile(r"definition\s+([\w/]+)\s*\{([^{}]*)\}", re.S)
_PERM = re.compile(r"^\s*permission\s+(\w+)", re.M)
_REL = re.compile(r"^\s*relation\s+(\w+)\s*:\s*([^\n]+)", re.M)


def client(ctx: ProbeContext):
    """An authzed ``Client`` (TLS) or ``InsecureClient`` (plaintext) with the preshared key."""
    from authzed.api.v1 import Client, InsecureClient
    from grpcutil import bearer_token_credentials

    e = ctx.endpoint("grpc", "spicedb")
    key = ctx.secret("preshared_key") or ctx.secret("token") or ""
    target = f"{e.host}:{e.port}" if e.host else e.url.split("://", 1)[-1]
    if e.tls:
        return Client(target, bearer_token_credentials(key))
    return InsecureClient(target, key)


def definitions(schema: str) -> dict[str, str]:
    """``{definition name: body}`` parsed from schema text (definition bodies hold no braces;
    caveats, which do, are not definitions and are skipped)."""
    return {m.group(1): m.group(2) for m in _DEF.finditer(schema + "\n")}


def relations(body: str) -> list[tuple[str, list[str]]]:
    """``[(relation, [subject types])]`` of a definition body (``user``, ``group#member``…)."""
    return [(m.group(1), [t.strip() for t in m.group(2).split("|")]) for m in _REL.finditer(body)]


@register("probe.spicedb.schema", "spicedb", "SpiceDB ReadSchema and a permission check",
          source="authzed API v1; seed 001 §1.1", imports=("authzed.api.v1", "grpcutil"))
def probe_spicedb(ctx: ProbeContext) -> str:
    from authzed.api.v1 import (CheckPermissionRequest, CheckPermissionResponse, Consistency, ObjectReference,
                                ReadSchemaRequest, SubjectReference)

    c = client(ctx)
    schema = c.ReadSchema(ReadSchemaRequest(), timeout=ctx.timeout_s).schema_text
    defs = definitions(schema)
    if not defs:
        raise ProbeFailure(MISSING, "no schema written")
    target = next(((d, _PERM.search(b).group(1)) for d, b in defs.items() if _PERM.search(b)), None)
    if target is None:
        return f"schema with {len(defs)} definition(s), no permission to check"
    subject_type = "user" if "user" in defs else next(iter(defs))
    resp = c.CheckPermission(CheckPermissionRequest(
        consistency=Consistency(fully_consistent=True),
        resource=ObjectReference(object_type=target[0], object_id="somastack-probe"),
        permission=target[1],
        subject=SubjectReference(object=ObjectReference(object_type=subject_type, object_id="somastack-probe"))),
        timeout=ctx.timeout_s)
    if resp.permissionship == CheckPermissionResponse.PERMISSIONSHIP_UNSPECIFIED:
        raise ProbeFailure(PROTOCOL, "CheckPermission gave no answer")
    return f"schema with {len(defs)} definition(s), check {target[0]}#{target[1]} answered"
