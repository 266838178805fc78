"""The Fargate execution role's secret policy, pure (no Pulumi engine): what each
``ref+awssecrets://`` reference shape gives as ECS ``valueFrom`` and as the IAM resource the
execution role may read (ECS docs "Pass Secrets Manager secrets through Amazon ECS environment
variables"; Secrets Manager docs "Permissions policy examples"), parsed by the one reference
grammar, and the refusal of every other kind without printing the value."""

from __future__ import annotations

import json

import pytest

from somastack_deploy.stacks.fargate.runtime import (SecretSource, execution_policy_arn, secret_source,
                                                     secrets_policy_document, value_from)

KW = dict(partition="aws-us-gov", region="us-gov-west-1", account_id="123456789012")
PREFIX = "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:"
FULL = "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:soma/prod/db-AbC123"


@pytest.mark.parametrize("ref, arn, key, partial, stage, vf, resource", [
    # a name: partial ARN in the looked-up partition, region and account; "-??????" in the policy
    ("ref+awssecrets://soma/prod/db#/password", f"{PREFIX}soma/prod/db", "password", True, None,
     f"{PREFIX}soma/prod/db:password::", f"{PREFIX}soma/prod/db-??????"),
    ("ref+awssecrets://soma/prod/db#password", f"{PREFIX}soma/prod/db", "password", True, None,
     f"{PREFIX}soma/prod/db:password::", f"{PREFIX}soma/prod/db-??????"),
    ("ref+awssecrets://soma/prod/openai", f"{PREFIX}soma/prod/openai", None, True, None,
     f"{PREFIX}soma/prod/openai", f"{PREFIX}soma/prod/openai-??????"),
    # the query is not part of the name: ?region= moves the ARN, ?version_stage= goes to valueFrom
    ("ref+awssecrets://soma/prod/db?region=us-gov-east-1#/password",
     "arn:aws-us-gov:secretsmanager:us-gov-east-1:123456789012:secret:soma/prod/db", "password", True, None,
     "arn:aws-us-gov:secretsmanager:us-gov-east-1:123456789012:secret:soma/prod/db:password::",
     "arn:aws-us-gov:secretsmanager:us-gov-east-1:123456789012:secret:soma/prod/db-??????"),
    ("ref+awssecrets://soma/prod/db?version_stage=AWSPREVIOUS#/password", f"{PREFIX}soma/prod/db", "password", True,
     "AWSPREVIOUS", f"{PREFIX}soma/prod/db:password:AWSPREVIOUS:", f"{PREFIX}soma/prod/db-??????"),
    ("ref+awssecrets://soma/prod/db?version_stage=AWSPREVIOUS", f"{PREFIX}soma/prod/db", None, True,
     "AWSPREVIOUS", f"{PREFIX}soma/prod/db::AWSPREVIOUS:", f"{PREFIX}soma/prod/db-??????"),
    # a full ARN is used as is, whatever region or partition the stack has
    (f"ref+awssecrets://{FULL}#/password", FULL, "password", False, None, f"{FULL}:password::", FULL),
    (f"ref+awssecrets://{FULL}", FULL, None, False, None, FULL, FULL),
    (f"ref+awssecrets://{FULL}?version_stage=AWSPREVIOUS#/password", FULL, "password", False, "AWSPREVIOUS",
     f"{FULL}:password:AWSPREVIOUS:", FULL),
    ("ref+awssecrets://arn:aws:secretsmanager:eu-west-1:1:secret:rds!db-x-AbCdEf#/password",
     "arn:aws:secretsmanager:eu-west-1:1:secret:rds!db-x-AbCdEf", "password", False, None,
     "arn:aws:secretsmanager:eu-west-1:1:secret:rds!db-x-AbCdEf:password::",
     "arn:aws:secretsmanager:eu-west-1:1:secret:rds!db-x-AbCdEf"),
])
def test_reference_shapes(ref, arn, key, partial, stage, vf, resource):
    src = secret_source(ref, **KW)
    assert src == SecretSource(arn=arn, key=key, partial=partial, version_stage=stage)
    assert src.value_from == vf == value_from(ref, **KW)
    assert src.policy_resource == resource


@pytest.mark.parametrize("ref, said", [
    ("ref+vault://secret/soma/db#/password", "not ref+vault://…"),
    ("ref+awsssm://soma/prod/db", "not ref+awsssm://…"),
    ("${SOMA_DB_PASSWORD}", "not ${VAR}"),
    ("ref+pulumi-secure://somastack:dbPassword", "not a Pulumi secret (ref+pulumi-secure://…)"),
    ("file:///run/somastack/credentials.json#postgres.password", "not file://…"),
    ("hunter2-literal-password", "not a literal value"),
    ("ref+awssecrets://", "not a malformed ref+awssecrets:// reference"),
    ("ref+awssecrets://soma/db#/password extra", "not a malformed ref+awssecrets:// reference"),
    ("ref+awssecrets:///soma/db", "not a malformed ref+awssecrets:// reference"),
])
def test_other_kinds_are_refused_naming_the_kind_only(ref, said):
    with pytest.raises(ValueError) as err:
        secret_source(ref, **KW)
    assert str(err.value) == f"ECS can only read Secrets Manager references (ref+awssecrets://…), {said}"
    assert "soma" not in str(err.value) and "hunter2" not in str(err.value)


def test_a_nested_key_is_refused():
    with pytest.raises(ValueError) as err:
        secret_source("ref+awssecrets://soma/prod/db#/creds/password", **KW)
    assert str(err.value) == ("ECS reads a top-level JSON key of a secret (ref+awssecrets://NAME#/KEY), not a nested "
                              "one (#/a/b)")


def test_policy_document_names_each_resource_once():
    a = secret_source("ref+awssecrets://soma/b#/x", **KW)
    b = secret_source("ref+awssecrets://soma/a#/y", **KW)
    c = secret_source(f"ref+awssecrets://{FULL}#/z", **KW)
    doc = secrets_policy_document([a, b, c, a, secret_source("ref+awssecrets://soma/a#/other", **KW)])
    assert json.loads(doc) == {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
         "Resource": [f"{PREFIX}soma/a-??????", f"{PREFIX}soma/b-??????", FULL]}]}  # sorted
    assert doc == json.dumps(json.loads(doc), sort_keys=True)


def test_execution_policy_arn_per_partition():
    for partition in ("aws", "aws-cn", "aws-us-gov"):
        assert execution_policy_arn(partition) == (
            f"arn:{partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")
