"""The AWS side of the EKS target's Kubernetes layer: what
:class:`somastack_deploy.components.k8s_workloads.KubernetesWorkloads` gets from AWS.

- :func:`secrets_manager_values`: each ``ref+awssecrets://NAME_OR_ARN#/KEY`` is read from Secrets
  Manager by Pulumi (``aws.secretsmanager.get_secret_version``, kept a Pulumi secret, encrypted
  in state) into the service's Kubernetes Secret; other reference kinds are rejected.
- :func:`node_role_policy`: a service's IAM policy (S3 for Milvus/OPA, MSK IAM for the Kafka
  clients) is attached to the node group's role as an inline policy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

import pulumi
import pulumi_aws as aws

from somastack_deploy.components.spec import parse_aws_secret_ref


def _secret_field(secret_string: str, key: str | None, what: str) -> str:
    if key is None:
        return secret_string
    try:
        doc = json.loads(secret_string)
    except json.JSONDecodeError:
        raise pulumi.RunError(f"{what}: secret is not JSON, cannot read key {key!r}") from None
    if not isinstance(doc, dict) or key not in doc:
        raise pulumi.RunError(f"{what}: secret has no key {key!r}")
    return str(doc[key])


def secrets_manager_values(key: str, refs: Mapping[str, pulumi.Input[str]], parent: pulumi.Resource) -> pulumi.Output:
    """``{env var: value}`` (a Pulumi secret) of the Secrets Manager references ``refs`` of
    service ``key``. Raises ``pulumi.RunError`` for a reference of another kind or a missing key."""
    values = {}
    for var, ref in sorted(refs.items()):
        def parse(r: str, var=var) -> list:
            try:
                return list(parse_aws_secret_ref(r))
            except ValueError:
                raise pulumi.RunError(f"{key}: {var}: EKS reads Secrets Manager references "
                                      "(ref+awssecrets://…) only") from None
        parsed = pulumi.Output.from_input(ref).apply(parse)
        version = aws.secretsmanager.get_secret_version_output(
            secret_id=parsed.apply(lambda p: p[0]), opts=pulumi.InvokeOutputOptions(parent=parent))
        values[var] = pulumi.Output.all(version.secret_string, parsed).apply(
            lambda a, var=var: _secret_field(a[0], a[1][1], f"{key}: {var}"))
    return pulumi.Output.secret(pulumi.Output.all(**values))


def node_role_policy(node_role_name: pulumi.Input[str]) -> Callable[[str, pulumi.Input[str], pulumi.Resource], None]:
    """A policy sink attaching each service policy to ``node_role_name`` (``aws.iam.RolePolicy``
    ``<name>-node-policy``)."""

    def attach(name: str, policy: pulumi.Input[str], parent: pulumi.Resource) -> None:
        aws.iam.RolePolicy(f"{name}-node-policy", role=node_role_name, policy=policy,
                           opts=pulumi.ResourceOptions(parent=parent))

    return attach
