"""The harness core: install, start, watch and stop real services; write the topology.

Python API (stable: the pytest plug-in and the resiliency cycler call it)::

    from somastack_deploy.harness.base import Context
    from somastack_deploy.harness.manager import Harness, default_cache_dir

    h = Harness(Context(state_dir=Path(".somastack/services"), cache_dir=default_cache_dir(),
                        port_offset=0))
    h.install(["postgres"])          # -> {"postgres": seconds} (0.0 when already cached)
    topo = h.up(["postgres", "redis"])   # -> config_contract.topology.Topology
    h.status()                       # -> {name: ServiceStatus}
    h.stop("redis"); h.start("redis")    # graceful stop / start again (-> Topology)
    h.kill("redis")                  # SIGKILL the process group (fault injection)
    h.restart("redis")               # stop + start (-> Topology)
    h.down()                         # stop everything this state dir started

Every method raises :class:`HarnessError` (one-line message, ``log_path`` set when a server
failed) or ``somastack_deploy.config_contract.errors.InputError`` for an unknown service name. State lives in
``ctx.state_dir``: ``state.json`` (tracked PIDs and options), ``logs/<svc>.log``,
``data/<svc>/``, ``credentials.json`` (0600) and ``topology.json``.

Figures and their meaning are in ``docs/harness.md``; ``benchmarks/services.py`` measures them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from somastack_deploy.config_contract.errors import InputError
from somastack_deploy.config_contract.topology import Dimensions, Topology

from . import process
from .base import Context, InstallError, ServiceSpec
from .registry import PluginError, check_names, load_spec, resolve_order, ALL_SERVICES

#: Dimensions of every harness topology (the local stack of the cluster mode, DEV).
HARNESS_DIMENSIONS = Dimensions(
    software_mode="SomaStackClusterMode", environment="DEV", saas_bridge=False, target="LOCAL"
)


def default_cache_dir() -> Path:
    """``$SOMASTACK_CACHE`` or ``~/.cache/somastack-deploy``."""
    env = os.environ.get("SOMASTACK_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "somastack-deploy"


def default_state_dir() -> Path:
    """``$SOMASTACK_STATE_DIR``, else ``.somastack/services`` under the current directory; an
    absolute path (resolved against the current directory once, here). Never the package's
    location: nothing is written into site-packages."""
    env = os.environ.get("SOMASTACK_STATE_DIR")
    return (Path(env).expanduser() if env else Path(".somastack") / "services").resolve()


class HarnessError(RuntimeError):
    """A service could not be installed, started or stopped. ``str()`` is one line;
    ``log_path`` is the server log to read (or None)."""

    def __init__(self, message: str, log_path: Path | None = None):
        self.log_path = log_path
        super().__init__(message.replace("\n", " "))


@dataclass
class ServiceStatus:
    """One service of the stack: ``pid`` (None when not started), ``alive``, ``ready``
    (protocol-level, only probed when alive), ``host``, ``ports`` ({role: port}), ``rss_bytes``
    (resident memory of the process group), ``log`` (path)."""

    name: str
    pid: int | None
    alive: bool
    ready: bool
    host: str
    ports: dict[str, int] = field(default_factory=dict)
    rss_bytes: int = 0
    log: str = ""

    def to_json(self) -> dict:
        return {"pid": self.pid, "alive": self.alive, "ready": self.ready, "host": self.host,
                "ports": self.ports, "rss_bytes": self.rss_bytes, "log": self.log}


def _tail_hint(path: Path) -> str:
    return f"see {path}"


def _last_log_line(path: Path, mask, limit: int = 200) -> str:
    """The last non-empty line a server wrote to ``path`` since the last ``=== harness start``
    marker (``""`` when none), passed through ``mask`` (str -> str, e.g.
    :meth:`Harness.mask_credentials`), cut to ``limit`` characters. Reads at most the last
    64 KiB."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 65536))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    text = text.rsplit("=== harness start", 1)[-1]
    lines = [ln.strip() for ln in text.splitlines()[1:] if ln.strip() and not ln.startswith("=== harness")]
    if not lines:
        return ""
    line = mask(lines[-1])
    return line if len(line) <= limit else line[: limit - 1] + "…"


