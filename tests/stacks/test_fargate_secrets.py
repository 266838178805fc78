"""The Fargate execution role reads exactly the secrets its task definition references, in the
looked-up partition (ECS docs "Pass Secrets Manager secrets through Amazon ECS environment
variables"; Secrets Manager docs "Permissions policy examples": a secret's ARN ends in ``-``
and six random characters, matched by ``-??????``).

One case per reference shape, each under the mock runtime with the partition ``aws-us-gov``
(so a hard-coded ``arn:aws:`` shows): a name whose tail looks like a random suffix
(``…/db-secret``, the shape the old ``name[-7] == "-"`` guess took for a full ARN), a plain
name without a key, and a full ARN with its suffix.
"""

from __future__ import annotations

import json

import pytest

from stack_helpers import run, stack_config

ACCOUNT = "123456789012"
PARTITION = "aws-us-gov"
REGION = "us-east-1"
PREFIX = f"arn:{PARTITION}:secretsmanager:{REGION}:{ACCOUNT}:secret:"
FULL_ARN = f"{PREFIX}somastack/prod/spicedb-AbC123"

#: (reference, the variable's ``valueFrom``, the IAM resource the execution role needs)
SHAPES = {
    "name-with-suffix-like-tail": ("ref+awssecrets://somastack/prod/db-secret#/secret_key",
                                   f"{PREFIX}somastack/prod/db-secret:secret_key::",
                                   f"{PREFIX}somastack/prod/db-secret-??????"),
    "name-without-key": ("ref+awssecrets://somastack/prod/openai",
                         f"{PREFIX}somastack/prod/openai",
                         f"{PREFIX}somastack/prod/openai-??????"),
    "full-arn": (f"ref+awssecrets://{FULL_ARN}#/preshared_key", f"{FULL_ARN}:preshared_key::", FULL_ARN),
}
#: Which agent variable carries each shape.
VARIABLES = {"name-with-suffix-like-tail": "SECRET_KEY", "name-without-key": "OPENAI_API_KEY",
             "full-arn": "SPICEDB_API_KEY"}


def _partition_mocks(partition: str):
    from somastack_deploy.plan.mocks import SomaStackMocks

    class InPartition(SomaStackMocks):
        def call(self, args):
            if args.token == "aws:index/getPartition:getPartition":
                return {"partition": partition, "dnsSuffix": "amazonaws.com", "id": partition}
            return super().call(args)

    return InPartition(account_id=ACCOUNT)


@pytest.fixture(scope="module")
def gov_plan():
    config = dict(stack_config("fargate-prod"))
    for shape, variable in VARIABLES.items():
        config[f"somastack:{variable}"] = SHAPES[shape][0]
    return run("fargate-prod", config, mocks=_partition_mocks(PARTITION))


def _agent(plan):
    for td in plan.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        for c in json.loads(td.props["containerDefinitions"]):
            if c["name"] == "agent":
                return c
    raise AssertionError("no agent container")


def _policies(plan):
    return {r.name: json.loads(r.props["policy"]) for r in plan.of_type("aws:iam/rolePolicy:RolePolicy")}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_each_reference_shape_gets_its_value_from_and_iam_resource(gov_plan, shape):
    ref, value_from, resource = SHAPES[shape]
    secrets = {s["name"]: s["valueFrom"] for s in _agent(gov_plan)["secrets"]}
    assert secrets[VARIABLES[shape]] == value_from
    (statement,) = _policies(gov_plan)["apps-agent-exec-secrets"]["Statement"]
    assert statement["Action"] == ["secretsmanager:GetSecretValue"] and statement["Effect"] == "Allow"
    assert resource in statement["Resource"]


def test_execution_policy_names_exactly_the_referenced_secrets(gov_plan):
    """Every resource of the agent's execution policy is one a container of its task references,
    and every referenced secret is covered; the full ARN gets no wildcard, the names do."""
    from somastack_deploy.stacks.fargate.runtime import secret_source

    agent_task = [td for td in gov_plan.of_type("aws:ecs/taskDefinition:TaskDefinition")
                  if any(c["name"] == "agent" for c in json.loads(td.props["containerDefinitions"]))][0]
    referenced = {s["valueFrom"] for c in json.loads(agent_task.props["containerDefinitions"])
                  for s in c.get("secrets", [])}
    (statement,) = _policies(gov_plan)["apps-agent-exec-secrets"]["Statement"]
    resources = set(statement["Resource"])
    assert len(resources) == len(statement["Resource"])  # no duplicate
    for vf in referenced:
        # the resource that grants this valueFrom: its ARN part, wildcarded when built from a name
        arn = ":".join(vf.split(":")[:7])
        assert arn in resources or f"{arn}-??????" in resources, vf
    assert all(r.endswith("-??????") or r.startswith("arn:") and r.split(":")[6][-7] == "-" for r in resources)
    assert FULL_ARN in resources and f"{FULL_ARN}-??????" not in resources
    assert f"{PREFIX}somastack/prod/db-secret" not in resources  # a name never without the wildcard
    assert secret_source(SHAPES["full-arn"][0], partition="x", region="y", account_id="z").partial is False


def test_every_managed_policy_arn_uses_the_looked_up_partition(gov_plan):
    arns = [r.props["policyArn"] for r in gov_plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")]
    assert f"arn:{PARTITION}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy" in arns
    assert arns and all(a.startswith(f"arn:{PARTITION}:") for a in arns), arns
    # secret ARNs the stack builds from names are in the partition too (the RDS-managed secret's
    # full ARN comes from the mock's RDS instance and is used as is)
    built = [r for doc in _policies(gov_plan).values() for st in doc["Statement"]
             for r in (st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]) if r.endswith("-??????")]
    assert built and all(r.startswith(f"arn:{PARTITION}:secretsmanager:") for r in built), built


def test_eks_managed_policy_arns_use_the_looked_up_partition():
    plan = run("eks-prod", mocks=_partition_mocks(PARTITION))
    arns = sorted(r.props["policyArn"] for r in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                  if r.name.startswith("eks-"))
    assert arns == sorted(f"arn:{PARTITION}:iam::aws:policy/{n}" for n in (
        "AmazonEKSClusterPolicy", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy",
        "AmazonEC2ContainerRegistryReadOnly", "service-role/AmazonEBSCSIDriverPolicy"))


def test_eks_add_on_policies_use_the_given_partition():
    """The IRSA policies of the add-ons (Load Balancer Controller, ExternalDNS) name resources in
    the looked-up partition, never the commercial one."""
    from somastack_deploy.stacks.eks.addons import external_dns_policy, lbc_policy

    for doc in (lbc_policy(PARTITION), external_dns_policy(PARTITION)):
        assert "arn:aws:" not in doc and f"arn:{PARTITION}:" in doc


def test_a_non_aws_reference_is_refused_naming_the_scheme_only():
    from somastack_deploy.stacks.fargate.runtime import secret_source

    with pytest.raises(ValueError, match=r"ref\+vault") as err:
        secret_source("ref+vault://secret/soma/db#/password", partition=PARTITION, region=REGION, account_id=ACCOUNT)
    assert "soma/db" not in str(err.value)
