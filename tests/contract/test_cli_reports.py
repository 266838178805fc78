"""The CLI as a user reads it: text reports whose header, rows and summary agree, --version,
SARIF driver version, --env-file, path options resolved at parse time, the Pulumi project
finder, missing-extra messages and library loggers reduced to one line."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import EXAMPLES, ROOT, cli

GOOD = EXAMPLES / "dev-standalone-local.env"
BROKEN = EXAMPLES / "broken-prod-localhost.env"
VERSION = importlib.metadata.version("somastack-deploy")


@pytest.fixture()
def warn_only(tmp_path) -> Path:
    """A DEV config whose only findings are two warnings (a deprecated spelling, set in StandAlone)."""
    path = tmp_path / "warn.env"
    path.write_text(GOOD.read_text() + "\nSOMABRAIN_URL=http://localhost:30101\n")
    return path


def _rows(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.startswith("  ")]


def test_warning_rows_say_warning_under_a_passed_header(warn_only):
    from somastack_deploy.config_contract import load_sources

    code, out, err = cli("preflight", warn_only)
    assert code == 0 and err == ""
    assert out.splitlines()[0].startswith("somastack-deploy preflight: PASSED")
    rows = _rows(out)
    assert len(rows) == 2 and all(r.split()[0] == "WARNING" for r in rows)
    assert "FAILED" not in out
    variables = len(load_sources([str(warn_only)], from_env=False)[0])
    assert out.rstrip().splitlines()[-1] == f"{variables} variables, 17 rules: 0 errors, 2 warnings"


def test_failed_report_rows_and_summary_agree():
    code, out, _ = cli("preflight", BROKEN, "--format", "json")
    findings = json.loads(out)["findings"]
    errors = sum(f["severity"] == "error" for f in findings)
    warnings = sum(f["severity"] == "warning" for f in findings)
    code, out, _ = cli("preflight", BROKEN)
    assert code == 1 and out.splitlines()[0].startswith("somastack-deploy preflight: FAILED")
    labels = [r.split()[0] for r in _rows(out)]
    assert labels.count("FAILED") == errors and labels.count("WARNING") == warnings
    assert out.rstrip().endswith(f"17 rules: {errors} error{'s' * (errors != 1)}, "
                                 f"{warnings} warning{'s' * (warnings != 1)}")


def test_rule_ids_never_overflow_their_column():
    _, out, _ = cli("preflight", BROKEN)
    rows = _rows(out)
    ids = {r.split()[1] for r in rows}
    assert max(map(len, ids)) > 14  # CONTRACT-DEPRECATED: longer than the old fixed column
    starts = {re.match(r"  \S+\s+\S+\s+", r).end() for r in rows}
    assert len(starts) == 1, starts  # the location/message column starts at one offset in every row


def test_text_summary_counts_every_status():
    from somastack_deploy.reports import Result
    from somastack_deploy.reports.text import summary, to_text

    results = [Result("A", "m", status="FAILED", level="error"), Result("B", "m", status="FAILED", level="note"),
               Result("C", "m", status="UNKNOWN"), Result("D", "m", status="PASSED"), Result("E", "m", status="PASSED")]
    assert summary(results, "5 probes") == "5 probes: 1 error, 0 warnings, 1 note, 1 unknown, 2 passed"
    assert [r.split()[0] for r in _rows(to_text(results))] == ["FAILED", "NOTE", "UNKNOWN", "PASSED", "PASSED"]
    assert summary([]) == "0 errors, 0 warnings"


def test_version_on_both_clis(capsys):
    from somastack_deploy.cli import main
    from somastack_deploy.harness.cli import main as services_main

    for entry, prog in ((main, "somastack-deploy"), (services_main, "somastack-services")):
        with pytest.raises(SystemExit) as exc:
            entry(["--version"])
        assert exc.value.code == 0
        assert capsys.readouterr().out.strip() == f"{prog} {VERSION}"


def test_sarif_driver_carries_the_version():
    _, out, _ = cli("preflight", BROKEN, "--format", "sarif")
    driver = json.loads(out)["runs"][0]["tool"]["driver"]
    assert driver["version"] == VERSION and driver["name"]


def test_env_file_option_beside_positional_files(tmp_path):
    assert cli("preflight", "--env-file", GOOD)[0] == 0
    code, out, _ = cli("preflight", "--env-file", GOOD, "--env-file", BROKEN, "--format", "json")
    assert code == 1 and str(BROKEN) in {f["path"] for f in json.loads(out)["findings"]}
    # Positional files first, --env-file after them: the later file wins.
    override = tmp_path / "override.env"
    override.write_text("SOMA_REDIS_HOST=redis.internal\n")
    _, base, _ = cli("preflight", BROKEN, "--format", "json")
    _, fixed, _ = cli("preflight", BROKEN, "--env-file", override, "--format", "json")
    variables = lambda doc: {f["variable"] for f in json.loads(doc)["findings"] if f["rule"] == "VIBE-91"}  # noqa: E731
    assert "SOMA_REDIS_HOST" in variables(base) and "SOMA_REDIS_HOST" not in variables(fixed)


def test_path_options_are_resolved_at_parse_time(tmp_path, monkeypatch):
    from somastack_deploy.cli import build_parser
    from somastack_deploy.harness.cli import build_parser as services_parser

    monkeypatch.chdir(tmp_path)
    for argv, dests in ((["probe", "--topology", "t.json", "--output", "o/r.txt"], ("topology", "output")),
                        (["drift", "--harness-state", ".somastack/services", "--assets", "a", "--baseline", "b.json",
                          "--write-baseline", "w.json", "--output", "~/o.txt"],
                         ("harness_state", "assets", "baseline", "write_baseline", "output")),
                        (["resilience", "--harness-state", "s", "--output", "r.html"], ("harness_state", "output")),
                        (["preflight", "x.env", "--output", "out.sarif", "--baseline", "b"], ("output", "baseline"))):
        args = build_parser(argv).parse_args(argv)
        for dest in dests:
            raw = argv[argv.index("--" + dest.replace("_", "-")) + 1]
            assert getattr(args, dest) == os.path.abspath(os.path.expanduser(raw)), dest
    assert args.env_files == ["x.env"]  # env files keep the user's spelling (findings name them as given)
    args = services_parser().parse_args(["status", "--state-dir", "rel/state", "--cache-dir", "c"])
    assert args.state_dir == tmp_path / "rel" / "state" and args.cache_dir == tmp_path / "c"


def test_default_state_dir_is_the_working_directory(tmp_path, monkeypatch):
    from somastack_deploy.harness.manager import default_state_dir

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SOMASTACK_STATE_DIR", raising=False)
    assert default_state_dir() == tmp_path / ".somastack" / "services"
    monkeypatch.setenv("SOMASTACK_STATE_DIR", "elsewhere/state")
    assert default_state_dir() == tmp_path / "elsewhere" / "state"


def test_project_dir_is_the_working_directory_or_cwd_or_a_parent(tmp_path, monkeypatch):
    from somastack_deploy.config_contract.errors import InputError
    from somastack_deploy.project import find_project_dir

    monkeypatch.chdir(ROOT / "stacks")
    assert find_project_dir() == ROOT
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=r"no Pulumi project \(Pulumi.yaml\) in .* give --cwd DIR"):
        find_project_dir()
    assert find_project_dir(str(ROOT)) == ROOT
    (tmp_path / "proj" / "sub").mkdir(parents=True)
    (tmp_path / "proj" / "Pulumi.yaml").write_text("name: p\nruntime: python\n")
    assert find_project_dir("proj/sub") == tmp_path / "proj"
    with pytest.raises(InputError, match="not a directory"):
        find_project_dir("missing")


def test_plan_outside_a_project_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("plan", "--stack", "local-dev")
    assert code == 2 and out == "" and err.count("\n") == 1 and "no Pulumi project" in err


def test_missing_extra_names_the_extra():
    from somastack_deploy.extras import message, missing_extra

    assert missing_extra("psycopg.pq") == "checks"
    assert missing_extra("pulumi_aws") == "pulumi"
    assert missing_extra("hvac") == "secrets" and missing_extra("hvac", "checks") == "checks"
    assert missing_extra("not_a_dependency") is None and missing_extra(None) is None
    err = ModuleNotFoundError("No module named 'psycopg'", name="psycopg")
    assert message(err, what="probe", prefer="checks") == (
        "probe needs the 'checks' extra (module psycopg is not installed): pip install 'somastack-deploy[checks]'")


def test_an_internal_error_is_one_line(monkeypatch):
    from somastack_deploy.commands import schema

    def boom(args):
        raise RuntimeError("first line\nsecond line")

    monkeypatch.setattr(schema, "run", boom)
    monkeypatch.delenv("SOMASTACK_DEBUG", raising=False)
    code, out, err = cli("schema")
    assert code == 2 and err == ("somastack-deploy: error: schema: internal error: RuntimeError: first line "
                                 "(SOMASTACK_DEBUG=1 shows the traceback)\n")


LOGGERS = """
import logging, warnings
from somastack_deploy.console import configure
configure("somastack-deploy")
import pymilvus  # attaches its own stderr handler at import
for name in ("pymilvus", "urllib3.connectionpool", "botocore.retryhandler", "grpc._channel"):
    try:
        raise ConnectionError("refused\\nsecond line")
    except ConnectionError:
        logging.getLogger(name).error("call failed", exc_info=True)
