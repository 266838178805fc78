"""The ECS and Docker cyclers without those targets (none runs here). (The EKS cycler runs
against the harness's real kube-apiserver: tests/k8s/test_workloads_live.py.)

- ECS: every request is validated by botocore's Stubber against the ECS service model,
  responses too; the ``services_stable`` waiter runs on stubbed ``DescribeServices``.
- Docker: the real Docker SDK talks to a loopback HTTP recorder; the requests must be the
  Docker Engine API's (``GET /containers/json`` with the compose label filter, ``POST
  /containers/{id}/stop?t=…``, ``/kill``, ``/start``). This is a recorder of requests, not a
  Docker engine.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
from botocore.stub import ANY, Stubber

from somastack_deploy.checks.resilience.cyclers.docker import DockerCycler
from somastack_deploy.checks.resilience.cyclers.ecs import ECSCycler

CLUSTER = "soma-prod"


def _svc(name, desired, running, deployments=1):
    return {"serviceName": name, "serviceArn": f"arn:aws:ecs:eu-west-1:123456789012:service/{CLUSTER}/{name}",
            "desiredCount": desired, "runningCount": running, "pendingCount": 0, "status": "ACTIVE",
            "deployments": [{"id": f"ecs-svc/{i}", "status": "PRIMARY" if i == 0 else "ACTIVE",
                             "desiredCount": desired, "runningCount": running} for i in range(deployments)]}


def test_ecs_scale_cycle_request_shapes():
    c = boto3.client("ecs", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    cy = ECSCycler(c, CLUSTER, ["gateway"], waiter_delay_s=1, waiter_max_attempts=3)
    with Stubber(c) as st:
        q = {"cluster": CLUSTER, "services": ["gateway"]}
        st.add_response("describe_services", {"services": [_svc("gateway", 2, 2)], "failures": []}, q)
        st.add_response("update_service", {"service": _svc("gateway", 0, 2)},
                        {"cluster": CLUSTER, "service": "gateway", "desiredCount": 0})
        st.add_response("list_tasks", {"taskArns": ["arn:aws:ecs:eu-west-1:123456789012:task/soma-prod/abc"]},
                        {"cluster": CLUSTER, "serviceName": "gateway", "desiredStatus": "RUNNING"})
        st.add_response("stop_task", {"task": {"taskArn": "arn:aws:ecs:eu-west-1:123456789012:task/soma-prod/abc"}},
                        {"cluster": CLUSTER, "task": ANY, "reason": ANY})
        cy.take_down(hard=True)
        st.add_response("describe_services", {"services": [_svc("gateway", 0, 0)], "failures": []}, q)
        assert cy.is_down()
        st.add_response("update_service", {"service": _svc("gateway", 2, 0)},
                        {"cluster": CLUSTER, "service": "gateway", "desiredCount": 2})
        st.add_response("describe_services", {"services": [_svc("gateway", 2, 1)], "failures": []}, q)
        st.add_response("describe_services", {"services": [_svc("gateway", 2, 2)], "failures": []}, q)
        cy.bring_up()
        st.assert_no_pending_responses()


def test_ecs_force_new_deployment_and_waiter_failure():
    from somastack_deploy.checks.resilience.cyclers.base import CyclerError

    c = boto3.client("ecs", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    cy = ECSCycler(c, CLUSTER, ["gateway"], strategy="force-new-deployment", waiter_delay_s=1, waiter_max_attempts=1)
    with Stubber(c) as st:
        q = {"cluster": CLUSTER, "services": ["gateway"]}
        st.add_response("describe_services", {"services": [_svc("gateway", 2, 2)], "failures": []}, q)
        st.add_response("update_service", {"service": _svc("gateway", 2, 2, deployments=2)},
                        {"cluster": CLUSTER, "service": "gateway", "forceNewDeployment": True})
        cy.take_down()
        st.add_response("describe_services", {"services": [_svc("gateway", 2, 1, deployments=2)], "failures": []}, q)
        with pytest.raises(CyclerError, match="not stable"):
            cy.bring_up()


def test_ecs_model_rejects_unknown_parameter():
    from botocore.exceptions import ParamValidationError

    c = boto3.client("ecs", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(c) as st:
        st.add_response("update_service", {"service": _svc("gateway", 0, 0)})
        with pytest.raises(ParamValidationError):
            c.update_service(cluster=CLUSTER, service="gateway", desiredTasks=0)


class _DockerRecorder:
    def __init__(self):
        self.requests = []
        self.running = True
        outer = self

        class H(BaseHTTPRequestHandler):
            def _send(self, code, body=None):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802
                u = urlparse(self.path)
                outer.requests.append(("GET", u.path, parse_qs(u.query)))
                state = {"Status": "running" if outer.running else "exited", "Running": outer.running}
                if u.path.endswith("/containers/json"):
                    self._send(200, [{"Id": "c1", "Names": ["/soma-gateway-1"], "State": state["Status"]}])
                elif u.path.endswith("/containers/c1/json"):
                    self._send(200, {"Id": "c1", "Name": "/soma-gateway-1", "State": state, "Config": {"Env": []}})
                else:
                    self._send(404, {"message": "not found"})

            def do_POST(self):  # noqa: N802
                u = urlparse(self.path)
                outer.requests.append(("POST", u.path, parse_qs(u.query)))
                if u.path.endswith(("/stop", "/kill")):
                    outer.running = False
                elif u.path.endswith("/start"):
                    outer.running = True
                self._send(204)

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_docker_cycler_engine_api_requests():
    import docker

    rec = _DockerRecorder()
    try:
        client = docker.DockerClient(base_url=f"tcp://127.0.0.1:{rec.server.server_address[1]}", version="1.43")
        cy = DockerCycler(client, "soma", stop_timeout_s=7)
        cy.take_down()
        assert cy.is_down()
        cy.bring_up()
        assert not cy.is_down()
        cy.take_down(hard=True)
    finally:
        rec.server.shutdown()
    posts = [(p, q) for m, p, q in rec.requests if m == "POST"]
    assert posts[0] == ("/v1.43/containers/c1/stop", {"t": ["7"]})
    assert ("/v1.43/containers/c1/start", {}) in posts and posts[-1][0] == "/v1.43/containers/c1/kill"
    lists = [q for m, p, q in rec.requests if p == "/v1.43/containers/json"]
    assert json.loads(lists[0]["filters"][0]) == {"label": ["com.docker.compose.project=soma"]}
