"""The kubernetes plug-in's parts that need no cluster: certificates, the supervisor's process
handling (with real child processes), the plan (no secret in it), the kwok stages."""

from __future__ import annotations

import ipaddress
import json
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml
from cryptography import x509

from somastack_deploy.harness.base import Context
from somastack_deploy.harness.kube.pki import ensure_pki
from somastack_deploy.harness.registry import load_spec
from somastack_deploy.harness.services.kubernetes import SERVICE_IP, STAGES_FILE, Kubernetes


def test_pki_is_complete_private_and_reused(tmp_path: Path):
    pki = ensure_pki(tmp_path / "pki", service_ip=SERVICE_IP)
    assert pki.complete()
    for key in (pki.ca_key, pki.apiserver_key, pki.sa_key):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    ca = x509.load_pem_x509_certificate(pki.ca_crt.read_bytes())
    srv = x509.load_pem_x509_certificate(pki.apiserver_crt.read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert srv.issuer == ca.subject
    ca.public_key().verify(srv.signature, srv.tbs_certificate_bytes,
                           __import__("cryptography.hazmat.primitives.asymmetric.ec", fromlist=["ECDSA"]).ECDSA(
                               srv.signature_hash_algorithm))
    san = srv.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(i) for i in san.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", SERVICE_IP}
    assert "kubernetes.default.svc" in san.get_values_for_type(x509.DNSName)
    before = pki.ca_crt.read_bytes()
    again = ensure_pki(tmp_path / "pki", service_ip=SERVICE_IP)
    assert again.ca_crt.read_bytes() == before  # reused: earlier kubeconfigs stay valid
    assert ipaddress.ip_address(SERVICE_IP) in ipaddress.ip_network("10.96.0.0/16")


def test_plugin_is_registered_with_loopback_ports():
    spec = load_spec("kubernetes")
    assert isinstance(spec, Kubernetes)
    ctx = Context(state_dir=Path("/nonexistent"), cache_dir=Path("/nonexistent"), port_offset=12000)
    assert spec.ports(ctx) == {"apiserver": 18443, "etcd": 14379, "etcd-peer": 14380}
    assert sorted(spec.loopback_ports(ctx)) == [14379, 14380, 18443]


def test_prepare_writes_private_files_and_the_plan_holds_no_secret(tmp_path: Path):
    ctx = Context(state_dir=tmp_path / "state", cache_dir=tmp_path / "cache", port_offset=12000)
    spec = Kubernetes()
    spec.prepare(ctx)
    data = ctx.data_dir("kubernetes")
    for f in (data / "tokens.csv", spec.kubeconfig_path(ctx), data / "controller-manager.kubeconfig",
              data / "scheduler.kubeconfig", ctx.credentials_path):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    creds = ctx.credentials()["kubernetes"]
    kubeconfig = yaml.safe_load(spec.kubeconfig_path(ctx).read_text())
    assert kubeconfig["users"][0]["user"]["token"] == creds["token"]
    assert kubeconfig["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:18443"
    tokens = (data / "tokens.csv").read_text().splitlines()
    assert tokens[0].startswith(creds["token"] + ",") and tokens[0].endswith('"system:masters"')
    plan = json.dumps(spec.plan(ctx))
    for key in ("token", "controller_manager_token", "scheduler_token"):
        assert creds[key] not in plan
    argv, env = spec.command(ctx)
    assert env == {} and not any(creds["token"] in a for a in argv)
    # every listener is on loopback
    comps = {c["name"]: c["argv"] for c in spec.plan(ctx)["components"]}
    assert "--bind-address" in comps["kube-apiserver"] and comps["kube-apiserver"][comps["kube-apiserver"].index("--bind-address") + 1] == "127.0.0.1"
    assert all("0.0.0.0" not in a for argv in comps.values() for a in argv)
    assert "--secure-port=0" in comps["kube-scheduler"] and "--secure-port=0" in comps["kube-controller-manager"]


def test_kwok_stages_cover_nodes_pods_and_volumes():
    docs = [d for d in yaml.safe_load_all(STAGES_FILE.read_text()) if d]
    assert all(d["kind"] == "Stage" and d["apiVersion"] == "kwok.x-k8s.io/v1alpha1" for d in docs)
    assert {d["metadata"]["name"] for d in docs} == {
        "node-initialize", "node-heartbeat-with-lease", "pod-ready", "pod-complete", "pod-delete",
        "pvc-provision", "pv-bind", "pvc-delete", "pv-delete"}


# -- the supervisor, with real child processes -------------------------------------------------

def _plan(tmp_path: Path, components: list[dict]) -> Path:
    for c in components:
        c.setdefault("log", str(tmp_path / f"{c['name']}.log"))
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"stop_timeout_s": 3, "components": components}))
    return path


