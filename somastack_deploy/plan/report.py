"""Turn a :class:`~somastack_deploy.plan.runner.CapturedPlan` and its policy results into the
``plan`` command's outputs (JSON document, text tree, SARIF).

``build(plan, *, config, stack) -> PlanReport``: runs :func:`policies.check` over the captured
resources; ``PlanReport.doc`` is the JSON document of :mod:`somastack_deploy.commands.plan`,
``PlanReport.results`` the :class:`policies.CheckResult` list, ``PlanReport.passed`` False
when a mandatory rule failed. ``render(report, fmt, *, path)`` → text for ``text``/``json``/
``sarif`` (text and SARIF through the shared :mod:`somastack_deploy.reports` formatters).
Every printed value went through :func:`somastack_deploy.plan.redact.redact`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from somastack_deploy.policies import REGISTRY, CheckResult, check
from somastack_deploy.policies.evaluate import blocks, errors_of, violations_of
from somastack_deploy.reports import Result, RuleMeta, render as render_results

from .redact import redact
from .runner import STACK_TYPE, CapturedPlan, mask_tree

K8S_SECRET = "kubernetes:core/v1:Secret"

TOOL = "somastack-deploy plan"

#: Key properties shown in the text tree, per type token (inputs, camelCase; dotted paths).
KEY_PROPS: dict[str, tuple[str, ...]] = {
    "aws:ec2/vpc:Vpc": ("cidrBlock",),
    "aws:ec2/subnet:Subnet": ("cidrBlock", "availabilityZone", "mapPublicIpOnLaunch"),
    "aws:ec2/securityGroup:SecurityGroup": ("description",),
    "aws:rds/instance:Instance": ("engine", "engineVersion", "instanceClass", "multiAz", "storageEncrypted",
                                  "deletionProtection", "publiclyAccessible", "backupRetentionPeriod"),
    "aws:elasticache/replicationGroup:ReplicationGroup": ("engine", "engineVersion", "nodeType", "clusterMode", "numNodeGroups",
                                                          "replicasPerNodeGroup", "numCacheClusters",
                                                          "transitEncryptionEnabled", "atRestEncryptionEnabled",
                                                          "automaticFailoverEnabled"),
    "aws:msk/cluster:Cluster": ("kafkaVersion", "numberOfBrokerNodes", "encryptionInfo.encryptionInTransit.clientBroker"),
    "aws:lb/loadBalancer:LoadBalancer": ("loadBalancerType", "internal", "idleTimeout"),
    "aws:lb/listener:Listener": ("port", "protocol", "defaultActions.0.type"),
    "aws:lb/targetGroup:TargetGroup": ("port", "protocol", "targetType", "healthCheck.path"),
    "aws:ecs/taskDefinition:TaskDefinition": ("family", "cpu", "memory"),
    "aws:ecs/service:Service": ("desiredCount", "launchType"),
    "aws:cloudwatch/logGroup:LogGroup": ("name", "retentionInDays"),
    "aws:eks/cluster:Cluster": ("version",),
    "aws:eks/nodeGroup:NodeGroup": ("instanceTypes", "scalingConfig.desiredSize"),
    "aws:s3/bucket:Bucket": ("bucket",),
    "aws:secretsmanager/secret:Secret": ("name",),
    "kubernetes:apps/v1:Deployment": ("metadata.name", "spec.replicas"),
    "kubernetes:core/v1:Service": ("metadata.name", "spec.type"),
    "kubernetes:batch/v1:Job": ("metadata.name",),
    "docker:index/container:Container": ("image", "ports.0.external"),
    "docker:index/network:Network": ("name",),
    "docker:index/volume:Volume": ("name",),
}


@dataclass
class PlanReport:
    """``doc``: the JSON document; ``results``: every policy result; ``passed``: no mandatory
    violation and no ERROR (a rule that raised)."""

    doc: dict
    results: list[CheckResult]
    passed: bool


def _dig(props: Mapping, dotted: str):
    node = props
    for step in dotted.split("."):
        if isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        elif isinstance(node, Mapping) and step in node:
            node = node[step]
        else:
            return None
    return node


def key_props(res_type: str, props: Mapping) -> dict:
    """The key properties of a resource for the text tree (already-redacted ``props``)."""
    keys = KEY_PROPS.get(res_type)
    if keys is None:
        keys = tuple(k for k, v in sorted(props.items())
                     if isinstance(v, (int, float, bool)) or (isinstance(v, str) and len(v) <= _MAX_SHOWN))[:3]
    out = {}
    for k in keys:
        v = _dig(props, k)
        if v is None:
            continue
        text = v if isinstance(v, str) else repr(v) if not isinstance(v, (list, dict)) else None
        if text is None:
            import json

            text = json.dumps(v, sort_keys=True)
        out[k] = text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN - 3] + "..."
    return out


_MAX_SHOWN = 60  # characters of one property value in the text tree


def _props(r) -> dict:
    """A resource's printable inputs: redacted; a Kubernetes Secret's data always masked."""
    props = redact(r.inputs)
    if r.type == K8S_SECRET:
        props = {k: (mask_tree(v) if k in ("data", "stringData") else v) for k, v in props.items()}
    return props


def target_of(config: Mapping[str, object], stack: str) -> str:
    """The deployment target: config ``somastack:SA01_DEPLOYMENT_TARGET``, else the stack
    name's first dash-separated word upper-cased (``fargate-prod`` → ``FARGATE``)."""
    value = config.get("somastack:SA01_DEPLOYMENT_TARGET")
    return str(value) if isinstance(value, str) and value else stack.split("-", 1)[0].upper()


