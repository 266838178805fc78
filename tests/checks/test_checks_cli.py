"""Unusable input exits 2 with one line naming the file/field; classification and runner
behaviour that need no service."""

from __future__ import annotations

import json

import pytest

from somastack_deploy.checks import runner, sources
from somastack_deploy.checks.probes.base import ProbeFailure, all_probes
from somastack_deploy.checks.probes.classify import classify
from somastack_deploy.config_contract.errors import InputError
from somastack_deploy.cli import main


@pytest.mark.parametrize("cmd", ["probe", "resilience", "drift"])
def test_missing_topology_file_is_exit_2(cmd, tmp_path, capsys):
    assert main([cmd, "--topology", str(tmp_path / "none.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "none.json: no such file" in err and "Traceback" not in err


def test_invalid_topology_names_the_field(tmp_path, capsys):
    p = tmp_path / "t.json"
    p.write_text(json.dumps({"version": 1, "stack": "s", "dimensions": {"software_mode": "StandAlone",
                             "environment": "DEV", "saas_bridge": False, "target": "LOCAL"},
                             "services": {"redis": {"plane": "infrastructure", "endpoints": [{"protocol": "redis"}]}}}))
    assert main(["probe", "--topology", str(p)]) == 2
    err = capsys.readouterr().err
    assert "services.redis.endpoints.0" in err and "t.json" in err


def test_literal_secret_in_topology_is_rejected_without_echo(tmp_path, capsys):
    p = tmp_path / "t.json"
    planted = "PLANTED-literal-" + "x" * 8
    p.write_text(json.dumps({"version": 1, "stack": "s", "dimensions": {"software_mode": "StandAlone",
                             "environment": "DEV", "saas_bridge": False, "target": "LOCAL"},
                             "services": {"redis": {"plane": "infrastructure", "credentials": {"password": planted},
                                                    "endpoints": [{"protocol": "redis", "host": "h", "port": 1}]}}}))
    assert main(["probe", "--topology", str(p)]) == 2
    captured = capsys.readouterr()
    assert planted not in captured.err + captured.out


def test_stack_outputs_without_topology(tmp_path):
    with pytest.raises(InputError, match="no output named topology"):
        sources.from_stack_outputs({"url": "x"}, stack="dev")
    with pytest.raises(InputError, match="pulumi CLI is not installed|pulumi stack output failed"):
        sources.from_stack("dev", pulumi="/bin/false")


def test_bad_options_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:  # argparse usage errors exit 2 through SystemExit
        main(["probe", "--topology", "x.json", "--format", "xml"])
    assert exc.value.code == 2
    assert main(["resilience", "--harness-state", str(tmp_path), "--cycles", "0"]) == 2
    assert main(["drift", "--topology", "x", "--live", "pid:1"]) == 2


def test_probe_ids_are_unique_and_documented():
    import somastack_deploy.checks.probes as pkg

    ids = [p.id for p in all_probes()]
    assert len(ids) == len(set(ids))
    for i in ids:
        assert i in pkg.__doc__


def test_classify_typed_and_keyword_errors():
    assert classify(ConnectionRefusedError(111, "Connection refused"))[0] == "refused"
    assert classify(TimeoutError("timed out"))[0] == "timed out"
    assert classify(ProbeFailure("wrong version", "Redis 6.2 < 7")) == ("wrong version", "Redis 6.2 < 7")
    assert classify(RuntimeError('FATAL: password authentication failed for user "soma"'))[0] == "auth rejected"
    assert classify(RuntimeError("something odd"))[0] == "error"


def test_reason_never_contains_a_resolved_secret(monkeypatch):
    """A probe whose client error echoes the secret: the runner scrubs it."""
    from somastack_deploy.checks.probes import base
    from somastack_deploy.config_contract.topology import Topology

    planted = "PLANTED-echo-" + "y" * 10
    monkeypatch.setenv("ECHO_SECRET", planted)

    def leaky(ctx):
        raise RuntimeError(f"server said: bad token {ctx.secret('token')}")

    monkeypatch.setitem(base.REGISTRY, "opa", [base.ProbeSpec("probe.test.leaky", "opa", "leaky", leaky)])
    monkeypatch.setitem(base._MODULES, "opa", "somastack_deploy.checks.probes.base")
    topo = Topology.model_validate({"version": 1, "stack": "s", "dimensions": {"software_mode": "StandAlone",
                                    "environment": "DEV", "saas_bridge": False, "target": "LOCAL"},
                                    "services": {"opa": {"plane": "infrastructure", "credentials": {"token": "${ECHO_SECRET}"},
                                                         "endpoints": [{"protocol": "http", "host": "127.0.0.1", "port": 9}]}}})
    rep = runner.run_once(topo, timeout_s=2, services=["opa"])
    assert rep.results[0].status == "FAILED" and planted not in json.dumps(rep.to_json())
    assert "****" in rep.results[0].reason


def test_stack_outputs_are_read_through_the_cli_contract(tmp_path):
    """``--stack`` runs ``pulumi stack output --json --stack NAME``; a script with that
    contract (the real CLI is not installed here) prints outputs with the topology as a JSON
    string, as Pulumi does for a string output."""
    doc = {"version": 1, "stack": "dev", "dimensions": {"software_mode": "StandAlone", "environment": "DEV",
                                                       "saas_bridge": False, "target": "LOCAL"},
           "services": {"redis": {"plane": "infrastructure", "endpoints": [{"protocol": "redis", "host": "r", "port": 6379}]}}}
    script = tmp_path / "pulumi"
    args_file = tmp_path / "args"
    script.write_text("#!/bin/sh\necho \"$@\" > " + str(args_file) + "\ncat <<'JSON'\n"
                      + json.dumps({"topology": json.dumps(doc), "url": "x"}) + "\nJSON\n")
    script.chmod(0o755)
    topo = sources.from_stack("dev", pulumi=str(script))
    assert topo.stack == "dev" and list(topo.services) == ["redis"]
    assert args_file.read_text().split() == ["stack", "output", "--json", "--stack", "dev"]  # no --show-secrets
