"""A real Kubernetes control plane with simulated (kwok) nodes, built from the Go module proxy.

What runs (one tracked process, :mod:`somastack_deploy.harness.kube.supervisor`, whose process
group holds the five components, started in this order, each waiting for the previous one):

- etcd v3.6.16 (wrapper module ``harness/install/kubernetes/etcd``, ``etcdmain.Main``): client
  URL ``http://127.0.0.1:2379+offset``, peer URL ``:2380+offset``, data in
  ``<state>/data/kubernetes/etcd`` (survives a restart).
- kube-apiserver v1.35.4 (wrapper module ``harness/install/kubernetes/control-plane``): HTTPS on
  ``127.0.0.1:6443+offset`` with a generated CA (:mod:`somastack_deploy.harness.kube.pki`),
  static bearer tokens (``--token-auth-file``, mode 0600), RBAC + Node authorization, the
  default admission plugins plus ``NodeRestriction``, service CIDR :data:`SERVICE_CIDR`.
- kube-controller-manager v1.35.4 (Deployments → ReplicaSets → Pods, Jobs, namespaces, the
  service-account token signer) and kube-scheduler v1.35.4 (binds pods to the kwok node); both
  with ``--secure-port=0`` (no listener) and ``--leader-elect=false``.
- kwok v0.8.0 (``go install sigs.k8s.io/kwok/cmd/kwok@v0.8.0``) with the stages of
  ``harness/install/kubernetes/kwok-stages.yaml``: the node :data:`NODE_NAME` (annotated
  ``kwok.x-k8s.io/node=fake``, created by ``post_start``) becomes Ready, scheduled pods become
  Running/Ready, pods of Jobs complete, claims of the default StorageClass ``kwok-volume``
  bind. No container runs: images are never pulled, probes never executed.

Install (``somastack-services install kubernetes``): three ``go build`` runs from the module
proxy into ``<cache>/kubernetes/<KEY>/bin`` (≈510 MB of stripped binaries); the Go build and
module caches are temporary (``<cache>/kubernetes/.build-*``, deleted afterwards), so the
≈7.7 GB build cache is never kept. The apiserver/controller-manager/scheduler binaries are
stamped ``-X k8s.io/component-base/version.gitVersion=v1.35.4`` (the version the server reports).

Credentials (``credentials.json``, mode 0600): ``kubernetes.token`` (cluster-admin: group
``system:masters``), ``kubernetes.controller_manager_token``, ``kubernetes.scheduler_token``
(their ``system:kube-*`` identities) and ``kubernetes.ca_crt`` (the CA, PEM; not secret, kept
there so the topology can reference it like the token). Kubeconfig (mode 0600, admin token):
``<state>/kubeconfig``, see :meth:`Kubernetes.kubeconfig_path`.

Ready: ``GET /readyz`` is 200, the kwok node's ``Ready`` condition is ``True`` and its Lease
was renewed since this start (kwok manages pods only while it holds the node's Lease, and its
holder identity is random per process: a Lease left by the kwok of an earlier run is deleted
by the one-shot step :mod:`somastack_deploy.harness.kube.lease` right before kwok starts).

Topology: endpoint ``protocol="kubernetes"``, ``url="https://127.0.0.1:PORT"``, ``tls=True``,
``health_path="/readyz"``; ``version="1.35.4"``; credentials ``token`` and ``ca_crt`` as
references; storage ``{"backend": "etcd", "durable": True, "kubeconfig": PATH, "nodes":
"kwok"}``.
"""

from __future__ import annotations

import datetime
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from somastack_deploy.config_contract.topology import Endpoint, Service

from ..base import Context, InstallError, ServiceSpec
from ..install import INSTALL_DIR
from ..install.tools import go_env, require_go, run, staged_dir, write_private

