"""Target EKS (seed 001 §3.3, "AWS EKS Deployment (Advanced)").

:func:`build`: Network, the managed RDS/ElastiCache/MSK of the fargate target, an EKS cluster
built from ``pulumi_aws.eks`` resources (not pulumi-eks, whose multi-language component is
opaque under the mock runtime): cluster and node IAM roles, the cluster, a launch template
putting the nodes in the app security group (so the database/cache/broker rules apply to pods),
a managed node group; a Kubernetes provider built from the cluster's kubeconfig (``aws eks
get-token``, server-side apply); the cluster add-ons (:mod:`somastack_deploy.stacks.eks.addons`:
EBS CSI driver, cert-manager, AWS Load Balancer Controller, ExternalDNS, optionally the VPA);
then the Kubernetes layer (:class:`somastack_deploy.components.k8s_workloads.KubernetesWorkloads`):
namespace ``somastack``, a ``gp3`` StorageClass, every service of the software mode, the
gateway behind an Ingress of class ``alb`` (ACM certificate ``certificateArn``, hostname
``publicHostname`` published by ExternalDNS, the network's ALB security group and public
subnets).

Settings: as fargate, plus ``somastack:eks`` = ``{version, nodeInstanceType, nodeCount: {min,
desired, max}, vpa, vpaUpdateMode, hpaMaxReplicas, hpaCpuUtilization, volumeSizeGiB, addons:
{ebsCsiDriver, certManager, awsLoadBalancerController, externalDns, vpa}}`` (defaults: 1.31;
m6i.2xlarge; PROD 3/5/8, DEV 1/2/3; VPA off, ``Initial``; HPA max 10 at 70 % CPU; 50 GiB
volumes; add-on versions of :data:`somastack_deploy.stacks.eks.addons.DEFAULT_VERSIONS`).
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from somastack_deploy.components.app_env import APP_PORTS
from somastack_deploy.components.k8s_workloads import (IngressSettings, KubernetesWorkloads, KubernetesWorkloadsArgs,
                                                       StorageSettings)
from somastack_deploy.components.network import Network, NetworkArgs

from .. import outputs
from ..aws_data import build_aws_data
from ..common import StackContext, build_services
from ..kube import autoscaling_settings, volume_size
from ..settings import StackConfigError
from . import addons
from .runtime import node_role_policy, secrets_manager_values

NAMESPACE = "somastack"


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig (JSON) for the cluster, authenticating with ``aws eks get-token`` (the
    AWS CLI's exec credential plugin; EKS docs "Create a kubeconfig file")."""
    return json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "somastack",
        "clusters": [{"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}],
        "contexts": [{"name": "somastack", "context": {"cluster": cluster_name, "user": "aws"}}],
        "users": [{"name": "aws", "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"]}}}],
    }, sort_keys=True)


def _role(name: str, service: str, policies: list[pulumi.Input[str]], tags) -> aws.iam.Role:
    role = aws.iam.Role(name, assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}), tags=tags)
    for i, arn in enumerate(policies):
        aws.iam.RolePolicyAttachment(f"{name}-{i}", role=role.name, policy_arn=arn,
                                     opts=pulumi.ResourceOptions(parent=role))
    return role


