"""The toolkit as a user installs and runs it: the built wheel, installed non-editable into a
fresh venv (base, then with the extras), every command run from a directory outside the
checkout with relative paths. Asserts exit codes, one-line errors (never "Traceback"), that
the wheel adds exactly one import name, and that nothing is written into site-packages."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

EXAMPLES = REPO / "examples"
GOOD, BROKEN = "dev-standalone-local.env", "broken-prod-localhost.env"


def _ok(proc, code: int) -> str:
    """Assert exit ``code`` and no traceback; return stdout + stderr."""
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text, text[-3000:]
    assert proc.returncode == code, text[-3000:]
    return text


def _topology(*services: str) -> dict:
    """A topology document whose services listen nowhere (port 1 on loopback)."""
    engines = {"redis": ("redis", "redis", "7"), "postgres": ("postgresql", "postgresql", "16")}
    return {"version": 1, "stack": "t",
            "dimensions": {"software_mode": "StandAlone", "environment": "DEV", "saas_bridge": False, "target": "LOCAL"},
            "services": {s: {"plane": "infrastructure", "engine": engines[s][0], "version": engines[s][2],
                             "endpoints": [{"protocol": engines[s][1], "host": "127.0.0.1", "port": 1, "tls": False}]}
                         for s in services}}


def _snapshot(site: Path) -> dict[str, int]:
    """{relative path: mtime_ns} of every file of the installed package (``__pycache__`` aside:
    the interpreter may cache bytecode there), plus anything named ``.somastack``."""
    files = {}
    for p in (site / "somastack_deploy").rglob("*"):
        if "__pycache__" not in p.parts and p.is_file():
            files[str(p.relative_to(site))] = p.stat().st_mtime_ns
    for p in site.rglob(".somastack"):
        files[str(p.relative_to(site))] = -1
    return files


def test_wheel_adds_one_import_name_and_carries_the_run_time_files(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names if not n.split("/", 1)[0].endswith(".dist-info")}
    assert tops == {"somastack_deploy"}
    top_level = next(n for n in names if n.endswith(".dist-info/top_level.txt"))
    assert zipfile.ZipFile(wheel).read(top_level).decode().split() == ["somastack_deploy"]
    for required in ("somastack_deploy/assets/kafka/topics.yaml", "somastack_deploy/assets/keycloak/somastack-realm.json",
                     "somastack_deploy/assets/spicedb/schema.zed", "somastack_deploy/assets/opa/somastack/authz.rego",
                     "somastack_deploy/harness/install/kafka/pom.xml", "somastack_deploy/harness/install/spicedb/go.mod",
                     "somastack_deploy/harness/install/spicedb/go.sum", "somastack_deploy/harness/install/spicedb/tools.go",
                     "somastack_deploy/harness/install/pulumi/build.sh",
                     "somastack_deploy/harness/install/pulumi/pulumi-analyzer-policy-python",
                     "somastack_deploy/harness/install/pulumi/cli/go.mod",
                     "somastack_deploy/policies/PulumiPolicy.yaml", f"somastack_deploy/examples/{GOOD}"):
        assert required in names, required
    # Every file of the data folders ships (a new recipe needs no packaging change).
    for folder, prefix in (("assets", "somastack_deploy/assets"), ("harness/install", "somastack_deploy/harness/install"),
                           ("examples", "somastack_deploy/examples")):
        for p in (REPO / folder).rglob("*"):
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc":
                assert f"{prefix}/{p.relative_to(REPO / folder).as_posix()}" in names, p
    # Every file of the code folders ships too (a data file added beside code must match setup.py's CODE_DATA).
    for folder in ("somastack_deploy", "config_contract", "components", "stacks", "policies", "checks", "harness"):
        prefix = "somastack_deploy" + ("" if folder == "somastack_deploy" else f"/{folder}")
        for p in (REPO / folder).rglob("*"):
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc":
                assert f"{prefix}/{p.relative_to(REPO / folder).as_posix()}" in names, p
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_base_install_lints_from_any_directory(base_env, outside):
    before = _snapshot(base_env.site)
    for script in ("somastack-deploy", "somastack-services"):
        out = _ok(base_env.run(script, "--version", cwd=outside), 0)
        assert out.strip() == f"{script} 0.1.0"
    shutil.copy(EXAMPLES / GOOD, outside / GOOD)
    shutil.copy(EXAMPLES / BROKEN, outside / BROKEN)
    out = _ok(base_env.run("somastack-deploy", "preflight", GOOD, cwd=outside), 0)
    assert "PASSED" in out and "variables," in out and "0 errors" in out
    out = _ok(base_env.run("somastack-deploy", "preflight", "--env-file", BROKEN, cwd=outside), 1)
    assert f"{BROKEN}:" in out and "FAILED" in out
    sarif = json.loads(_ok(base_env.run("somastack-deploy", "preflight", BROKEN, "--format", "sarif", cwd=outside), 1))
    assert sarif["runs"][0]["tool"]["driver"]["version"] == "0.1.0"
    assert sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == BROKEN
    schema = json.loads(_ok(base_env.run("somastack-deploy", "schema", cwd=outside), 0))
    assert schema["$schema"].endswith("2020-12/schema")
    _ok(base_env.run("somastack-deploy", "schema", "--topology", cwd=outside), 0)
    assert _snapshot(base_env.site) == before
    assert not (outside / ".somastack").exists()


@pytest.mark.parametrize("argv, extra", [
    (("somastack-deploy", "probe", "--topology", "topology.json", "--timeout", "1"), "checks"),
    (("somastack-deploy", "resilience", "--topology", "topology.json", "--cycles", "1"), "checks"),
    (("somastack-deploy", "drift", "--topology", "topology.json", "--timeout", "1"), "checks"),
    (("somastack-deploy", "plan", "--cwd", str(REPO), "--stack", "local-dev"), "pulumi"),
    (("somastack-services", "status", "--state-dir", "state"), "checks"),
], ids=["probe", "resilience", "drift", "plan", "services-status"])
def test_base_install_names_the_missing_extra_in_one_line(base_env, outside, argv, extra):
    (outside / "topology.json").write_text(json.dumps(_topology("redis", "postgres")))
    proc = base_env.run(*argv, cwd=outside)
    _ok(proc, 2)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert f"pip install 'somastack-deploy[{extra}]'" in lines[0]
    assert proc.stdout == ""


def test_full_install_plans_and_runs_the_harness_from_another_directory(full_env, outside):
    before = _snapshot(full_env.site)
    out = _ok(full_env.run("somastack-deploy", "plan", "--cwd", str(REPO), "--stack", "local-dev", cwd=outside), 0)
    assert "Policies: PASSED" in out and "resources," in out
    proc = full_env.run("somastack-deploy", "plan", "--stack", "local-dev", cwd=outside)
    _ok(proc, 2)
    assert proc.stderr.count("\n") == 1 and "no Pulumi project" in proc.stderr and "--cwd" in proc.stderr
    # A relative --state-dir lands under the working directory, never in site-packages.
    out = _ok(full_env.run("somastack-services", "status", "--state-dir", "rel/state", cwd=outside), 0)
    assert "no services" in out
    # The default state dir is the working directory's .somastack/services.
    _ok(full_env.run("somastack-services", "status", cwd=outside), 0)
    assert (outside / ".somastack" / "services").is_dir()
    _ok(full_env.run("somastack-services", "--version", cwd=outside), 0)
    # probe on an unreachable one-service topology: a finding (exit 1), relative --topology and --output.
    (outside / "topology.json").write_text(json.dumps(_topology("redis")))
    (outside / "out").mkdir()
    proc = full_env.run("somastack-deploy", "probe", "--topology", "topology.json", "--present-only",
                        "--timeout", "1", "--output", "out/report.txt", cwd=outside)
    _ok(proc, 1)
    assert "FAILED" in (outside / "out" / "report.txt").read_text()
    # The run-time files are read from the installed package.
    code = ("from somastack_deploy import packagedata as p; "
            "print(p.assets_dir()); print(p.install_recipe('kafka', 'pom.xml')); print(p.examples_dir())")
    paths = _ok(full_env.run("python", "-c", code, cwd=outside), 0).split()
    for path in paths:
        assert Path(path).exists() and Path(path).is_relative_to(full_env.site), path
    assert _snapshot(full_env.site) == before
