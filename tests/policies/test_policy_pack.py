"""The CrossGuard side: validate functions called directly with ResourceValidationArgs built
from captured inputs, and the real policy pack process answering Analyze over gRPC."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import grpc
import pulumi
import pulumi_aws as aws
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import PolicyResourceOptions, PolicyCustomTimeouts, ResourceValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from somastack_deploy.policies import REGISTRY
from somastack_deploy.policies.pack import resource_policies
from somastack_deploy.plan.runner import run_stack

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TAGS = {"Project": "somastack", "Environment": "PROD", "Stack": "t", "ManagedBy": "pulumi"}


def _program():
    aws.rds.Instance("db", engine="postgres", instance_class="db.r6g.large", allocated_storage=100,
                     storage_encrypted=True, multi_az=False, deletion_protection=True, backup_retention_period=14,
                     manage_master_user_password=True, tags=TAGS)
    aws.cloudwatch.LogGroup("logs", tags=TAGS)
    aws.lb.Listener("http", load_balancer_arn="arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/x/y", port=80,
                    protocol="HTTP", default_actions=[{"type": "redirect", "redirect": {"port": "443", "protocol": "HTTPS",
                                                                                       "status_code": "HTTP_301"}}],
                    tags=TAGS)


def _args(r, props=None) -> ResourceValidationArgs:
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    return ResourceValidationArgs(r.type, unknown_checking_proxy(dict(props if props is not None else r.props)),
                                  r.urn, r.name, opts, None)


def _validate_all(args) -> dict[str, list[str]]:
    reported: dict[str, list[str]] = {}
    for policy in resource_policies():
        policy.validate(args, lambda msg, urn=None, _n=policy.name: reported.setdefault(_n, []).append(msg))
    return reported


def test_one_policy_per_rule_with_levels():
    policies = resource_policies()
    assert [p.name for p in policies] == [r.name for r in REGISTRY]
    assert all(p.enforcement_level.value == REGISTRY[p.name].level for p in policies)


def test_validate_directly_on_captured_resources():
    plan = run_stack("t", {"aws:region": "eu-west-1"}, _program)
    assert _validate_all(_args(plan.by_name("db"))) == {
        "rds-prod-high-availability": ["PROD database is not Multi-AZ (multiAz)"]}
    assert _validate_all(_args(plan.by_name("logs"))) == {"log-retention-set": ["retentionInDays is not set (logs never expire)"]}
    assert _validate_all(_args(plan.by_name("http"))) == {}


def test_validate_unknown_value_raises_crossguards_error():
    plan = run_stack("t", {"aws:region": "eu-west-1"}, _program)
    db = plan.by_name("db")
    from pulumi_policy.proxy import UnknownValueError

    policy = next(p for p in resource_policies() if p.name == "rds-storage-encrypted")
    # an unknown value is reported as UNKNOWN by the offline runner: the validate reports nothing
    reported = []
    policy.validate(_args(db, {**db.props, "storageEncrypted": UNKNOWN_STRING_VALUE}), lambda m, u=None: reported.append(m))
    assert reported == []
    assert UnknownValueError  # the class run_rule maps to UNKNOWN


def test_policy_pack_process_answers_analyze_over_grpc():
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "policies"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        port = int(proc.stdout.readline().decode().strip())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = analyzer_pb2_grpc.AnalyzerStub(channel)
            props = struct_pb2.Struct()
            json_format.ParseDict({"engine": "postgres", "storageEncrypted": False, "publiclyAccessible": True,
                                   "manageMasterUserPassword": True, "tags": TAGS}, props)
            resp = stub.Analyze(analyzer_pb2.AnalyzeRequest(type="aws:rds/instance:Instance", properties=props,
                                                            urn="urn:pulumi:t::somastack::aws:rds/instance:Instance::db",
                                                            name="db"), timeout=30)
            # CrossGuard prefixes the policy description: "<description>\n<message>"
            got = {(d.policyName, d.message.split("\n", 1)[1]) for d in resp.diagnostics}
            assert ("rds-storage-encrypted", "storageEncrypted is not true") in got
            assert ("no-public-datastore", "publiclyAccessible is true") in got
            assert all(d.enforcementLevel == analyzer_pb2.MANDATORY for d in resp.diagnostics)
            info = stub.GetAnalyzerInfo(__import__("google.protobuf.empty_pb2", fromlist=["Empty"]).Empty(), timeout=30)
            assert info.name == "somastack-policies" and {p.name for p in info.policies} == {r.name for r in REGISTRY}
    finally:
        proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


def test_offline_evaluate_reads_explicit_provider_default_tags():
    from somastack_deploy.policies import check

    def prog():
        p = aws.Provider("aws-tagged", region="eu-west-1", default_tags={"tags": TAGS})
        aws.rds.Instance("db", engine="postgres", instance_class="db.t4g.micro", allocated_storage=20, storage_encrypted=True,
                         manage_master_user_password=True, opts=pulumi.ResourceOptions(provider=p))

    plan = run_stack("t", {}, prog)
    got = {c.rule: c.status for c in check(plan.resources) if c.resource == "db"}
    assert got["required-tags"] == "PASSED"  # tags only via the provider's default_tags
    assert got["rds-prod-high-availability"] == "FAILED"  # Environment=PROD read from them too
