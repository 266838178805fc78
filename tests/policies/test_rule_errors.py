"""A policy rule that raises is an ERROR result (rule id, exception type and one line, values
masked) that blocks like a mandatory violation: offline (``policies.check``), in the plan report
and exit code, and under CrossGuard. Checkov's fourth result state; a crashed rule checked
nothing, so its silence must not read as PASSED."""

from __future__ import annotations

import contextlib
import json

import pytest

from somastack_deploy.policies import REGISTRY, CheckResult, ResourceInput, Rule, check
from somastack_deploy.policies.evaluate import blocks, errors_of, mandatory, violations_of
from somastack_deploy.policies.registry import MAX_ERROR_TEXT, NotApplicable, Unknown, error_text, run_rule

PLANTED = "planted-Rule-Err0r-Secret-5521"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _res(props: dict, provider_props=None) -> ResourceInput:
    return ResourceInput(type=LOG_GROUP, name="logs", props=props, urn="urn:pulumi:s::p::" + LOG_GROUP + "::logs",
                         provider_props=provider_props)


def _rule(check_fn, level="mandatory", name="broken-rule") -> Rule:
    """A rule instance whose check is ``check_fn`` (a rule class made for the test)."""
    attrs = {"name": name, "description": "d", "level": level, "category": "logging", "resource_types": (LOG_GROUP,),
             "source": "test", "check": lambda self, res: check_fn(res)}
    return type("BrokenForTest", (Rule,), attrs)()


@contextlib.contextmanager
def registered(rule: Rule):
    """Register ``rule`` in the real registry for the block; remove it afterwards."""
    REGISTRY.add(rule)
    try:
        yield rule
    finally:
        REGISTRY.remove(rule.name)


def _raises(exc):
    def check_fn(res):
        raise exc
    return check_fn


@pytest.mark.parametrize("exc", [TypeError("unsupported operand"), AttributeError("'str' object has no attribute 'get'"),
                                 KeyError("retentionInDays"), RuntimeError("boom"), ZeroDivisionError("division by zero")])
def test_any_exception_is_an_error_naming_rule_and_type(exc):
    result = run_rule(_rule(_raises(exc)), _res({"name": "x"}))
    assert result.status == "ERROR" and result.rule == "broken-rule" and result.level == "mandatory"
    assert result.messages == (f"{type(exc).__name__}: {str(exc).strip()}",)
    assert (result.resource, result.resource_type, result.urn) == ("logs", LOG_GROUP, "urn:pulumi:s::p::" + LOG_GROUP + "::logs")


def test_error_text_is_one_line_with_every_property_value_masked():
    res = _res({"name": "group-" + PLANTED, "nested": [{"x": "abc"}]}, provider_props={"region": "eu-west-9"})
    exc = ValueError(f"invalid literal for int() with base 10: 'group-{PLANTED}'\nsecond line eu-west-9")
    text = error_text(exc, res)
    assert text == "ValueError: invalid literal for int() with base 10: '***'"
    assert error_text(ValueError(), res) == "ValueError"
    long = error_text(TypeError("y" * 500), res)
    assert len(long) == MAX_ERROR_TEXT and long.endswith("...")
    # provider values and short values: masked from 3 characters on
    assert error_text(KeyError("eu-west-9 ab"), res) == "KeyError: '*** ab'"
    assert error_text(TypeError("abc"), res) == "TypeError: ***"


def test_unknown_and_not_applicable_keep_their_meaning_and_interrupts_propagate():
    urn = "urn:pulumi:s::p::" + LOG_GROUP + "::logs"
    assert run_rule(_rule(_raises(Unknown("value unknown at preview"))), _res({})) == CheckResult(
        "broken-rule", "mandatory", "UNKNOWN", LOG_GROUP, "logs", urn, ("value unknown at preview",))
    assert run_rule(_rule(_raises(NotApplicable())), _res({})) is None
    with pytest.raises(KeyboardInterrupt):
        run_rule(_rule(_raises(KeyboardInterrupt())), _res({}))

    class UnknownValueError(Exception):  # CrossGuard's class is matched by name
        pass

    assert run_rule(_rule(_raises(UnknownValueError()), level="advisory"), _res({})) == CheckResult(
        "broken-rule", "advisory", "UNKNOWN", LOG_GROUP, "logs", urn, ("a property is unknown until the resource is created",))


