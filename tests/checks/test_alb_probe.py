"""ALB target group probe: request and response shapes validated by botocore's Stubber
against the elbv2 service model (no AWS here)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from somastack_deploy.checks.probes.alb import target_health
from somastack_deploy.checks.probes.base import ProbeFailure

ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/soma-gw/0123456789abcdef"


def _client():
    return boto3.client("elbv2", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")


def _desc(target, state, reason=None):
    th = {"State": state}
    if reason:
        th["Reason"] = reason
    return {"Target": {"Id": target, "Port": 20020}, "TargetHealth": th}


def test_all_healthy():
    c = _client()
    with Stubber(c) as st:
        st.add_response("describe_target_health", {"TargetHealthDescriptions": [_desc("10.0.1.5", "healthy")]},
                        {"TargetGroupArn": ARN})
        assert target_health(c, ARN) == "1 target(s) healthy"
        st.assert_no_pending_responses()


def test_unhealthy_target_named():
    c = _client()
    with Stubber(c) as st:
        st.add_response("describe_target_health", {"TargetHealthDescriptions": [
            _desc("10.0.1.5", "healthy"), _desc("10.0.2.7", "unhealthy", "Target.FailedHealthChecks")]},
            {"TargetGroupArn": ARN})
        with pytest.raises(ProbeFailure) as err:
            target_health(c, ARN)
    assert err.value.category == "unhealthy" and "10.0.2.7:20020 unhealthy (Target.FailedHealthChecks)" in str(err.value)


def test_no_targets_and_auth_error():
    c = _client()
    with Stubber(c) as st:
        st.add_response("describe_target_health", {"TargetHealthDescriptions": []}, {"TargetGroupArn": ARN})
        with pytest.raises(ProbeFailure) as err:
            target_health(c, ARN)
        assert err.value.category == "missing"
        st.add_client_error("describe_target_health", "AccessDenied", "not allowed", 403)
        from somastack_deploy.checks.probes.classify import classify

        with pytest.raises(Exception) as err2:
            target_health(c, ARN)
        assert classify(err2.value)[0] == "auth rejected"


def test_model_rejects_wrong_shapes():
    """The model check is real: a request parameter or a response field that the elbv2 model
    does not know is refused by botocore."""
    from botocore.exceptions import ParamValidationError

    c = _client()
    with Stubber(c) as st:
        with pytest.raises(ParamValidationError):
            st.add_response("describe_target_health", {"TargetHealthDescriptions": [{"Target": {"Id": "i"},
                                                                                  "Health": {}}]})
        st.add_response("describe_target_health", {"TargetHealthDescriptions": []})
        with pytest.raises(ParamValidationError):
            c.describe_target_health(TargetGroup=ARN)
