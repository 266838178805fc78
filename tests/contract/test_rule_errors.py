"""A contract rule that raises fails the verdict with an error finding naming the rule and the
exception's one line (input values masked), instead of a traceback or a silent pass."""

from __future__ import annotations

import json

import pytest

from somastack_deploy.config_contract import evaluate
from somastack_deploy.config_contract.rules import base, registry

from .helpers import DEV, cli

PLANTED = "planted-Contract-Secret-8812"


class Broken(base.Rule):
    id = "TEST-BROKEN"
    name = "broken"
    source = "test"
    description = "raises after one finding"

    def check(self, ctx):
        yield ctx.finding(self, "DEBUG", "first finding", severity="warning")
        raise ValueError(f"could not parse {ctx.raw['SECRET_KEY']!r}\nsecond line")


@pytest.fixture
def broken_registry(monkeypatch):
    rules = (*registry(), Broken())
    monkeypatch.setattr("somastack_deploy.config_contract.rules.registry", lambda: rules)


def test_run_rule_keeps_findings_and_adds_one_error():
    from somastack_deploy.config_contract.context import build_context

    ctx = build_context({"SECRET_KEY": PLANTED, "DEBUG": "true"})
    found = base.run_rule(Broken(), ctx)
    assert [f.severity for f in found] == ["warning", "error"]
    err = found[1]
    assert (err.rule, err.variable, err.service, err.path, err.line) == ("TEST-BROKEN", None, "general", None, None)
    assert err.message == ("rule TEST-BROKEN raised ValueError: could not parse '***'; its verdict is unknown, "
                           "so the configuration is not passed")


def test_error_text_masks_and_cuts():
    from somastack_deploy.config_contract.context import build_context

    ctx = build_context({"A": "abc", "B": "ab"})
    assert base.error_text(KeyError("abc ab"), ctx) == "KeyError: '*** ab'"
    assert base.error_text(RuntimeError(), ctx) == "RuntimeError"
    long = base.error_text(RuntimeError("z" * 400), ctx)
    assert len(long) == base.MAX_ERROR_TEXT and long.endswith("...")


def test_a_raising_rule_fails_a_passing_configuration(broken_registry):
    report = evaluate({"SA01_DEPLOYMENT_MODE": "DEV", "SECRET_KEY": "${X}"})
    assert not report.passed
    assert [f.rule for f in report.errors] == ["TEST-BROKEN"]


def test_cli_exit_1_no_traceback_no_value(broken_registry, tmp_path):
    env = tmp_path / "dev.env"
    env.write_text(DEV.read_text() + f"\nSECRET_KEY={PLANTED}\n")
    code, out, err = cli("preflight", env, "--format", "json")
    assert code == 1
    errors = [f for f in json.loads(out)["findings"] if f["rule"] == "TEST-BROKEN" and f["severity"] == "error"]
    assert len(errors) == 1 and "raised ValueError" in errors[0]["message"]
    assert PLANTED not in out + err and "Traceback" not in out + err


def test_error_text_masks_longer_values_first_and_keeps_exactly_200():
    from somastack_deploy.config_contract.context import build_context

    ctx = build_context({"A": "abc", "B": "abcdef"})
    assert base.error_text(KeyError("abcdef"), ctx) == "KeyError: '***'"  # not '***def'
    # by length, not by text: "zzz-token" sorts after "hunter2-zzz-token" but must be masked after it
    ctx = build_context({"A": "zzz-token", "B": "hunter2-zzz-token"})
    assert base.error_text(ValueError("bad hunter2-zzz-token"), ctx) == "ValueError: bad ***"  # not 'hunter2-***'
    exact = "RuntimeError: " + "q" * (base.MAX_ERROR_TEXT - len("RuntimeError: "))
    assert base.error_text(RuntimeError(exact[len("RuntimeError: "):]), ctx) == exact
