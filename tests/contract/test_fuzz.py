"""Property tests: arbitrary bytes and lines fed to the env parser and the whole preflight give
a clean exit 2 (one line on stderr) or a verdict (exit 0/1), never a crash."""

from __future__ import annotations

import json
import os
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from somastack_deploy.config_contract.catalog import all_names

from .helpers import cli

NAMES = list(all_names()) + ["SOMA_X", "SA01_", "SFM_AUTH_MDOE", "PATH", "A", "export SECRET_KEY"]
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["PROD", "DEV", "prod", "staging", "STANDALONE", "SomaStackClusterMode", "StandAlone", "true",
                     "false", "maybe", "http://localhost:9696", "http://[::1]:1", "http://[bad", "postgresql://a:b@h/d",
                     "ref+vault://secret/x#/k", "${X}", "$X", "$(cmd)", "redis://:pw@127.0.0.1:6379/0", "99999", "-1",
                     "localhost:9092,b:x", "0.0.0.0", "dev-token-1", "soma", "'quoted'", '"dq\\"x"', "a # c", "*"]),
)
LINE = st.one_of(
    st.tuples(st.sampled_from(NAMES), VALUES).map(lambda kv: f"{kv[0]}={kv[1]}"),
    st.text(max_size=30),
    st.sampled_from(["", "# comment", "=", "==", "A", "'", '"', "export", "A='x", "\r", "\\"]),
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _run(data: bytes, fmt: str) -> tuple[int, str, str]:
    fd, path = tempfile.mkstemp(suffix=".env")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return cli("preflight", path, "--format", fmt)
    finally:
        os.unlink(path)


def _check(code: int, out: str, err: str, fmt: str) -> None:
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in err
    if code == 2:
        assert out == "" and err.count("\n") == 1 and err.startswith("somastack-deploy: error: ")
    else:
        assert err == ""
        if fmt == "json":
            assert json.loads(out)["passed"] is (code == 0)


@SETTINGS
@given(st.binary(max_size=300), st.sampled_from(["text", "json"]))
def test_arbitrary_bytes(data, fmt):
    _check(*_run(data, fmt), fmt)


@SETTINGS
@given(st.lists(LINE, max_size=25), st.sampled_from(["\n", "\r\n"]), st.sampled_from(["json", "sarif", "junit"]))
def test_arbitrary_lines(lines, newline, fmt):
    _check(*_run(newline.join(lines).encode("utf-8", "surrogatepass"), fmt), fmt)


@SETTINGS
@given(st.dictionaries(st.sampled_from(NAMES[:-1]), VALUES, max_size=20))
def test_evaluate_never_raises(env):
    from somastack_deploy.config_contract import evaluate

    report = evaluate(env)
    assert report.passed == (not report.errors)
    json.loads(report.to_json())


@SETTINGS
@given(st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=15))
def test_evaluate_arbitrary_names(env):
    from somastack_deploy.config_contract import evaluate

    report = evaluate(env)
    json.loads(report.to_json())
