"""Kubernetes runtime (EKS): a :class:`somastack_deploy.components.spec.ServiceSpec` → Secret, Jobs, Deployment,
Service (pulumi-kubernetes).

- Secrets: each ``ref+awssecrets://NAME_OR_ARN#/KEY`` is read from Secrets Manager by Pulumi
  (``aws.secretsmanager.get_secret_version``, kept a Pulumi secret, encrypted in state) into one
  Kubernetes Secret per service; containers get it through ``env[].valueFrom.secretKeyRef``,
  never ``env[].value`` (Kubernetes docs "Using Secrets as environment variables"). Other
  reference kinds are rejected.
- One-off tasks: a ``batch/v1`` Job each, chained with ``depends_on`` (pulumi-kubernetes waits
  for a Job to complete); the Deployment depends on the last Job (seed 001 §4).
- Deployment: requests and limits from the spec's sizing, startup/readiness/liveness probes
  (``httpGet`` on the health path, else ``exec``), ``allowPrivilegeEscalation: false``.
- Service: ClusterIP (DNS ``<key>.<namespace>.svc.cluster.local``); the public service (the
  gateway) is a NodePort on :data:`GATEWAY_NODE_PORT`, the ALB target group's port (instance
  targets: the node group's Auto Scaling group is attached to it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from somastack_deploy.components.spec import DeployedService, HealthCheck, ServiceSpec, gated, parse_aws_secret_ref

#: NodePort of the gateway Service; the ALB target group sends to it (range 30000-32767).
GATEWAY_NODE_PORT = 30020


def _exec_probe(hc: HealthCheck, port: int) -> list[str]:
    cmd = list(hc.exec_command(port))
    if cmd and cmd[0] == "CMD-SHELL":
        return ["sh", "-c", " ".join(cmd[1:])]
    if cmd and cmd[0] == "CMD":
        return cmd[1:]
    return cmd


def probe(hc: HealthCheck, port: int, *, failure_threshold: int) -> dict:
    """A Kubernetes probe (dict form): ``httpGet`` when the check has a path, else ``exec``."""
    base = {"periodSeconds": hc.interval_s, "timeoutSeconds": hc.timeout_s, "failureThreshold": failure_threshold}
    if hc.path is not None:
        return {**base, "httpGet": {"path": hc.path, "port": hc.port or port}}
    return {**base, "exec": {"command": _exec_probe(hc, port)}}


def env_vars(env: Mapping[str, str], secret_names: Sequence[str], secret_object: str) -> list[dict]:
    """Container ``env``: plain ``value`` entries for ``env``, ``secretKeyRef`` entries for
    ``secret_names`` (keys of the Secret ``secret_object``). Sorted by name."""
    out = [{"name": k, "value": str(v)} for k, v in env.items() if k not in secret_names]
    out += [{"name": n, "valueFrom": {"secretKeyRef": {"name": secret_object, "key": n}}} for n in secret_names]
    return sorted(out, key=lambda e: e["name"])


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


class KubernetesRuntime:
    """:class:`somastack_deploy.components.spec.ServiceRuntime` for Kubernetes (EKS).

    ``provider``: the ``pulumi_kubernetes.Provider`` built from the cluster's kubeconfig;
    ``namespace``: namespace name (created by the stack); ``node_role_name``: IAM role of the
    node group (services' ``task_policy`` is attached to it: no IRSA here).
    """

    target = "EKS"
    internal_tls = True

    def __init__(self, *, provider: k8s.Provider, namespace: pulumi.Input[str], namespace_name: str,
                 node_role_name: pulumi.Input[str]):
        self.provider, self.namespace, self.namespace_name = provider, namespace, namespace_name
        self.node_role_name = node_role_name

    def host_of(self, key: str) -> str:
        """``<key>.<namespace>.svc.cluster.local``."""
        return f"{key}.{self.namespace_name}.svc.cluster.local"

    def _secret_values(self, key: str, refs: Mapping[str, pulumi.Input[str]], parent: pulumi.Resource) -> pulumi.Output:
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

    def deploy(self, name: str, spec: ServiceSpec, *, parent: pulumi.Resource,
               depends_on: Sequence[pulumi.Resource] = ()) -> DeployedService:
        """Create the service's Kubernetes objects (see the module docstring)."""
        opts = pulumi.ResourceOptions(parent=parent, provider=self.provider)
        env_out = pulumi.Output.from_input(spec.env)
        labels = {"app.kubernetes.io/name": spec.key, "app.kubernetes.io/part-of": "somastack"}
        gated_labels = gated(labels, env_out)
        all_refs: dict[str, pulumi.Input[str]] = dict(spec.secrets)
        for task in spec.init:
            all_refs.update(task.extra_secrets)
        secret_name = f"{spec.key}-secrets"
        if all_refs:
            k8s.core.v1.Secret(f"{name}-secret", metadata={"name": secret_name, "namespace": self.namespace,
                                                           "labels": gated_labels},
                               type="Opaque", string_data=self._secret_values(spec.key, all_refs, parent), opts=opts)
        size = spec.sizing
        resources = {"requests": {"cpu": size.k8s_cpu, "memory": size.k8s_memory},
                     "limits": {"memory": size.k8s_memory}}
        security = {"allowPrivilegeEscalation": False}
        previous = list(depends_on)
        jobs = []
        for task in spec.init:
            task_env = pulumi.Output.all(env_out, pulumi.Output.from_input(dict(task.extra_env))).apply(
                lambda a, t=task: env_vars({**a[0], **a[1]}, sorted({*spec.secrets, *t.extra_secrets}), secret_name))
            job = k8s.batch.v1.Job(
                f"{name}-{task.name}",
                metadata={"name": f"{spec.key}-{task.name}", "namespace": self.namespace, "labels": gated_labels},
                spec={"backoffLimit": 4, "template": {
                    "metadata": {"labels": {**labels, "somastack/one-off": task.name}},
                    "spec": {"restartPolicy": "Never", "containers": [{
                        "name": task.name, "image": task.image or spec.image, "args": list(task.command),
                        "env": task_env, "resources": resources, "securityContext": security}]}}},
                opts=pulumi.ResourceOptions(parent=parent, provider=self.provider, depends_on=previous))
            jobs.append(job)
            previous = [job]
        container = {
            "name": spec.key, "image": spec.image,
            "ports": [{"containerPort": p, "name": f"p{p}"} for p in (spec.port, *spec.extra_ports)],
            "env": env_out.apply(lambda e: env_vars(e, sorted(spec.secrets), secret_name)),
            "resources": resources, "securityContext": security,
            "startupProbe": probe(spec.health, spec.port,
                                  failure_threshold=max(1, spec.health.start_period_s // spec.health.interval_s) + spec.health.retries),
            "readinessProbe": probe(spec.health, spec.port, failure_threshold=spec.health.retries),
            "livenessProbe": probe(spec.health, spec.port, failure_threshold=spec.health.retries),
        }
        if spec.command is not None:
            container["args"] = spec.command
        pod_spec: dict = {"containers": [container]}
        if spec.volumes:
            pod_spec["volumes"] = [{"name": v, "emptyDir": {}} for v in sorted(spec.volumes)]
            container["volumeMounts"] = [{"name": v, "mountPath": p} for v, p in sorted(spec.volumes.items())]
        deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata={"name": spec.key, "namespace": self.namespace, "labels": gated_labels},
            spec={"replicas": size.desired_count, "selector": {"matchLabels": labels},
                  "template": {"metadata": {"labels": labels}, "spec": pod_spec}},
            opts=pulumi.ResourceOptions(parent=parent, provider=self.provider, depends_on=previous))
        port_entry = {"name": "main", "port": spec.port, "targetPort": spec.port, "protocol": "TCP"}
        if spec.public:
            port_entry["nodePort"] = GATEWAY_NODE_PORT
        k8s.core.v1.Service(
            f"{name}-svc", metadata={"name": spec.key, "namespace": self.namespace, "labels": gated_labels},
            spec={"type": "NodePort" if spec.public else "ClusterIP", "selector": labels, "ports": [port_entry]},
            opts=pulumi.ResourceOptions(parent=parent, provider=self.provider, depends_on=[deployment]))
        if spec.task_policy is not None:
            aws.iam.RolePolicy(f"{name}-node-policy", role=self.node_role_name, policy=gated(spec.task_policy, env_out),
                               opts=pulumi.ResourceOptions(parent=parent))
        return DeployedService(host=pulumi.Output.from_input(self.host_of(spec.key)), port=spec.port,
                               protocol=spec.protocol, ready=[*jobs, deployment])