KUBERNETES_VERSION = "v1.35.4"
ETCD_VERSION = "v3.6.16"
KWOK_VERSION = "v0.8.0"
#: Cache key of one install (all five binaries).
INSTALL_KEY = f"{KUBERNETES_VERSION}-etcd{ETCD_VERSION}-kwok{KWOK_VERSION}"
WRAPPER_DIR = INSTALL_DIR / "kubernetes"
STAGES_FILE = WRAPPER_DIR / "kwok-stages.yaml"
BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
#: Cluster IP range of Services; the ``kubernetes`` Service gets its first address.
SERVICE_CIDR = "10.96.0.0/16"
SERVICE_IP = "10.96.0.1"
#: Pod IPs kwok hands out.
POD_CIDR = "10.244.0.0/16"
#: The one simulated node.
NODE_NAME = "kwok-node-0"
#: The node's Lease (kwok renews it; ``--node-lease-duration-seconds``).
LEASE_PATH = f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{NODE_NAME}"
#: Default StorageClass whose claims kwok's volume stages bind.
STORAGE_CLASS = "kwok-volume"
#: Admin identity of the static token (cluster-admin through ``system:masters``).
ADMIN_USER = "somastack-admin"
VERSION_LDFLAG = f"-X k8s.io/component-base/version.gitVersion={KUBERNETES_VERSION}"


