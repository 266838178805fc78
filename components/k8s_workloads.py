"""SomaStack's Kubernetes layer: one component that places every service on a cluster.

Type token ``somastack:k8s:Workloads``. :class:`KubernetesWorkloads` is given a
``pulumi_kubernetes.Provider`` (the EKS cluster's, or one built from any kubeconfig) and is the
:class:`somastack_deploy.components.spec.ServiceRuntime` of the Kubernetes targets: the service
components (Keycloak, SpiceDB, OPA, Milvus, the app services, the in-cluster data engines)
describe *what* runs as a :class:`~somastack_deploy.components.spec.ServiceSpec` and
:meth:`KubernetesWorkloads.deploy` creates the Kubernetes objects, all children of this
component, all through its provider:

- the namespace (labelled with the stack), and on EKS a ``gp3`` StorageClass (EBS CSI driver,
  encrypted, ``WaitForFirstConsumer``; :class:`StorageSettings`);
- per service: its plain (non-secret) environment as ``env[].value`` entries of the pod
  template (visible per object to the policies, ``drift --live`` and ``kubectl describe``; a
  change rolls the pods), and a Secret ``<key>-secrets`` holding the values of its secret
  references (resolved by the target's ``secret_values`` callable, kept Pulumi secrets) used
  through ``env[].valueFrom.secretKeyRef`` only — no secret value in an env literal or a
  ConfigMap (Kubernetes docs "Using Secrets as environment variables");
- one-off tasks (``createdb``, ``migrate``) as ``batch/v1`` Jobs chained with ``depends_on``:
  pulumi-kubernetes waits for a Job to complete, so the next Job and the service start only after
  it succeeded (seed 001 §4 "Memory → Brain → Agent (Strict Order)"; the app services chain
  themselves in that order);
- a Deployment, or — when the service keeps data (``ServiceSpec.volumes``) — a StatefulSet with
  one ``volumeClaimTemplate`` per volume (PersistentVolumeClaims of the storage class; the data
  survives a rollout restart or a rescheduled pod) and its headless Service. Stateful engines in
  the forms deployed here (PostgreSQL, Redis, single-node KRaft Kafka, Milvus standalone with
  embedded etcd) are single-writer: their StatefulSet has 1 replica (a ``singleton`` Deployment
  too, with the ``Recreate`` strategy); ``volume_owner`` becomes the pod's ``fsGroup``;
- containers: requests cpu/memory/ephemeral-storage and a memory limit from the spec's
  :class:`~somastack_deploy.components.spec.Sizing` (seed 001 §3.2: 4 vCPU, 16 GB, 30 GB per
  service in PROD), startup/readiness/liveness probes (``httpGet`` on the health path, else
  ``exec``), ``allowPrivilegeEscalation: false``; the pod template carries a
  ``somastack/config-hash`` annotation so that a changed ConfigMap rolls the pods;
- every object carries ``pulumi.com/patchForce: "true"`` (:data:`PATCH_FORCE`; off with
  ``patch_force=False``): the stack owns the fields it declares, so a field changed out of band
  by another field manager (``kubectl edit``/``patch``, a client library) is taken back by the
  next ``up`` — and shown by ``preview`` — instead of failing with a server-side apply conflict
  (pulumi-kubernetes "Managing Resources with Server-Side Apply", "Handle field conflicts on
  existing resources"; Kubernetes "Server-Side Apply", "Conflicts"). Fields the stack does not
  declare (an HPA's ``replicas``, controllers' status) keep their managers;
- a ClusterIP Service ``<key>`` (DNS ``<key>.<namespace>.svc.cluster.local``);
- a PodDisruptionBudget (``maxUnavailable: 1``) for every Deployment and StatefulSet;
- for the app services (``autoscaled``): a HorizontalPodAutoscaler (``autoscaling/v2``, CPU
  utilisation; seed 001 §3.3). The Deployment then has no ``spec.replicas`` (the HPA owns it;
  Kubernetes docs "Migrating Deployments and StatefulSets to horizontal autoscaling");
- a VerticalPodAutoscaler (``autoscaling.k8s.io/v1``, a CRD) per workload only when
  :attr:`AutoscalingSettings.vpa` is on; on HPA-scaled workloads it controls memory only (the
  HPA scales on CPU; VPA docs "Known limitations");
- for the public service (the gateway): an Ingress (:class:`IngressSettings`; class ``alb`` on
  EKS with the AWS Load Balancer Controller annotations, the ACM certificate or a cert-manager
  issuer, the ExternalDNS hostname), or a NodePort Service when ``node_port`` is given.

Call :meth:`KubernetesWorkloads.close` after the last :meth:`~KubernetesWorkloads.deploy` to
register the outputs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from .app_env import APP_PORTS
from .spec import DeployedService, HealthCheck, ServiceSpec, gated

TYPE = "somastack:k8s:Workloads"

#: ``(service key, {env var: reference}, parent) -> Output[{env var: value}]`` (a Pulumi secret).
SecretValues = Callable[[str, Mapping[str, pulumi.Input[str]], pulumi.Resource], pulumi.Output]
#: ``(logical name, IAM policy JSON, parent) -> None``: attaches a service's ``task_policy``.
PolicySink = Callable[[str, pulumi.Input[str], pulumi.Resource], None]

VPA_API = "autoscaling.k8s.io/v1"
#: Annotation by which the pulumi-kubernetes provider forces its server-side apply over field
#: conflicts (takes the conflicting fields back from their other managers), per object.
PATCH_FORCE = {"pulumi.com/patchForce": "true"}
VPA_UPDATE_MODES = ("Off", "Initial", "Recreate", "Auto")


@dataclass(frozen=True, kw_only=True)
class StorageSettings:
    """Where the stateful services' PersistentVolumeClaims come from.

    ``class_name``: StorageClass of the claims (``None``: the cluster's default class);
    ``create_gp3``: create that class here as an EBS ``gp3`` class (``ebs.csi.aws.com``,
    encrypted, ``WaitForFirstConsumer``, expansion allowed; EKS docs "Amazon EBS CSI driver");
    ``reclaim_policy``: ``Retain`` (PROD: a deleted claim keeps its EBS volume) or ``Delete``;
    ``size_gib``: volume name → size (GiB), others ``default_size_gib``.
    """

    class_name: str | None = None
    create_gp3: bool = False
    reclaim_policy: str = "Retain"
    default_size_gib: int = 20
    size_gib: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.create_gp3 and not self.class_name:
            raise ValueError("storage: create_gp3 needs class_name")
        if self.reclaim_policy not in ("Retain", "Delete"):
            raise ValueError("storage: reclaim_policy must be Retain or Delete")
        if self.default_size_gib < 1 or any(v < 1 for v in self.size_gib.values()):
            raise ValueError("storage: sizes are whole GiB >= 1")


@dataclass(frozen=True, kw_only=True)
class AutoscalingSettings:
    """HPA for the ``autoscaled`` services: ``min`` = the spec's ``desired_count``, ``max`` =
    ``max(max_replicas, min)``, target ``cpu_utilization`` percent of the CPU request.
    ``vpa``: create VerticalPodAutoscaler objects (needs the VPA CRDs and recommender);
    ``vpa_update_mode``: ``Off`` | ``Initial`` | ``Recreate`` | ``Auto`` for workloads without HPA."""

    max_replicas: int = 10
    cpu_utilization: int = 70
    vpa: bool = False
    vpa_update_mode: str = "Initial"

    def __post_init__(self) -> None:
        if not 1 <= self.cpu_utilization <= 100:
            raise ValueError("autoscaling: cpu_utilization is a percentage 1..100")
        if self.max_replicas < 1:
            raise ValueError("autoscaling: max_replicas >= 1")
        if self.vpa_update_mode not in VPA_UPDATE_MODES:
            raise ValueError(f"autoscaling: vpa_update_mode must be one of {VPA_UPDATE_MODES}")


@dataclass(frozen=True, kw_only=True)
class IngressSettings:
    """The public service's Ingress.

    ``host``: public hostname (rule host and ExternalDNS ``external-dns.alpha.kubernetes.io/hostname``);
    ``class_name``: ``alb`` adds the AWS Load Balancer Controller annotations (``ip`` targets,
    HTTPS 443 + redirect from 80, health check path, TLS 1.3 policy, optional ``subnet_ids`` and
    ``security_group_id`` — the backends' security group must admit it on the service port —,
    ``deletion_protection``, ``tags``); ``certificate_arn``: ACM
    certificate of the listener (ALB terminates TLS with ACM only); ``cluster_issuer``:
    cert-manager ``ClusterIssuer`` (annotation ``cert-manager.io/cluster-issuer`` and a ``tls``
    block with secret ``<key>-tls``; for ingress classes that terminate TLS in-cluster).
    One of the two is required.
    """

    host: str
    class_name: str = "alb"
    certificate_arn: str | None = None
    cluster_issuer: str | None = None
    scheme: str = "internet-facing"
    subnet_ids: pulumi.Input[Sequence[str]] | None = None
    security_group_id: pulumi.Input[str] | None = None
    deletion_protection: bool = False
    idle_timeout_s: int = 3600
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.host or "." not in self.host:
            raise ValueError("ingress: host must be a DNS name")
        if not (self.certificate_arn or self.cluster_issuer):
            raise ValueError("ingress: a certificate_arn (ACM) or a cert-manager cluster_issuer is required")
        if self.class_name == "alb" and not self.certificate_arn:
            raise ValueError("ingress: class alb terminates TLS with an ACM certificate: certificate_arn is required")


@dataclass(kw_only=True)
class KubernetesWorkloadsArgs:
    """``provider``: the ``pulumi_kubernetes.Provider`` of the cluster; ``namespace``: namespace
    name (created here unless ``create_namespace`` is false); ``labels``: extra namespace labels;
    ``target``: ``SA01_DEPLOYMENT_TARGET`` of the services; ``internal_tls``: managed endpoints
    require TLS (EKS: RDS/ElastiCache/MSK); ``secret_values``: resolves secret references to
    values (:data:`SecretValues`; ``None``: a service with a secret fails); ``storage``,
    ``autoscaling``, ``ingress`` (None: no Ingress); ``node_port``: expose the public service as
    a NodePort (when there is no Ingress); ``autoscaled``: service keys that get an HPA;
    ``task_policy``: :data:`PolicySink` for services' IAM policies (None: a service with one
    fails); ``prerequisites``: resources every object waits for (cluster add-ons);
    ``patch_force``: annotate every object with :data:`PATCH_FORCE` (the stack takes back fields
    changed out of band; False: such a change makes ``up`` fail with an apply conflict)."""

    provider: k8s.Provider
    namespace: str
    create_namespace: bool = True
    labels: Mapping[str, str] = field(default_factory=dict)
    target: str = "EKS"
    internal_tls: bool = True
    secret_values: SecretValues | None = None
    storage: StorageSettings = field(default_factory=StorageSettings)
    autoscaling: AutoscalingSettings = field(default_factory=AutoscalingSettings)
    ingress: IngressSettings | None = None
    node_port: int | None = None
    autoscaled: Sequence[str] = tuple(APP_PORTS)
    task_policy: PolicySink | None = None
    prerequisites: Sequence[pulumi.Resource] = ()
    patch_force: bool = True

    def __post_init__(self) -> None:
        if not self.namespace or len(self.namespace) > 63:
            raise ValueError("namespace: a DNS label of 1-63 characters")
        if self.node_port is not None and not 30000 <= self.node_port <= 32767:
            raise ValueError("node_port: in the NodePort range 30000-32767")


# ---------------------------------------------------------------- pure helpers (unit-tested)

def exec_command(hc: HealthCheck, port: int) -> list[str]:
    """The exec probe command of ``hc`` (``CMD-SHELL x`` → ``sh -c x``, ``CMD a b`` → ``a b``)."""
    cmd = list(hc.exec_command(port))
    if cmd and cmd[0] == "CMD-SHELL":
        return ["sh", "-c", " ".join(cmd[1:])]
    if cmd and cmd[0] == "CMD":
        return cmd[1:]
    return cmd


def probe(hc: HealthCheck, port: int, *, failure_threshold: int) -> dict:
    """A Kubernetes probe (dict form): ``httpGet`` when the check has a path, else ``exec``;
    period/timeout in seconds from ``hc``."""
    base = {"periodSeconds": hc.interval_s, "timeoutSeconds": hc.timeout_s, "failureThreshold": failure_threshold}
    if hc.path is not None:
        return {**base, "httpGet": {"path": hc.path, "port": hc.port or port}}
    return {**base, "exec": {"command": exec_command(hc, port)}}


def probes(hc: HealthCheck, port: int) -> dict:
    """``startupProbe`` (allows ``start_period_s`` plus ``retries`` periods), ``readinessProbe``
    and ``livenessProbe`` of a container."""
    startup = max(1, hc.start_period_s // hc.interval_s) + hc.retries
    return {"startupProbe": probe(hc, port, failure_threshold=startup),
            "readinessProbe": probe(hc, port, failure_threshold=hc.retries),
            "livenessProbe": probe(hc, port, failure_threshold=hc.retries)}


def secret_env(secret_names: Sequence[str], secret_object: str) -> list[dict]:
    """``env`` entries reading each name from key ``name`` of Secret ``secret_object``, sorted."""
    return [{"name": n, "valueFrom": {"secretKeyRef": {"name": secret_object, "key": n}}}
            for n in sorted(secret_names)]


def env_vars(env: Mapping[str, str], secret_names: Sequence[str], secret_object: str) -> list[dict]:
    """Container ``env``: plain ``value`` entries for ``env`` (names in ``secret_names`` left
    out), ``secretKeyRef`` entries for ``secret_names``. Sorted by name."""
    out = [{"name": k, "value": str(v)} for k, v in env.items() if k not in secret_names]
    out += secret_env(secret_names, secret_object)
    return sorted(out, key=lambda e: e["name"])


def resources(sizing) -> dict:
    """Requests (cpu, memory, ephemeral-storage) and the memory limit of a :class:`Sizing`.
    No CPU limit: CPU is compressible, a limit only throttles (Kubernetes docs "Resource
    Management for Pods and Containers")."""
    return {"requests": {"cpu": sizing.k8s_cpu, "memory": sizing.k8s_memory,
                         "ephemeral-storage": f"{sizing.ephemeral_storage_gib}Gi"},
            "limits": {"memory": sizing.k8s_memory}}


def ingress_annotations(settings: IngressSettings, *, health_path: str, subnets: Sequence[str] | None = None,
                        security_group: str | None = None) -> dict[str, str]:
    """Annotations of the public Ingress (AWS Load Balancer Controller v2 "Ingress
    annotations", ExternalDNS "hostname" annotation, cert-manager "Annotated Ingress resource")."""
    out = {"external-dns.alpha.kubernetes.io/hostname": settings.host}
    if settings.cluster_issuer:
        out["cert-manager.io/cluster-issuer"] = settings.cluster_issuer
    if settings.class_name != "alb":
        return out
    prefix = "alb.ingress.kubernetes.io/"
    attrs = [f"idle_timeout.timeout_seconds={settings.idle_timeout_s}",
             f"deletion_protection.enabled={'true' if settings.deletion_protection else 'false'}"]
    out.update({
        prefix + "scheme": settings.scheme,
        prefix + "target-type": "ip",
        prefix + "listen-ports": json.dumps([{"HTTP": 80}, {"HTTPS": 443}], separators=(",", ":")),
        prefix + "ssl-redirect": "443",
        prefix + "ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        prefix + "certificate-arn": settings.certificate_arn or "",
        prefix + "healthcheck-path": health_path,
        prefix + "load-balancer-attributes": ",".join(attrs),
        prefix + "backend-protocol": "HTTP",
    })
    if settings.tags:
        out[prefix + "tags"] = ",".join(f"{k}={v}" for k, v in sorted(settings.tags.items()))
    if subnets:
        out[prefix + "subnets"] = ",".join(subnets)
    if security_group:
        out[prefix + "security-groups"] = security_group
    return out


# ---------------------------------------------------------------- the component

class KubernetesWorkloads(pulumi.ComponentResource):
    """The Kubernetes layer (see the module docstring); a ``ServiceRuntime``.

    Outputs (after :meth:`close`): ``namespace`` (name), ``workloads`` (service key →
    ``Deployment`` | ``StatefulSet``), ``jobs`` (Job names in creation order),
    ``ingress_host`` (public hostname or None), ``storage_class`` (class of the claims or None).
    """

    namespace: pulumi.Output[str]
    workloads: dict[str, str]
    jobs: list[str]
    ingress_host: str | None
    storage_class: str | None

    def __init__(self, name: str, args: KubernetesWorkloadsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        self._name, self._args = name, args
        self.target, self.internal_tls = args.target, args.internal_tls
        self.namespace_name = args.namespace
        self.workloads, self.jobs = {}, []
        self.ingress_host = args.ingress.host if args.ingress else None
        self.storage_class = args.storage.class_name
        self._annotations = dict(PATCH_FORCE) if args.patch_force else {}
        base = list(args.prerequisites)
        if args.create_namespace:
            ns = k8s.core.v1.Namespace(
                f"{name}-namespace", metadata={"name": args.namespace, "annotations": self._annotations, "labels": {
                    "app.kubernetes.io/part-of": "somastack", **dict(args.labels)}},
                opts=self._opts(base))
            self.namespace = ns.metadata.name
            base = [ns]
        else:
            self.namespace = pulumi.Output.from_input(args.namespace)
        self._base = base
        if args.storage.create_gp3:
            sc = k8s.storage.v1.StorageClass(
                f"{name}-gp3", metadata={"name": args.storage.class_name, "annotations": self._annotations},
                provisioner="ebs.csi.aws.com", volume_binding_mode="WaitForFirstConsumer",
                reclaim_policy=args.storage.reclaim_policy, allow_volume_expansion=True,
                parameters={"type": "gp3", "encrypted": "true", "fsType": "ext4"},
                opts=self._opts(list(args.prerequisites)))
            self._base = [*base, sc]

    # ---- ServiceRuntime

    def host_of(self, key: str) -> str:
        """``<key>.<namespace>.svc.cluster.local``."""
        return f"{key}.{self.namespace_name}.svc.cluster.local"

    def _opts(self, depends_on: Sequence[pulumi.Resource]) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self._args.provider, depends_on=list(depends_on))

    def deploy(self, name: str, spec: ServiceSpec, *, parent: pulumi.Resource,
               depends_on: Sequence[pulumi.Resource] = ()) -> DeployedService:
        """Create the Kubernetes objects of ``spec`` (see the module docstring); ``name`` is the
        service component's name (objects are named ``<this component>-<name>-<kind>``)."""
        a = self._args
        key = spec.key
        rname = f"{self._name}-{name}"
        env_out = pulumi.Output.from_input(spec.env)
        labels = {"app.kubernetes.io/name": key, "app.kubernetes.io/part-of": "somastack"}
        gated_labels = gated(labels, env_out)
        meta = lambda obj_name: {"name": obj_name, "namespace": self.namespace_name,  # noqa: E731
                                  "labels": gated_labels, "annotations": self._annotations}
        base = [*self._base, *depends_on]

        refs: dict[str, pulumi.Input[str]] = dict(spec.secrets)
        for task in spec.init:
            refs.update(task.extra_secrets)
        secret_name = f"{key}-secrets"
        if refs:
            if a.secret_values is None:
                raise pulumi.RunError(f"{key}: this cluster has no way to resolve secret references")
            secret = k8s.core.v1.Secret(f"{rname}-secret", metadata=meta(secret_name), type="Opaque",
                                        string_data=a.secret_values(key, refs, self), opts=self._opts(self._base))
            base.append(secret)
        res = resources(spec.sizing)
        security = {"allowPrivilegeEscalation": False}

        previous = list(base)
        jobs: list[pulumi.Resource] = []
        for task in spec.init:
            task_env = pulumi.Output.all(env_out, pulumi.Output.from_input(dict(task.extra_env))).apply(
                lambda e, t=task: env_vars({**{k: str(v) for k, v in e[0].items()},
                                            **{k: str(v) for k, v in e[1].items()}},
                                           sorted({*spec.secrets, *t.extra_secrets}), secret_name))
            job_name = f"{key}-{task.name}"
            job = k8s.batch.v1.Job(
                f"{rname}-{task.name}", metadata=meta(job_name),
                spec={"backoffLimit": 4, "template": {
                    "metadata": {"labels": {**labels, "somastack/one-off": task.name}},
                    "spec": {"restartPolicy": "Never", "containers": [{
                        "name": task.name, "image": task.image or spec.image, "args": list(task.command),
                        "env": task_env, "resources": res, "securityContext": security}]}}},
                opts=self._opts(previous))
            jobs.append(job)
            self.jobs.append(job_name)
            previous = [*base, job]

        container = {
            "name": key, "image": spec.image,
            "ports": [{"containerPort": p, "name": f"p{p}"} for p in (spec.port, *spec.extra_ports)],
            "env": env_out.apply(lambda e: env_vars({k: str(v) for k, v in e.items()}, sorted(spec.secrets),
                                                    secret_name)),
            "resources": res, "securityContext": security, **probes(spec.health, spec.port),
        }
        if spec.command is not None:
            container["args"] = spec.command
        stateful = bool(spec.volumes)
        if stateful:
            container["volumeMounts"] = [{"name": v, "mountPath": p} for v, p in sorted(spec.volumes.items())]
        pod_spec: dict = {"containers": [container]}
        if stateful and spec.volume_owner != (0, 0):
            # the claims' root directories belong to the service's group (Kubernetes docs
            # "Configure a Security Context for a Pod or Container": fsGroup)
            pod_spec["securityContext"] = {"fsGroup": spec.volume_owner[1], "fsGroupChangePolicy": "OnRootMismatch"}
        template = {"metadata": {"labels": labels}, "spec": pod_spec}
        autoscaled = key in a.autoscaled and not stateful and not spec.singleton
        if stateful:
            claims = []
            for vol in sorted(spec.volumes):
                claim_spec: dict = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {
                    "storage": f"{a.storage.size_gib.get(vol, a.storage.default_size_gib)}Gi"}}}
                if a.storage.class_name:
                    claim_spec["storageClassName"] = a.storage.class_name
                claims.append({"metadata": {"name": vol, "labels": labels}, "spec": claim_spec})
            workload = k8s.apps.v1.StatefulSet(
                f"{rname}-statefulset", metadata=meta(key),
                spec={"serviceName": f"{key}-headless", "replicas": 1, "selector": {"matchLabels": labels},
                      "podManagementPolicy": "OrderedReady", "updateStrategy": {"type": "RollingUpdate"},
                      "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
                      "template": template, "volumeClaimTemplates": claims},
                opts=self._opts(previous))
            # the governing Service after the StatefulSet: the engine awaits a Service's
            # endpoints, which exist only once the pods do (serviceName is not checked on create)
            k8s.core.v1.Service(
                f"{rname}-headless", metadata=meta(f"{key}-headless"),
                spec={"clusterIP": "None", "selector": labels, "publishNotReadyAddresses": True,
                      "ports": [{"name": "main", "port": spec.port, "targetPort": spec.port, "protocol": "TCP"}]},
                opts=self._opts([workload]))
            kind = "StatefulSet"
        else:
            # a singleton never runs twice: Recreate stops the old pod before the new one starts
            strategy = ({"type": "Recreate"} if spec.singleton else
                        {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}})
            dep_spec: dict = {"selector": {"matchLabels": labels}, "template": template, "strategy": strategy}
            if spec.singleton:
                dep_spec["replicas"] = 1
            elif not autoscaled:
                dep_spec["replicas"] = spec.sizing.desired_count
            workload = k8s.apps.v1.Deployment(f"{rname}-deployment", metadata=meta(key), spec=dep_spec,
                                              opts=self._opts(previous))
            kind = "Deployment"
        self.workloads[key] = kind
        port_entry = {"name": "main", "port": spec.port, "targetPort": spec.port, "protocol": "TCP"}
        public_node_port = spec.public and a.ingress is None and a.node_port is not None
        if public_node_port:
            port_entry["nodePort"] = a.node_port
        service = k8s.core.v1.Service(
            f"{rname}-svc", metadata=meta(key),
            spec={"type": "NodePort" if public_node_port else "ClusterIP", "selector": labels, "ports": [port_entry]},
            opts=self._opts([workload]))
        k8s.policy.v1.PodDisruptionBudget(
            f"{rname}-pdb", metadata=meta(key),
            spec={"maxUnavailable": 1, "selector": {"matchLabels": labels}}, opts=self._opts([workload]))
        target_ref = {"apiVersion": "apps/v1", "kind": kind, "name": key}
        if autoscaled:
            k8s.autoscaling.v2.HorizontalPodAutoscaler(
                f"{rname}-hpa", metadata=meta(key),
                spec={"scaleTargetRef": target_ref, "minReplicas": spec.sizing.desired_count,
                      "maxReplicas": max(a.autoscaling.max_replicas, spec.sizing.desired_count),
                      "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                          "type": "Utilization", "averageUtilization": a.autoscaling.cpu_utilization}}}]},
                opts=self._opts([workload]))
        if a.autoscaling.vpa:
            controlled = ["memory"] if autoscaled else ["cpu", "memory"]
            k8s.apiextensions.CustomResource(
                f"{rname}-vpa", api_version=VPA_API, kind="VerticalPodAutoscaler", metadata=meta(key),
                spec={"targetRef": target_ref,
                      "updatePolicy": {"updateMode": "Initial" if autoscaled else a.autoscaling.vpa_update_mode},
                      "resourcePolicy": {"containerPolicies": [{"containerName": key,
                                                                "controlledResources": controlled}]}},
                opts=self._opts([workload]))
        if spec.public and a.ingress is not None:
            ing = a.ingress
            annotations = pulumi.Output.all(
                pulumi.Output.from_input(ing.subnet_ids) if ing.subnet_ids is not None else None,
                ing.security_group_id).apply(lambda v: {**self._annotations, **ingress_annotations(
                    ing, health_path=spec.health.path or "/", subnets=v[0], security_group=v[1])})
            ing_spec: dict = {"ingressClassName": ing.class_name, "rules": [{"host": ing.host, "http": {"paths": [{
                "path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": key, "port": {"number": spec.port}}}}]}}]}
            if ing.cluster_issuer:
                ing_spec["tls"] = [{"hosts": [ing.host], "secretName": f"{key}-tls"}]
            k8s.networking.v1.Ingress(
                f"{rname}-ingress", metadata={**meta(key), "annotations": annotations}, spec=ing_spec,
                opts=self._opts([service]))
        if spec.task_policy is not None:
            if a.task_policy is None:
                raise pulumi.RunError(f"{key}: this cluster has no IAM role to attach the service's policy to")
            a.task_policy(rname, gated(spec.task_policy, env_out), self)
        return DeployedService(host=pulumi.Output.from_input(self.host_of(key)), port=spec.port,
                               protocol=spec.protocol, ready=[*jobs, workload])

    def wait_for(self, resources: Sequence[pulumi.Resource]) -> None:
        """Make every object created by later :meth:`deploy` calls depend on ``resources`` (e.g.
        the data engines, before the services whose Jobs create their databases)."""
        self._base = [*self._base, *resources]

    def close(self) -> None:
        """Register the outputs (call once, after the last :meth:`deploy`)."""
        self.register_outputs({"namespace": self.namespace, "workloads": dict(self.workloads),
                               "jobs": list(self.jobs), "ingress_host": self.ingress_host,
                               "storage_class": self.storage_class})