logging.getLogger("pymilvus").warning("multi\\nline", stack_info=True)
logging.getLogger("somewhere").info("below the level")
warnings.warn("a user warning", UserWarning)
"""


def test_library_loggers_print_one_line_without_traceback():
    proc = subprocess.run([sys.executable, "-c", LOGGERS], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert "Traceback" not in proc.stderr and "Stack (most recent call last)" not in proc.stderr
    assert len(lines) == 6, proc.stderr
    assert sum("call failed (ConnectionError: refused)" in ln for ln in lines) == 4
    assert "below the level" not in proc.stderr and "second line" not in proc.stderr
    assert any(ln.startswith("somastack-deploy: py.warnings: warning:") and "a user warning" in ln for ln in lines)


def test_drift_header_agrees_with_unchecked_rows():
    from somastack_deploy.checks.drift.model import DriftReport
    from somastack_deploy.checks.drift.report import render_report

    rep = DriftReport("t")
    rep.checked.append("service state")
    assert render_report(rep, "text").splitlines()[0] == "drift: stack t (no drift)"
    rep.errors.append("redis: error: ModuleNotFoundError")
    text = render_report(rep, "text")
    assert text.splitlines()[0] == "drift: stack t (NOT CHECKED: 1 unchecked)"
    assert text.rstrip().splitlines()[-1] == "checked service state: 0 errors, 0 warnings, 1 unknown"


def test_main_called_from_python_leaves_logging_alone():
    import logging

    factory, handlers = logging.getLogRecordFactory(), list(logging.getLogger().handlers)
    assert cli("schema")[0] == 0
    assert logging.getLogRecordFactory() is factory and logging.getLogger().handlers == handlers
