"""The ECS cycler on a service with ECS's native ``BLUE_GREEN`` strategy (the Fargate
gateway, issue 12): requests and responses validated by botocore's Stubber against the ECS
model (``UpdateService``, ``DescribeServiceDeployments``, ``ListServiceDeployments``), since
no ECS runs here."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from somastack_deploy.checks.resilience.cyclers.base import CyclerError
from somastack_deploy.checks.resilience.cyclers.ecs import ECSCycler

CLUSTER = "soma-prod"
ARN = "arn:aws:ecs:us-east-1:123456789012"
DEP = f"{ARN}:service-deployment/{CLUSTER}/agent/r4nd0m"


def _svc(name, strategy, *, current=None, deployments=1):
    out = {"serviceName": name, "serviceArn": f"{ARN}:service/{CLUSTER}/{name}", "desiredCount": 2,
           "runningCount": 2, "pendingCount": 0, "status": "ACTIVE",
           "deploymentConfiguration": {"strategy": strategy, "bakeTimeInMinutes": 5},
           "deployments": [{"id": f"ecs-svc/{i}", "status": "PRIMARY" if i == 0 else "ACTIVE"} for i in range(deployments)]}
    if current:
        out["currentServiceDeployment"] = current
    return out


def _dep(status, stage, reason=None):
    d = {"serviceDeploymentArn": DEP, "serviceArn": f"{ARN}:service/{CLUSTER}/agent", "clusterArn": f"{ARN}:cluster/{CLUSTER}",
         "status": status, "lifecycleStage": stage}
    if reason:
        d["statusReason"] = reason
    return d


def _client():
    return boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")


def _cycler(c, services, attempts=5):
    cy = ECSCycler(c, CLUSTER, services, strategy="force-new-deployment", waiter_delay_s=0, waiter_max_attempts=attempts)
    cy._sleep = lambda s: None
    return cy


def test_blue_green_forced_deployment_is_followed_to_successful():
    c = _client()
    cy = _cycler(c, ["agent"])
    with Stubber(c) as st:
        st.add_response("describe_services", {"services": [_svc("agent", "BLUE_GREEN")], "failures": []},
                        {"cluster": CLUSTER, "services": ["agent"]})
        st.add_response("update_service", {"service": _svc("agent", "BLUE_GREEN", current=DEP)},
                        {"cluster": CLUSTER, "service": "agent", "forceNewDeployment": True})
        cy.take_down()
        assert cy.deployments == {"agent": DEP}
        q = {"serviceDeploymentArns": [DEP]}
        for stage, down in (("SCALE_UP", False), ("TEST_TRAFFIC_SHIFT", False), ("PRODUCTION_TRAFFIC_SHIFT", True)):
            st.add_response("describe_services", {"services": [_svc("agent", "BLUE_GREEN", deployments=2)], "failures": []},
                            {"cluster": CLUSTER, "services": ["agent"]})
            st.add_response("describe_service_deployments", {"serviceDeployments": [_dep("IN_PROGRESS", stage)], "failures": []}, q)
            assert cy.is_down() is down, stage
        st.add_response("describe_service_deployments", {"serviceDeployments": [_dep("IN_PROGRESS", "BAKE_TIME")]}, q)
        st.add_response("describe_service_deployments", {"serviceDeployments": [_dep("SUCCESSFUL", "CLEAN_UP")]}, q)
        cy.bring_up()  # no services_stable waiter call: the only service is blue/green
        st.assert_no_pending_responses()


def test_blue_green_rollback_is_a_cycler_error_naming_the_service_and_reason():
    c = _client()
    cy = _cycler(c, ["agent"])
    with Stubber(c) as st:
        st.add_response("describe_services", {"services": [_svc("agent", "BLUE_GREEN")], "failures": []})
        st.add_response("update_service", {"service": _svc("agent", "BLUE_GREEN")})
        st.add_response("list_service_deployments", {"serviceDeployments": [
            {"serviceDeploymentArn": DEP, "status": "IN_PROGRESS"}]},
            {"cluster": CLUSTER, "service": "agent", "status": ["PENDING", "IN_PROGRESS"]})
        cy.take_down()
        assert cy.deployments == {"agent": DEP}
        st.add_response("describe_service_deployments", {"serviceDeployments": [
            _dep("ROLLBACK_SUCCESSFUL", "CLEAN_UP", "circuit breaker: tasks failed the ALB health check")]})
        with pytest.raises(CyclerError, match="agent: blue/green deployment ROLLBACK_SUCCESSFUL: circuit breaker"):
            cy.bring_up()


def test_blue_green_that_never_finishes_times_out_naming_the_stage():
    c = _client()
    cy = _cycler(c, ["agent"], attempts=2)
    with Stubber(c) as st:
        st.add_response("describe_services", {"services": [_svc("agent", "BLUE_GREEN")], "failures": []})
        st.add_response("update_service", {"service": _svc("agent", "BLUE_GREEN", current=DEP)})
        cy.take_down()
        for _ in range(2):
            st.add_response("describe_service_deployments", {"serviceDeployments": [_dep("IN_PROGRESS", "BAKE_TIME")]})
        with pytest.raises(CyclerError, match="not finished: agent BAKE_TIME"):
            cy.bring_up()


def test_mixed_services_wait_blue_green_then_the_rolling_ones_with_the_waiter():
    c = _client()
    cy = _cycler(c, ["agent", "brain"])
    with Stubber(c) as st:
        both = {"services": [_svc("agent", "BLUE_GREEN"), _svc("brain", "ROLLING")], "failures": []}
        st.add_response("describe_services", both, {"cluster": CLUSTER, "services": ["agent", "brain"]})
        st.add_response("update_service", {"service": _svc("agent", "BLUE_GREEN", current=DEP)},
                        {"cluster": CLUSTER, "service": "agent", "forceNewDeployment": True})
        st.add_response("update_service", {"service": _svc("brain", "ROLLING", deployments=2)},
                        {"cluster": CLUSTER, "service": "brain", "forceNewDeployment": True})
        cy.take_down()
        assert cy.deployments == {"agent": DEP}
        st.add_response("describe_service_deployments", {"serviceDeployments": [_dep("SUCCESSFUL", "CLEAN_UP")]})
        st.add_response("describe_services", {"services": [_svc("brain", "ROLLING")], "failures": []},
                        {"cluster": CLUSTER, "services": ["brain"]})
        cy.bring_up()
        st.assert_no_pending_responses()


def test_scale_strategy_ignores_the_deployment_strategy():
    c = _client()
    cy = ECSCycler(c, CLUSTER, ["agent"], waiter_delay_s=1, waiter_max_attempts=2)
    with Stubber(c) as st:
        st.add_response("describe_services", {"services": [_svc("agent", "BLUE_GREEN")], "failures": []})
        st.add_response("update_service", {"service": _svc("agent", "BLUE_GREEN")},
                        {"cluster": CLUSTER, "service": "agent", "desiredCount": 0})
        cy.take_down()
        assert cy.deployments == {}


def test_alb_probe_on_a_blue_green_pair_passes_with_one_idle_group_and_fails_on_unhealthy_or_none():
    from somastack_deploy.checks.probes.alb import target_groups_health
    from somastack_deploy.checks.probes.base import ProbeFailure

    blue = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lb-gateway-tg/0123456789abcdef"
    green = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lb-gateway-green-tg/fedcba9876543210"
    c = boto3.client("elbv2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")

    def desc(state):
        return {"Target": {"Id": "10.40.48.7", "Port": 20020}, "TargetHealth": {"State": state}}

    with Stubber(c) as st:
        st.add_response("describe_target_health", {"TargetHealthDescriptions": []}, {"TargetGroupArn": blue})
        st.add_response("describe_target_health", {"TargetHealthDescriptions": [desc("healthy")]}, {"TargetGroupArn": green})
        assert target_groups_health(c, [blue, green]) == "1 target(s) healthy (idle: targetgroup/lb-gateway-tg/0123456789abcdef)"
        st.add_response("describe_target_health", {"TargetHealthDescriptions": [desc("healthy")]}, {"TargetGroupArn": blue})
        st.add_response("describe_target_health", {"TargetHealthDescriptions": [desc("unhealthy")]}, {"TargetGroupArn": green})
        with pytest.raises(ProbeFailure, match="unhealthy"):
            target_groups_health(c, [blue, green])
        st.add_response("describe_target_health", {"TargetHealthDescriptions": []}, {"TargetGroupArn": blue})
        st.add_response("describe_target_health", {"TargetHealthDescriptions": []}, {"TargetGroupArn": green})
        with pytest.raises(ProbeFailure, match="no target registered in any of 2"):
            target_groups_health(c, [blue, green])
