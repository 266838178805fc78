"""The ECS, EKS and Docker cyclers without those targets (none runs here).

- ECS: every request is validated by botocore's Stubber against the ECS service model,
  responses too; the ``services_stable`` waiter runs on stubbed ``DescribeServices``.
- EKS: the real ``AppsV1Api``/``CoreV1Api`` build every request; their ``ApiClient.call_api``
  is replaced by a recorder, and each request body must deserialize into the kubernetes
  client's model (``V1Deployment`` / ``V1Scale``) without losing a field.
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
from somastack_deploy.checks.resilience.cyclers.eks import EKSCycler, restart_patch, rollout_complete, scale_patch

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


class _Recorder:
    """Replaces ``ApiClient._call_with_legacy_options`` (the one transport call of the
    generated API methods): records (method, path, body, query) of the fully built request
    and answers with a model object."""

    def __init__(self, api_client, answers):
        self.api_client, self.answers, self.calls = api_client, answers, []

    def __call__(self, param, response_types_map, *args, **kwargs):
        method, url, _headers, body, _post = param
        u = urlparse(url)
        query = {k: v[0] for k, v in parse_qs(u.query).items()}
        self.calls.append((method, u.path, body, query))
        return self.answers(method, u.path)


def _deployment(replicas=2, ready=2, generation=3, observed=3):
    from kubernetes.client import (V1Container, V1Deployment, V1DeploymentSpec, V1DeploymentStatus, V1LabelSelector,
                                   V1ObjectMeta, V1PodSpec, V1PodTemplateSpec)

    return V1Deployment(metadata=V1ObjectMeta(name="gateway", namespace="soma", generation=generation),
                        spec=V1DeploymentSpec(replicas=replicas, selector=V1LabelSelector(match_labels={"app": "gateway"}),
                                              template=V1PodTemplateSpec(spec=V1PodSpec(containers=[V1Container(name="gw")]))),
                        status=V1DeploymentStatus(observed_generation=observed, replicas=ready, updated_replicas=ready,
                                                  ready_replicas=ready, available_replicas=ready))


def _roundtrip(api_client, body, model):
    obj = api_client._ApiClient__deserialize(body, model)
    assert api_client.sanitize_for_serialization(obj) == body, f"{model} model drops fields of {body}"


def test_eks_requests_match_the_kubernetes_models():
    from kubernetes import client as k

    api_client = k.ApiClient()
    state = {"phase": "up"}

    def answers(method, path):
        if path.endswith("/status"):
            return _deployment(ready=0 if state["phase"] == "down" else 2)
        return _deployment()

    rec = _Recorder(api_client, answers)
    api_client._call_with_legacy_options = rec
    cy = EKSCycler(k.AppsV1Api(api_client), k.CoreV1Api(api_client), "soma", ["gateway"], poll_s=0.01)
    cy.take_down(hard=True)
    state["phase"] = "down"
    assert cy.is_down()
    state["phase"] = "up"
    cy.bring_up()
    methods = [(m, p) for m, p, _, _ in rec.calls]
    assert ("PATCH", "/apis/apps/v1/namespaces/soma/deployments/gateway/scale") in methods
    assert ("DELETE", "/api/v1/namespaces/soma/pods") in methods
    assert ("GET", "/apis/apps/v1/namespaces/soma/deployments/gateway/status") in methods
    scale_bodies = [b for m, p, b, _ in rec.calls if p.endswith("/scale")]
    assert scale_bodies == [scale_patch(0), scale_patch(2)]
    for b in scale_bodies:
        _roundtrip(api_client, b, "V1Scale")
    delete_q = [q for m, p, _, q in rec.calls if m == "DELETE"][0]
    assert delete_q["labelSelector"] == "app=gateway" and delete_q["gracePeriodSeconds"] == "0"
    # a strategic-merge patch is partial: merge it into a full Deployment, then the model
    # must keep every field of the result (an unknown or misplaced key would be dropped).
    full = api_client.sanitize_for_serialization(_deployment())
    _merge(full, restart_patch())
    _roundtrip(api_client, full, "V1Deployment")


def _merge(into: dict, patch: dict) -> None:
    for k, v in patch.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _merge(into[k], v)
        else:
            into[k] = v


def test_eks_restart_strategy_and_rollout_condition():
    from kubernetes import client as k

    api_client = k.ApiClient()
    rec = _Recorder(api_client, lambda m, p: _deployment())
    api_client._call_with_legacy_options = rec
    cy = EKSCycler(k.AppsV1Api(api_client), k.CoreV1Api(api_client), "soma", ["gateway"], strategy="restart")
    cy.take_down()
    (patch,) = [b for m, p, b, _ in rec.calls if m == "PATCH"]
    assert "kubectl.kubernetes.io/restartedAt" in patch["spec"]["template"]["metadata"]["annotations"]
    assert rollout_complete(_deployment()) and not rollout_complete(_deployment(ready=1))
    assert not rollout_complete(_deployment(observed=2))


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
