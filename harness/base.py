"""The plug-in interface of the real-services harness.

Each infrastructure service (PostgreSQL 16, Redis 7, Kafka KRaft, Keycloak, SpiceDB, OPA,
Milvus, OpenBao, Kubernetes) is one :class:`ServiceSpec` subclass in ``harness/services/<name>.py``. The
harness core (``harness/manager.py``) installs, prepares, starts (as a tracked child process),
waits for protocol-level readiness, runs post-start setup, and writes the topology document
(:mod:`somastack_deploy.config_contract.topology`).

Directories:
- ``ctx.cache_dir``: installs, reused across runs (default ``~/.cache/somastack-deploy``,
  env ``SOMASTACK_CACHE``). Never inside the repo's tracked tree.
- ``ctx.state_dir``: one running stack (option ``--state-dir``): ``data/<svc>/``,
  ``logs/<svc>.log``, ``state.json``, ``credentials.json`` (mode 0600), ``topology.json``.

Both directories are made absolute once, when the :class:`Context` is built: servers run with
their data directory as working directory, and the paths written into their configuration
files, command lines and environment must mean the same there (and in the drift check's
comparison with ``/proc/PID/environ``) as in the process that started them.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

from somastack_deploy.config_contract.topology import Service

#: Serialises read-modify-write of ``credentials.json`` (services start in parallel threads).
_CREDENTIALS_LOCK = threading.RLock()


@dataclass
class Context:
    """Runtime context shared by every service of one harness stack.

    ``port_offset`` is added to each base port so two stacks can coexist. ``options`` holds
    per-service options (e.g. ``{"redis": {"appendonly": False}}``). ``state_dir`` and
    ``cache_dir`` may be given relative (to the current directory) or with ``~``; they are
    stored absolute (``Path.resolve``), so every path derived from them is absolute.
    """

    state_dir: Path
    cache_dir: Path
    port_offset: int = 0
    host: str = "127.0.0.1"
    options: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.state_dir = Path(self.state_dir).expanduser().resolve()
        self.cache_dir = Path(self.cache_dir).expanduser().resolve()

    def port(self, base: int) -> int:
        """The real TCP port for a seed 001 base port."""
        return base + self.port_offset

    def data_dir(self, name: str) -> Path:
        p = self.state_dir / "data" / name
        p.mkdir(parents=True, exist_ok=True)
        return p

    def log_path(self, name: str) -> Path:
        p = self.state_dir / "logs"
        p.mkdir(parents=True, exist_ok=True)
        return p / f"{name}.log"

    @property
    def credentials_path(self) -> Path:
        return self.state_dir / "credentials.json"

    def credentials(self) -> dict[str, dict[str, str]]:
        """All generated credentials: ``{service: {key: value}}`` (file mode 0600)."""
        try:
            return json.loads(self.credentials_path.read_text())
        except FileNotFoundError:
            return {}

    def credential(self, service: str, key: str, *, length: int = 24) -> str:
        """Get or generate (and persist, mode 0600) a credential. Never printed."""
        with _CREDENTIALS_LOCK:
            creds = self.credentials()
            value = creds.get(service, {}).get(key)
            if value is None:
                value = secrets.token_urlsafe(length)
                self.set_credential(service, key, value)
            return value

    def set_credential(self, service: str, key: str, value: str) -> None:
        """Persist a credential produced by the service itself (e.g. OpenBao's root token and
        unseal key) in ``credentials.json`` (mode 0600, atomically replaced). Never printed."""
        with _CREDENTIALS_LOCK:
            creds = self.credentials()
            creds.setdefault(service, {})[key] = value
            self.state_dir.mkdir(parents=True, exist_ok=True)
            tmp = self.credentials_path.with_name(".credentials.json.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(creds, fh, indent=2, sort_keys=True)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.credentials_path)

    def service_options(self, service: str) -> dict:
        """Per-service options from ``options`` (``{}`` when none)."""
        return dict(self.options.get(service, {}))

    def credential_ref(self, service: str, key: str) -> str:
        """The topology reference for a credential: ``file:///…/credentials.json#service.key``."""
        return f"file://{self.credentials_path.resolve()}#{service}.{key}"


