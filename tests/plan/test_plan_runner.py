"""run_stack: captures parents, inputs (secrets masked), outputs, stack outputs; resets the runtime."""

from __future__ import annotations

import json

import pytest

from somastack_deploy.plan.runner import SecretValue, run_stack

import plan_programs as progs


def _run(stack: str = "fargate-prod"):
    return run_stack(stack, {**progs.CONFIG, "API_TOKEN": SecretValue(progs.PLANTED_SECRET)}, progs.program)


def test_captures_types_names_and_parents():
    plan = _run()
    core = plan.by_name("core")
    assert core.type == "somastack:test:Core" and not core.custom
    assert core.parent == plan.stack_urn and core.parent_type == "pulumi:pulumi:Stack"
    assert core.parent_name == "somastack-fargate-prod"
    children = {r.name for r in plan.children(core)}
    assert children == {"core-db", "core-redis", "core-agent"}
    db = plan.by_name("core-db")
    assert db.parent == core.urn and db.parent_name == "core" and db.parent_type == "somastack:test:Core"
    assert db.urn == "urn:pulumi:fargate-prod::somastack::somastack:test:Core$aws:rds/instance:Instance::core-db"
    # tree order: a parent precedes its children
    order = [r.name for r in plan.resources]
    assert order.index("core") < order.index("core-db")


def test_captures_inputs_outputs_and_apply_results():
    plan = _run()
    db = plan.by_name("core-db")
    assert db.inputs["engine"] == "postgres" and db.inputs["storageEncrypted"] is True
    assert db.outputs["address"].endswith(".eu-west-1.rds.amazonaws.com")
    assert db.outputs["port"] == 5432 and db.outputs["arn"].startswith("arn:aws:rds:eu-west-1:123456789012:db:")
    assert db.outputs["masterUserSecrets"][0]["secretArn"].startswith("arn:aws:secretsmanager:eu-west-1:")
    task = plan.by_name("core-agent")
    defs = json.loads(task.inputs["containerDefinitions"])  # apply ran (preview=False)
    env = {e["name"]: e["value"] for e in defs[0]["environment"]}
    assert env == {"SA01_DB_HOST": db.outputs["address"], "SA01_DB_PORT": "5432"}
    core = plan.by_name("core")
    assert core.outputs == {"address": db.outputs["address"], "redis": plan.by_name("core-redis").outputs["primaryEndpointAddress"]}


def test_secrets_masked_everywhere_but_props():
    plan = _run()
    redis = plan.by_name("core-redis")
    assert redis.inputs["authToken"] == "****" and "authToken" in redis.secret_inputs
    assert redis.props["authToken"] == progs.PLANTED_SECRET  # unmasked for policies only
    assert redis.outputs["authToken"] == "****"  # a secret input echoed as an output stays secret
    assert plan.stack_outputs["api_token"] == "****"
    assert plan.raw_stack_outputs["api_token"] == progs.PLANTED_SECRET
    visible = repr(plan) + json.dumps([r.inputs for r in plan.resources]) + json.dumps([r.outputs for r in plan.resources])
    assert progs.PLANTED_SECRET not in visible


def test_stack_outputs_read_from_root_stack():
    plan = _run()
    db = plan.by_name("core-db")
    assert plan.stack_outputs["postgres"] == {"host": db.outputs["address"], "port": 5432}
    assert plan.stack_outputs["redis_host"].startswith("master.core-redis-")


def test_two_runs_in_one_process_are_identical():
    first, second = _run(), _run()
    assert first == second
    assert [r.props for r in first.resources] == [r.props for r in second.resources]
    other = _run("fargate-dev")
    assert other.stack_urn.endswith("somastack-fargate-dev")


def test_program_exception_propagates_and_runtime_is_reset():
    with pytest.raises(progs.ContractViolation, match="VIBE-91"):
        run_stack("x", progs.CONFIG, progs.failing_program)
    plan = _run()  # a clean run afterwards: no leftover root stack, config or resources
    assert "early" not in {r.name for r in plan.resources}
    assert plan.by_name("core").parent == plan.stack_urn


def test_config_values_converted_like_the_cli():
    import pulumi

    seen = {}

    def prog():
        cfg = pulumi.Config("somastack")
        seen["flag"] = cfg.get_bool("flag")
        seen["count"] = cfg.get_int("count")
        seen["obj"] = cfg.get_object("obj")
        seen["secure_is_secret"] = isinstance(cfg.get_secret("enc"), pulumi.Output)

    run_stack("s", {"flag": True, "count": 3, "obj": {"a": [1, 2]}, "enc": {"secure": "v1:abc"}}, prog)
    assert seen == {"flag": True, "count": 3, "obj": {"a": [1, 2]}, "secure_is_secret": True}


def test_failed_apply_leaves_nothing_for_the_next_run():
    """A program failing inside an ``apply`` leaves Output tasks in the SDK's process-global
    ``SETTINGS.outputs``; without the reset the next run awaits them and re-raises the old error.
    The clean run after it must give exactly what a fresh process gives."""
    import os
    import subprocess
    import sys

    from pulumi.runtime import settings

    with pytest.raises(progs.ContractViolation, match="VIBE-91"):
        run_stack("fargate-prod", {**progs.CONFIG, "API_TOKEN": SecretValue("x")}, progs.failing_apply_program)
    assert not settings.SETTINGS.outputs and not settings.SETTINGS.rpc_manager.rpcs
    after_failure = progs.plan_digest(_run())

    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, here, os.environ.get("PYTHONPATH", "")])}
    fresh = subprocess.run([sys.executable, os.path.join(here, "plan_programs.py")], env=env, cwd=root,
                           capture_output=True, text=True, timeout=120, check=True).stdout.strip()
    assert after_failure == fresh
    assert progs.PLANTED_SECRET not in fresh
