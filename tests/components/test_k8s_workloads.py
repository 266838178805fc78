"""``somastack:k8s:Workloads`` on its own, under the mock runtime, and its pure helpers."""

from __future__ import annotations

import pytest

from somastack_deploy.components.k8s_workloads import (AutoscalingSettings, IngressSettings, KubernetesWorkloads,
                                                       KubernetesWorkloadsArgs, StorageSettings, env_vars,
                                                       exec_command, ingress_annotations, probe, probes, resources)
from somastack_deploy.components.spec import HealthCheck, OneOffTask, ServiceSpec, Sizing


def test_probe_forms():
    http = HealthCheck(path="/h", port=9, interval_s=10, timeout_s=3, retries=4, start_period_s=95)
    assert probe(http, 80, failure_threshold=4) == {"periodSeconds": 10, "timeoutSeconds": 3, "failureThreshold": 4,
                                                     "httpGet": {"path": "/h", "port": 9}}
    p = probes(http, 80)
    assert p["startupProbe"]["failureThreshold"] == 9 + 4 and p["livenessProbe"]["failureThreshold"] == 4
    assert exec_command(HealthCheck(command=("CMD-SHELL", "pg_isready", "-q")), 1) == ["sh", "-c", "pg_isready -q"]
    assert exec_command(HealthCheck(command=("CMD", "redis-cli", "ping")), 1) == ["redis-cli", "ping"]
    assert probe(HealthCheck(command=("true",)), 1, failure_threshold=1)["exec"] == {"command": ["true"]}
    assert probes(HealthCheck(path="/", interval_s=15, start_period_s=10), 1)["startupProbe"]["failureThreshold"] == 6


def test_env_vars_keep_secrets_as_references():
    out = env_vars({"B": "2", "A": "1", "S": "leak"}, ["S"], "svc-secrets")
    assert out == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"},
                   {"name": "S", "valueFrom": {"secretKeyRef": {"name": "svc-secrets", "key": "S"}}}]


def test_resources():
    assert resources(Sizing(cpu_units=4096, memory_mib=16384, ephemeral_storage_gib=30)) == {
        "requests": {"cpu": "4000m", "memory": "16384Mi", "ephemeral-storage": "30Gi"},
        "limits": {"memory": "16384Mi"}}


def test_ingress_annotations():
    s = IngressSettings(host="api.x.io", certificate_arn="arn:aws:acm:us-east-1:1:certificate/c",
                        deletion_protection=True, tags={"B": "2", "A": "1"})
    a = ingress_annotations(s, health_path="/api/v1/health", subnets=["s1", "s2"], security_group="sg-1")
    assert a["alb.ingress.kubernetes.io/subnets"] == "s1,s2" and a["alb.ingress.kubernetes.io/security-groups"] == "sg-1"
    assert a["alb.ingress.kubernetes.io/tags"] == "A=1,B=2"
    assert a["alb.ingress.kubernetes.io/listen-ports"] == '[{"HTTP":80},{"HTTPS":443}]'
    assert a["alb.ingress.kubernetes.io/load-balancer-attributes"] == \
        "idle_timeout.timeout_seconds=3600,deletion_protection.enabled=true"
    assert a["alb.ingress.kubernetes.io/healthcheck-path"] == "/api/v1/health"
    nginx = ingress_annotations(IngressSettings(host="dev.x.io", class_name="nginx", cluster_issuer="le"),
                                health_path="/")
    assert nginx == {"external-dns.alpha.kubernetes.io/hostname": "dev.x.io", "cert-manager.io/cluster-issuer": "le"}