class ServiceSpec(ABC):
    """One real service run by the harness. Subclasses set ``name`` (a topology service key),
    ``base_ports`` ({role: seed 001 port}) and ``depends_on`` (names started first)."""

    name: str = ""
    base_ports: dict[str, int] = {}
    depends_on: tuple[str, ...] = ()
    #: Seconds to wait for readiness on ``up``.
    start_timeout_s: float = 120.0
    #: Seconds between the stop signal and SIGKILL on ``down``/``stop``.
    stop_timeout_s: float = 15.0
    #: Signal sent to the process group to stop the server gracefully.
    stop_signal: int = signal.SIGTERM
    #: False for a stand-in that is not a SomaStack service (LocalStack for AWS APIs): it runs
    #: and is installed like the others but is left out of the topology document.
    in_topology: bool = True

    @abstractmethod
    def installed(self, ctx: Context) -> bool:
        """True when the cached install is complete (cheap check, no network)."""

    @abstractmethod
    def install(self, ctx: Context) -> None:
        """Install into ``ctx.cache_dir`` from a registry this machine reaches (PyPI, Debian,
        Maven Central, npm, Go module proxy). Idempotent. Raises ``InstallError`` with the
        command and its error when it cannot."""

    def prepare(self, ctx: Context) -> None:
        """First-run initialisation of ``ctx.data_dir(name)`` (initdb, storage format, …).
        Must be idempotent: called before every start; must keep existing data."""

    @abstractmethod
    def command(self, ctx: Context) -> tuple[list[str], dict[str, str]]:
        """argv and extra environment of the long-running server process (foreground, no
        daemonising: the manager tracks its PID and process group)."""

    @abstractmethod
    def ready(self, ctx: Context) -> bool:
        """Protocol-level readiness (a query, a PING, a metadata call), not an open port.
        Must return within ~2 s and never raise."""

    def started(self, ctx: Context) -> bool:
        """The server answers its protocol but may need ``post_start`` to become ``ready``
        (OpenBao: sealed until unsealed). The manager waits for this, runs ``post_start``, then
        waits for ``ready``. Default: ``ready(ctx)``. Must return within ~2 s, never raise."""
        return self.ready(ctx)

    def post_start(self, ctx: Context) -> None:
        """Setup after the server answers (create realm, schema, KV engine, unseal). Idempotent."""

    @abstractmethod
    def topology(self, ctx: Context) -> Service:
        """This service's entry in the topology document (credentials as references)."""

    def provenance(self, ctx: Context) -> str:
        """What really runs, e.g. ``"pgserver 0.1.4 (PostgreSQL 16.2)"``."""
        return self.name

    # -- optional hooks (defaults suit a server listening on ``ctx.host``) ------------------

    def ports(self, ctx: Context) -> dict[str, int]:
        """The real TCP ports by role (``base_ports`` + offset)."""
        return {role: ctx.port(base) for role, base in self.base_ports.items()}

    def endpoint_host(self, ctx: Context) -> str:
        """The address clients use (``ctx.host``; Milvus answers on its network namespace's
        address)."""
        return ctx.host

    def loopback_ports(self, ctx: Context) -> list[int]:
        """Ports this service binds on the machine's loopback, checked free before a start."""
        return list(self.ports(ctx).values())

    def stale_files(self, ctx: Context) -> list[Path]:
        """Lock/PID files a killed server leaves behind that would stop its next start, each
        holding the owner's PID on its first line (PostgreSQL's ``postmaster.pid`` and socket
        lock files). Before every start, once the service's process group is gone, the manager
        removes each one whose PID no longer runs (gone, a zombie, or recycled): what the
        server's own error message tells an operator to do. Files guarded by an OS lock
        (``flock``/``fcntl``, released when the process dies: Kafka's ``.lock``, etcd's and
        RocksDB's ``LOCK``, bbolt, H2 ``.mv.db``, Milvus' pid file) are not listed: the server
        takes them over itself. Default: none."""
        return []

    def before_start(self, ctx: Context) -> None:
        """Called right before the process is spawned (e.g. create a network namespace)."""

    def after_stop(self, ctx: Context) -> None:
        """Called once the process group is gone (e.g. delete the network namespace)."""


class InstallError(RuntimeError):
    """A service could not be installed here; the message names the command and its error."""


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True if a TCP connect to host:port succeeds within ``timeout`` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