class Kubernetes(ServiceSpec):
    """Kubernetes v1.35.4 control plane (etcd, kube-apiserver, kube-controller-manager,
    kube-scheduler) with one kwok node, on loopback."""

    name = "kubernetes"
    base_ports = {"apiserver": 6443, "etcd": 2379, "etcd-peer": 2380}
    start_timeout_s = 180.0
    stop_timeout_s = 20.0

    # -- install ---------------------------------------------------------------------------

    def bin_dir(self, ctx: Context) -> Path:
        return ctx.cache_dir / "kubernetes" / INSTALL_KEY / "bin"

    def binary(self, ctx: Context, name: str) -> Path:
        return self.bin_dir(ctx) / name

    def installed(self, ctx: Context) -> bool:
        return all(self.binary(ctx, b).is_file() for b in BINARIES)

    def install(self, ctx: Context) -> None:
        go = require_go("kubernetes")
        home = self.bin_dir(ctx).parent
        home.parent.mkdir(parents=True, exist_ok=True)
        build = Path(tempfile.mkdtemp(prefix=".build-", dir=home.parent))
        env = go_env(ctx) | {"GOMODCACHE": str(build / "gomodcache"), "GOCACHE": str(build / "gocache")}
        try:
            with staged_dir(home) as tmp:
                out = tmp / "bin"
                out.mkdir()
                for module in ("etcd", "control-plane"):
                    shutil.copytree(WRAPPER_DIR / module, build / module)
                run([go, "build", "-trimpath", "-ldflags", "-s -w", "-o", str(out / "etcd"), "."],
                    what="kubernetes: go build etcd (wrapper module harness/install/kubernetes/etcd)",
                    env=env, cwd=build / "etcd", timeout_s=3600)
                run([go, "install", "-trimpath", "-ldflags", "-s -w", f"sigs.k8s.io/kwok/cmd/kwok@{KWOK_VERSION}"],
                    what="kubernetes: go install kwok", env=env | {"GOBIN": str(out)}, cwd=build, timeout_s=3600)
                run([go, "build", "-trimpath", "-ldflags", f"-s -w {VERSION_LDFLAG}", "-o", str(out) + "/",
                     "k8s.io/kubernetes/cmd/kube-apiserver", "k8s.io/kubernetes/cmd/kube-controller-manager",
                     "k8s.io/kubernetes/cmd/kube-scheduler"],
                    what="kubernetes: go build kube-apiserver, kube-controller-manager, kube-scheduler "
                         "(wrapper module harness/install/kubernetes/control-plane)",
                    env=env, cwd=build / "control-plane", timeout_s=5400)
                missing = [b for b in BINARIES if not (out / b).is_file()]
                if missing:
                    raise InstallError(f"kubernetes: build finished without {', '.join(missing)}")
        finally:
            _remove_tree(build)

    # -- files -----------------------------------------------------------------------------

    def data(self, ctx: Context) -> Path:
        return ctx.data_dir(self.name)

    def kubeconfig_path(self, ctx: Context) -> Path:
        """``<state>/kubeconfig`` (mode 0600): cluster-admin kubeconfig of this cluster
        (context ``somastack-harness``)."""
        return ctx.state_dir / "kubeconfig"

    def url(self, ctx: Context) -> str:
        """``https://HOST:PORT`` of the API server."""
        return f"https://{ctx.host}:{self.ports(ctx)['apiserver']}"

    def _pki(self, ctx: Context):
        from ..kube.pki import ensure_pki

        return ensure_pki(self.data(ctx) / "pki", service_ip=SERVICE_IP, host=ctx.host)

    def _tokens(self, ctx: Context) -> dict[str, str]:
        return {
            "admin": ctx.credential(self.name, "token", length=32),
            "controller_manager": ctx.credential(self.name, "controller_manager_token", length=32),
            "scheduler": ctx.credential(self.name, "scheduler_token", length=32),
        }

    def _kubeconfig(self, ctx: Context, token: str, user: str) -> str:
        """A kubeconfig for ``user`` with ``token`` (YAML written as JSON, which is valid YAML)."""
        import base64

        ca = self._pki(ctx).ca_crt.read_bytes()
        doc = {
            "apiVersion": "v1", "kind": "Config", "current-context": "somastack-harness",
            "clusters": [{"name": "somastack-harness", "cluster": {
                "server": self.url(ctx), "certificate-authority-data": base64.b64encode(ca).decode()}}],
            "users": [{"name": user, "user": {"token": token}}],
            "contexts": [{"name": "somastack-harness", "context": {"cluster": "somastack-harness", "user": user}}],
            "preferences": {},
        }
        return json.dumps(doc, indent=2) + "\n"

    def prepare(self, ctx: Context) -> None:
        data = self.data(ctx)
        pki = self._pki(ctx)
        ctx.set_credential(self.name, "ca_crt", pki.ca_crt.read_text())
        tokens = self._tokens(ctx)
        write_private(data / "tokens.csv", "".join([
            f'{tokens["admin"]},{ADMIN_USER},uid-somastack-admin,"system:masters"\n',
            f'{tokens["controller_manager"]},system:kube-controller-manager,uid-kube-controller-manager\n',
            f'{tokens["scheduler"]},system:kube-scheduler,uid-kube-scheduler\n',
        ]))
        write_private(self.kubeconfig_path(ctx), self._kubeconfig(ctx, tokens["admin"], ADMIN_USER))
        write_private(data / "controller-manager.kubeconfig",
                      self._kubeconfig(ctx, tokens["controller_manager"], "system:kube-controller-manager"))
        write_private(data / "scheduler.kubeconfig", self._kubeconfig(ctx, tokens["scheduler"], "system:kube-scheduler"))
        (data / "etcd").mkdir(mode=0o700, exist_ok=True)

    # -- run -------------------------------------------------------------------------------

    def plan(self, ctx: Context) -> dict:
        """The supervisor plan (see :mod:`somastack_deploy.harness.kube.supervisor`): argv,
        log file and readiness URL of each component, in start order. No secret in it."""
        host, ports, data, pki = ctx.host, self.ports(ctx), self.data(ctx), self._pki(ctx)
        etcd_url = f"http://{host}:{ports['etcd']}"
        b = lambda name: str(self.binary(ctx, name))  # noqa: E731
        log = lambda comp: str(ctx.log_path(f"{self.name}-{comp}"))  # noqa: E731
        etcd = [b("etcd"), "--name", "harness", "--data-dir", str(data / "etcd"),
                "--listen-client-urls", etcd_url, "--advertise-client-urls", etcd_url,
                "--listen-peer-urls", f"http://{host}:{ports['etcd-peer']}",
                "--initial-advertise-peer-urls", f"http://{host}:{ports['etcd-peer']}",
                "--initial-cluster", f"harness=http://{host}:{ports['etcd-peer']}",
                "--listen-metrics-urls", "", "--log-level", "warn", "--quota-backend-bytes", str(2 * 2**30)]
        apiserver = [b("kube-apiserver"), "--etcd-servers", etcd_url,
                     "--bind-address", host, "--advertise-address", host, "--secure-port", str(ports["apiserver"]),
                     "--tls-cert-file", str(pki.apiserver_crt), "--tls-private-key-file", str(pki.apiserver_key),
                     "--client-ca-file", str(pki.ca_crt), "--cert-dir", str(data / "apiserver-certs"),
                     "--token-auth-file", str(data / "tokens.csv"),
                     "--authorization-mode", "Node,RBAC",
                     "--enable-admission-plugins", "NodeRestriction",
                     "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
                     "--service-account-key-file", str(pki.sa_pub),
                     "--service-account-signing-key-file", str(pki.sa_key),
                     "--service-cluster-ip-range", SERVICE_CIDR,
                     "--allow-privileged=true", "--profiling=false", "--enable-priority-and-fairness=false",
                     "--v=1"]
        common = ["--leader-elect=false", "--secure-port=0", "--profiling=false", "--v=1"]
        controller_manager = [b("kube-controller-manager"), "--kubeconfig", str(data / "controller-manager.kubeconfig"),
                              "--use-service-account-credentials=true",
                              "--service-account-private-key-file", str(pki.sa_key),
                              "--root-ca-file", str(pki.ca_crt), *common]
        scheduler = [b("kube-scheduler"), "--kubeconfig", str(data / "scheduler.kubeconfig"), *common]
        kwok = [b("kwok"), "--config", str(STAGES_FILE), "--kubeconfig", str(self.kubeconfig_path(ctx)),
                "--manage-all-nodes=false", "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
                "--cidr", POD_CIDR, "--node-ip", host, "--node-lease-duration-seconds=40"]
        return {"stop_timeout_s": self.stop_timeout_s - 5, "components": [
            {"name": "etcd", "argv": etcd, "log": log("etcd"), "ready_url": f"{etcd_url}/health", "timeout_s": 60},
            {"name": "kube-apiserver", "argv": apiserver, "log": log("apiserver"),
             "ready_url": f"{self.url(ctx)}/readyz", "ca_file": str(pki.ca_crt), "timeout_s": 120},
            {"name": "kube-controller-manager", "argv": controller_manager, "log": log("controller-manager")},
            {"name": "kube-scheduler", "argv": scheduler, "log": log("scheduler")},
            {"name": "release-node-lease", "oneshot": True, "timeout_s": 30, "log": log("kwok"),
             "argv": [sys.executable, "-m", "somastack_deploy.harness.kube.lease", str(self.kubeconfig_path(ctx)), NODE_NAME]},
            {"name": "kwok", "argv": kwok, "log": log("kwok")},
        ]}

    def command(self, ctx: Context) -> tuple[list[str], dict[str, str]]:
        plan_path = self.data(ctx) / "supervisor-plan.json"
        plan_path.write_text(json.dumps(self.plan(ctx), indent=2))
        (self.data(ctx) / "started-at").write_text(f"{time.time():.3f}\n")
        return [sys.executable, "-m", "somastack_deploy.harness.kube.supervisor", str(plan_path)], {}

    # -- clients and readiness -------------------------------------------------------------

    def api_client(self, ctx: Context):
        """A ``kubernetes.client.ApiClient`` for the admin kubeconfig (``kubernetes`` package)."""
        from kubernetes import config as kube_config

        return kube_config.new_client_from_config(config_file=str(self.kubeconfig_path(ctx)))

    def _get(self, ctx: Context, path: str, timeout: float = 1.5):
        import ssl

        import httpx

        verify = ssl.create_default_context(cafile=str(self._pki(ctx).ca_crt))
        return httpx.get(self.url(ctx) + path, timeout=timeout, verify=verify,
                         headers={"Authorization": f"Bearer {ctx.credential(self.name, 'token', length=32)}"})

    def started(self, ctx: Context) -> bool:
        try:
            return self._get(ctx, "/readyz").status_code == 200
        except Exception:
            return False

    def ready(self, ctx: Context) -> bool:
        try:
            if self._get(ctx, "/readyz", timeout=1.0).status_code != 200:
                return False
            node = self._get(ctx, f"/api/v1/nodes/{NODE_NAME}", timeout=1.0)
            if node.status_code != 200:
                return False
            conditions = node.json().get("status", {}).get("conditions", [])
            if not any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
                return False
            lease = self._get(ctx, LEASE_PATH, timeout=1.0)
            return lease.status_code == 200 and not self._stale(ctx, lease.json())
        except Exception:
            return False

    def _started_at(self, ctx: Context) -> float:
        """Epoch seconds of the last spawn (written by :meth:`command`); 0 when unknown."""
        try:
            return float((self.data(ctx) / "started-at").read_text())
        except (OSError, ValueError):
            return 0.0

    def _stale(self, ctx: Context, lease: dict) -> bool:
        """True when the node's Lease was last renewed before this start (a kwok of an earlier
        run held it: the new kwok cannot take it over until it expires, and manages no pod of
        the node until then)."""
        renew = (lease.get("spec") or {}).get("renewTime")
        if not renew:
            return True
        renewed = datetime.datetime.fromisoformat(renew.replace("Z", "+00:00")).timestamp()
        return renewed < self._started_at(ctx) - 1.0

    def post_start(self, ctx: Context) -> None:
        """Create (idempotently) the kwok node :data:`NODE_NAME` and the default StorageClass
        :data:`STORAGE_CLASS`."""
        from kubernetes import client
        from kubernetes.client.rest import ApiException

        api = self.api_client(ctx)
        try:
            node = client.V1Node(metadata=client.V1ObjectMeta(
                name=NODE_NAME,
                annotations={"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
                labels={"type": "kwok", "kubernetes.io/hostname": NODE_NAME, "kubernetes.io/os": "linux",
                        "kubernetes.io/arch": "amd64", "kubernetes.io/role": "agent",
                        "node-role.kubernetes.io/agent": ""}),
                status=client.V1NodeStatus(allocatable={"cpu": "256", "memory": "1Ti", "pods": "1000"},
                                           capacity={"cpu": "256", "memory": "1Ti", "pods": "1000"}))
            sc = client.V1StorageClass(
                metadata=client.V1ObjectMeta(name=STORAGE_CLASS, annotations={
                    "storageclass.kubernetes.io/is-default-class": "true"}),
                provisioner="kwok.x-k8s.io/volume", reclaim_policy="Delete", volume_binding_mode="Immediate")
            for create in (lambda: client.CoreV1Api(api).create_node(node),
                           lambda: client.StorageV1Api(api).create_storage_class(sc)):
                try:
                    create()
                except ApiException as err:
                    if err.status != 409:  # 409: exists from an earlier start
                        raise InstallError(f"kubernetes: post-start create failed: HTTP {err.status} {err.reason}") from None
        finally:
            api.close()

    def topology(self, ctx: Context) -> Service:
        return Service(
            plane="infrastructure", engine="kubernetes", version=KUBERNETES_VERSION.lstrip("v"),
            endpoints=[Endpoint(protocol="kubernetes", url=self.url(ctx), tls=True, health_path="/readyz")],
            credentials={"token": ctx.credential_ref(self.name, "token"),
                         "ca_crt": ctx.credential_ref(self.name, "ca_crt")},
            storage={"backend": "etcd", "durable": True, "kubeconfig": str(self.kubeconfig_path(ctx)),
                     "nodes": "kwok"},
        )

    def provenance(self, ctx: Context) -> str:
        return (f"Kubernetes {KUBERNETES_VERSION} (kube-apiserver, kube-controller-manager, kube-scheduler; "
                f"go build k8s.io/kubernetes@{KUBERNETES_VERSION}), etcd {ETCD_VERSION}, kwok {KWOK_VERSION} "
                f"(node {NODE_NAME}); built from the Go module proxy")


def _remove_tree(path: Path) -> None:
    """Remove a temporary Go build directory; the module cache inside it is read-only, so
    directories are made writable first. Never raises."""
    import os
    import stat

    for root, dirs, _files in os.walk(path):
        for d in dirs:
            try:
                os.chmod(os.path.join(root, d), stat.S_IRWXU)
            except OSError:
                pass
    shutil.rmtree(path, ignore_errors=True)