class Harness:
    """One stack of real services rooted at ``ctx.state_dir`` (see the module docstring).

    Thread-safe for the public methods (one lock); several ``Harness`` objects on the same
    state dir (e.g. two CLI invocations) share ``state.json``.
    """

    def __init__(self, ctx: Context, *, stack: str = "harness"):
        self.ctx = ctx
        self.stack = stack
        self.specs: dict[str, ServiceSpec] = {}
        self._popen: dict[str, subprocess.Popen] = {}
        #: Seconds from spawn to ready (post-start included) of the last start of each service.
        self.start_times: dict[str, float] = {}
        self._lock = threading.RLock()  # public operations
        self._state_lock = threading.Lock()  # state.json read-modify-write (worker threads)
        ctx.state_dir.mkdir(parents=True, exist_ok=True)
        state = self._load_state()
        if state.get("services") and state.get("port_offset", ctx.port_offset) != ctx.port_offset:
            raise InputError(
                f"state dir already runs a stack with port offset {state['port_offset']}; "
                "use the same --port-offset or another --state-dir",
                path=str(ctx.state_dir), variable="--port-offset",
            )
        for name, entry in state.get("services", {}).items():
            stored = entry.get("options") or {}
            running = bool(entry.get("proc")) and process.leader_alive(process.ProcRecord.from_json(entry["proc"]))
            if name in ctx.options and running and ctx.options[name] != stored:
                raise InputError(f"{name} is running with options {stored}; stop it before changing them",
                                 path=str(ctx.state_dir), variable=f"-o {name}")
            if stored and name not in ctx.options:
                ctx.options[name] = stored

    # -- state -----------------------------------------------------------------------------

    @property
    def state_path(self) -> Path:
        return self.ctx.state_dir / "state.json"

    @property
    def topology_path(self) -> Path:
        return self.ctx.state_dir / "topology.json"

    def _load_state(self) -> dict:
        try:
            return json.loads(self.state_path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {"services": {}}

    def _save_state(self, state: dict) -> None:
        state["port_offset"] = self.ctx.port_offset
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2, sort_keys=True))
        os.replace(tmp, self.state_path)

    def _record(self, name: str) -> process.ProcRecord | None:
        entry = self._load_state().get("services", {}).get(name)
        if entry and entry.get("proc"):
            return process.ProcRecord.from_json(entry["proc"])
        return None

    def _set_record(self, name: str, rec: process.ProcRecord | None) -> None:
        with self._state_lock:
            state = self._load_state()
            entry = state.setdefault("services", {}).setdefault(name, {})
            entry["proc"] = rec.to_json() if rec else None
            entry["options"] = self.ctx.options.get(name, {})
            self._save_state(state)

    def started(self) -> list[str]:
        """Services of this stack (started by ``up``/``start`` and not removed by ``down``),
        alive or not."""
        return sorted(self._load_state().get("services", {}))

    def spec(self, name: str) -> ServiceSpec:
        """The plug-in of ``name`` (InputError for an unknown key, HarnessError when the
        plug-in cannot be loaded)."""
        if name not in self.specs:
            try:
                self.specs[name] = load_spec(name)
            except PluginError as err:
                raise HarnessError(str(err)) from None
        return self.specs[name]

    def credentials(self) -> dict[str, dict[str, str]]:
        """The generated credentials (``{service: {key: value}}``). Never print them."""
        return self.ctx.credentials()

    def mask_credentials(self, text: str) -> str:
        """``text`` with every generated credential value (6 characters or more) replaced by
        ``****``, longest first (server log lines shown to the user)."""
        values = {v for svc in self.credentials().values() for v in svc.values() if isinstance(v, str) and len(v) >= 6}
        for value in sorted(values, key=len, reverse=True):
            text = text.replace(value, "****")
        return text

    # -- install ---------------------------------------------------------------------------

    def install(self, names: list[str] | None = None) -> dict[str, float]:
        """Install ``names`` (default: every service) into ``ctx.cache_dir`` when not cached.

        Returns ``{name: seconds}`` (0.0 when already installed). Raises HarnessError naming
        every service that failed (the others are still installed)."""
        names = list(names or ALL_SERVICES)
        check_names(names)
        times: dict[str, float] = {}
        errors: list[str] = []
        for name in names:
            try:
                spec = self.spec(name)
                t0 = time.monotonic()
                if not spec.installed(self.ctx):
                    spec.install(self.ctx)
                    if not spec.installed(self.ctx):
                        raise InstallError("install finished but the installed() check still fails")
                    times[name] = time.monotonic() - t0
                else:
                    times[name] = 0.0
            except InputError:
                raise
            except Exception as err:  # plug-in code: one line per service, the others go on
                errors.append(f"{name}: {err}" if isinstance(err, (InstallError, HarnessError))
                              else f"{name}: {type(err).__name__}: {err}")
        if errors:
            raise HarnessError("install failed: " + "; ".join(errors))
        return times

    # -- up / start --------------------------------------------------------------------------

    def up(self, names: list[str] | None = None) -> Topology:
        """Install (if needed) and start ``names`` (default: every service) and their
        ``depends_on``, dependency levels in parallel; reuse services already alive and ready.
        Writes and returns the topology of every service of the stack."""
        names = list(names if names is not None else ALL_SERVICES)
        check_names(names)
        with self._lock:
            try:
                levels = resolve_order(names, self.specs)
            except PluginError as err:
                raise HarnessError(str(err)) from None
            self.install([n for level in levels for n in level])
            for level in levels:
                errors: list[HarnessError] = []
                with ThreadPoolExecutor(max_workers=max(1, len(level))) as pool:
                    for n, fut in [(n, pool.submit(self._ensure_running, n)) for n in level]:
                        try:
                            fut.result()
                        except HarnessError as err:
                            errors.append(err)
                        except InputError:
                            raise
                        except Exception as err:  # plug-in code (ready/topology hooks)
                            errors.append(HarnessError(f"{n}: {type(err).__name__}: {err}"))
                if errors:
                    self.write_topology()
                    raise HarnessError("; ".join(str(e) for e in errors), errors[0].log_path)
            return self.write_topology()

    def start(self, name: str) -> Topology:
        """Start one service of the stack again (after ``stop``/``kill``); no-op when it is
        alive and ready. Its dependencies must be running. Returns the topology."""
        check_names([name])
        with self._lock:
            self.install([name])
            self._ensure_running(name)
            return self.write_topology()

    def restart(self, name: str) -> Topology:
        """``stop(name)`` then ``start(name)``."""
        self.stop(name)
        return self.start(name)

    def _ensure_running(self, name: str) -> None:
        spec = self.spec(name)
        ctx = self.ctx
        rec = self._record(name)
        if rec and process.leader_alive(rec):
            if spec.ready(ctx):
                return
            if self._wait_ready(name, spec, rec, spec.start_timeout_s, probe=spec.started):
                self._post_start(name, spec, ctx.log_path(name))
                if self._wait_ready(name, spec, rec, 10.0):
                    return
        if rec and process.group_members(rec):
            process.stop_group(rec, spec.stop_signal, spec.stop_timeout_s, self._popen.pop(name, None))
        if rec and process.group_members(rec):
            raise HarnessError(f"{name}: the previous process group (pgid {rec.pid}) is still running after "
                               f"{spec.stop_timeout_s:g} s and SIGKILL", ctx.log_path(name))
        self._clear_stale(name, spec, rec)
        for port in spec.loopback_ports(ctx):
            if not process.port_free(ctx.host, port):
                raise HarnessError(f"{name}: port {port} on {ctx.host} is already in use by another process (choose another --port-offset)")
        log = ctx.log_path(name)
        try:
            spec.prepare(ctx)
            spec.before_start(ctx)
            argv, extra_env = spec.command(ctx)
        except InputError:
            raise
        except Exception as err:  # plug-in code: report in one line
            raise HarnessError(f"{name}: prepare failed: {type(err).__name__}: {err}; log: {log}", log) from None
        env = dict(os.environ)
        env.update(extra_env)
        t_spawn = time.monotonic()
        try:
            popen, rec = process.spawn(argv, env, ctx.data_dir(name), log)
        except OSError as err:
            raise HarnessError(f"{name}: cannot run {argv[0]}: {err.strerror}", log) from None
        self._popen[name] = popen
        self._set_record(name, rec)
        deadline = time.monotonic() + spec.start_timeout_s
        if not self._wait_ready(name, spec, rec, spec.start_timeout_s, probe=spec.started):
            why = self._exited(popen, log) or f"not answering within {spec.start_timeout_s:.0f} s"
            raise HarnessError(f"{name}: {why}; log: {log}", log)
        self._post_start(name, spec, log)
        if not self._wait_ready(name, spec, rec, max(5.0, deadline - time.monotonic())):
            why = self._exited(popen, log) or "not ready after post-start setup"
            raise HarnessError(f"{name}: {why}; log: {log}", log)
        self.start_times[name] = time.monotonic() - t_spawn

    def _exited(self, popen: subprocess.Popen, log: Path) -> str | None:
        """``"exited with code N: <last log line>"`` (or ``"killed by SIGNAME: …"``) when the
        server process has ended, else None. The line is the last non-empty one the server
        wrote since its start, at most 200 characters, every generated credential masked."""
        code = popen.poll()
        if code is None:
            return None
        if code < 0:
            try:
                why = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                why = f"killed by signal {-code}"
        else:
            why = f"exited with code {code}"
        line = _last_log_line(log, self.mask_credentials)
        return f"{why}: {line}" if line else why

    def _clear_stale(self, name: str, spec: ServiceSpec, rec: process.ProcRecord | None) -> None:
        """Remove the lock/PID files (``spec.stale_files``) a killed server left behind whose
        owner no longer runs; each removal is noted in the service log."""
        try:
            paths = spec.stale_files(self.ctx)
        except Exception as err:  # plug-in code: report in one line
            raise HarnessError(f"{name}: listing stale lock files failed: {type(err).__name__}: {err}",
                               self.ctx.log_path(name)) from None
        for path in paths:
            pid = process.remove_stale_pid_file(path, rec)
            if pid is not None:
                with open(self.ctx.log_path(name), "a", encoding="utf-8") as fh:
                    fh.write(f"=== harness: removed {path} left by PID {pid}, which no longer runs ===\n")

    def _post_start(self, name: str, spec: ServiceSpec, log: Path) -> None:
        try:
            spec.post_start(self.ctx)
        except Exception as err:  # plug-in code: report in one line, keep the process for logs
            raise HarnessError(f"{name}: post-start setup failed: {type(err).__name__}: {err}; log: {log}", log) from None

    def _wait_ready(self, name: str, spec: ServiceSpec, rec: process.ProcRecord, timeout_s: float, probe=None) -> bool:
        """Poll ``probe`` (default ``spec.ready``) every 0.25 s until it is true (True), the
        leader exits or ``timeout_s`` s pass (False)."""
        probe = probe or spec.ready
        deadline = time.monotonic() + timeout_s
        popen = self._popen.get(name)
        while True:
            if popen is not None and popen.poll() is not None:
                return False
            if not process.leader_alive(rec):
                return False
            if probe(self.ctx):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.25)

    # -- stop / kill / down ----------------------------------------------------------------

    def stop(self, name: str) -> bool:
        """Gracefully stop one service (stop signal, SIGKILL after ``stop_timeout_s``).
        It stays part of the stack (``start`` brings it back). Returns True when it stopped
        before the timeout (False also when it was not running)."""
        check_names([name])
        with self._lock:
            return self._stop(name)

    def _stop(self, name: str) -> bool:
        spec = self.spec(name)
        rec = self._record(name)
        graceful = False
        if rec:
            graceful = process.stop_group(rec, spec.stop_signal, spec.stop_timeout_s, self._popen.pop(name, None))
            self._set_record(name, None)
        self._after_stop(name, spec)
        return graceful

    def kill(self, name: str) -> None:
        """SIGKILL the service's whole process group (fault injection) and return once every
        member is gone (a zombie counts as gone). The service stays in the stack and ``status``
        shows it dead until ``start``, which first removes the lock files the killed server
        left (``ServiceSpec.stale_files``). HarnessError when a member survives 10 s."""
        check_names([name])
        with self._lock:
            rec = self._record(name)
            if rec and not process.kill_group(rec, self._popen.pop(name, None)):
                left = ", ".join(str(p.pid) for p in process.group_members(rec))
                raise HarnessError(f"{name}: process group {rec.pid} still has running members 10 s after "
                                   f"SIGKILL (PIDs {left})", self.ctx.log_path(name))

    def down(self) -> dict[str, float]:
        """Stop every service of the stack (dependents first), remove ``topology.json``.
        Returns ``{name: seconds to stop}``. Never signals a process it did not start."""
        with self._lock:
            names = self.started()
            try:
                levels = resolve_order(names, self.specs)
            except (PluginError, HarnessError):
                levels = [names]
            times: dict[str, float] = {}
            errors: list[str] = []
            for level in reversed(levels):
                level = [n for n in level if n in names]

                def _stop(n: str) -> tuple[str, float]:
                    t0 = time.monotonic()
                    try:
                        self._stop(n)
                    except HarnessError as err:  # keep stopping the others
                        errors.append(str(err))
                    return n, time.monotonic() - t0

                with ThreadPoolExecutor(max_workers=max(1, len(level))) as pool:
                    times.update(pool.map(_stop, level))
            state = self._load_state()
            state["services"] = {}
            self._save_state(state)
            try:
                self.topology_path.unlink()
            except FileNotFoundError:
                pass
            if errors:
                raise HarnessError("; ".join(errors))
            return times

    def _after_stop(self, name: str, spec: ServiceSpec) -> None:
        try:
            spec.after_stop(self.ctx)
        except Exception as err:  # keep stopping the others
            raise HarnessError(f"{name}: cleanup after stop failed: {type(err).__name__}: {err}") from None

    # -- status / topology -----------------------------------------------------------------

    def status(self) -> dict[str, ServiceStatus]:
        """Per service of the stack: pid, alive, ready (protocol probe), host, ports, RSS."""
        out: dict[str, ServiceStatus] = {}
        for name in self.started():
            spec = self.spec(name)
            rec = self._record(name)
            popen = self._popen.get(name)
            if popen is not None:
                popen.poll()
            alive = bool(rec and process.leader_alive(rec))
            ready = bool(alive and spec.ready(self.ctx))
            out[name] = ServiceStatus(
                name=name, pid=rec.pid if rec else None, alive=alive, ready=ready,
                host=spec.endpoint_host(self.ctx), ports=spec.ports(self.ctx),
                rss_bytes=process.group_rss_bytes(rec) if rec else 0, log=str(self.ctx.log_path(name)),
            )
        return out

    def topology(self) -> Topology:
        """The topology document of the stack's services (not written)."""
        services = {}
        provenance = {}
        for name in self.started():
            spec = self.spec(name)
            if not spec.in_topology:
                continue
            services[name] = spec.topology(self.ctx)
            provenance[name] = spec.provenance(self.ctx)
        return Topology(stack=self.stack, dimensions=HARNESS_DIMENSIONS, services=services, provenance=provenance)

    def write_topology(self) -> Topology:
        """Write ``topology.json`` (deterministic JSON) and return the document."""
        topo = self.topology()
        tmp = self.topology_path.with_suffix(".tmp")
        tmp.write_text(topo.to_json())
        os.replace(tmp, self.topology_path)
        return topo
