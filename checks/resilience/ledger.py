"""The data ledger of the resiliency test: one entry per stateful service, each with a
SHA-256 content hash, written before the cycles and read back after each one.

Entries (issue 5): a row in PostgreSQL (table ``somastack_ledger``), a key in Redis
(``somastack:ledger:<run>``), three messages in a Kafka topic (``somastack.ledger``), a vector
in Milvus (collection ``somastack_ledger``), a relationship in SpiceDB, a secret in Vault /
OpenBao (KV v2 ``somastack-ledger/<run>``), a document in OPA's data API
(``/v1/data/somastack_ledger/<run>``).

Every entry is removed again when the run ends (:meth:`Store.delete`; ``resilience
--keep-ledger`` keeps them). The containers stay under these fixed names, empty, so that a
later run finds them: the PostgreSQL table is dropped once it has no row, the Kafka topic's
records up to the run's last offset are deleted (``DeleteRecords``; the topic stays: remove it
with ``kafka-topics.sh --delete --topic somastack.ledger``), the Milvus collection is dropped
once it holds no entity, OPA's ``somastack_ledger`` document once it is empty.

Redis in cluster mode (topology ``cluster``, ElastiCache cluster mode enabled) is written and
read through redis-py's ``RedisCluster`` (the key lands on the shard owning its hash slot) and
its durability is AOF/RDB on every primary: both come from
:func:`somastack_deploy.checks.probes.redis.client` / ``persistence``.

Each store also reports its durability, read from the live service before the cycles: Redis
AOF/RDB, OpenBao's storage backend, OPA's storage (in-memory unless disk storage is
configured), SpiceDB's datastore. A payload is random and never printed; reports carry only
hashes and locations.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import asdict, dataclass, field

from somastack_deploy.checks.probes.base import ProbeContext, ProbeFailure

LEDGER_TOPIC = "somastack.ledger"
LEDGER_TABLE = "somastack_ledger"
LEDGER_COLLECTION = "somastack_ledger"
VERDICT_INTACT, VERDICT_MISSING, VERDICT_CHANGED, VERDICT_UNREADABLE = "INTACT", "MISSING", "CHANGED", "UNREADABLE"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Durability:
    """Whether the service keeps data across a restart as configured: ``durable`` True/False
    (None: could not tell), ``note`` says why (e.g. ``"AOF off, RDB off"``)."""

    durable: bool | None
    note: str


@dataclass
class LedgerEntry:
    """One written entry: ``service``, ``location`` (where it lives, no value), ``sha256`` of
    the payload, ``ref`` (store-specific data needed to read it back, no secret)."""

    service: str
    location: str
    sha256: str
    ref: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)


class Store:
    """One service's ledger store. ``write`` returns the entry; ``read`` returns the payload
    bytes or ``None`` when the entry is gone; both raise client errors when the service does
    not answer. ``durability`` inspects the live configuration."""

    service = ""

    def write(self, ctx: ProbeContext, run_id: str, payload: bytes) -> LedgerEntry:
        raise NotImplementedError

    def read(self, ctx: ProbeContext, entry: LedgerEntry) -> bytes | None:
        raise NotImplementedError

    def delete(self, ctx: ProbeContext, entry: LedgerEntry) -> None:
        """Remove ``entry`` (gone already is fine); raises client errors when the service does
        not answer."""
        raise NotImplementedError

    def durability(self, ctx: ProbeContext) -> Durability:
        """Default: the topology's ``storage.durable`` hint (with the other storage facts as
        the note); unknown when the topology says nothing."""
        st = ctx.service.storage
        facts = ", ".join(f"{k}={v}" for k, v in sorted(st.items()) if k != "durable")
        if "durable" in st:
            return Durability(bool(st["durable"]), f"topology storage: {facts or 'durable=' + str(st['durable'])}")
        return Durability(None, "durability not stated in the topology")


class PostgresStore(Store):
    service = "postgres"

    def write(self, ctx, run_id, payload):
        from somastack_deploy.checks.probes.postgres import connect

        with connect(ctx) as conn:
            conn.execute(f"CREATE TABLE IF NOT EXISTS {LEDGER_TABLE} (id text PRIMARY KEY, payload text NOT NULL,"
                         " sha256 text NOT NULL, written_at timestamptz NOT NULL DEFAULT now())")
            conn.execute(f"INSERT INTO {LEDGER_TABLE} (id, payload, sha256) VALUES (%s, %s, %s)",
                         (run_id, payload.decode(), sha256(payload)))
        return LedgerEntry(self.service, f"table {LEDGER_TABLE} row id={run_id}", sha256(payload), {"id": run_id})

    def read(self, ctx, entry):
        from somastack_deploy.checks.probes.postgres import connect

        with connect(ctx) as conn:
            if conn.execute("SELECT to_regclass(%s)", (LEDGER_TABLE,)).fetchone()[0] is None:
                return None  # the table is gone, and the entry with it
            row = conn.execute(f"SELECT payload FROM {LEDGER_TABLE} WHERE id = %s", (entry.ref["id"],)).fetchone()
        return row[0].encode() if row else None

    def delete(self, ctx, entry):
        from somastack_deploy.checks.probes.postgres import connect

        with connect(ctx) as conn:
            if conn.execute("SELECT to_regclass(%s)", (LEDGER_TABLE,)).fetchone()[0] is None:
                return
            conn.execute(f"DELETE FROM {LEDGER_TABLE} WHERE id = %s", (entry.ref["id"],))
            if conn.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {LEDGER_TABLE})").fetchone()[0]:
                conn.execute(f"DROP TABLE IF EXISTS {LEDGER_TABLE}")

    def durability(self, ctx):
        from somastack_deploy.checks.probes.postgres import connect

        with connect(ctx) as conn:
            fsync = conn.execute("SHOW fsync").fetchone()[0]
        return Durability(True, f"WAL, fsync={fsync}")


class RedisStore(Store):
    service = "redis"

    def write(self, ctx, run_id, payload):
        from somastack_deploy.checks.probes.redis import client

        key = f"somastack:ledger:{run_id}"
        r = client(ctx)
        try:
            r.set(key, payload)
        finally:
            r.close()
        return LedgerEntry(self.service, f"key {key}", sha256(payload), {"key": key})

    def read(self, ctx, entry):
        from somastack_deploy.checks.probes.redis import client

        r = client(ctx)
        try:
            return r.get(entry.ref["key"])
        finally:
            r.close()

    def delete(self, ctx, entry):
        from somastack_deploy.checks.probes.redis import client

        r = client(ctx)
        try:
            r.delete(entry.ref["key"])
        finally:
            r.close()

    def durability(self, ctx):
        from somastack_deploy.checks.probes.redis import client, persistence

        r = client(ctx)
        try:
            p = persistence(r)
        finally:
            r.close()
        note = f"AOF {'on' if p['aof'] else 'off'}, RDB {'on (save ' + repr(p['save']) + ')' if p['rdb'] else 'off'}"
        return Durability(p["aof"] or p["rdb"], note)


class KafkaStore(Store):
    service = "kafka"
    messages = 3

    def write(self, ctx, run_id, payload):
        from confluent_kafka.admin import AdminClient

        from somastack_deploy.checks.probes.kafka import config, ensure_topic, produce

        conf = config(ctx)
        admin = AdminClient(conf)
        brokers = len(admin.list_topics(timeout=ctx.timeout_s).brokers)
        ensure_topic(admin, LEDGER_TOPIC, brokers, ctx.timeout_s)
        values = [payload + f"#{i}".encode() for i in range(self.messages)]
        pos = produce(conf, LEDGER_TOPIC, values, ctx.timeout_s, key=run_id.encode())
        return LedgerEntry(self.service, f"topic {LEDGER_TOPIC} partition {pos[0][0]} offsets {pos[0][1]}-{pos[-1][1]}",
                           sha256(b"".join(values)), {"positions": [list(p) for p in pos]})

    def read(self, ctx, entry):
        from somastack_deploy.checks.probes.kafka import config, read_at

        pos = [tuple(p) for p in entry.ref["positions"]]
        try:
            got = read_at(config(ctx), LEDGER_TOPIC, pos, ctx.timeout_s)
        except ProbeFailure as err:
            if "Offset out of range" in err.detail or "OFFSET_OUT_OF_RANGE" in err.detail:
                return None
            raise
        if len(got) < len(pos):
            return None
        return b"".join(got[p] for p in pos)

    def delete(self, ctx, entry):
        """``DeleteRecords`` before the offset after the entry's last message, per partition
        (Kafka deletes a prefix of a partition, never single records; the topic is kept)."""
        from confluent_kafka import TopicPartition
        from confluent_kafka.admin import AdminClient

        from somastack_deploy.checks.probes.kafka import config

        ends: dict[int, int] = {}
        for p, o in entry.ref["positions"]:
            ends[p] = max(ends.get(p, 0), o + 1)
        admin = AdminClient(config(ctx))
        futures = admin.delete_records([TopicPartition(LEDGER_TOPIC, p, o) for p, o in sorted(ends.items())],
                                       request_timeout=ctx.timeout_s, operation_timeout=ctx.timeout_s)
        for fut in futures.values():
            fut.result(timeout=ctx.timeout_s)


class MilvusStore(Store):
    service = "milvus"

    def write(self, ctx, run_id, payload):
        from somastack_deploy.checks.probes.milvus import client

        c = client(ctx)
        try:
            if not c.has_collection(LEDGER_COLLECTION, timeout=ctx.timeout_s):
                c.create_collection(LEDGER_COLLECTION, dimension=4, consistency_level="Strong", timeout=ctx.timeout_s)
            pk = int(run_id[:12], 16)
            vec = [int(b) / 255.0 for b in hashlib.sha256(payload).digest()[:4]]
            c.insert(LEDGER_COLLECTION, [{"id": pk, "vector": vec, "payload": payload.decode()}], timeout=ctx.timeout_s)
            c.flush(LEDGER_COLLECTION, timeout=ctx.timeout_s)
        finally:
            c.close()
        return LedgerEntry(self.service, f"collection {LEDGER_COLLECTION} id={pk}", sha256(payload), {"id": pk})

    def read(self, ctx, entry):
        from somastack_deploy.checks.probes.milvus import client

        c = client(ctx)
        try:
            if not c.has_collection(LEDGER_COLLECTION, timeout=ctx.timeout_s):
                return None
            c.load_collection(LEDGER_COLLECTION, timeout=ctx.timeout_s)
            rows = c.get(LEDGER_COLLECTION, ids=[entry.ref["id"]], output_fields=["payload"], timeout=ctx.timeout_s)
        finally:
            c.close()
        return rows[0]["payload"].encode() if rows else None

    def delete(self, ctx, entry):
        from somastack_deploy.checks.probes.milvus import client

        c = client(ctx)
        try:
            if not c.has_collection(LEDGER_COLLECTION, timeout=ctx.timeout_s):
                return
            c.load_collection(LEDGER_COLLECTION, timeout=ctx.timeout_s)
            c.delete(LEDGER_COLLECTION, ids=[entry.ref["id"]], timeout=ctx.timeout_s)
            left = c.query(LEDGER_COLLECTION, filter="id >= 0", output_fields=["id"], limit=1, timeout=ctx.timeout_s)
            if not left:
                c.drop_collection(LEDGER_COLLECTION, timeout=ctx.timeout_s)
        finally:
            c.close()


class SpiceDBStore(Store):
    """Writes ``<definition>:<run>#<relation>@<subject type>:<run>`` using the first relation
    of the live schema whose allowed subject is a plain type (no ``#`` or wildcard)."""

    service = "spicedb"

    @staticmethod
    def _pick(schema: str) -> tuple[str, str, str]:
        from somastack_deploy.checks.probes.spicedb import definitions, relations

        for name, body in definitions(schema).items():
            for rel, subjects in relations(body):
                for subj in subjects:
                    subj = subj.split()[0].strip()
                    if re.fullmatch(r"[\w/]+", subj):
                        return name, rel, subj
        raise ProbeFailure("missing", "the schema has no relation with a plain subject type to write a ledger entry")

    def write(self, ctx, run_id, payload):
        from authzed.api.v1 import (ObjectReference, ReadSchemaRequest, Relationship, RelationshipUpdate,
                                    SubjectReference, WriteRelationshipsRequest)

        from somastack_deploy.checks.probes.spicedb import client

        c = client(ctx)
        res_type, rel, subj_type = self._pick(c.ReadSchema(ReadSchemaRequest(), timeout=ctx.timeout_s).schema_text)
        obj_id = f"ledger-{run_id}"
        c.WriteRelationships(WriteRelationshipsRequest(updates=[RelationshipUpdate(
            operation=RelationshipUpdate.Operation.OPERATION_TOUCH,
            relationship=Relationship(resource=ObjectReference(object_type=res_type, object_id=obj_id), relation=rel,
                                      subject=SubjectReference(object=ObjectReference(object_type=subj_type,
                                                                                      object_id=obj_id))))]),
            timeout=ctx.timeout_s)
        text = f"{res_type}:{obj_id}#{rel}@{subj_type}:{obj_id}"
        return LedgerEntry(self.service, f"relationship {text}", sha256(text.encode()),
                           {"resource_type": res_type, "object_id": obj_id})

    def read(self, ctx, entry):
        from authzed.api.v1 import Consistency, ReadRelationshipsRequest, RelationshipFilter

        from somastack_deploy.checks.probes.spicedb import client

        c = client(ctx)
        out = []
        for resp in c.ReadRelationships(ReadRelationshipsRequest(
                consistency=Consistency(fully_consistent=True),
                relationship_filter=RelationshipFilter(resource_type=entry.ref["resource_type"],
                                                       optional_resource_id=entry.ref["object_id"])),
                timeout=ctx.timeout_s):
            r = resp.relationship
            out.append(f"{r.resource.object_type}:{r.resource.object_id}#{r.relation}"
                       f"@{r.subject.object.object_type}:{r.subject.object.object_id}")
        return "\n".join(sorted(out)).encode() if out else None

    def delete(self, ctx, entry):
        from authzed.api.v1 import DeleteRelationshipsRequest, RelationshipFilter

        from somastack_deploy.checks.probes.spicedb import client

        client(ctx).DeleteRelationships(DeleteRelationshipsRequest(relationship_filter=RelationshipFilter(
            resource_type=entry.ref["resource_type"], optional_resource_id=entry.ref["object_id"])),
            timeout=ctx.timeout_s)

    def durability(self, ctx):
        ds = ctx.ident("datastore")
        if ds in ("memory", "inmemory", "in-memory"):
            return Durability(False, "in-memory datastore")
        if ds:
            return Durability(True, f"datastore {ds}")
        return Durability(None, "datastore not stated in the topology (storage.datastore)")


class VaultStore(Store):
    service = "vault"

    def _mount(self, ctx) -> str:
        return ctx.ident("kv_v2_mount") or ctx.ident("kv_mount", "secret")

    def write(self, ctx, run_id, payload):
        from somastack_deploy.checks.probes.vault import client

        path = f"somastack-ledger/{run_id}"
        client(ctx).secrets.kv.v2.create_or_update_secret(path=path, secret={"payload": payload.decode()},
                                                          mount_point=self._mount(ctx))
        return LedgerEntry(self.service, f"kv-v2 {self._mount(ctx)}/{path}", sha256(payload), {"path": path})

    def read(self, ctx, entry):
        import hvac.exceptions

        from somastack_deploy.checks.probes.vault import client

        try:
            resp = client(ctx).secrets.kv.v2.read_secret_version(path=entry.ref["path"], mount_point=self._mount(ctx),
                                                                 raise_on_deleted_version=True)
        except hvac.exceptions.InvalidPath:
            return None
        return resp["data"]["data"]["payload"].encode()

    def delete(self, ctx, entry):
        from somastack_deploy.checks.probes.vault import client

        client(ctx).secrets.kv.v2.delete_metadata_and_all_versions(path=entry.ref["path"],
                                                                   mount_point=self._mount(ctx))

    def durability(self, ctx):
        from somastack_deploy.checks.probes.vault import client

        try:
            state = client(ctx).adapter.get("/v1/sys/config/state/sanitized")
            data = state.get("data", state) if isinstance(state, dict) else state.json().get("data", {})
            kind = (data.get("storage") or {}).get("type", "")
        except Exception:  # noqa: BLE001 - needs a privileged token; fall back to the topology
            kind = ctx.ident("backend", "") or ""
        if kind in ("inmem", "in-memory"):
            return Durability(False, "in-memory storage backend")
        return Durability(True if kind else None, f"storage {kind}" if kind else "storage backend unknown")


class OPAStore(Store):
    service = "opa"

    def write(self, ctx, run_id, payload):
        from somastack_deploy.checks.probes.opa import http

        path = f"/v1/data/somastack_ledger/r{run_id}"
        with http(ctx) as c:
            c.put(path, json={"payload": payload.decode()}).raise_for_status()
        return LedgerEntry(self.service, f"data document {path}", sha256(payload), {"path": path})

    def read(self, ctx, entry):
        from somastack_deploy.checks.probes.opa import http

        with http(ctx) as c:
            r = c.get(entry.ref["path"])
            r.raise_for_status()
            doc = r.json().get("result")
        return doc["payload"].encode() if isinstance(doc, dict) and "payload" in doc else None

    def delete(self, ctx, entry):
        from somastack_deploy.checks.probes.opa import http

        with http(ctx) as c:
            r = c.delete(entry.ref["path"])
            if r.status_code not in (204, 404):
                r.raise_for_status()
            parent = entry.ref["path"].rsplit("/", 1)[0]
            got = c.get(parent)
            if got.status_code == 200 and got.json().get("result") == {}:
                c.delete(parent)

    def durability(self, ctx):
        from somastack_deploy.checks.probes.opa import http

        with http(ctx) as c:
            r = c.get("/v1/config")
            cfg = r.json().get("result", {}) if r.status_code == 200 else {}
        if (cfg.get("storage") or {}).get("disk"):
            return Durability(True, "disk storage")
        return Durability(False, "in-memory data API (documents come from bundles/files at start)")


STORES: dict[str, Store] = {s.service: s for s in (PostgresStore(), RedisStore(), KafkaStore(), MilvusStore(),
                                                    SpiceDBStore(), VaultStore(), OPAStore())}
#: Services whose data API is in-memory by design (state comes from bundles/policy files):
#: losing a ledger entry there is reported, not counted as data loss.
EPHEMERAL_BY_DESIGN = frozenset({"opa"})


def new_run_id() -> str:
    """A 24-hex-digit run id (also the ledger keys' suffix)."""
    return secrets.token_hex(12)


def new_payload(run_id: str, service: str) -> bytes:
    """A random payload naming the run and service (never printed; only its hash is)."""
    return f"somastack-ledger {run_id} {service} {secrets.token_hex(16)}".encode()


def verdict(store: Store, ctx: ProbeContext, entry: LedgerEntry) -> tuple[str, str]:
    """Read ``entry`` back: ``(INTACT|MISSING|CHANGED|UNREADABLE, detail)``; details name the
    location and hashes, never the payload."""
    from somastack_deploy.checks.probes.classify import classify

    try:
        data = store.read(ctx, entry)
    except Exception as exc:  # noqa: BLE001
        cat, detail = classify(exc)
        return VERDICT_UNREADABLE, f"{cat}: {detail}"
    if data is None:
        return VERDICT_MISSING, f"{entry.location} is gone"
    got = sha256(data)
    if got != entry.sha256:
        return VERDICT_CHANGED, f"{entry.location}: sha256 {got[:12]} != {entry.sha256[:12]}"
    return VERDICT_INTACT, entry.location


def dump(entries: list[LedgerEntry]) -> str:
    """JSON of the entries (hashes and locations only)."""
    return json.dumps([e.to_json() for e in entries], indent=2)
