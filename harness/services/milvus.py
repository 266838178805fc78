"""Milvus 2.3 standalone (the upstream C++/Go server with embedded etcd and RocksMQ) from the
PyPI wheel ``milvus`` (``milvus-server`` of the Milvus project).

- Install: ``pip install --target <cache>/pypi/milvus-2.3.5`` (2.3.5 is the newest 2.3.x
  wheel for Linux x86-64 on PyPI; 2.3.9 exists for other platforms only), then the wheel's
  LZMA-packed ``milvus`` binary and libraries are unpacked into ``<cache>/milvus-2.3.5/bin``.
- Isolation: Milvus 2.3 binds its gRPC/HTTP ports on all interfaces (the ``*.ip`` settings
  only choose the advertised address). So it runs in a network namespace of its own
  (``ip netns``) with loopback and one veth pair on a private /30 from 10.213.0.0/16 that the
  harness creates: the server never listens on the machine's real interfaces, and its many
  internal ports (etcd 2379, 53100, 19529, …) cannot clash with other stacks. Clients use the
  namespace's address (``topology.services["milvus"].endpoints[0].host``), port 19530 + offset
  (seed 001 §1.1). Needs root (CAP_NET_ADMIN/CAP_SYS_ADMIN) for ``ip netns``.
- Data: etcd, RocksMQ and segments under ``<state>/data/milvus`` (kept across restarts).
- Ready: ``/healthz`` (metrics port 9091 in the namespace) is 200 and pymilvus
  ``MilvusClient.list_collections()`` answers.
"""

from __future__ import annotations

import hashlib
import ipaddress
import lzma
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

from somastack_deploy.config_contract.topology import Endpoint, Service

from ..base import Context, InstallError, ServiceSpec
from ..pypi import pip_install_target, target_dir

MILVUS_VERSION = "2.3.5"
#: Private range for the namespaces' veth /30 pairs (one per stack).
NETNS_RANGE = ipaddress.ip_network("10.213.0.0/16")
#: ``common.session.ttl`` (s); Milvus' default is 30.
SESSION_TTL_S = 8


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and proc.returncode != 0:
        raise InstallError(f"`ip {' '.join(args)}` failed: {proc.stderr.strip() or proc.returncode}")
    return proc


