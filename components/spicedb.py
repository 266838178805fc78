"""SpiceDB (Zanzibar-style authorization), seed 001 §1.1: port 20051 (gRPC).

Type token ``somastack:auth:SpiceDB``. Postgres datastore on the shared server (database
``spicedb``); one-off tasks before start: ``createdb``, then ``spicedb migrate head`` (SpiceDB
docs "Migrations": the schema must be migrated before ``serve``). The preshared key
(``--grpc-preshared-key``, the agent's ``SPICEDB_API_KEY``, seed 001 §2.3) and the database
password come as secret references; the connection URI carries no password (pgx reads
``PGPASSWORD``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from .dbinit import create_database_task
from .spec import HealthCheck, OneOffTask, PostgresEndpoint, ServiceRuntime, ServiceSpec, Sizing

TYPE = "somastack:auth:SpiceDB"
PORT = 20051
IMAGE = "authzed/spicedb:v1.38.1"
DATABASE = "spicedb"


@dataclass(kw_only=True)
class SpiceDBArgs:
    """``runtime``; ``database``: the shared PostgreSQL; ``preshared_key_ref``: reference to the
    gRPC preshared key; ``image`` pinned by tag; ``sizing``."""

    runtime: ServiceRuntime
    database: PostgresEndpoint
    preshared_key_ref: str
    image: str = IMAGE
    sizing: Sizing = Sizing()


class SpiceDB(pulumi.ComponentResource):
    """Outputs: ``host``, ``port`` (20051), ``protocol`` (``grpc``), ``preshared_key_ref``."""

    host: pulumi.Output[str]
    port: int
    protocol: str
    preshared_key_ref: str

    def __init__(self, name: str, args: SpiceDBArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        db = args.database
        env = pulumi.Output.all(db.host).apply(lambda h: {
            "SPICEDB_GRPC_ADDR": f":{PORT}",
            "SPICEDB_DATASTORE_ENGINE": "postgres",
            "SPICEDB_DATASTORE_CONN_URI": f"postgres://{db.user}@{h[0]}:{db.port}/{DATABASE}?sslmode={db.sslmode}",
            "SPICEDB_HTTP_ENABLED": "false",
        })
        spec = ServiceSpec(
            key="spicedb", image=args.image, port=PORT, protocol="grpc", command=("serve",), env=env,
            secrets={"SPICEDB_GRPC_PRESHARED_KEY": args.preshared_key_ref, "PGPASSWORD": db.password_ref},
            health=HealthCheck(command=("CMD", "grpc_health_probe", f"-addr=127.0.0.1:{PORT}")),
            sizing=args.sizing, entrypoint=("spicedb",),
            init=(create_database_task(DATABASE, host=db.host, port=db.port, user=db.user,
                                       password_ref=db.password_ref, sslmode=db.sslmode),
                  OneOffTask(name="migrate", command=("migrate", "head"))),
        )
        deployed = args.runtime.deploy(name, spec, parent=self)
        self.host = deployed.host
        self.port = PORT
        self.protocol = "grpc"
        self.preshared_key_ref = args.preshared_key_ref
        self.ready = deployed.ready
        self.register_outputs({"host": self.host, "port": self.port, "protocol": self.protocol,
                               "preshared_key_ref": self.preshared_key_ref})
