"""The preflight and schema commands: exit codes, the four formats, SARIF 2.1.0 schema validity,
JUnit XML, JSON shape, no secret in any output, cold start without Pulumi/boto3."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from .helpers import BROKEN_EXAMPLES, CASES, DATA, EXAMPLES, FARGATE, GOOD_EXAMPLES, ROOT, SEEDS, cli

FORMATS = ("text", "json", "sarif", "junit")


@pytest.fixture(scope="module")
def sarif_validator():
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema)


@pytest.mark.parametrize("path", GOOD_EXAMPLES, ids=lambda p: p.name)
def test_good_examples_exit_0(path):
    code, out, err = cli("preflight", path)
    assert code == 0, out + err
    assert "PASSED" in out and err == ""


@pytest.mark.parametrize("path", BROKEN_EXAMPLES, ids=lambda p: p.name)
def test_broken_examples_exit_1(path):
    code, out, _ = cli("preflight", path)
    assert code == 1
    assert "FAILED" in out


def test_at_least_three_broken_examples():
    names = {p.name for p in BROKEN_EXAMPLES}
    assert {"broken-prod-localhost.env", "broken-prod-hardcoded-secrets.env", "broken-cluster-missing-memory.env"} <= names


def test_broken_examples_fail_for_their_reason():
    def rules(name):
        code, out, _ = cli("preflight", EXAMPLES / name, "--format", "json")
        return {(f["rule"], f["variable"]) for f in json.loads(out)["findings"]}

    assert ("VIBE-91", "SOMABRAIN_URL") in rules("broken-prod-localhost.env")
    assert ("PROD-DJANGO", "ALLOWED_HOSTS") in rules("broken-prod-localhost.env")
    secrets = rules("broken-prod-hardcoded-secrets.env")
    assert {("VIBE-164", "OPENAI_API_KEY"), ("VIBE-164", "SA01_DB_DSN"), ("VIBE-164-DEV-DEFAULT", "SECRET_KEY"),
            ("VIBE-164-DEV-DEFAULT", "POSTGRES_PASSWORD"), ("VIBE-164-DEV-DEFAULT", "SPICEDB_API_KEY")} <= secrets
    memory = rules("broken-cluster-missing-memory.env")
    assert {("VIBE-91", "SOMAMEMORY_API_URL"), ("MODE-CLUSTER-PAIRING", "SOMA_MEMORY_API_TOKEN"),
            ("MODE-CLUSTER-PAIRING", "MEMORY_ENABLED"), ("MODE-CLUSTER-AUTH", "SFM_AUTH_MODE")} <= memory


def test_json_shape():
    code, out, _ = cli("preflight", FARGATE, CASES / "vibe91-localhost.env", "--format", "json")
    doc = json.loads(out)
    assert code == 1
    assert doc["version"] == 1 and doc["passed"] is False
    assert doc["dimensions"] == {"software_mode": "SomaStackClusterMode", "environment": "PROD",
                                 "saas_bridge": False, "target": "FARGATE"}
    finding = next(f for f in doc["findings"] if f["rule"] == "VIBE-91")
    assert list(finding) == ["rule", "severity", "variable", "service", "path", "line", "message"]
    assert finding == {**finding, "severity": "error", "variable": "SOMABRAIN_API_URL", "service": "agent",
                       "path": str(CASES / "vibe91-localhost.env"), "line": 2}


@pytest.mark.parametrize("path", [*GOOD_EXAMPLES, *BROKEN_EXAMPLES, *sorted(SEEDS.glob("*.env"))], ids=lambda p: p.name)
def test_sarif_validates_against_sarif_2_1_0(path, sarif_validator):
    code, out, _ = cli("preflight", path, "--format", "sarif")
    doc = json.loads(out)
    errors = sorted(sarif_validator.iter_errors(doc), key=str)
    assert not errors, errors[0].message
    assert doc["version"] == "2.1.0"
    results = doc["runs"][0]["results"]
    assert (code == 1) == any(r["level"] == "error" for r in results)
    rule_ids = {r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert {"VIBE-91", "VIBE-164"} <= rule_ids


def test_junit_parses():
    code, out, _ = cli("preflight", EXAMPLES / "broken-prod-localhost.env", "--format", "junit")
    root = ET.fromstring(out.split("\n", 1)[1])
    assert root.tag == "testsuites" and int(root.get("failures")) >= 10
    cases = root.findall("./testsuite/testcase")
    assert any(c.find("failure") is not None and c.find("failure").get("type") == "VIBE-91" for c in cases)
    code, out, _ = cli("preflight", FARGATE, "--format", "junit")
    assert code == 0 and ET.fromstring(out.split("\n", 1)[1]).get("failures") == "0"


PLANTED = {
    "SECRET_KEY": "Zq8!planted-secret-key-4711-kx",
    "SA01_DB_PASSWORD": "planted-db-pw-93jf83hf",
    "OPENAI_API_KEY": "sk-planted-0000111122223333",
    "SA01_DB_DSN": "postgresql://soma:planted-dsn-pw-5521@db.example.internal:5432/x",
    "SOMA_MEMORY_API_TOKEN": "dev-token-planted-9981",
    "SPICEDB_API_KEY": "planted-spicedb-6650",
    "SOMA_SECRET_KEY": "planted-alias-secret-1200",
    "MY_SERVICE_PASSWORD": "planted-unknown-pw-7788",
}
PLANTED_FRAGMENTS = ["planted", "4711", "93jf83hf", "0000111122223333", "5521", "9981", "6650", "1200", "7788"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("environment", ["PROD", "DEV"])
def test_secret_values_never_appear(tmp_path, fmt, environment):
    lines = FARGATE.read_text().replace("SA01_DEPLOYMENT_MODE=PROD", f"SA01_DEPLOYMENT_MODE={environment}")
    f = tmp_path / "cfg.env"
    f.write_text(lines + "\n" + "\n".join(f"{k}={v}" for k, v in PLANTED.items()) + "\nSOMA_BOGUS_TOKEN=planted-bogus-31\n")
    code, out, err = cli("preflight", f, "--format", fmt)
    assert code == 1
    for fragment in PLANTED_FRAGMENTS + ["bogus-31"]:
        assert fragment not in out and fragment not in err, (fmt, fragment)
    assert "SECRET_KEY" in out  # the findings name the variables


def test_secret_value_not_echoed_on_input_errors(tmp_path):
    f = tmp_path / "bad.env"
    f.write_text("SECRET_KEY='planted-unterminated-8123\n")
    code, out, err = cli("preflight", f)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and f"{f}:1: SECRET_KEY:" in err
    assert "8123" not in err
    g = tmp_path / "Pulumi.bad.yaml"
    g.write_text("config:\n  somastack:SECRET_KEY: [planted-list-2231]\n")
    code, out, err = cli("preflight", "--stack-config", g)
    assert code == 2 and "2231" not in err and f"{g}:2: SECRET_KEY:" in err


@pytest.mark.parametrize("argv, needle", [
    (["preflight"], "nothing to check"),
    (["preflight", "/nonexistent/x.env"], "/nonexistent/x.env: file not found"),
    (["preflight", "--format", "xml", str(FARGATE)], "invalid choice"),
    (["preflight", "--bogus", str(FARGATE)], "unrecognized arguments"),
    (["preflight", "--service", "gateway", str(FARGATE)], "invalid choice"),
])
def test_unusable_input_exit_2(argv, needle):
    code, out, err = cli(*argv)
    assert code == 2
    assert needle in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_output_file(tmp_path):
    target = tmp_path / "report.sarif"
    code, out, _ = cli("preflight", FARGATE, "--format", "sarif", "--output", target)
    assert code == 0 and out == ""
    assert json.loads(target.read_text())["version"] == "2.1.0"


def test_from_env_and_stack_config(monkeypatch):
    monkeypatch.setenv("SOMABRAIN_API_URL", "http://127.0.0.1:30101")
    code, out, _ = cli("preflight", FARGATE, "--stack-config", DATA / "Pulumi.example-prod.yaml", "--from-env",
                       "--format", "json")
    doc = json.loads(out)
    hit = [f for f in doc["findings"] if f["rule"] == "VIBE-91"]
    assert code == 1 and hit[0]["variable"] == "SOMABRAIN_API_URL" and hit[0]["path"] is None


def test_service_scope():
    code, out, _ = cli("preflight", SEEDS / "seed000-5.3-standalone.env", "--service", "memory", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["services"] == ["memory"]


def test_schema_validates_examples():
    code, out, _ = cli("schema")
    schema = json.loads(out)
    assert code == 0 and schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    validator = jsonschema.Draft202012Validator(schema)
    jsonschema.Draft202012Validator.check_schema(schema)
    from somastack_deploy.config_contract.sources import read_dotenv

    for path in [*GOOD_EXAMPLES, *sorted(SEEDS.glob("*.env"))]:
        env = read_dotenv(str(path))[0]
        errors = list(validator.iter_errors(env))
        assert not errors, (path.name, errors[0].message)
    bad = read_dotenv(str(CASES / "value-bad.env"))[0]
    assert len(list(validator.iter_errors(bad))) == 3
    assert not validator.is_valid(read_dotenv(str(CASES / "unknown.env"))[0])
    assert validator.is_valid({"TZ": "UTC", "SOMA_AAAS_MODE": "true"})
    assert schema["properties"]["SOMA_AAAS_MODE"]["deprecated"] is True


def test_schema_topology():
    code, out, _ = cli("schema", "--topology")
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert code == 0 and "services" in schema["properties"]


def test_cold_start_imports_neither_pulumi_nor_boto3():
    code = ("import sys, runpy; sys.argv=['somastack-deploy','preflight',%r];"
            "from somastack_deploy.cli import main; rc=main(sys.argv[1:]);"
            "bad=[m for m in sys.modules if m.split('.')[0] in ('pulumi','boto3','botocore','hvac')];"
            "print('BAD', bad) if bad else None; sys.exit(rc)") % str(FARGATE)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "BAD" not in proc.stdout


def test_scan_findings_join_the_report(tmp_path):
    """--scan appends config_contract.scan findings (same Finding type) to the report."""
    (tmp_path / "settings.py").write_text('import os\n\nREDIS = os.getenv("REDIS_HOST", "localhost")\n')
    code, out, _ = cli("preflight", FARGATE, "--scan", tmp_path, "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["dimensions"]["environment"] == "PROD"
    # the scan owns its display path (relative to the scan root, or joined with it): compare the file
    assert [(f["rule"], Path(f["path"]).name, f["line"]) for f in doc["findings"]] == [("VIBE-91", "settings.py", 3)]
    code, out, _ = cli("preflight", "--scan", tmp_path, "--format", "json")  # scan only
    assert code == 1 and json.loads(out)["dimensions"] is None


def test_resolve_secrets_without_references_is_a_no_op():
    code, out, err = cli("preflight", EXAMPLES / "dev-standalone-local.env", "--resolve-secrets")
    assert code == 0, out + err


def test_each_evaluates_files_separately():
    """--each (the pre-commit hook): one verdict per file, worst exit code."""
    code, out, _ = cli("preflight", "--each", FARGATE, EXAMPLES / "dev-standalone-local.env")
    assert code == 0 and out.count("PASSED") == 2  # merged, DEV would override PROD
    code, out, _ = cli("preflight", "--each", FARGATE, EXAMPLES / "broken-prod-localhost.env")
    assert code == 1 and out.count("PASSED") == 1 and out.count("FAILED (") == 1
    code, _, err = cli("preflight", "--each", FARGATE, "--format", "json")
    assert code == 2 and "--each" in err


def test_pre_commit_hook_definition():
    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "somastack-preflight")
    assert hook["entry"] == "somastack-deploy preflight --each" and hook["language"] == "python"


@pytest.mark.parametrize("path", [SEEDS / "seed000-5.1-dev.env", CASES / "required-dev-missing-keys.env"],
                         ids=lambda p: p.name)
def test_dev_file_missing_required_variables_exits_0_with_warnings(path):
    """DEV: missing Required variables warn that PROD would fail (seed 000 §4 Rule 91, §7); exit 0.
    The same file with SA01_DEPLOYMENT_MODE=PROD exits 1."""
    code, out, err = cli("preflight", path, "--format", "json")
    assert code == 0, out + err
    doc = json.loads(out)
    assert doc["passed"] is True
    required = [f for f in doc["findings"] if f["rule"] == "CONTRACT-REQUIRED"]
    assert required and all(f["severity"] == "warning" and "PROD would fail" in f["message"] for f in required)
    code, out, _ = cli("preflight", path, CASES / "required-prod.env", "--format", "json")
    assert code == 1
    assert any(f["rule"] == "CONTRACT-REQUIRED" and f["severity"] == "error" for f in json.loads(out)["findings"])