class Milvus(ServiceSpec):
    """Milvus 2.3.5 standalone in a private network namespace."""

    name = "milvus"
    base_ports = {"grpc": 19530}
    start_timeout_s = 180.0
    #: Milvus 2.3 standalone stops its coordinators first (within ~0.1 s of the signal, state
    #: persisted in etcd), then its nodes, which keep retrying the stopped coordinators for 20 s
    #: and more (seen here with SIGTERM and SIGINT once a collection was loaded). Hence a short
    #: grace period, then SIGKILL; flushed data and metadata survive (tests/harness).
    stop_signal = signal.SIGINT
    stop_timeout_s = 5.0

    # -- install -----------------------------------------------------------------------------

    def bin_dir(self, ctx: Context) -> Path:
        return ctx.cache_dir / f"milvus-{MILVUS_VERSION}" / "bin"

    def installed(self, ctx: Context) -> bool:
        return (self.bin_dir(ctx) / ".complete").exists() and shutil.which("ip") is not None

    def install(self, ctx: Context) -> None:
        if shutil.which("ip") is None:  # iproute2, for the network namespace
            if os.geteuid() != 0:
                raise InstallError("`ip` (Debian iproute2) is missing and installing it needs root")
            for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "--no-install-recommends", "iproute2"]):
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
                if proc.returncode != 0:
                    raise InstallError(f"`{' '.join(cmd)}` failed: {proc.stderr.strip().splitlines()[-1:]}")
        if (self.bin_dir(ctx) / ".complete").exists():
            return
        wheel = pip_install_target(ctx, "milvus", MILVUS_VERSION)
        packed = wheel / "milvus" / "data" / "bin"
        if not packed.is_dir():
            raise InstallError(f"milvus {MILVUS_VERSION} wheel has no data/bin directory at {packed}")
        dest = self.bin_dir(ctx)
        tmp = dest.with_name(f"bin.tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for src in sorted(packed.glob("*.lzma")):
            out = tmp / src.name[: -len(".lzma")]
            with lzma.open(src) as fin, open(out, "wb") as fout:
                shutil.copyfileobj(fin, fout, 1 << 20)
            out.chmod(0o755)
        shutil.rmtree(dest, ignore_errors=True)
        os.replace(tmp, dest)
        (dest / ".complete").write_text(MILVUS_VERSION + "\n")

    def template(self, ctx: Context) -> Path:
        return target_dir(ctx, "milvus", MILVUS_VERSION) / "milvus" / "data" / "config.yaml.template"

    # -- network namespace -------------------------------------------------------------------

    def _key(self, ctx: Context) -> str:
        return hashlib.sha1(f"{ctx.state_dir.resolve()}:{ctx.port_offset}".encode()).hexdigest()

    def netns(self, ctx: Context) -> str:
        return f"soma-mv-{self._key(ctx)[:10]}"

    def _veth(self, ctx: Context) -> tuple[str, str]:
        k = self._key(ctx)[:6]
        return f"smv{k}h", f"smv{k}n"

    def _subnet(self, ctx: Context) -> ipaddress.IPv4Network:
        index = int(self._key(ctx)[:8], 16) % (NETNS_RANGE.num_addresses // 4)
        return ipaddress.ip_network(f"{NETNS_RANGE.network_address + index * 4}/30")

    def endpoint_host(self, ctx: Context) -> str:
        return str(self._subnet(ctx).network_address + 2)

    def loopback_ports(self, ctx: Context) -> list[int]:
        return []  # binds only inside its own namespace

    def before_start(self, ctx: Context) -> None:
        if os.geteuid() != 0:
            raise InstallError("milvus runs in its own network namespace, which needs root (`ip netns add`)")
        ns = self.netns(ctx)
        host_if, ns_if = self._veth(ctx)
        net = self._subnet(ctx)
        self.after_stop(ctx)  # leftovers of a killed run
        _ip("netns", "add", ns)
        try:
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("link", "add", host_if, "type", "veth", "peer", "name", ns_if)
            _ip("link", "set", ns_if, "netns", ns)
            _ip("addr", "add", f"{net.network_address + 1}/30", "dev", host_if)
            _ip("link", "set", host_if, "up")
            _ip("-n", ns, "addr", "add", f"{net.network_address + 2}/30", "dev", ns_if)
            _ip("-n", ns, "link", "set", ns_if, "up")
        except InstallError:
            self.after_stop(ctx)
            raise

    def after_stop(self, ctx: Context) -> None:
        ns = self.netns(ctx)
        host_if, _ = self._veth(ctx)
        _ip("link", "del", host_if, check=False)
        if ns in _ip("netns", "list", check=False).stdout.split():
            _ip("netns", "del", ns, check=False)

    # -- run -----------------------------------------------------------------------------------

    def port(self, ctx: Context) -> int:
        return ctx.port(self.base_ports["grpc"])

    def prepare(self, ctx: Context) -> None:
        data = ctx.data_dir(self.name)
        for sub in ("configs", "logs", "data", "run"):
            (data / sub).mkdir(exist_ok=True)
        values = {
            "etcd_log_path": str(data / "logs" / "etcd.log"),
            "etcd_data_dir": str(data / "data" / "etcd.data"),
            "local_storage_dir": str(data / "data"),
            "rocksmq_data_dir": str(data / "data" / "rocksmq"),
            "system_log_path": str(data / "logs"),
            "proxy_port": str(self.port(ctx)),
        }

        def fill(match: re.Match) -> str:
            key, _, default = match.group(1).strip().partition(":")
            return values.get(key.split("(")[0].strip(), default.strip())

        text = re.sub(r"\{\{(.*?)\}\}", fill, self.template(ctx).read_text())
        # Etcd session lease: a start after a SIGKILL waits for the old sessions to expire
        # (30 s by default).
        text = re.sub(r"(?m)^(    ttl: )30( #.*)$", rf"\g<1>{SESSION_TTL_S}\2", text)
        (data / "configs" / "milvus.yaml").write_text(text)
        shutil.copy(self.template(ctx).with_name("glog.conf"), data / "configs" / "glog.conf")

    def command(self, ctx: Context) -> tuple[list[str], dict[str, str]]:
        data = ctx.data_dir(self.name)
        bindir = self.bin_dir(ctx)
        env = {
            "DEPLOY_MODE": "STANDALONE",
            "METRICS_PORT": "9091",
            "MILVUS_RUN_DIR": str(data / "run"),
            "LD_LIBRARY_PATH": f"{bindir}:{os.environ.get('LD_LIBRARY_PATH', '')}".rstrip(":"),
        }
        return ["ip", "netns", "exec", self.netns(ctx), str(bindir / "milvus"), "run", "standalone"], env

    def healthz(self, ctx: Context) -> bool:
        """``GET /healthz`` on the metrics port (9091 inside the namespace) says all
        components are healthy."""
        import urllib.request

        try:
            with urllib.request.urlopen(f"http://{self.endpoint_host(ctx)}:9091/healthz", timeout=2) as resp:
                return resp.status == 200
        except OSError:
            return False

    def ready(self, ctx: Context) -> bool:
        if not self.healthz(ctx):
            return False
        try:
            from pymilvus import MilvusClient

            from somastack_deploy.checks.probes.milvus import quiet_pymilvus

            quiet_pymilvus()  # no pymilvus traceback on stderr while the server (re)starts
            client = MilvusClient(uri=f"http://{self.endpoint_host(ctx)}:{self.port(ctx)}", timeout=2)
            try:
                client.list_collections()
                return True
            finally:
                client.close()
        except Exception:
            return False

    def topology(self, ctx: Context) -> Service:
        return Service(
            plane="infrastructure", engine="milvus", version=MILVUS_VERSION,
            endpoints=[Endpoint(protocol="grpc", host=self.endpoint_host(ctx), port=self.port(ctx))],
            storage={"durable": True, "metadata": "embedded etcd", "mq": "rocksmq"},
        )

    def provenance(self, ctx: Context) -> str:
        return (f"milvus {MILVUS_VERSION} standalone (PyPI `milvus` wheel: upstream server, embedded etcd) in "
                f"network namespace {self.netns(ctx)} at {self.endpoint_host(ctx)}")


SPEC = Milvus()
