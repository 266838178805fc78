"""A Kubernetes namespace with the full OSS stack on an existing cluster given by a kubeconfig
(seed 003, runtime mode DEVELOPMENT: "Kubernetes namespace with full OSS stack").

Selected for ``SA01_DEPLOYMENT_TARGET=EKS`` stacks whose setting ``somastack:kubernetes`` names
a ``kubeconfig`` (:func:`somastack_deploy.stacks.program.program_for`): the cluster exists, the
program only creates the namespace and its workloads, with the same component as the EKS
target (:class:`somastack_deploy.components.k8s_workloads.KubernetesWorkloads`):

- PostgreSQL 16, Redis 7 (AOF) and Kafka (KRaft) as in-cluster StatefulSets whose data
  directories are PersistentVolumeClaims (:mod:`somastack_deploy.components.oss_data`);
- Milvus standalone (local storage and embedded etcd on its claim), Keycloak, SpiceDB, OPA and
  the app services of the software mode (migration Jobs Memory → Brain → Agent);
- secrets: ``${VAR}`` references whose values are the files ``<secretsDir>/VAR`` (as on the
  local target), read by the program into each service's Kubernetes Secret (Pulumi secrets,
  encrypted in the state), never into a ConfigMap or an env literal.

Settings: ``somastack:kubernetes`` = ``{kubeconfig: ABS_PATH, context, namespace (default
somastack), storageClassName (default: the cluster's default class), volumeSizeGiB (10), vpa,
vpaUpdateMode, hpaMaxReplicas, hpaCpuUtilization}``; ``somastack:secretsDir`` (absolute),
``somastack:postgresPassword`` and ``somastack:keycloakAdminPassword`` (``${VAR}``),
``somastack:images``, ``somastack:sizing``. The provider uses server-side apply.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

import pulumi
import pulumi_kubernetes as k8s

from somastack_deploy.components.k8s_workloads import KubernetesWorkloads, KubernetesWorkloadsArgs, StorageSettings
from somastack_deploy.components.oss_data import KAFKA_IMAGE, POSTGRES_USER, OSSDataServices, OSSDataServicesArgs

from .. import outputs
from ..common import StackContext, build_services
from ..kube import autoscaling_settings, volume_size
from ..settings import StackConfigError

SETTING = "somastack:kubernetes"
DEFAULT_NAMESPACE = "somastack"
_VAR_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_KEYS = {"kubeconfig", "context", "namespace", "storageClassName", "volumeSizeGiB", "vpa", "vpaUpdateMode",
         "hpaMaxReplicas", "hpaCpuUtilization"}


def read_secret_file(secrets_dir: str, ref: str, what: str, where: str) -> str:
    """The value of ``${VAR}`` in ``secrets_dir`` (file ``VAR``, trailing newline dropped).
    Raises :class:`StackConfigError` (never showing a value) for another reference kind or a
    missing/unreadable file."""
    match = _VAR_REF.match(ref or "")
    if not match:
        raise StackConfigError(f"{what}: takes ${{VAR}} references (files in secretsDir)", path=where,
                               variable="somastack:secretsDir")
    path = os.path.join(secrets_dir, match.group(1))
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read().rstrip("\r\n")
    except OSError as exc:
        raise StackConfigError(f"{what}: secret file {path}: {exc.strerror or type(exc).__name__}", path=where,
                               variable="somastack:secretsDir") from None


def file_secret_values(secrets_dir: str, where: str):
    """A :data:`somastack_deploy.components.k8s_workloads.SecretValues` reading ``${VAR}`` files."""

    def resolve(key: str, refs: Mapping[str, pulumi.Input[str]], parent: pulumi.Resource) -> pulumi.Output:
        values = {var: pulumi.Output.from_input(ref).apply(
            lambda r, var=var: read_secret_file(secrets_dir, r, f"{key}: {var}", where))
            for var, ref in sorted(refs.items())}
        return pulumi.Output.secret(pulumi.Output.all(**values))

    return resolve


def build(ctx: StackContext) -> pulumi.Output:
    """Create the namespace and its workloads; returns the topology Output."""
    s = ctx.settings
    where = f"Pulumi.{ctx.stack}.yaml"
    kube = dict(s.kubernetes)
    unknown = sorted(set(kube) - _KEYS)
    if unknown:
        raise StackConfigError(f"unknown keys {', '.join(unknown)} (known: {', '.join(sorted(_KEYS))})",
                               path=where, variable=SETTING)
    kubeconfig = os.path.expanduser(str(kube["kubeconfig"]))
    if not os.path.isabs(kubeconfig):
        raise StackConfigError("kubeconfig: must be an absolute path", path=where, variable=SETTING)
    namespace = str(kube.get("namespace") or DEFAULT_NAMESPACE)
    if not _DNS_LABEL.match(namespace):
        raise StackConfigError("namespace: a DNS label (lower-case letters, digits, '-')", path=where, variable=SETTING)
    secrets_dir = s.require("secretsDir", s.secrets_dir)
    if not os.path.isabs(secrets_dir):
        raise StackConfigError("must be an absolute path", path=where, variable="somastack:secretsDir")
    pg_ref = pulumi.Config("somastack").get("postgresPassword")
    if not pg_ref or not _VAR_REF.match(pg_ref):
        raise StackConfigError("a ${VAR} reference is required", path=where, variable="somastack:postgresPassword")

    provider = k8s.Provider("k8s", kubeconfig=kubeconfig, context=kube.get("context"),
                            enable_server_side_apply=True, delete_unreachable=False)
    workloads = KubernetesWorkloads("k8s", KubernetesWorkloadsArgs(
        provider=provider, namespace=namespace, labels={"somastack/stack": ctx.stack}, target="EKS",
        internal_tls=False, secret_values=file_secret_values(secrets_dir, where),
        storage=StorageSettings(class_name=kube.get("storageClassName") or None, reclaim_policy="Delete",
                                default_size_gib=volume_size(kube, where, SETTING, default=10)),
        autoscaling=autoscaling_settings(kube, where, SETTING)))
    sizing = s.sizing
    data = OSSDataServices("data", OSSDataServicesArgs(
        runtime=workloads, postgres_password_ref=pg_ref, kafka=ctx.cluster, images=dict(s.images),
        sizing=lambda key: sizing))
    workloads.wait_for(data.ready)  # createdb Jobs and the services start after the data engines
    infra = {
        "postgres": outputs.service([outputs.endpoint("postgresql", host=data.postgres.host, port=5432)],
                                    engine="postgresql", version="16",
                                    credentials={"username": POSTGRES_USER, "password": pg_ref}),
        "redis": outputs.service([outputs.endpoint("redis", host=data.redis.host, port=6379)], engine="redis",
                                 version="7", storage={"aof": True}),
    }
    if data.kafka is not None:
        infra["kafka"] = outputs.service([outputs.endpoint("kafka", host=workloads.host_of("kafka"), port=9092)],
                                         engine="kafka", version=s.images.get("kafka", KAFKA_IMAGE).rsplit(":", 1)[-1])
    entries = build_services(ctx, workloads, postgres=data.postgres, redis=data.redis, kafka=data.kafka, region=None,
                             agent_public_url=None, service_sizing=sizing, infra=infra)
    workloads.close()
    pulumi.export("namespace", workloads.namespace)
    pulumi.export("workloads", workloads.workloads)
    return outputs.export_outputs(ctx.stack, ctx.dimensions, entries)
