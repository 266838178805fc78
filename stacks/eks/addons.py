"""EKS cluster add-ons the Kubernetes layer needs (seed 001 §3.3 "Prerequisites"/"Infrastructure").

Installed by the program, pinned (versions are stack settings under ``somastack:eks.addons``,
defaults :data:`DEFAULT_VERSIONS`), each with its own IAM role for service accounts (IRSA: the
cluster's OIDC issuer as an IAM OpenID Connect provider, a role whose trust policy admits only
that add-on's service account; EKS docs "IAM roles for service accounts"):

- EBS CSI driver: the EKS managed add-on ``aws-ebs-csi-driver`` (``aws.eks.Addon``) with the
  AWS managed policy ``AmazonEBSCSIDriverPolicy``; provisions the ``gp3`` volumes of the
  StatefulSets' claims;
- cert-manager: Helm release (CRDs included); issues the LB controller's webhook certificate
  and in-cluster certificates (the ALB itself terminates TLS with the ACM certificate);
- AWS Load Balancer Controller: Helm release in ``kube-system``, IRSA policy :func:`lbc_policy`;
  turns the gateway's Ingress (class ``alb``) into an ALB;
- ExternalDNS: Helm release, IRSA policy :func:`external_dns_policy` (Route 53 record changes);
  publishes the Ingress hostname;
- Vertical Pod Autoscaler (only when ``somastack:eks.vpa`` is on): Helm release of its CRDs,
  recommender, updater and admission controller.

:func:`install` returns the resources the workloads must wait for.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

#: Pinned versions (Helm chart versions; EKS add-on version).
DEFAULT_VERSIONS: dict[str, str] = {
    "ebsCsiDriver": "v1.35.0-eksbuild.1",
    "certManager": "v1.15.3",
    "awsLoadBalancerController": "1.8.1",
    "externalDns": "1.14.5",
    "vpa": "4.4.6",
}
#: Helm chart repositories.
REPOS: dict[str, str] = {
    "certManager": "https://charts.jetstack.io",
    "awsLoadBalancerController": "https://aws.github.io/eks-charts",
    "externalDns": "https://kubernetes-sigs.github.io/external-dns/",
    "vpa": "https://charts.fairwinds.com/stable",
}
LBC_SERVICE_ACCOUNT = ("kube-system", "aws-load-balancer-controller")
EXTERNAL_DNS_SERVICE_ACCOUNT = ("kube-system", "external-dns")
EBS_CSI_SERVICE_ACCOUNT = ("kube-system", "ebs-csi-controller-sa")


def irsa_trust_policy(provider_arn: str, issuer_url: str, namespace: str, service_account: str) -> str:
    """Trust policy (JSON) letting only ``system:serviceaccount:NS:SA`` of the cluster whose
    OIDC issuer is ``issuer_url`` assume the role (``sts:AssumeRoleWithWebIdentity``)."""
    host = issuer_url.removeprefix("https://")
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                                       f"{host}:aud": "sts.amazonaws.com"}}}]}, sort_keys=True)


def lbc_policy(partition: str = "aws") -> str:
    """IAM policy of the AWS Load Balancer Controller (condensed from the controller's
    ``iam_policy.json``, v2.8): describe EC2/ELB/ACM/WAF/Shield, manage ELBv2 and the security
    groups and tags it creates; ``partition``: the looked-up AWS partition."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:CreateServiceLinkedRole", "Resource": "*",
         "Condition": {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}}},
        {"Effect": "Allow", "Resource": "*", "Action": [
            "ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones",
            "ec2:DescribeInternetGateways", "ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections",
            "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
            "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:GetCoipPoolUsage", "ec2:DescribeCoipPools",
            "elasticloadbalancing:Describe*", "acm:ListCertificates", "acm:DescribeCertificate",
            "iam:ListServerCertificates", "iam:GetServerCertificate", "cognito-idp:DescribeUserPoolClient",
            "waf-regional:GetWebACL", "waf-regional:GetWebACLForResource", "waf-regional:AssociateWebACL",
            "waf-regional:DisassociateWebACL", "wafv2:GetWebACL", "wafv2:GetWebACLForResource",
            "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "shield:GetSubscriptionState",
            "shield:DescribeProtection", "shield:CreateProtection", "shield:DeleteProtection"]},
        {"Effect": "Allow", "Resource": "*", "Action": [
            "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:CreateSecurityGroup"]},
        {"Effect": "Allow", "Resource": f"arn:{partition}:ec2:*:*:security-group/*", "Action": ["ec2:CreateTags", "ec2:DeleteTags"],
         "Condition": {"Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "false"}}},
        {"Effect": "Allow", "Resource": "*", "Action": ["ec2:DeleteSecurityGroup"],
         "Condition": {"Null": {"aws:ResourceTag/elbv2.k8s.aws/cluster": "false"}}},
        {"Effect": "Allow", "Resource": "*", "Action": [
            "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup",
            "elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener",
            "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule",
            "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags",
            "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType",
            "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
            "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteTargetGroup",
            "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets",
            "elasticloadbalancing:SetWebAcl", "elasticloadbalancing:ModifyListener",
            "elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:RemoveListenerCertificates",
            "elasticloadbalancing:ModifyRule"]},
    ]}, sort_keys=True)