@pytest.mark.parametrize("level", ["mandatory", "advisory"])
def test_an_error_blocks_whatever_the_level(level):
    with registered(_rule(_raises(TypeError("boom")), level=level)):
        results = check([_res({"retentionInDays": 30})], rules=["broken-rule", "log-retention-set"])
    by_rule = {r.rule: r.status for r in results}
    assert by_rule == {"broken-rule": "ERROR", "log-retention-set": "PASSED"}
    assert violations_of(results) == [] and not mandatory(violations_of(results))
    assert [r.rule for r in errors_of(results)] == ["broken-rule"]
    assert blocks(results)
    assert not blocks([r for r in results if r.status != "ERROR"])


def test_crossguard_reports_the_error_as_a_violation():
    from somastack_deploy.policies.pack import resource_policies

    class Args:
        resource_type, name, urn, props, provider = LOG_GROUP, "logs", "urn:x", {"name": PLANTED}, None

    def broken(res):
        return [int(res.props["name"])]

    with registered(_rule(broken)):
        policy = next(p for p in resource_policies() if p.name == "broken-rule")
    reported = []
    policy.validate(Args(), lambda message, urn=None: reported.append(message))
    assert reported == ["rule error: ValueError: invalid literal for int() with base 10: '***'"]


def test_plan_report_counts_the_error_and_fails():
    """Through the real mock runner and plan report: the JSON document lists the error, the text
    and SARIF show it as a blocking failure, ``passed`` is False (exit 1 in the CLI)."""
    import pulumi_aws as aws

    from somastack_deploy.plan.report import build, render
    from somastack_deploy.plan.runner import run_stack

    def program():
        aws.cloudwatch.LogGroup("logs", retention_in_days=30, name=PLANTED,
                                tags={"Project": "somastack", "Environment": "DEV", "Stack": "t", "ManagedBy": "pulumi"})

    plan = run_stack("t", {"aws:region": "eu-west-1"}, program)
    with registered(_rule(lambda res: [int(res.props["name"])])):
        report = build(plan, config={}, stack="fargate-dev")
        sarif = json.loads(render(report, "sarif", path="Pulumi.fargate-dev.yaml"))
        text = render(report, "text", path="Pulumi.fargate-dev.yaml")
    assert report.passed is False
    policy = report.doc["policy"]
    assert policy["passed"] is False and policy["counts"]["error"] == 1 and policy["violations"] == []
    (error,) = policy["errors"]
    assert {k: error[k] for k in ("policy", "resource", "type", "level")} == {
        "policy": "broken-rule", "resource": "logs", "type": LOG_GROUP, "level": "mandatory"}
    assert error["message"] == "ValueError: invalid literal for int() with base 10: '***'"
    results = [r for run in sarif["runs"] for r in run["results"] if r["ruleId"] == "broken-rule"]
    assert results and results[0]["level"] == "error" and "rule error: ValueError" in results[0]["message"]["text"]
    assert "Policies: FAILED" in text and "1 error)" in text and "rule error: ValueError" in text
    assert PLANTED not in json.dumps(report.doc["policy"]) + json.dumps(sarif)


def test_error_text_masks_longer_values_first_and_keeps_exactly_the_limit():
    res = _res({"a": "abc", "b": ["abcdef"]})
    assert error_text(KeyError("abcdef"), res) == "KeyError: '***'"
    body = "q" * (MAX_ERROR_TEXT - len("RuntimeError: "))
    assert error_text(RuntimeError(body), res) == "RuntimeError: " + body
