"""No publicly reachable database, cache or broker.

Checks RDS ``publiclyAccessible``, MSK public access, security group ingress from
``0.0.0.0/0``/``::/0`` that reaches a datastore port (inline ``ingress``, ``SecurityGroupRule``,
``vpc.SecurityGroupIngressRule``), Kubernetes ``LoadBalancer`` Services that expose a
datastore port on an internet-facing load balancer, and Docker containers that publish a
datastore port on a non-loopback host address (Docker's default ``0.0.0.0``).

Source: issue 3 Network ("database and cache reachable from the app and service security
groups only"), seed 001 §1.1 (ports: PostgreSQL 5432, Redis 6379, Kafka 9092, Milvus 19530),
AWS RDS "Hiding a DB instance in a VPC from the internet", Amazon MSK "Public access",
AWS Load Balancer Controller "Service annotations" (``aws-load-balancer-scheme``), Docker docs
"Published ports" (binds to all interfaces unless a host IP is given).
"""

from __future__ import annotations

from typing import Any

from ..registry import NotApplicable, ResourceInput, Rule
from ._env import truthy

#: Datastore ports (seed 001 §1.1; MSK listener ports per Amazon MSK "Port information").
DATASTORE_PORTS: dict[int, str] = {
    5432: "PostgreSQL", 6379: "Redis", 9092: "Kafka", 9094: "Kafka TLS", 9096: "Kafka SASL/SCRAM",
    9098: "Kafka IAM", 2181: "ZooKeeper", 19530: "Milvus", 2379: "etcd",
}
_OPEN = {"0.0.0.0/0", "::/0"}

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
MSK_CLUSTER = "aws:msk/cluster:Cluster"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
K8S_SERVICE = "kubernetes:core/v1:Service"
DOCKER_CONTAINER = "docker:index/container:Container"
_LOOPBACK = ("127.", "::1", "localhost")


def _exposed_ports(protocol: Any, from_port: Any, to_port: Any) -> list[str]:
    """Datastore services reachable through a TCP port range (protocol -1/all = every port)."""
    proto = str(protocol if protocol is not None else "tcp").lower()
    if proto in ("-1", "all"):
        lo, hi = 0, 65535
    elif proto not in ("tcp", "6"):
        return []
    else:
        try:
            lo, hi = int(from_port or 0), int(to_port if to_port is not None else from_port or 0)
        except (TypeError, ValueError):
            return []
        if lo == 0 and hi == 0:
            return []
    return [f"{svc} {port}" for port, svc in sorted(DATASTORE_PORTS.items()) if lo <= port <= hi]


def _open_cidrs(rule_props: dict, v4: str, v6: str) -> bool:
    cidrs = list(rule_props.get(v4) or []) + list(rule_props.get(v6) or [])
    return any(c in _OPEN for c in cidrs)


class NoPublicDatastore(Rule):
    """``no-public-datastore``: No publicly reachable database, cache or broker."""

    name = "no-public-datastore"
    description = "No publicly reachable database, cache or broker."
    level = "mandatory"
    category = "networking"
    resource_types = (RDS_INSTANCE, RDS_CLUSTER_INSTANCE, MSK_CLUSTER, SECURITY_GROUP, SECURITY_GROUP_RULE,
                      INGRESS_RULE, K8S_SERVICE, DOCKER_CONTAINER)
    source = "issue 3 Network; seed 001 §1.1; AWS RDS 'DB instance in a VPC'; Amazon MSK 'Public access'"

    def check(self, res: ResourceInput) -> list[str]:
        """See the module doc. Messages name the property and the exposed service/port."""
        p = res.props
        if res.type in (RDS_INSTANCE, RDS_CLUSTER_INSTANCE):
            return ["publiclyAccessible is true"] if truthy(p.get("publiclyAccessible")) else []
        if res.type == MSK_CLUSTER:
            access = res.get("brokerNodeGroupInfo", "connectivityInfo", "publicAccess", "type", default="DISABLED")
            return [] if str(access).upper() == "DISABLED" else [f"public access is {access} (brokerNodeGroupInfo.connectivityInfo.publicAccess)"]
        if res.type == SECURITY_GROUP:
            out = []
            for i, ing in enumerate(p.get("ingress") or []):
                if _open_cidrs(ing, "cidrBlocks", "ipv6CidrBlocks"):
                    exposed = _exposed_ports(ing.get("protocol"), ing.get("fromPort"), ing.get("toPort"))
                    if exposed:
                        out.append(f"ingress[{i}] from the internet reaches {', '.join(exposed)}")
            return out
        if res.type == SECURITY_GROUP_RULE:
            if str(p.get("type")) != "ingress" or not _open_cidrs(p, "cidrBlocks", "ipv6CidrBlocks"):
                return []
            exposed = _exposed_ports(p.get("protocol"), p.get("fromPort"), p.get("toPort"))
            return [f"ingress from the internet reaches {', '.join(exposed)}"] if exposed else []
        if res.type == INGRESS_RULE:
            if p.get("cidrIpv4") not in _OPEN and p.get("cidrIpv6") not in _OPEN:
                return []
            exposed = _exposed_ports(p.get("ipProtocol"), p.get("fromPort"), p.get("toPort"))
            return [f"ingress from the internet reaches {', '.join(exposed)}"] if exposed else []
        if res.type == K8S_SERVICE:
            if res.get("spec", "type") != "LoadBalancer":
                return []
            ann = res.get("metadata", "annotations", default={}) or {}
            if str(ann.get("service.beta.kubernetes.io/aws-load-balancer-scheme", "")).lower() == "internal" or \
                    truthy(ann.get("service.beta.kubernetes.io/aws-load-balancer-internal")):
                return []
            out = []
            for port in res.get("spec", "ports", default=[]) or []:
                for key in ("port", "targetPort"):
                    val = port.get(key)
                    if isinstance(val, float) and val.is_integer():  # numbers arrive as floats over gRPC
                        val = int(val)
                    if isinstance(val, int) and val in DATASTORE_PORTS:
                        out.append(f"internet-facing LoadBalancer Service exposes {DATASTORE_PORTS[val]} {val}")
                        break
            return out
        if res.type == DOCKER_CONTAINER:
            out = []
            for port in p.get("ports") or []:
                internal = port.get("internal")
                internal = int(internal) if isinstance(internal, (int, float)) else None
                ip = str(port.get("ip") or "0.0.0.0")
                if internal in DATASTORE_PORTS and not ip.startswith(_LOOPBACK):
                    out.append(f"{DATASTORE_PORTS[internal]} {internal} is published on {ip} (bind it to 127.0.0.1)")
            return out
        raise NotApplicable()


#: This module's rules, in report order.
RULES: tuple[type[Rule], ...] = (NoPublicDatastore,)
