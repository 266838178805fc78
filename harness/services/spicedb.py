"""SpiceDB built from the Go module proxy, with the PostgreSQL datastore of the harness.

- Install: ``github.com/authzed/spicedb``'s go.mod carries a ``replace`` directive, so ``go
  install …/cmd/spicedb@VERSION`` is refused. ``harness/install/spicedb/`` is a wrapper module
  that requires it at the pseudo-version the proxy serves (1.56.1-…) and copies its replace
  directive (go.sum pins every module hash); ``go build github.com/authzed/spicedb/cmd/spicedb``
  there gives ``<cache>/spicedb/<version>/bin/spicedb`` (≈7 min on 2 cores, reused after).
- Prepare (postgres datastore): ``spicedb datastore migrate head`` on the harness PostgreSQL
  database ``spicedb`` (created by the postgres plug-in).
- Run: ``spicedb serve --grpc-addr HOST:PORT --http-enabled=false --metrics-enabled=false
  --telemetry-endpoint= --datastore-engine postgres`` (seed 001 §1.1 port 20051 + offset).
  The preshared key (generated, ``credentials.json#spicedb.preshared_key``) and the datastore
  URI go through the environment (``SPICEDB_GRPC_PRESHARED_KEY``,
  ``SPICEDB_DATASTORE_CONN_URI``), never the command line.
- Ready: authzed ``ReadSchema`` with the preshared key answers (the schema, or NOT_FOUND before
  the first schema write).
- Post-start: ``WriteSchema`` of ``assets/spicedb/schema.zed`` (idempotent).

Options (``ctx.options["spicedb"]``): ``datastore`` = ``"postgres"`` (default; relationships
survive a restart) or ``"memory"`` (SpiceDB's in-memory datastore; PostgreSQL is still started
as a declared dependency but not used).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from somastack_deploy.config_contract.errors import InputError
from somastack_deploy.config_contract.topology import Endpoint, Service

from ..base import Context, InstallError, ServiceSpec
from ..install import INSTALL_DIR
from ..install.tools import assets_dir, go_env, require_go, run, staged_dir

#: The only SpiceDB 1.56.1 build the module proxy serves (a pseudo-version; no release tag).
SPICEDB_VERSION = "v1.56.1-0.20260807003957-bb9e61b5f956"
WRAPPER_DIR = INSTALL_DIR / "spicedb"
SCHEMA_FILE = assets_dir() / "spicedb" / "schema.zed"
DATASTORES = ("postgres", "memory")
PG_DATABASE = "spicedb"
PG_USER = "soma"


class SpiceDB(ServiceSpec):
    """SpiceDB 1.56.1 (wrapper-module ``go build``), postgres or memory datastore."""

    name = "spicedb"
    base_ports = {"grpc": 20051}
    depends_on = ("postgres",)
    start_timeout_s = 90.0
    stop_timeout_s = 15.0

    # -- install ---------------------------------------------------------------------------

    def binary(self, ctx: Context) -> Path:
        return ctx.cache_dir / "spicedb" / SPICEDB_VERSION / "bin" / "spicedb"

    def installed(self, ctx: Context) -> bool:
        return self.binary(ctx).is_file()

    def install(self, ctx: Context) -> None:
        go = require_go("spicedb")
        home = self.binary(ctx).parent.parent
        with staged_dir(home) as tmp:
            src = tmp / "src"
            src.mkdir()
            for name in ("go.mod", "go.sum", "tools.go"):
                shutil.copy2(WRAPPER_DIR / name, src / name)
            run([go, "build", "-trimpath", "-o", str(tmp / "bin" / "spicedb"), "github.com/authzed/spicedb/cmd/spicedb"],
                what="spicedb: go build (wrapper module harness/install/spicedb)", env=go_env(ctx), cwd=src,
                timeout_s=3600)

    # -- run -------------------------------------------------------------------------------

    def datastore(self, ctx: Context) -> str:
        """``"postgres"`` or ``"memory"`` (option ``datastore``); InputError otherwise."""
        value = ctx.service_options(self.name).get("datastore", "postgres")
        if value not in DATASTORES:
            raise InputError(f"must be one of {', '.join(DATASTORES)}", variable="spicedb.datastore")
        return value

    def _pg_uri(self, ctx: Context) -> str:
        password = ctx.credential("postgres", "password")
        return f"postgres://{PG_USER}:{password}@{ctx.host}:{ctx.port(5432)}/{PG_DATABASE}?sslmode=disable"

    def _env(self, ctx: Context) -> dict[str, str]:
        env = {"SPICEDB_GRPC_PRESHARED_KEY": ctx.credential(self.name, "preshared_key", length=32)}
        if self.datastore(ctx) == "postgres":
            env["SPICEDB_DATASTORE_CONN_URI"] = self._pg_uri(ctx)
        return env

    def prepare(self, ctx: Context) -> None:
        if self.datastore(ctx) != "postgres":
            return
        env = self._env(ctx)
        run([str(self.binary(ctx)), "datastore", "migrate", "head", "--datastore-engine", "postgres",
             "--log-format", "json"],
            what="spicedb: datastore migrate head", env=env, timeout_s=300,
            mask=(ctx.credential("postgres", "password"), *env.values()))

    def command(self, ctx: Context) -> tuple[list[str], dict[str, str]]:
        argv = [str(self.binary(ctx)), "serve", "--grpc-addr", f"{ctx.host}:{self.ports(ctx)['grpc']}",
                "--http-enabled=false", "--metrics-enabled=false", "--dispatch-cluster-enabled=false",
                "--telemetry-endpoint=", "--log-format", "json",
                "--datastore-engine", self.datastore(ctx)]
        return argv, self._env(ctx)

    def client(self, ctx: Context):
        """An authzed ``InsecureClient`` (plaintext gRPC on loopback) with the preshared key."""
        from authzed.api.v1 import InsecureClient

        return InsecureClient(f"{ctx.host}:{self.ports(ctx)['grpc']}", ctx.credential(self.name, "preshared_key", length=32))

    def ready(self, ctx: Context) -> bool:
        import grpc
        from authzed.api.v1 import ReadSchemaRequest

        try:
            self.client(ctx).ReadSchema(ReadSchemaRequest(), timeout=2)
            return True
        except grpc.RpcError as err:
            return err.code() == grpc.StatusCode.NOT_FOUND  # up and authenticated, no schema yet
        except Exception:
            return False

    def post_start(self, ctx: Context) -> None:
        from authzed.api.v1 import ReadSchemaRequest, WriteSchemaRequest

        try:
            schema = SCHEMA_FILE.read_text(encoding="utf-8")
        except OSError as err:
            raise InstallError(f"{SCHEMA_FILE}: cannot read: {err.strerror}") from None
        client = self.client(ctx)
        client.WriteSchema(WriteSchemaRequest(schema=schema), timeout=30)
        written = client.ReadSchema(ReadSchemaRequest(), timeout=10).schema_text
        if "definition tenant" not in written:
            raise InstallError("spicedb: schema written but ReadSchema does not return it")

    def topology(self, ctx: Context) -> Service:
        store = self.datastore(ctx)
        return Service(
            plane="infrastructure", engine="spicedb", version="1.56.1",
            endpoints=[Endpoint(protocol="grpc", host=ctx.host, port=self.ports(ctx)["grpc"])],
            credentials={"preshared_key": ctx.credential_ref(self.name, "preshared_key")},
            storage={"datastore": store, "durable": store == "postgres"},
        )

    def provenance(self, ctx: Context) -> str:
        return (f"SpiceDB {SPICEDB_VERSION} built from source (Go module proxy, wrapper module "
                f"harness/install/spicedb), datastore {self.datastore(ctx)}")
