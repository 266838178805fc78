"""One tracked process that runs the Kubernetes control plane's components in order.

The harness tracks one process (and its process group) per service. The ``kubernetes`` service
has five programs, so its command is this supervisor::

    python -m somastack_deploy.harness.kube.supervisor PLAN.json

``PLAN.json`` (written by the plug-in)::

    {"stop_timeout_s": 10,
     "components": [{"name": "etcd", "argv": [...], "log": "/…/logs/kubernetes-etcd.log",
                     "ready_url": "http://127.0.0.1:2379/health", "ca_file": null,
                     "timeout_s": 60}, …]}

A component with ``"oneshot": true`` is a step that must exit 0 within ``timeout_s`` before the
next one starts (it is not kept running). Each component is started in the supervisor's own process group (so the harness's group
signal reaches every one of them), its output appended to its ``log``; the next one starts when
``ready_url`` answers HTTP 200 (verified with ``ca_file`` for https) or, without a URL, when it
is still running after :data:`SETTLE_S` seconds. Once all run, the supervisor waits. Exit
codes: 0 after SIGTERM/SIGINT (every component stopped: SIGTERM, SIGKILL after
``stop_timeout_s``); 1 when a component exits on its own or does not become ready within its
``timeout_s`` (the others are stopped; the message names the component and its log); 2 for an
unreadable plan. Messages are one line each on stdout (the service log); no secret is ever in
a plan (tokens are in 0600 files the components read).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

#: Seconds a component without a readiness URL must keep running before the next one starts.
SETTLE_S = 0.5
#: Seconds between readiness polls.
POLL_S = 0.2

_stopping = False


def _on_signal(signum, _frame) -> None:
    global _stopping
    _stopping = True


def _say(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} supervisor: {message}", flush=True)


def _answers(url: str, ca_file: str | None) -> bool:
    import ssl

    import httpx

    try:
        verify = ssl.create_default_context(cafile=ca_file) if ca_file else True
        return httpx.get(url, timeout=1.0, verify=verify).status_code == 200
    except Exception:  # not listening yet, TLS not ready: keep polling
        return False


def _stop_all(procs: list[tuple[str, subprocess.Popen]], timeout_s: float) -> None:
    """SIGTERM every live component (last started first), SIGKILL what is left after
    ``timeout_s`` seconds, reap all."""
    for _, proc in reversed(procs):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    for name, proc in reversed(procs):
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _say(f"{name} did not stop within {timeout_s:.0f} s: SIGKILL")
            proc.kill()
            proc.wait()


def _start(component: dict) -> subprocess.Popen:
    log_path = Path(component["log"])
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        log.write(f"\n=== supervisor start {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} ===\n".encode())
        log.flush()
        return subprocess.Popen(component["argv"], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                cwd=component.get("cwd"), close_fds=True)


def _wait_ready(component: dict, proc: subprocess.Popen) -> str | None:
    """None when the component is ready (a oneshot: exited 0); else the one-line reason it is not."""
    url, ca = component.get("ready_url"), component.get("ca_file")
    timeout_s = float(component.get("timeout_s", 60))
    t0 = time.monotonic()
    while True:
        if _stopping:
            return "stop requested"
        code = proc.poll()
        if component.get("oneshot"):
            if code == 0:
                return None
            if code is not None:
                return f"failed with code {code}"
            if time.monotonic() - t0 > timeout_s:
                proc.kill()
                proc.wait()
                return f"did not finish within {timeout_s:.0f} s"
            time.sleep(POLL_S)
            continue
        if code is not None:
            return f"exited with code {code} while starting"
        if url is None:
            if time.monotonic() - t0 >= SETTLE_S:
                return None
        elif _answers(url, ca):
            return None
        if time.monotonic() - t0 > timeout_s:
            return f"not ready within {timeout_s:.0f} s"
        time.sleep(POLL_S)


def run(plan: dict) -> int:
    """Start the plan's components in order, wait, stop them; returns the exit code."""
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    stop_timeout = float(plan.get("stop_timeout_s", 10))
    procs: list[tuple[str, subprocess.Popen]] = []
    for component in plan["components"]:
        name = component["name"]
        t0 = time.monotonic()
        try:
            proc = _start(component)
        except OSError as err:
            _say(f"{name}: cannot run {component['argv'][0]}: {err.strerror}")
            _stop_all(procs, stop_timeout)
            return 1
        if not component.get("oneshot"):
            procs.append((name, proc))
        why = _wait_ready(component, proc)
        if why is not None:
            if not _stopping:
                _say(f"{name} {why}; log: {component['log']}")
            _stop_all(procs, stop_timeout)
            return 0 if _stopping else 1
        _say(f"{name} {'done' if component.get('oneshot') else 'ready'} in {time.monotonic() - t0:.1f} s (pid {proc.pid})")
    _say("all components running")
    while not _stopping:
        for name, proc in procs:
            code = proc.poll()
            if code is not None and not _stopping:
                log = next(c["log"] for c in plan["components"] if c["name"] == name)
                _say(f"{name} exited with code {code}; stopping the others; log: {log}")
                _stop_all(procs, stop_timeout)
                return 1
        time.sleep(0.5)
    _say("stop requested: stopping components")
    _stop_all(procs, stop_timeout)
    return 0


def main(argv: list[str] | None = None) -> int:
    """``supervisor PLAN.json`` → exit code (see the module docstring)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m somastack_deploy.harness.kube.supervisor PLAN.json", file=sys.stderr)
        return 2
    try:
        plan = json.loads(Path(args[0]).read_text(encoding="utf-8"))
        if not isinstance(plan.get("components"), list):
            raise ValueError("no components list")
    except (OSError, ValueError) as err:
        print(f"{args[0]}: unreadable plan: {err}", file=sys.stderr)
        return 2
    return run(plan)


if __name__ == "__main__":
    sys.exit(main())