def _spawn(plan: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "somastack_deploy.harness.kube.supervisor", str(plan)],
                            stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)


def _children(proc: subprocess.Popen) -> list[psutil.Process]:
    return psutil.Process(proc.pid).children(recursive=True)


def test_supervisor_starts_in_order_and_stops_everything_on_sigterm(tmp_path: Path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    plan = _plan(tmp_path, [
        {"name": "web", "argv": [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                 "--directory", str(tmp_path)],
         "ready_url": f"http://127.0.0.1:{port}/", "timeout_s": 30},
        {"name": "sleeper", "argv": ["sleep", "600"]},
    ])
    out = tmp_path / "supervisor.log"
    proc = _spawn(plan, out)
    deadline = time.monotonic() + 30
    while "all components running" not in out.read_text() and time.monotonic() < deadline:
        assert proc.poll() is None, out.read_text()
        time.sleep(0.1)
    text = out.read_text()
    assert text.index("web ready") < text.index("sleeper ready") < text.index("all components running")
    children = _children(proc)
    assert len(children) == 2
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    gone, alive = psutil.wait_procs(children, timeout=5)
    assert alive == []


def test_supervisor_exits_1_and_stops_the_rest_when_a_component_dies(tmp_path: Path):
    plan = _plan(tmp_path, [
        {"name": "sleeper", "argv": ["sleep", "600"]},
        {"name": "crasher", "argv": ["sh", "-c", "sleep 1.5; echo boom; exit 7"]},
    ])
    out = tmp_path / "supervisor.log"
    proc = _spawn(plan, out)
    assert proc.wait(timeout=30) == 1
    text = out.read_text()
    assert "crasher exited with code 7" in text and str(tmp_path / "crasher.log") in text
    assert "boom" in (tmp_path / "crasher.log").read_text()
    assert not any(p.info["cmdline"] == ["sleep", "600"] and p.info["ppid"] == proc.pid
                   for p in psutil.process_iter(["cmdline", "ppid"]))


def test_supervisor_fails_a_component_that_never_gets_ready(tmp_path: Path):
    plan = _plan(tmp_path, [{"name": "deaf", "argv": ["sleep", "600"], "ready_url": "http://127.0.0.1:9/",
                             "timeout_s": 1}])
    out = tmp_path / "supervisor.log"
    proc = _spawn(plan, out)
    assert proc.wait(timeout=30) == 1
    assert "deaf not ready within 1 s" in out.read_text()


def test_supervisor_refuses_an_unreadable_plan(tmp_path: Path):
    bad = tmp_path / "plan.json"
    bad.write_text("{not json")
    proc = subprocess.run([sys.executable, "-m", "somastack_deploy.harness.kube.supervisor", str(bad)],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "unreadable plan" in proc.stderr and "Traceback" not in proc.stderr


def test_supervisor_runs_oneshot_steps_to_completion_in_order(tmp_path: Path):
    marker = tmp_path / "step-ran"
    plan = _plan(tmp_path, [
        {"name": "step", "oneshot": True, "argv": ["sh", "-c", f"sleep 0.5; touch {marker}"], "timeout_s": 20},
        {"name": "after", "argv": ["sh", "-c", f"test -f {marker} && exec sleep 600"]},
    ])
    out = tmp_path / "supervisor.log"
    proc = _spawn(plan, out)
    deadline = time.monotonic() + 30
    while "all components running" not in out.read_text() and time.monotonic() < deadline:
        assert proc.poll() is None, out.read_text()
        time.sleep(0.1)
    assert "step done in" in out.read_text() and len(_children(proc)) == 1  # the step is not kept
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0


def test_supervisor_stops_when_a_oneshot_step_fails(tmp_path: Path):
    plan = _plan(tmp_path, [
        {"name": "sleeper", "argv": ["sleep", "600"]},
        {"name": "step", "oneshot": True, "argv": ["sh", "-c", "exit 3"], "timeout_s": 20},
        {"name": "never", "argv": ["sleep", "601"]},
    ])
    out = tmp_path / "supervisor.log"
    proc = _spawn(plan, out)
    assert proc.wait(timeout=30) == 1
    assert "step failed with code 3" in out.read_text() and "never" not in out.read_text()