def build(plan: CapturedPlan, *, config: Mapping[str, object], stack: str) -> PlanReport:
    """Run the policies over ``plan`` and build the report (see module doc)."""
    results = check(plan.resources)
    violations = violations_of(results)
    passed = not blocks(results)
    resources = []
    for r in plan.resources:
        parent = None if r.parent_type == STACK_TYPE else r.parent_name
        resources.append({"type": r.type, "name": r.name, "parent": parent, "parent_type": None if parent is None else r.parent_type,
                          "parent_urn": None if parent is None else r.parent, "urn": r.urn, "props": _props(r)})
    counts = {s.lower(): sum(1 for cr in results if cr.status == s) for s in ("PASSED", "FAILED", "UNKNOWN", "ERROR")}
    errors = [{"policy": cr.rule, "resource": cr.resource, "type": cr.resource_type, "urn": cr.urn, "level": cr.level,
               "message": msg} for cr in errors_of(results) for msg in cr.messages]
    doc = {
        "version": 1, "stack": stack, "target": target_of(config, stack), "project": plan.project,
        "resources": resources,
        "outputs": redact(plan.stack_outputs),
        "policy": {"passed": passed, "counts": counts, "violations": [v.to_dict() for v in violations],
                   "errors": errors},
    }
    return PlanReport(doc=doc, results=results, passed=passed)


def _results(report: PlanReport, *, path: str) -> list[Result]:
    out = []
    for cr in report.results:
        if cr.status == "PASSED":
            out.append(Result(rule_id=cr.rule, message=f"{cr.resource_type} {cr.resource}", status="PASSED",
                              group=cr.resource, name=cr.rule, path=path))
            continue
        level = "error" if cr.level == "mandatory" or cr.status == "ERROR" else "warning"
        if cr.status == "UNKNOWN":
            level = "note"
        # ERROR (the rule raised) is shown as a blocking failure of the rule in every format
        status = "FAILED" if cr.status == "ERROR" else cr.status
        prefix = "rule error: " if cr.status == "ERROR" else ""
        for msg in cr.messages or ("",):
            out.append(Result(rule_id=cr.rule, message=f"{cr.resource_type} {cr.resource}: {prefix}{msg}", status=status,
                              level=level, group=cr.resource, name=cr.rule, path=path,
                              properties={"urn": cr.urn, "resourceType": cr.resource_type,
                                          "enforcementLevel": cr.level, "checkStatus": cr.status}))
    return out


def _rules_meta() -> list[RuleMeta]:
    return [RuleMeta(id=r.name, name=r.name, description=f"{r.description} Source: {r.source}.") for r in REGISTRY]


def _tree(doc: dict) -> list[str]:
    by_parent: dict[str | None, list[dict]] = {}
    for res in doc["resources"]:
        by_parent.setdefault(res["parent_urn"], []).append(res)
    lines: list[str] = []

    def walk(urn: str | None, depth: int) -> None:
        for res in by_parent.get(urn, []):
            props = key_props(res["type"], res["props"])
            shown = ", ".join(f"{k}={v}" for k, v in props.items())
            lines.append(f"{'  ' * depth}{res['type']}  {res['name']}{'  ' + shown if shown else ''}")
            walk(res["urn"], depth + 1)

    walk(None, 1)
    return lines


def render(report: PlanReport, fmt: str, *, path: str) -> str:
    """Render ``report`` as ``text``, ``json`` or ``sarif`` (see module doc)."""
    doc = report.doc
    if fmt == "json":
        return render_results("json", [], tool=TOOL, json_doc=doc)
    results = _results(report, path=path)
    if fmt == "sarif":
        return render_results("sarif", results, tool=TOOL, rules=_rules_meta())
    if fmt != "text":
        raise ValueError(f"unknown format {fmt!r}")
    counts = doc["policy"]["counts"]
    head = [f"Plan for stack {doc['stack']} (target {doc['target']}, project {doc['project']}): "
            f"{len(doc['resources'])} resources"]
    head += _tree(doc)
    if doc["outputs"]:
        head.append("Stack outputs: " + ", ".join(sorted(doc["outputs"])))
    shown = [r for r in results if r.status != "PASSED"]
    table = render_results("text", shown, tool=TOOL,
                           title=f"\nPolicies: {'PASSED' if report.passed else 'FAILED'} "
                                 f"({counts['passed']} passed, {counts['failed']} failed, {counts['unknown']} unknown, "
                                 f"{counts['error']} error)",
                           checked=f"{len(doc['resources'])} resources, {len(report.results)} policy checks")
    return "\n".join(head) + "\n" + table