def build(ctx: StackContext) -> pulumi.Output:
    """Create the eks stack; returns the topology Output."""
    s = ctx.settings
    where = f"Pulumi.{ctx.stack}.yaml"
    region = s.require("aws:region", s.region)
    zones = s.require("availabilityZones", s.availability_zones)
    eks_cfg = dict(s.eks)
    counts = {"min": 3, "desired": 5, "max": 8} if ctx.prod else {"min": 1, "desired": 2, "max": 3}
    counts.update({k: int(v) for k, v in (eks_cfg.get("nodeCount") or {}).items() if k in counts})
    if not counts["min"] <= counts["desired"] <= counts["max"]:
        raise StackConfigError("nodeCount must satisfy min <= desired <= max", path=where, variable="somastack:eks")
    autoscaling = autoscaling_settings(eks_cfg, where)
    addon_versions = eks_cfg.get("addons") or {}
    if not isinstance(addon_versions, dict) or set(addon_versions) - set(addons.DEFAULT_VERSIONS):
        raise StackConfigError(f"addons: a mapping with keys among {sorted(addons.DEFAULT_VERSIONS)}", path=where,
                               variable="somastack:eks")
    certificate = s.require("certificateArn", s.certificate_arn)
    public = s.require("publicHostname", s.public_hostname)
    network = Network("net", NetworkArgs(environment=ctx.dimensions.environment, availability_zones=zones,
                                         cidr_block=s.vpc_cidr, tags=s.tags, extra_app_ports=(APP_PORTS["agent"],)))
    data = build_aws_data(ctx, network)

    partition = aws.get_partition_output().partition  # managed policy ARNs: arn:<partition>:iam::aws:policy/…

    def managed(*names: str) -> list[pulumi.Output[str]]:
        return [partition.apply(lambda p, n=n: f"arn:{p}:iam::aws:policy/{n}") for n in names]

    cluster_role = _role("eks-cluster-role", "eks.amazonaws.com", managed("AmazonEKSClusterPolicy"), s.tags)
    node_role = _role("eks-node-role", "ec2.amazonaws.com",
                      managed("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"),
                      s.tags)
    cluster = aws.eks.Cluster(
        "eks", role_arn=cluster_role.arn, version=str(eks_cfg.get("version", "1.31")),
        vpc_config=aws.eks.ClusterVpcConfigArgs(subnet_ids=network.private_subnet_ids,
                                                security_group_ids=[network.app_security_group_id],
                                                endpoint_private_access=True, endpoint_public_access=True),
        access_config=aws.eks.ClusterAccessConfigArgs(authentication_mode="API_AND_CONFIG_MAP",
                                                      bootstrap_cluster_creator_admin_permissions=True),
        enabled_cluster_log_types=["api", "audit", "authenticator"], deletion_protection=ctx.prod, tags=s.tags,
        opts=pulumi.ResourceOptions(depends_on=[cluster_role]))
    template = aws.ec2.LaunchTemplate(
        "eks-nodes-lt",
        vpc_security_group_ids=[cluster.vpc_config.cluster_security_group_id, network.app_security_group_id],
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(http_tokens="required", http_put_response_hop_limit=2,
                                                                   http_endpoint="enabled"),
        block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
            device_name="/dev/xvda", ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                volume_size=max(100, s.sizing.ephemeral_storage_gib * 3), volume_type="gp3", encrypted="true"))],
        tags=s.tags)
    nodes = aws.eks.NodeGroup(
        "eks-nodes", cluster_name=cluster.name, node_role_arn=node_role.arn, subnet_ids=network.private_subnet_ids,
        instance_types=[str(eks_cfg.get("nodeInstanceType", "m6i.2xlarge"))], capacity_type="ON_DEMAND",
        scaling_config=aws.eks.NodeGroupScalingConfigArgs(min_size=counts["min"], desired_size=counts["desired"],
                                                          max_size=counts["max"]),
        update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
        launch_template=aws.eks.NodeGroupLaunchTemplateArgs(id=template.id, version=template.latest_version.apply(str)),
        tags=s.tags, opts=pulumi.ResourceOptions(depends_on=[node_role]))
    config = pulumi.Output.all(cluster.name, cluster.endpoint, cluster.certificate_authority.data).apply(
        lambda a: kubeconfig(a[0], a[1], a[2], region))
    provider = k8s.Provider("k8s", kubeconfig=pulumi.Output.secret(config), enable_server_side_apply=True,
                            opts=pulumi.ResourceOptions(depends_on=[nodes]))
    installed = addons.install(cluster=cluster, provider=provider, region=region, vpc_id=network.vpc_id,
                               public_hostname=public, versions=addon_versions, vpa=autoscaling.vpa, tags=s.tags,
                               depends_on=[nodes])
    workloads = KubernetesWorkloads("k8s", KubernetesWorkloadsArgs(
        provider=provider, namespace=NAMESPACE, labels={"somastack/stack": ctx.stack}, target="EKS",
        internal_tls=True, secret_values=secrets_manager_values,
        storage=StorageSettings(class_name="gp3", create_gp3=True, reclaim_policy="Retain" if ctx.prod else "Delete",
                                default_size_gib=volume_size(eks_cfg, where)),
        autoscaling=autoscaling,
        ingress=IngressSettings(host=public, class_name="alb", certificate_arn=certificate,
                                subnet_ids=network.public_subnet_ids, security_group_id=network.alb_security_group_id,
                                deletion_protection=ctx.prod, tags=dict(s.tags)),
        task_policy=node_role_policy(node_role.name), prerequisites=installed.ready))
    entries = build_services(ctx, workloads, postgres=data.postgres, redis=data.redis, kafka=data.kafka_endpoint,
                             region=region, agent_public_url=f"https://{public}", service_sizing=s.sizing,
                             infra=data.entries)
    workloads.close()
    pulumi.export("eksClusterName", cluster.name)
    pulumi.export("kubeconfig", pulumi.Output.secret(config))
    pulumi.export("namespace", workloads.namespace)
    return outputs.export_outputs(ctx.stack, ctx.dimensions, entries)
