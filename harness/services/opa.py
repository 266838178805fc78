"""Open Policy Agent 1.x built from the Go module proxy, serving the repo's policies.

- Install: ``GOTOOLCHAIN=local GOFLAGS=-mod=mod GOBIN=<cache>/opa/<version>/bin go install
  github.com/open-policy-agent/opa@<version>`` (a few minutes on 2 cores; the binary is reused).
- Run: ``opa run --server --addr HOST:PORT --bundle assets/opa`` (seed 001 §1.1 port 20181 +
  offset): ``assets/opa/somastack/authz.rego`` (package ``somastack.authz``) and the data
  document ``assets/opa/somastack/config/data.json`` (``data.somastack.config``). The bundle's
  ``.manifest`` owns only the ``somastack`` root, so activating it never overwrites documents
  written elsewhere through the data API (and the data API cannot change the policy's data).
- Ready: ``GET /health`` is 200 and the decision ``/v1/data/somastack/authz/decision`` for
  :data:`PROBE_INPUT` is the expected one (:data:`PROBE_EXPECTED`).

Options (``ctx.options["opa"]``): ``storage`` = ``"memory"`` (default: OPA's in-memory store;
documents written through the data API are lost on restart) or ``"disk"`` (``--set
storage.disk.directory=<data>/store``: data API writes outside ``data.somastack`` survive a
restart). The choice is
reported in the topology's ``storage``.
"""

from __future__ import annotations

from pathlib import Path

from somastack_deploy.config_contract.errors import InputError
from somastack_deploy.config_contract.topology import Endpoint, Service

from ..base import Context, ServiceSpec
from ..install.tools import assets_dir, go_env, require_go, run, staged_dir

#: Pinned OPA release (served by proxy.golang.org; builds with go1.26).
OPA_VERSION = "v1.22.2"
OPA_MODULE = "github.com/open-policy-agent/opa"
POLICY_DIR = assets_dir() / "opa"
DECISION_PATH = "/v1/data/somastack/authz/decision"
#: A decision the readiness probe asks: a PRODUCTION (fail-closed) request for a premium model
#: that the ``default`` tenant may not use must be denied with that reason.
PROBE_INPUT = {"tenant": "default", "mode": "PRODUCTION", "action": "model", "model": "openai/gpt-4o"}
PROBE_EXPECTED = {"allow": False, "permitted": False, "enforcement": "enforce"}
STORAGE_CHOICES = ("memory", "disk")


class Opa(ServiceSpec):
    """OPA v1.22.2 (``go install`` from the module proxy) with ``assets/opa`` loaded."""

    name = "opa"
    base_ports = {"http": 20181}
    start_timeout_s = 60.0
    stop_timeout_s = 10.0

    def binary(self, ctx: Context) -> Path:
        return ctx.cache_dir / "opa" / OPA_VERSION / "bin" / "opa"

    def installed(self, ctx: Context) -> bool:
        return self.binary(ctx).is_file()

    def install(self, ctx: Context) -> None:
        go = require_go("opa")
        home = self.binary(ctx).parent.parent
        with staged_dir(home) as tmp:
            env = go_env(ctx) | {"GOBIN": str(tmp / "bin")}
            run([go, "install", f"{OPA_MODULE}@{OPA_VERSION}"], what="opa: go install", env=env,
                cwd=tmp, timeout_s=3600)

    def storage(self, ctx: Context) -> str:
        """``"memory"`` or ``"disk"`` (option ``storage``); InputError for anything else."""
        value = ctx.service_options(self.name).get("storage", "memory")
        if value not in STORAGE_CHOICES:
            raise InputError(f"must be one of {', '.join(STORAGE_CHOICES)}", variable="opa.storage")
        return value

    def url(self, ctx: Context) -> str:
        return f"http://{ctx.host}:{self.ports(ctx)['http']}"

    def command(self, ctx: Context) -> tuple[list[str], dict[str, str]]:
        argv = [str(self.binary(ctx)), "run", "--server", "--addr", f"{ctx.host}:{self.ports(ctx)['http']}",
                "--log-level", "info", "--log-format", "text", "--disable-telemetry"]
        if self.storage(ctx) == "disk":
            store = ctx.data_dir(self.name) / "store"
            argv += ["--set", f"storage.disk.directory={store}", "--set", "storage.disk.auto_create=true"]
        argv += ["--bundle", str(POLICY_DIR)]
        return argv, {}

    def decide(self, ctx: Context, payload: dict, timeout: float = 2.0) -> dict:
        """POST ``{"input": payload}`` to the decision path; returns the ``result`` object
        ({} when undefined). Raises httpx errors on transport failure."""
        import httpx

        resp = httpx.post(self.url(ctx) + DECISION_PATH, json={"input": payload}, timeout=timeout)
        resp.raise_for_status()
        return resp.json().get("result", {})

    def ready(self, ctx: Context) -> bool:
        import httpx

        try:
            if httpx.get(self.url(ctx) + "/health", timeout=2).status_code != 200:
                return False
            result = self.decide(ctx, PROBE_INPUT)
            return all(result.get(k) == v for k, v in PROBE_EXPECTED.items())
        except Exception:
            return False

    def topology(self, ctx: Context) -> Service:
        storage = self.storage(ctx)
        return Service(
            plane="infrastructure", engine="opa", version=OPA_VERSION.lstrip("v"),
            endpoints=[Endpoint(protocol="http", host=ctx.host, port=self.ports(ctx)["http"], health_path="/health")],
            storage={"backend": storage, "durable": storage == "disk", "policy_package": "somastack.authz"},
        )

    def provenance(self, ctx: Context) -> str:
        return f"OPA {OPA_VERSION} (go install {OPA_MODULE}@{OPA_VERSION}, module proxy)"