def external_dns_policy(partition: str = "aws") -> str:
    """IAM policy of ExternalDNS on Route 53 (ExternalDNS docs "Setting up ExternalDNS on AWS");
    ``partition``: the looked-up AWS partition (``aws``, ``aws-cn``, ``aws-us-gov``)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["route53:ChangeResourceRecordSets"], "Resource": [f"arn:{partition}:route53:::hostedzone/*"]},
        {"Effect": "Allow", "Action": ["route53:ListHostedZones", "route53:ListResourceRecordSets",
                                       "route53:ListTagsForResource"], "Resource": ["*"]},
    ]}, sort_keys=True)


@dataclass
class AddOns:
    """What :func:`install` created: ``ready`` (resources the workloads wait for),
    ``oidc_provider_arn``."""

    ready: list[pulumi.Resource]
    oidc_provider_arn: pulumi.Output[str]


def _irsa_role(name: str, oidc: aws.iam.OpenIdConnectProvider, issuer: pulumi.Output[str], sa: tuple[str, str],
               tags: Mapping[str, str], *, policy_json: pulumi.Input[str] | None = None,
               managed_arn: pulumi.Input[str] | None = None) -> aws.iam.Role:
    role = aws.iam.Role(name, assume_role_policy=pulumi.Output.all(oidc.arn, issuer).apply(
        lambda a: irsa_trust_policy(a[0], a[1], sa[0], sa[1])), tags=dict(tags))
    if policy_json is not None:
        aws.iam.RolePolicy(f"{name}-policy", role=role.name, policy=policy_json,
                           opts=pulumi.ResourceOptions(parent=role))
    if managed_arn is not None:
        aws.iam.RolePolicyAttachment(f"{name}-managed", role=role.name, policy_arn=managed_arn,
                                     opts=pulumi.ResourceOptions(parent=role))
    return role


def install(*, cluster: aws.eks.Cluster, provider: k8s.Provider, region: str, vpc_id: pulumi.Input[str],
            public_hostname: str, versions: Mapping[str, str], vpa: bool, tags: Mapping[str, str],
            depends_on: list[pulumi.Resource]) -> AddOns:
    """Install the add-ons on ``cluster`` (see the module docstring). ``versions``: overrides of
    :data:`DEFAULT_VERSIONS`; ``vpa``: install the Vertical Pod Autoscaler."""
    v = {**DEFAULT_VERSIONS, **dict(versions)}
    partition = aws.get_partition_output().partition  # every ARN below: arn:<partition>:…
    issuer = cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer)
    oidc = aws.iam.OpenIdConnectProvider("eks-oidc", url=issuer, client_id_lists=["sts.amazonaws.com"], tags=dict(tags))
    ebs_role = _irsa_role("eks-ebs-csi-role", oidc, issuer, EBS_CSI_SERVICE_ACCOUNT, tags,
                          managed_arn=partition.apply(
                              lambda p: f"arn:{p}:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"))
    ebs = aws.eks.Addon("eks-ebs-csi", cluster_name=cluster.name, addon_name="aws-ebs-csi-driver",
                        addon_version=v["ebsCsiDriver"], service_account_role_arn=ebs_role.arn,
                        resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="PRESERVE",
                        tags=dict(tags), opts=pulumi.ResourceOptions(depends_on=depends_on))
    k8s_opts = pulumi.ResourceOptions(provider=provider, depends_on=depends_on)

    def release(name: str, chart: str, key: str, namespace: str, values: Mapping, opts: pulumi.ResourceOptions):
        return k8s.helm.v3.Release(name, chart=chart, version=v[key], namespace=namespace, create_namespace=True,
                                   repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=REPOS[key]),
                                   atomic=True, cleanup_on_fail=True, values=dict(values), opts=opts)

    cert_manager = release("cert-manager", "cert-manager", "certManager", "cert-manager",
                           {"crds": {"enabled": True}}, k8s_opts)
    lbc_role = _irsa_role("eks-lbc-role", oidc, issuer, LBC_SERVICE_ACCOUNT, tags, policy_json=partition.apply(lbc_policy))
    lbc = release("aws-load-balancer-controller", "aws-load-balancer-controller", "awsLoadBalancerController",
                  LBC_SERVICE_ACCOUNT[0], {
                      "clusterName": cluster.name, "region": region, "vpcId": vpc_id, "enableCertManager": True,
                      "serviceAccount": {"create": True, "name": LBC_SERVICE_ACCOUNT[1],
                                         "annotations": {"eks.amazonaws.com/role-arn": lbc_role.arn}}},
                  pulumi.ResourceOptions(provider=provider, depends_on=[*depends_on, cert_manager]))
    dns_role = _irsa_role("eks-external-dns-role", oidc, issuer, EXTERNAL_DNS_SERVICE_ACCOUNT, tags,
                          policy_json=partition.apply(external_dns_policy))
    zone = public_hostname.split(".", 1)[1] if public_hostname.count(".") >= 2 else public_hostname
    dns = release("external-dns", "external-dns", "externalDns", EXTERNAL_DNS_SERVICE_ACCOUNT[0], {
        "provider": {"name": "aws"}, "sources": ["ingress"], "policy": "upsert-only", "domainFilters": [zone],
        "txtOwnerId": cluster.name, "serviceAccount": {
            "create": True, "name": EXTERNAL_DNS_SERVICE_ACCOUNT[1],
            "annotations": {"eks.amazonaws.com/role-arn": dns_role.arn}}}, k8s_opts)
    ready: list[pulumi.Resource] = [ebs, cert_manager, lbc, dns]
    if vpa:
        ready.append(release("vpa", "vpa", "vpa", "vpa", {"recommender": {"enabled": True},
                                                          "updater": {"enabled": True},
                                                          "admissionController": {"enabled": True}}, k8s_opts))
    return AddOns(ready=ready, oidc_provider_arn=oidc.arn)
