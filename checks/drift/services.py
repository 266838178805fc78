"""Service drift: the live state inside each service against what the repo declares.

Declarations (``assets/`` of the repo, or ``--assets DIR``; topology ``storage`` for the rest):

- Kafka: ``kafka/topics.yaml`` (``topics: [{name, partitions, replication_factor}]`` and
  ``modes[mode].retention_ms`` / ``prefix``) → live topic metadata and ``retention.ms``
  (``AdminClient.describe_configs``); undeclared live topics are ``extra`` (internal ``__*``
  and the toolkit's own ``somastack.probe`` / ``somastack.ledger`` excluded).
- SpiceDB: ``spicedb/schema.zed`` → ``ReadSchema``, compared per definition and per
  relation/permission line (whitespace and comments ignored).
- OPA: ``opa/**/*.rego`` → ``GET /v1/policies``, compared per package (normalised source hash).
- Keycloak: ``keycloak/*-realm.json`` → the admin REST API: realm scalars declared in the file
  and, per declared client (by ``clientId``), its declared scalar/list fields.
- PostgreSQL: topology ``version`` (major) and ``storage.extensions`` (comma list, installed in
  some database) and ``storage.pg.<setting>`` → ``SHOW``.
- Redis: topology ``storage.aof`` / ``storage.rdb`` / ``storage.maxmemory_policy`` →
  ``INFO persistence`` / ``CONFIG GET``; topology ``cluster`` (shards, replicas per shard) →
  ``INFO cluster`` ``cluster_enabled``, ``CLUSTER INFO`` ``cluster_state`` and the shape from
  ``CLUSTER NODES`` (a cluster the topology does not declare is drift too).
- Milvus: topology ``storage.collections`` (comma list) → ``list_collections``.

Each checker returns a list of :class:`DriftItem`; a checker that cannot reach its service
raises, and :func:`service_drift` records the error instead of guessing.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import yaml

from somastack_deploy.checks.probes.base import ProbeContext

from .model import CHANGED, EXTRA, MISSING, DriftItem, compare_maps

REPO_ASSETS = Path(__file__).resolve().parents[2] / "assets"
TOOLKIT_TOPICS = {"somastack.probe", "somastack.ledger"}
TOOLKIT_COLLECTION = re.compile(r"^somastack_(probe_[0-9a-f]+|ledger)$")


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ASSETS.parent))
    except ValueError:
        return str(path)


# -- Kafka ----------------------------------------------------------------------------------

def kafka_declared(path: Path) -> dict[str, dict]:
    """``{topic: {"partitions", "replication_factor", "retention.ms"}}`` from topics.yaml."""
    doc = yaml.safe_load(path.read_text()) or {}
    mode = doc.get("mode")
    rules = (doc.get("modes") or {}).get(mode, {}) if mode else {}
    prefix = rules.get("prefix", "") or ""
    out = {}
    for t in doc.get("topics", []):
        spec = {"partitions": t.get("partitions"), "replication_factor": t.get("replication_factor")}
        retention = t.get("retention_ms", rules.get("retention_ms"))
        if retention is not None:
            spec["retention.ms"] = retention
        for k, v in (t.get("config") or {}).items():
            spec[k] = v
        out[prefix + t["name"]] = {k: v for k, v in spec.items() if v is not None}
    return out


def kafka_drift(ctx: ProbeContext, assets: Path) -> list[DriftItem]:
    from confluent_kafka.admin import AdminClient, ConfigResource

    from somastack_deploy.checks.probes.kafka import config

    path = assets / "kafka" / "topics.yaml"
    declared = kafka_declared(path)
    admin = AdminClient(config(ctx))
    md = admin.list_topics(timeout=ctx.timeout_s)
    live_names = {n for n in md.topics if not n.startswith("__") and n not in TOOLKIT_TOPICS}
    items = []
    src = _rel(path)
    for name in sorted(set(declared) - live_names):
        items.append(DriftItem("service", "kafka", f"topic {name}", "", MISSING, "declared", None, source=src))
    for name in sorted(live_names - set(declared)):
        items.append(DriftItem("service", "kafka", f"topic {name}", "", EXTRA, None, "present", source=src))
    both = sorted(set(declared) & live_names)
    if not both:
        return items
    futs = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, n) for n in both],
                                  request_timeout=ctx.timeout_s)
    configs = {res.name: {k: v.value for k, v in fut.result(timeout=ctx.timeout_s).items()} for res, fut in futs.items()}
    for name in both:
        tmeta = md.topics[name]
        live = {"partitions": len(tmeta.partitions),
                "replication_factor": len(next(iter(tmeta.partitions.values())).replicas) if tmeta.partitions else 0}
        live.update({k: configs[name].get(k) for k in declared[name] if k not in live})
        items += compare_maps("service", "kafka", f"topic {name}", declared[name], live, source=src, only_declared=True)
    return items


# -- SpiceDB --------------------------------------------------------------------------------

_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_MEMBER = re.compile(r"^\s*(relation|permission)\s+(\w+)\s*(.*)$")


def schema_members(schema: str) -> dict[str, dict[str, str]]:
    """``{definition: {"relation r" | "permission p": normalised rest of line}}``."""
    from somastack_deploy.checks.probes.spicedb import definitions

    out = {}
    for name, body in definitions(_COMMENT.sub("", schema)).items():
        members = {}
        for line in body.splitlines():
            m = _MEMBER.match(line)
            if m:
                members[f"{m.group(1)} {m.group(2)}"] = " ".join(m.group(3).split())
        out[name] = members
    return out


def spicedb_drift(ctx: ProbeContext, assets: Path) -> list[DriftItem]:
    from authzed.api.v1 import ReadSchemaRequest

    from somastack_deploy.checks.probes.spicedb import client

    path = assets / "spicedb" / "schema.zed"
    declared = schema_members(path.read_text())
    live = schema_members(client(ctx).ReadSchema(ReadSchemaRequest(), timeout=ctx.timeout_s).schema_text)
    src = _rel(path)
    items = []
    for d in sorted(set(declared) | set(live)):
        if d not in live:
            items.append(DriftItem("service", "spicedb", f"definition {d}", "", MISSING, "declared", None, source=src))
        elif d not in declared:
            items.append(DriftItem("service", "spicedb", f"definition {d}", "", EXTRA, None, "present", source=src))
        else:
            items += compare_maps("service", "spicedb", f"definition {d}", declared[d], live[d], source=src)
    return items


# -- OPA ------------------------------------------------------------------------------------

_PKG = re.compile(r"^\s*package\s+([\w.]+)", re.M)


def _rego_hash(text: str) -> str:
    lines = [ln.split("#", 1)[0].rstrip() for ln in text.splitlines()]
    return "sha256:" + hashlib.sha256("\n".join(ln for ln in lines if ln.strip()).encode()).hexdigest()[:12]


def opa_declared(root: Path) -> dict[str, tuple[str, str]]:
    """``{package: (hash, file)}`` of every non-test ``.rego`` file under ``root``."""
    out = {}
    for f in sorted(root.rglob("*.rego")):
        if f.name.endswith("_test.rego"):
            continue
        text = f.read_text()
        m = _PKG.search(text)
        if m:
            out[m.group(1)] = (_rego_hash(text), _rel(f))
    return out


def opa_drift(ctx: ProbeContext, assets: Path) -> list[DriftItem]:
    from somastack_deploy.checks.probes.opa import http

    declared = opa_declared(assets / "opa")
    with http(ctx) as c:
        r = c.get("/v1/policies")
        r.raise_for_status()
        live = {}
        for pol in r.json().get("result", []):
            m = _PKG.search(pol.get("raw", ""))
            if m and not pol.get("id", "").endswith("_test.rego"):
                live[m.group(1)] = _rego_hash(pol.get("raw", ""))
    items = []
    for pkg in sorted(set(declared) | set(live)):
        src = declared.get(pkg, (None, _rel(assets / "opa")))[1]
        if pkg not in live:
            items.append(DriftItem("service", "opa", f"package {pkg}", "policy", MISSING, declared[pkg][0], None, source=src))
        elif pkg not in declared:
            items.append(DriftItem("service", "opa", f"package {pkg}", "policy", EXTRA, None, live[pkg], source=src))
        elif live[pkg] != declared[pkg][0]:
            items.append(DriftItem("service", "opa", f"package {pkg}", "policy", CHANGED, declared[pkg][0], live[pkg],
                                   source=src))
    return items


# -- Keycloak -------------------------------------------------------------------------------

#: Client fields compared when declared (the realm file's scalar/list fields of a client).
CLIENT_FIELDS = ("enabled", "publicClient", "protocol", "standardFlowEnabled", "implicitFlowEnabled",
                 "directAccessGrantsEnabled", "serviceAccountsEnabled", "bearerOnly", "consentRequired",
                 "redirectUris", "webOrigins", "rootUrl", "baseUrl", "adminUrl", "clientAuthenticatorType",
                 "frontchannelLogout", "fullScopeAllowed", "defaultClientScopes", "optionalClientScopes", "name")
REALM_FIELDS = ("enabled", "sslRequired", "registrationAllowed", "loginWithEmailAllowed", "accessTokenLifespan",
                "ssoSessionIdleTimeout", "ssoSessionMaxLifespan", "bruteForceProtected", "resetPasswordAllowed",
                "verifyEmail", "duplicateEmailsAllowed", "rememberMe", "displayName")


def keycloak_admin_token(ctx: ProbeContext, c, base: str) -> str:
    """An admin access token from the master realm (``admin_username`` / ``admin_password``
    credentials, client ``admin-cli``)."""
    user = ctx.ident("admin_username") or ctx.ident("admin_user") or ctx.ident("username")
    password = ctx.secret("admin_password")
    if not (user and password):
        from somastack_deploy.checks.probes.base import BAD_INPUT, ProbeFailure

        raise ProbeFailure(BAD_INPUT, "keycloak: the topology gives no admin_username/admin_password credentials")
    r = c.post(f"{base}/realms/master/protocol/openid-connect/token",
               data={"grant_type": "password", "client_id": "admin-cli", "username": user, "password": password})
    r.raise_for_status()
    return r.json()["access_token"]


def keycloak_drift(ctx: ProbeContext, assets: Path) -> list[DriftItem]:
    import httpx

    files = sorted((assets / "keycloak").glob("*realm*.json"))
    if not files:
        return []
    path = files[0]
    declared = json.loads(path.read_text())
    realm = declared["realm"]
    src = _rel(path)
    from somastack_deploy.checks.probes.keycloak import realm_url

    base = realm_url(ctx).split("/realms/", 1)[0]
    with httpx.Client(timeout=ctx.timeout_s) as c:
        tok = keycloak_admin_token(ctx, c, base)
        h = {"Authorization": f"Bearer {tok}"}
        r = c.get(f"{base}/admin/realms/{realm}", headers=h)
        if r.status_code == 404:
            return [DriftItem("service", "keycloak", f"realm {realm}", "", MISSING, "declared", None, source=src)]
        r.raise_for_status()
        live_realm = r.json()
        clients = c.get(f"{base}/admin/realms/{realm}/clients", headers=h)
        clients.raise_for_status()
        live_clients = {cl["clientId"]: cl for cl in clients.json()}
    items = compare_maps("service", "keycloak", f"realm {realm}",
                         {k: declared[k] for k in REALM_FIELDS if k in declared},
                         {k: live_realm.get(k) for k in REALM_FIELDS if k in declared}, source=src, only_declared=True)
    for cl in declared.get("clients", []):
        cid = cl.get("clientId")
        if cid is None:
            continue
        live = live_clients.get(cid)
        if live is None:
            items.append(DriftItem("service", "keycloak", f"client {cid}", "", MISSING, "declared", None, source=src))
            continue
        fields = [f for f in CLIENT_FIELDS if f in cl]
        expected = {f: cl[f] for f in fields}
        actual = {f: live.get(f) for f in fields}
        for k, v in (cl.get("attributes") or {}).items():
            expected[f"attributes.{k}"] = v
            actual[f"attributes.{k}"] = (live.get("attributes") or {}).get(k)
        items += compare_maps("service", "keycloak", f"client {cid}", expected, actual, source=src, only_declared=True)
        if cid == ctx.ident("client_id") and ctx.service.credentials.get("client_secret"):
            items += _client_secret_drift(ctx, base, realm, live["id"], cid, src)
    return items


def _client_secret_drift(ctx: ProbeContext, base: str, realm: str, uuid: str, cid: str, src: str) -> list[DriftItem]:
    """Compare the client's live secret with the topology's reference by fingerprint only."""
    import httpx

    from somastack_deploy.config_contract.masking import fingerprint

    with httpx.Client(timeout=ctx.timeout_s) as c:
        tok = keycloak_admin_token(ctx, c, base)
        r = c.get(f"{base}/admin/realms/{realm}/clients/{uuid}/client-secret", headers={"Authorization": f"Bearer {tok}"})
        r.raise_for_status()
        live = r.json().get("value") or ""
    if live:
        ctx.secrets.add(live)
    expected = ctx.secret("client_secret") or ""
    if fingerprint(expected) == fingerprint(live):
        return []
    return [DriftItem("service", "keycloak", f"client {cid}", "secret", CHANGED,
                      ctx.service.credentials["client_secret"], fingerprint(live), True, src)]


# -- PostgreSQL, Redis, Milvus (declared in the topology) -----------------------------------

def postgres_drift(ctx: ProbeContext, assets: Path) -> list[DriftItem]:
    from somastack_deploy.checks.probes.postgres import connect

    svc = ctx.service
    declared, live = {}, {}
    exts = [e.strip() for e in str(svc.storage.get("extensions", "")).split(",") if e.strip()]
    with connect(ctx) as conn:
        if svc.version:
            declared["version"] = svc.version.split(".")[0]
            live["version"] = str(conn.info.server_version // 10000)
        for key, value in svc.storage.items():
            if key.startswith("pg."):
                name = key[3:]
                declared[name] = value
                live[name] = conn.execute(f"SHOW {re.sub(r'[^a-z_.]', '', name)}").fetchone()[0]
        dbs = [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datallowconn")] if exts else []
    found: set[str] = set()
    for db in dbs:  # an extension is installed per database: declared = installed in at least one
        try:
            with connect(ctx, dbname=db) as c2:
                found |= {r[0] for r in c2.execute("SELECT extname FROM pg_extension")}
        except Exception:  # noqa: BLE001 - a database we may not enter
            continue
    for e in exts:
        declared[f"extension {e}"] = "installed"
        if e in found:
            live[f"extension {e}"] = "installed"
    return compare_maps("service", "postgres", "server", declared, live, source="topology services.postgres",
                        only_declared=True)


def redis_cluster_drift(ctx: ProbeContext) -> tuple[list[DriftItem], bool]:
    """Cluster settings: declared ``cluster`` (topology) against the live server. Returns the
    items and whether the client may speak the cluster protocol (declared and live)."""
    from somastack_deploy.checks.probes.redis import client, cluster_shape

    declared = ctx.service.cluster
    node = client(ctx, cluster=False)
    try:
        live = bool(int(node.info("cluster").get("cluster_enabled", 0)))
    finally:
        node.close()
    if declared is None and not live:
        return [], False
    expected = {"cluster_enabled": "yes" if declared is not None else "no"}
    actual = {"cluster_enabled": "yes" if live else "no"}
    if declared is not None and live:
        r = client(ctx, cluster=True)
        try:
            shape = cluster_shape(r)
        finally:
            r.close()
        expected.update(cluster_state="ok", shards=declared.shards, replicas_per_shard=declared.replicas_per_shard)
        actual.update(cluster_state=shape["state"], shards=shape["shards"], replicas_per_shard=shape["replicas_per_shard"])
    items = compare_maps("service", "redis", "cluster", expected, actual, source="topology services.redis.cluster")
    return items, declared is not None and live


def redis_drift(ctx: ProbeContext, assets: Path) -> list[DriftItem]:
    from somastack_deploy.checks.probes.redis import client, persistence

    st = ctx.service.storage
    cluster_items, use_cluster = redis_cluster_drift(ctx)
    r = client(ctx, cluster=use_cluster)
    try:
        p = persistence(r)
        declared, live = {}, {}
        if "aof" in st:
            declared["appendonly"], live["appendonly"] = "yes" if st["aof"] else "no", "yes" if p["aof"] else "no"
        if "rdb" in st:
            declared["rdb"], live["rdb"] = "on" if st["rdb"] else "off", "on" if p["rdb"] else "off"
        if "maxmemory_policy" in st:
            declared["maxmemory-policy"] = st["maxmemory_policy"]
            live["maxmemory-policy"] = r.config_get("maxmemory-policy").get("maxmemory-policy")
        else:  # not declared: report the live value as a note-worthy field only if it is not the default
            pol = r.config_get("maxmemory-policy").get("maxmemory-policy")
            declared["maxmemory-policy"] = "noeviction"
            live["maxmemory-policy"] = pol
    finally:
        r.close()
    return cluster_items + compare_maps("service", "redis", "server", declared, live, source="topology services.redis")


def milvus_drift(ctx: ProbeContext, assets: Path) -> list[DriftItem]:
    from somastack_deploy.checks.probes.milvus import client

    wanted = {c.strip() for c in str(ctx.service.storage.get("collections", "")).split(",") if c.strip()}
    c = client(ctx)
    try:
        live = {n for n in c.list_collections(timeout=ctx.timeout_s) if not TOOLKIT_COLLECTION.match(n)}
    finally:
        c.close()
    items = [DriftItem("service", "milvus", f"collection {n}", "", MISSING, "declared", None,
                       source="topology services.milvus") for n in sorted(wanted - live)]
    items += [DriftItem("service", "milvus", f"collection {n}", "", EXTRA, None, "present",
                        source="topology services.milvus") for n in sorted(live - wanted)]
    return items


CHECKERS = {"kafka": kafka_drift, "spicedb": spicedb_drift, "opa": opa_drift, "keycloak": keycloak_drift,
            "postgres": postgres_drift, "redis": redis_drift, "milvus": milvus_drift}


def service_drift(topology, *, assets: Path = REPO_ASSETS, services: list[str] | None = None,
                  timeout_s: float = 10.0) -> tuple[list[DriftItem], list[str], list[str]]:
    """Run the checker of every service present (or ``services``). Returns
    ``(items, checked services, errors)``; errors are one line and free of secret values."""
    from somastack_deploy.checks.probes.classify import classify

    items, checked, errors = [], [], []
    for name in services or sorted(topology.services):
        fn = CHECKERS.get(name)
        if fn is None or name not in topology.services:
            continue
        ctx = ProbeContext(name, topology.services[name], topology, timeout_s)
        try:
            items += fn(ctx, assets)
            checked.append(name)
        except FileNotFoundError as err:
            errors.append(f"{name}: declaration not found: {err.filename}")
        except Exception as exc:  # noqa: BLE001
            cat, detail = classify(exc)
            for s in ctx.secrets:
                detail = detail.replace(s, "****")
            errors.append(f"{name}: {cat}: {detail}")
    return items, checked, errors