@pytest.mark.parametrize("build,message", [
    (lambda: IngressSettings(host="api.x.io"), r"certificate_arn \(ACM\) or a cert-manager cluster_issuer"),
    (lambda: IngressSettings(host="api.x.io", cluster_issuer="le"), "class alb terminates TLS with an ACM"),
    (lambda: IngressSettings(host="localhost", certificate_arn="arn"), "host must be a DNS name"),
    (lambda: StorageSettings(create_gp3=True), "create_gp3 needs class_name"),
    (lambda: StorageSettings(reclaim_policy="Recycle"), "Retain or Delete"),
    (lambda: StorageSettings(size_gib={"x": 0}), "whole GiB"),
    (lambda: AutoscalingSettings(cpu_utilization=0), "percentage"),
    (lambda: AutoscalingSettings(max_replicas=0), "max_replicas"),
    (lambda: AutoscalingSettings(vpa_update_mode="Sometimes"), "vpa_update_mode"),
])
def test_settings_are_validated(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def _program(spec_env, *, secret_values=None, vpa=False, node_port=None, ingress=None, public=False, desired=3):
    import pulumi
    import pulumi_kubernetes as k8s

    def program():
        provider = k8s.Provider("k8s", kubeconfig="/dev/null", enable_server_side_apply=True)
        w = KubernetesWorkloads("kw", KubernetesWorkloadsArgs(
            provider=provider, namespace="ns1", secret_values=secret_values, node_port=node_port, ingress=ingress,
            storage=StorageSettings(class_name="fast", size_gib={"data": 7}),
            autoscaling=AutoscalingSettings(vpa=vpa), autoscaled=("web", "db")))
        parent = pulumi.ComponentResource("test:index:Svc", "svc")
        w.deploy("db", ServiceSpec(key="db", image="db:1", port=5432, env=spec_env,
                                   secrets={"PW": "${PW}"} if secret_values else {},
                                   health=HealthCheck(command=("true",)), volumes={"data": "/d", "wal": "/w"}),
                 parent=parent)
        w.deploy("web", ServiceSpec(key="web", image="web:1", port=8080, env={"X": "1"}, public=public,
                                    secrets={"TOKEN": "${TOKEN}"} if secret_values else {},
                                    health=HealthCheck(path="/h"), sizing=Sizing(desired_count=desired),
                                    init=(OneOffTask(name="migrate", command=("m",)),)), parent=parent)
        w.close()
    return program


def test_component_objects_and_outputs(run_program):
    plan = run_program(_program({"PGDATA": "/d/pg"}), stack="test-dev")
    (comp,) = plan.of_type("somastack:k8s:Workloads")
    assert comp.outputs == {"namespace": "ns1", "workloads": {"db": "StatefulSet", "web": "Deployment"},
                            "jobs": ["web-migrate"], "storage_class": "fast"}  # ingress_host None: not registered
    assert all(c.name.startswith("kw-") for c in plan.children(comp))
    (sts,) = plan.of_type("kubernetes:apps/v1:StatefulSet")
    claims = {c["metadata"]["name"]: c["spec"] for c in sts.props["spec"]["volumeClaimTemplates"]}
    assert claims["data"]["resources"]["requests"]["storage"] == "7Gi" and claims["wal"]["storageClassName"] == "fast"
    assert claims["wal"]["resources"]["requests"]["storage"] == "20Gi"
    assert sts.props["spec"]["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    (dep,) = plan.of_type("kubernetes:apps/v1:Deployment")
    assert "replicas" not in dep.props["spec"]
    (hpa,) = plan.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")  # none for the StatefulSet
    assert (hpa.props["spec"]["minReplicas"], hpa.props["spec"]["maxReplicas"]) == (3, 10)
    assert hpa.props["spec"]["scaleTargetRef"]["name"] == "web"
    (job,) = plan.of_type("kubernetes:batch/v1:Job")
    assert job.urn in dep.dependencies and job.props["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert plan.of_type("kubernetes:core/v1:Secret") == []  # no secret references: no Secret
    svc = {s.props["metadata"]["name"]: s.props["spec"] for s in plan.of_type("kubernetes:core/v1:Service")}
    assert svc["db-headless"]["clusterIP"] == "None" and svc["web"]["type"] == "ClusterIP"
    assert plan.of_type("kubernetes:core/v1:ConfigMap") == []
    assert sts.props["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "PGDATA", "value": "/d/pg"}]
    assert job.props["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "X", "value": "1"}]


def test_secrets_node_port_and_vpa(run_program):
    import pulumi

    def values(key, refs, parent):
        return pulumi.Output.secret({k: f"value-of-{k}" for k in refs})

    # an env name that is also a secret (the runtime must never put it in the ConfigMap)
    plan = run_program(_program({"PW": "shadowed", "A": "1"}, secret_values=values, vpa=True, node_port=30099,
                                public=True, desired=12), stack="test-dev")
    db = plan.of_type("kubernetes:apps/v1:StatefulSet")[0].props["spec"]["template"]["spec"]["containers"][0]
    assert db["env"] == [{"name": "A", "value": "1"},
                         {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "db-secrets", "key": "PW"}}}]
    (hpa,) = plan.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
    assert (hpa.props["spec"]["minReplicas"], hpa.props["spec"]["maxReplicas"]) == (12, 12)
    secret = {s.props["metadata"]["name"]: s for s in plan.of_type("kubernetes:core/v1:Secret")}["web-secrets"]
    assert secret.props["stringData"] == {"TOKEN": "value-of-TOKEN"} and "stringData" in secret.secret_inputs
    (dep,) = plan.of_type("kubernetes:apps/v1:Deployment")
    env = dep.props["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "web-secrets", "key": "TOKEN"}}},
                   {"name": "X", "value": "1"}]
    svc = {s.props["metadata"]["name"]: s.props["spec"] for s in plan.of_type("kubernetes:core/v1:Service")}
    assert svc["web"]["type"] == "NodePort" and svc["web"]["ports"][0]["nodePort"] == 30099
    vpas = {v.props["metadata"]["name"]: v.props["spec"] for v in
            plan.of_type("kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler")}
    assert vpas["web"]["resourcePolicy"]["containerPolicies"][0]["controlledResources"] == ["memory"]
    assert vpas["db"]["resourcePolicy"]["containerPolicies"][0]["controlledResources"] == ["cpu", "memory"]
    assert vpas["db"]["updatePolicy"] == {"updateMode": "Initial"}


def test_a_secret_without_a_resolver_fails(run_program):
    with pytest.raises(Exception, match="no way to resolve secret references"):
        run_program(_secret_without_resolver(), stack="test-dev")


def _secret_without_resolver():
    import pulumi
    import pulumi_kubernetes as k8s

    def program():
        provider = k8s.Provider("k8s", kubeconfig="/dev/null")
        w = KubernetesWorkloads("kw", KubernetesWorkloadsArgs(provider=provider, namespace="ns1"))
        w.deploy("web", ServiceSpec(key="web", image="web:1", port=1, secrets={"T": "${T}"},
                                    health=HealthCheck(path="/")), parent=pulumi.ComponentResource("t:i:S", "s"))
    return program


@pytest.mark.parametrize("kwargs,message", [
    ({"namespace": ""}, "namespace"), ({"namespace": "n", "node_port": 80}, "node_port"),
])
def test_args_are_validated(kwargs, message):
    with pytest.raises(ValueError, match=message):
        KubernetesWorkloadsArgs(provider=None, **kwargs)
