"""The one shared Pulumi mock for SomaStack programs: realistic outputs per resource type.

API (stable; components' and stacks' unit tests use it)::

    from somastack_deploy.plan.mocks import SomaStackMocks
    mocks = SomaStackMocks(region=None, account_id="123456789012")
    pulumi.runtime.set_mocks(mocks, project="somastack", stack="fargate-prod", preview=False)

- ``SomaStackMocks.new_resource(args) -> (id, outputs)``: ``outputs`` is the resource's
  inputs plus what AWS/Kubernetes/Docker would compute: ``id``, ``arn``, ``name`` (the
  auto-name ``<logical>-<7 hex>`` when the program gave none), and per type the endpoints a
  program reads (see :data:`COMPUTED` and the ``_<service>`` helpers): RDS ``address``,
  ``endpoint`` (``host:port``), ``port`` and ``masterUserSecrets`` (Secrets Manager ARN when
  ``manageMasterUserPassword``); ElastiCache ``primaryEndpointAddress``,
  ``readerEndpointAddress``, ``port``; MSK ``bootstrapBrokers``/``bootstrapBrokersTls``/
  ``bootstrapBrokersSaslIam`` (3 brokers, ports 9092/9094/9098); ALB ``dnsName``,
  ``zoneId``, ``arnSuffix``; EKS ``endpoint``, ``certificateAuthority.data`` (base64 PEM),
  ``identities[0].oidcs[0].issuer``; Kubernetes ``metadata.name``/``namespace``/``uid``;
  Docker ``name``, ``networkDatas`` etc. Every value is deterministic: it derives from
  (type token, logical name), so two runs give byte-identical results.
- ``SomaStackMocks.call(args) -> dict``: invokes such as ``aws:index/getAvailabilityZones``
  (``<region>a``, ``b``, ``c``), ``getCallerIdentity``, ``getRegion``, ``getPartition``,
  ``aws:iam/getPolicyDocument`` (a real JSON policy rendered from the statements); anything
  else returns its arguments.
  ``aws:secretsmanager/getSecretVersion`` returns ``secretString``: the JSON document given
  for that secret id in ``secret_values`` (a mapping → JSON, a str as is), else a JSON object
  with a deterministic ``mock-…`` value for each of :data:`DEFAULT_SECRET_KEYS`.
- ``region``: the AWS region used in ARNs and hostnames; ``None`` reads the Pulumi config
  ``aws:region`` at call time (default ``us-east-1``).

Sources: AWS ARN formats (AWS General Reference, "Amazon Resource Names"), RDS/ElastiCache/
MSK/EKS API reference output fields, Pulumi testing guide ("Unit testing Pulumi programs").
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.runtime import rpc

__all__ = ["SomaStackMocks", "DEFAULT_ACCOUNT_ID", "DEFAULT_REGION", "DEFAULT_SECRET_KEYS"]

#: Keys present in a mocked Secrets Manager secret value when the test gave none.
DEFAULT_SECRET_KEYS: tuple[str, ...] = ("username", "password", "token", "auth_token", "preshared_key",
                                        "secret", "secret_key", "api_key", "client_secret", "key")

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"

#: Default ports by engine (seed 001 §2 infrastructure ports; AWS defaults).
_DB_PORTS = {"postgres": 5432, "mysql": 3306, "aurora-postgresql": 5432}

#: Outputs the real providers mark secret (their schemas' ``secret: true``).
_SECRET_OUTPUTS: dict[str, tuple[str, ...]] = {
    "random:index/randomPassword:RandomPassword": ("result", "bcryptHash"),
    "aws:secretsmanager/secretVersion:SecretVersion": ("secretString", "secretBinary"),
}

_FAKE_CA_PEM = (
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBszCCAVmgAwIBAgIUSomaStackMockCertificateAuthorityMAoGCCqGSM49BAMC\n"
    "-----END CERTIFICATE-----\n"
)


def _hex(*parts: str, n: int = 8) -> str:
    """Deterministic lowercase hex of length ``n`` from ``parts``."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:n]


def _service_of(token: str) -> tuple[str, str, str]:
    """Split ``aws:rds/instance:Instance`` → ``("aws", "rds", "Instance")``."""
    pkg, _, rest = token.partition(":")
    mod, _, typ = rest.partition(":")
    return pkg, mod.split("/")[0], typ


class SomaStackMocks(pulumi.runtime.Mocks):
    """``pulumi.runtime.Mocks`` returning realistic, deterministic outputs (see module doc).

    ``region`` (str | None): AWS region for ARNs/hostnames (None: config ``aws:region`` or
    ``us-east-1``). ``account_id`` (12 digits): the AWS account in ARNs.
    """

    def __init__(self, region: str | None = None, account_id: str = DEFAULT_ACCOUNT_ID,
                 secret_values: Mapping[str, Any] | None = None):
        self._region = region
        self.account_id = account_id
        self.secret_values = dict(secret_values or {})

    # ------------------------------------------------------------------ helpers
    @property
    def region(self) -> str:
        """The AWS region in use (constructor value, else Pulumi config ``aws:region``)."""
        if self._region:
            return self._region
        try:
            value = pulumi.runtime.get_config("aws:region")
        except Exception:  # noqa: BLE001 - no runtime configured
            value = None
        return value or DEFAULT_REGION

    def _arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{self.account_id if account else ''}:{resource}"

    # ------------------------------------------------------------------ Mocks API
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        """Return ``(physical id, outputs)`` for a resource registration (see module doc)."""
        raw: dict[str, Any] = dict(args.inputs or {})
        # Secret inputs arrive wrapped; compute on plain values, then keep the inputs' secretness.
        secret_keys = {k for k, v in raw.items() if rpc.is_rpc_secret(v)}
        inputs = {k: rpc.unwrap_rpc_secret(v) for k, v in raw.items()}
        token = args.typ
        pkg, mod, typ = _service_of(token)
        suffix = _hex(token, args.name, n=7)
        if token.startswith("pulumi:providers:"):
            rid, out = f"{args.name}-provider-{suffix}", inputs
        elif pkg == "aws":
            rid, out = self._aws(token, mod, typ, args.name, suffix, inputs)
        elif pkg == "kubernetes":
            rid, out = self._kubernetes(token, args.name, suffix, inputs)
        elif pkg == "docker":
            rid, out = self._docker(token, args.name, suffix, inputs)
        elif pkg == "random":
            rid, out = self._random(token, args.name, suffix, inputs)
        else:
            rid, out = f"{args.name}-{suffix}", inputs
        for key in secret_keys:
            if key in out and out[key] == inputs.get(key):
                out[key] = raw[key]
        if token in _SECRET_OUTPUTS:
            for key in _SECRET_OUTPUTS[token]:
                if key in out:
                    out[key] = rpc.wrap_rpc_secret(out[key])
        return rid, out

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        """Return the result of an invoke (see module doc); unknown tokens echo their args."""
        tok = args.token
        a = dict(args.args or {})
        region = self.region
        if tok == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = [f"{region}{z}" for z in "abc"]
            return {"names": names, "zoneIds": [f"use1-az{i}" for i in (1, 2, 4)], "id": region,
                    "groupNames": [region], "state": "available"}
        if tok == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": self.account_id, "arn": f"arn:aws:iam::{self.account_id}:user/somastack-ci",
                    "userId": "AIDASOMASTACKMOCK", "id": self.account_id}
        if tok == "aws:index/getRegion:getRegion":
            return {"name": region, "region": region, "id": region, "endpoint": f"ec2.{region}.amazonaws.com",
                    "description": region}
        if tok == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
        if tok == "aws:iam/getPolicyDocument:getPolicyDocument":
            return {"json": _policy_json(a), "minifiedJson": _policy_json(a, minified=True), "id": _hex(json.dumps(a, sort_keys=True, default=str))}
        if tok == "aws:secretsmanager/getSecretVersion:getSecretVersion":
            sid = str(a.get("secretId") or "")
            arn = sid if sid.startswith("arn:") else self._arn("secretsmanager", f"secret:{sid}-{_hex('sm', sid, n=6)}")
            given = self.secret_values.get(sid)
            if given is None:
                given = {k: ("somastack" if k == "username" else f"mock-{k}-{_hex('secret', sid, k, n=16)}")
                         for k in DEFAULT_SECRET_KEYS}
            text = given if isinstance(given, str) else json.dumps(given, sort_keys=True)
            return {"arn": arn, "id": f"{arn}|AWSCURRENT", "secretId": sid, "secretString": text,
                    "secretBinary": "", "versionId": f"{_hex('ver', sid, n=8)}-0000-4000-8000-{_hex('ver2', sid, n=12)}",
                    "versionStage": a.get("versionStage") or "AWSCURRENT", "versionStages": ["AWSCURRENT"],
                    "createdDate": "2026-01-01T00:00:00Z"}
        if tok == "aws:secretsmanager/getSecret:getSecret":
            sid = str(a.get("arn") or a.get("name") or "")
            arn = sid if sid.startswith("arn:") else self._arn("secretsmanager", f"secret:{sid}-{_hex('sm', sid, n=6)}")
            return {**a, "arn": arn, "id": arn, "name": sid.split(":")[-1] if not sid.startswith("arn:") else sid.split(":")[6]}
        if tok == "aws:acm/getCertificate:getCertificate":
            dom = str(a.get("domain") or "example.com")
            return {**a, "arn": self._arn("acm", f"certificate/{_hex('cert', dom, n=8)}-0000-4000-8000-{_hex('cert2', dom, n=12)}"),
                    "id": dom, "status": "ISSUED"}
        if tok == "aws:route53/getZone:getZone":
            return {**a, "zoneId": f"Z0{_hex('zone', str(a.get('name')), n=18).upper()}", "id": f"Z0{_hex('zone', str(a.get('name')), n=18).upper()}",
                    "nameServers": [f"ns-{i}.awsdns-0{i}.org" for i in range(1, 5)]}
        if tok == "aws:eks/getClusterAuth:getClusterAuth":
            return {"name": a.get("name"), "id": a.get("name"), "token": "k8s-aws-v1." + _hex("eks-token", str(a.get("name")), n=40)}
        if tok == "aws:ec2/getAmi:getAmi":
            return {**a, "id": "ami-0" + _hex("ami", n=16), "imageId": "ami-0" + _hex("ami", n=16)}
        if tok == "aws:ssm/getParameter:getParameter":
            return {**a, "value": "ami-0" + _hex("ssm", a.get("name", ""), n=16), "type": "String",
                    "arn": self._arn("ssm", f"parameter{a.get('name', '')}"), "id": a.get("name", "")}
        return a

    # ------------------------------------------------------------------ AWS
    def _aws(self, token: str, mod: str, typ: str, name: str, suffix: str, inp: dict) -> tuple[str, dict]:
        out = dict(inp)
        auto = f"{name}-{suffix}"
        out.setdefault("tagsAll", dict(inp.get("tags") or {}))
        helper = getattr(self, f"_aws_{mod}", None)
        if helper is not None:
            rid = helper(typ, name, auto, suffix, out)
            if rid:
                return rid, out
        # Generic AWS resource: named, with an ARN in its service.
        resource_name = out.get("name") or auto
        out.setdefault("name", resource_name)
        out.setdefault("arn", self._arn(mod, f"{typ[0].lower() + typ[1:]}/{resource_name}"))
        return resource_name, out

    def _aws_ec2(self, typ, name, auto, suffix, out):
        prefixes = {"Vpc": "vpc", "Subnet": "subnet", "SecurityGroup": "sg", "InternetGateway": "igw",
                    "NatGateway": "nat", "Eip": "eipalloc", "RouteTable": "rtb", "Route": "r",
                    "RouteTableAssociation": "rtbassoc", "SecurityGroupRule": "sgrule",
                    "LaunchTemplate": "lt", "VpcEndpoint": "vpce", "Instance": "i", "KeyPair": "key"}
        prefix = prefixes.get(typ, typ.lower())
        rid = f"{prefix}-0{_hex(typ, name, n=16)}"
        kind = {"Vpc": "vpc", "Subnet": "subnet", "SecurityGroup": "security-group", "InternetGateway": "internet-gateway",
                "NatGateway": "natgateway", "Eip": "elastic-ip", "RouteTable": "route-table",
                "LaunchTemplate": "launch-template", "VpcEndpoint": "vpc-endpoint", "Instance": "instance"}.get(typ, typ.lower())
        out.setdefault("arn", self._arn("ec2", f"{kind}/{rid}"))
        out.setdefault("ownerId", self.account_id)
        if typ == "Vpc":
            out.setdefault("cidrBlock", "10.0.0.0/16")
            out.setdefault("defaultSecurityGroupId", f"sg-0{_hex('default-sg', name, n=16)}")
            out.setdefault("mainRouteTableId", f"rtb-0{_hex('main-rtb', name, n=16)}")
            out.setdefault("defaultRouteTableId", out["mainRouteTableId"])
        elif typ == "Subnet":
            out.setdefault("availabilityZone", f"{self.region}a")
            out.setdefault("availabilityZoneId", "use1-az1")
        elif typ == "SecurityGroup":
            out.setdefault("name", auto)
            out.setdefault("ingress", [])
            out.setdefault("egress", [])
        elif typ == "Eip":
            h = int(_hex("eip", name, n=4), 16)
            out.setdefault("publicIp", f"198.51.100.{h % 250 + 1}")
            out.setdefault("allocationId", rid)
            out.setdefault("domain", "vpc")
        elif typ == "NatGateway":
            out.setdefault("publicIp", f"203.0.113.{int(_hex('nat', name, n=4), 16) % 250 + 1}")
            out.setdefault("privateIp", f"10.0.{int(_hex('natp', name, n=2), 16) % 250}.10")
        elif typ == "LaunchTemplate":
            out.setdefault("latestVersion", 1)
            out.setdefault("defaultVersion", 1)
            out.setdefault("name", auto)
        return rid

    def _aws_vpc(self, typ, name, auto, suffix, out):
        rid = f"sgr-0{_hex(typ, name, n=16)}"
        out.setdefault("arn", self._arn("ec2", f"security-group-rule/{rid}"))
        out.setdefault("securityGroupRuleId", rid)
        return rid

    def _aws_rds(self, typ, name, auto, suffix, out):
        ident = out.get("identifier") or out.get("name") or auto
        if typ in ("Instance", "Cluster"):
            engine = str(out.get("engine") or "postgres")
            port = int(out.get("port") or _DB_PORTS.get(engine, 5432))
            host = f"{ident}.c{_hex('rds', self.region, n=10)}.{self.region}.rds.amazonaws.com"
            out.setdefault("identifier", ident)
            out.update({"address": host, "endpoint": f"{host}:{port}", "port": port})
            out.setdefault("hostedZoneId", "Z2R2ITUGPM61AM")
            out.setdefault("resourceId", f"db-{_hex('rdsres', name, n=26).upper()}")
            kind = "db" if typ == "Instance" else "cluster"
            out.setdefault("arn", self._arn("rds", f"{kind}:{ident}"))
            out.setdefault("status", "available")
            out.setdefault("engineVersionActual", str(out.get("engineVersion") or "16"))
            out.setdefault("storageEncrypted", bool(out.get("storageEncrypted", False)))
            out.setdefault("multiAz", bool(out.get("multiAz", False)))
            out.setdefault("publiclyAccessible", bool(out.get("publiclyAccessible", False)))
            if out.get("manageMasterUserPassword"):
                out["masterUserSecrets"] = [{
                    "secretArn": self._arn("secretsmanager", f"secret:rds!db-{_hex('rdssec', name, n=8)}-{_hex('rdssfx', name, n=6)}"),
                    "secretStatus": "active",
                    "kmsKeyId": out.get("masterUserSecretKmsKeyId") or self._arn("kms", f"key/{_hex('kms', name, n=8)}"),
                }]
            if typ == "Cluster":
                out.setdefault("readerEndpoint", f"{ident}.cluster-ro-c{_hex('rds', self.region, n=10)}.{self.region}.rds.amazonaws.com")
            return ident
        # SubnetGroup, ParameterGroup, OptionGroup, ...
        group_name = out.get("name") or auto
        out.setdefault("name", group_name)
        kind = {"SubnetGroup": "subgrp", "ParameterGroup": "pg", "OptionGroup": "og"}.get(typ, typ.lower())
        out.setdefault("arn", self._arn("rds", f"{kind}:{group_name}"))
        return group_name

    def _aws_elasticache(self, typ, name, auto, suffix, out):
        if typ == "ReplicationGroup":
            rg = out.get("replicationGroupId") or auto
            port = int(out.get("port") or 6379)
            host = f"master.{rg}.{_hex('ec', self.region, n=6)}.use1.cache.amazonaws.com"
            out.setdefault("replicationGroupId", rg)
            out.update({"primaryEndpointAddress": host, "port": port,
                        "readerEndpointAddress": f"replica.{rg}.{_hex('ec', self.region, n=6)}.use1.cache.amazonaws.com"})
            out.setdefault("arn", self._arn("elasticache", f"replicationgroup:{rg}"))
            n = int(out.get("numCacheClusters") or 1)
            out.setdefault("memberClusters", [f"{rg}-{i:03d}" for i in range(1, n + 1)])
            out.setdefault("engineVersionActual", str(out.get("engineVersion") or "7.1"))
            out.setdefault("transitEncryptionEnabled", bool(out.get("transitEncryptionEnabled", False)))
            out.setdefault("atRestEncryptionEnabled", bool(out.get("atRestEncryptionEnabled", False)))
            if out.get("clusterMode") == "enabled" or out.get("numNodeGroups"):
                out.setdefault("configurationEndpointAddress", f"clustercfg.{rg}.{_hex('ec', self.region, n=6)}.use1.cache.amazonaws.com")
            return rg
        if typ == "Cluster":
            cid = out.get("clusterId") or auto
            host = f"{cid}.{_hex('ec', self.region, n=6)}.0001.use1.cache.amazonaws.com"
            out.setdefault("clusterId", cid)
            out.setdefault("cacheNodes", [{"address": host, "port": int(out.get("port") or 6379), "id": "0001",
                                           "availabilityZone": f"{self.region}a"}])
            out.setdefault("arn", self._arn("elasticache", f"cluster:{cid}"))
            return cid
        group_name = out.get("name") or auto
        out.setdefault("name", group_name)
        kind = {"SubnetGroup": "subnetgroup", "ParameterGroup": "parametergroup", "User": "user",
                "UserGroup": "usergroup"}.get(typ, typ.lower())
        out.setdefault("arn", self._arn("elasticache", f"{kind}:{group_name}"))
        return group_name

    def _aws_msk(self, typ, name, auto, suffix, out):
        cname = out.get("clusterName") or out.get("name") or auto
        uuid = f"{_hex('msk', name, n=8)}-{_hex('msk2', name, n=4)}-{_hex('msk3', name, n=4)}-{_hex('msk4', name, n=4)}-{_hex('msk5', name, n=12)}-s1"
        if typ in ("Cluster", "ServerlessCluster"):
            n = int(out.get("numberOfBrokerNodes") or 3)
            hosts = [f"b-{i}.{cname}.{_hex('mskdns', name, n=6)}.c2.kafka.{self.region}.amazonaws.com" for i in range(1, n + 1)]
            out.setdefault("clusterName", cname)
            out.setdefault("arn", self._arn("kafka", f"cluster/{cname}/{uuid}"))
            out.setdefault("clusterUuid", uuid)
            out.setdefault("currentVersion", "K3AEGXETSR30VB")
            out["bootstrapBrokers"] = ",".join(f"{h}:9092" for h in hosts)
            out["bootstrapBrokersTls"] = ",".join(f"{h}:9094" for h in hosts)
            out["bootstrapBrokersSaslIam"] = ",".join(f"{h}:9098" for h in hosts)
            out["bootstrapBrokersSaslScram"] = ",".join(f"{h}:9096" for h in hosts)
            out["zookeeperConnectString"] = ",".join(f"z-{i}.{cname}.{_hex('mskdns', name, n=6)}.c2.kafka.{self.region}.amazonaws.com:2181" for i in range(1, 4))
            return out["arn"]
        if typ == "Configuration":
            cfg = out.get("name") or auto
            out.setdefault("name", cfg)
            out.setdefault("arn", self._arn("kafka", f"configuration/{cfg}/{uuid}"))
            out.setdefault("latestRevision", 1)
            return out["arn"]
        return None

    def _aws_lb(self, typ, name, auto, suffix, out):
        short = (out.get("name") or auto)[:32]
        h = _hex("lb", name, n=16)
        if typ == "LoadBalancer":
            lb_type = out.get("loadBalancerType") or "application"
            kind = "app" if lb_type == "application" else "net"
            out.setdefault("name", short)
            out.setdefault("loadBalancerType", lb_type)
            out.setdefault("internal", bool(out.get("internal", False)))
            out["arnSuffix"] = f"{kind}/{short}/{h}"
            out.setdefault("arn", self._arn("elasticloadbalancing", f"loadbalancer/{out['arnSuffix']}"))
            scheme = "internal-" if out.get("internal") else ""
            out["dnsName"] = f"{scheme}{short}-{int(h[:9], 16) % 10**10}.{self.region}.elb.amazonaws.com"
            out.setdefault("zoneId", "Z35SXDOTRQ7X7K")
            out.setdefault("idleTimeout", 60)
            return out["arn"]
        if typ == "TargetGroup":
            out.setdefault("name", short)
            out["arnSuffix"] = f"targetgroup/{short}/{h}"
            out.setdefault("arn", self._arn("elasticloadbalancing", out["arnSuffix"]))
            return out["arn"]
        if typ in ("Listener", "ListenerRule"):
            part = "listener" if typ == "Listener" else "listener-rule"
            out.setdefault("arn", self._arn("elasticloadbalancing", f"{part}/app/{short}/{h}/{_hex('l', name, n=16)}"))
            return out["arn"]
        return None

    _aws_alb = _aws_lb

    def _aws_ecs(self, typ, name, auto, suffix, out):
        nm = out.get("name") or auto
        if typ == "TaskDefinition":
            family = out.get("family") or auto
            out["revision"] = 1
            out["arnWithoutRevision"] = self._arn("ecs", f"task-definition/{family}")
            out["arn"] = out["arnWithoutRevision"] + ":1"
            return out["arn"]
        if typ == "Cluster":
            out.setdefault("name", nm)
            out.setdefault("arn", self._arn("ecs", f"cluster/{nm}"))
            return out["arn"]
        if typ == "Service":
            out.setdefault("name", nm)
            cluster = str(out.get("cluster") or "default").rsplit("/", 1)[-1]
            out.setdefault("arn", self._arn("ecs", f"service/{cluster}/{nm}"))
            return out["arn"]
        return None

    def _aws_eks(self, typ, name, auto, suffix, out):
        nm = out.get("name") or auto
        if typ == "Cluster":
            h = _hex("eks", name, n=32).upper()
            out.setdefault("name", nm)
            out.setdefault("arn", self._arn("eks", f"cluster/{nm}"))
            out["endpoint"] = f"https://{h}.gr7.{self.region}.eks.amazonaws.com"
            out["certificateAuthority"] = {"data": base64.b64encode(_FAKE_CA_PEM.encode()).decode()}
            out["identities"] = [{"oidcs": [{"issuer": f"https://oidc.eks.{self.region}.amazonaws.com/id/{h}"}]}]
            out.setdefault("version", "1.31")
            out.setdefault("platformVersion", "eks.12")
            out.setdefault("status", "ACTIVE")
            vpc = dict(out.get("vpcConfig") or {})
            vpc.setdefault("clusterSecurityGroupId", f"sg-0{_hex('eks-sg', name, n=16)}")
            vpc.setdefault("vpcId", f"vpc-0{_hex('eks-vpc', name, n=16)}")
            out["vpcConfig"] = vpc
            return nm
        if typ == "NodeGroup":
            ng = out.get("nodeGroupName") or auto
            cluster = out.get("clusterName") or "cluster"
            out.setdefault("nodeGroupName", ng)
            out.setdefault("arn", self._arn("eks", f"nodegroup/{cluster}/{ng}/{_hex('ng', name, n=8)}"))
            out.setdefault("status", "ACTIVE")
            out.setdefault("resources", [{"autoscalingGroups": [{"name": f"eks-{ng}-{_hex('asg', name, n=8)}"}],
                                          "remoteAccessSecurityGroupId": ""}])
            return f"{cluster}:{ng}"
        if typ == "Addon":
            out.setdefault("arn", self._arn("eks", f"addon/{out.get('clusterName', 'cluster')}/{out.get('addonName', name)}/{_hex('addon', name, n=8)}"))
            out.setdefault("addonVersion", out.get("addonVersion") or "v1.0.0-eksbuild.1")
            return f"{out.get('clusterName', 'cluster')}:{out.get('addonName', name)}"
        return None

    def _aws_iam(self, typ, name, auto, suffix, out):
        nm = out.get("name") or auto
        if typ in ("Role", "Policy", "User", "InstanceProfile", "Group"):
            out.setdefault("name", nm)
            path = out.get("path") or "/"
            out.setdefault("arn", self._arn("iam", f"{typ[0].lower() + typ[1:]}{path}{nm}".replace("instanceProfile", "instance-profile"), region=False))
            out.setdefault("uniqueId", f"AROA{_hex('iam', name, n=17).upper()}")
            if typ == "Policy":
                out.setdefault("policyId", f"ANPA{_hex('iamp', name, n=17).upper()}")
            return nm if typ != "Policy" else out["arn"]
        if typ == "OpenIdConnectProvider":
            url = str(out.get("url") or "").replace("https://", "")
            out.setdefault("arn", self._arn("iam", f"oidc-provider/{url}", region=False))
            return out["arn"]
        return f"{name}-{suffix}"

    def _aws_secretsmanager(self, typ, name, auto, suffix, out):
        if typ == "Secret":
            nm = out.get("name") or auto
            out.setdefault("name", nm)
            out.setdefault("arn", self._arn("secretsmanager", f"secret:{nm}-{_hex('sm', name, n=6)}"))
            return out["arn"]
        if typ == "SecretVersion":
            vid = f"{_hex('v1', name, n=8)}-{_hex('v2', name, n=4)}-{_hex('v3', name, n=4)}-{_hex('v4', name, n=4)}-{_hex('v5', name, n=12)}"
            out.setdefault("versionId", vid)
            out.setdefault("arn", out.get("secretId") or self._arn("secretsmanager", f"secret:{name}"))
            out.setdefault("versionStages", ["AWSCURRENT"])
            return f"{out['arn']}|{vid}"
        return None

    def _aws_s3(self, typ, name, auto, suffix, out):
        if typ in ("Bucket", "BucketV2"):
            bucket = out.get("bucket") or auto
            out.setdefault("bucket", bucket)
            out.setdefault("arn", f"arn:aws:s3:::{bucket}")
            out["bucketDomainName"] = f"{bucket}.s3.amazonaws.com"
            out["bucketRegionalDomainName"] = f"{bucket}.s3.{self.region}.amazonaws.com"
            out.setdefault("region", self.region)
            out.setdefault("hostedZoneId", "Z3AQBSTGFYJSTF")
            return bucket
        if typ in ("BucketObject", "BucketObjectv2"):
            out.setdefault("etag", _hex("etag", name, n=32))
            out.setdefault("versionId", "")
            return str(out.get("key") or name)
        return str(out.get("bucket") or f"{name}-{suffix}")

    def _aws_cloudwatch(self, typ, name, auto, suffix, out):
        if typ == "LogGroup":
            nm = out.get("name") or auto
            out.setdefault("name", nm)
            out.setdefault("arn", self._arn("logs", f"log-group:{nm}"))
            return nm
        return None

    def _aws_servicediscovery(self, typ, name, auto, suffix, out):
        if typ in ("PrivateDnsNamespace", "HttpNamespace", "PublicDnsNamespace"):
            rid = f"ns-{_hex('ns', name, n=16)}"
            out.setdefault("arn", self._arn("servicediscovery", f"namespace/{rid}"))
            out.setdefault("hostedZone", f"Z0{_hex('hz', name, n=18).upper()}")
            out.setdefault("httpName", out.get("name"))
            return rid
        if typ == "Service":
            rid = f"srv-{_hex('srv', name, n=16)}"
            out.setdefault("arn", self._arn("servicediscovery", f"service/{rid}"))
            return rid
        return None

    def _aws_kms(self, typ, name, auto, suffix, out):
        if typ == "Key":
            kid = f"{_hex('k1', name, n=8)}-{_hex('k2', name, n=4)}-{_hex('k3', name, n=4)}-{_hex('k4', name, n=4)}-{_hex('k5', name, n=12)}"
            out.setdefault("keyId", kid)
            out.setdefault("arn", self._arn("kms", f"key/{kid}"))
            return kid
        if typ == "Alias":
            out.setdefault("arn", self._arn("kms", str(out.get("name") or f"alias/{name}")))
            out.setdefault("targetKeyArn", self._arn("kms", f"key/{out.get('targetKeyId', '')}"))
            return str(out.get("name") or f"alias/{name}")
        return None

    def _aws_acm(self, typ, name, auto, suffix, out):
        cid = f"{_hex('c1', name, n=8)}-{_hex('c2', name, n=4)}-{_hex('c3', name, n=4)}-{_hex('c4', name, n=4)}-{_hex('c5', name, n=12)}"
        out.setdefault("arn", self._arn("acm", f"certificate/{cid}"))
        out.setdefault("status", "ISSUED")
        return out["arn"]

    def _aws_ecr(self, typ, name, auto, suffix, out):
        if typ == "Repository":
            nm = out.get("name") or auto
            out.setdefault("name", nm)
            out.setdefault("arn", self._arn("ecr", f"repository/{nm}"))
            out.setdefault("repositoryUrl", f"{self.account_id}.dkr.ecr.{self.region}.amazonaws.com/{nm}")
            out.setdefault("registryId", self.account_id)
            return nm
        return None

    # ------------------------------------------------------------------ Kubernetes
    def _kubernetes(self, token: str, name: str, suffix: str, inp: dict) -> tuple[str, dict]:
        out = dict(inp)
        if token.startswith("kubernetes:helm.sh/") or token.startswith("kubernetes:yaml"):
            return f"{name}-{suffix}", out
        meta = dict(out.get("metadata") or {})
        meta.setdefault("name", f"{name}-{suffix}")
        cluster_scoped = token.endswith((":Namespace", ":ClusterRole", ":ClusterRoleBinding", ":StorageClass",
                                         ":CustomResourceDefinition", ":PersistentVolume"))
        if not cluster_scoped:
            meta.setdefault("namespace", "default")
        meta.setdefault("uid", f"{_hex('u1', token, name, n=8)}-{_hex('u2', token, name, n=4)}-{_hex('u3', token, name, n=4)}-{_hex('u4', token, name, n=4)}-{_hex('u5', token, name, n=12)}")
        meta.setdefault("resourceVersion", str(int(_hex("rv", token, name, n=6), 16)))
        meta.setdefault("generation", 1)
        out["metadata"] = meta
        if token == "kubernetes:core/v1:Service":
            spec = dict(out.get("spec") or {})
            spec.setdefault("type", "ClusterIP")
            spec.setdefault("clusterIP", f"172.20.{int(_hex('ip1', name, n=2), 16)}.{int(_hex('ip2', name, n=2), 16) % 250 + 1}")
            out["spec"] = spec
            status: dict[str, Any] = {"loadBalancer": {}}
            if spec["type"] == "LoadBalancer":
                status["loadBalancer"] = {"ingress": [{"hostname": f"a{_hex('elb', name, n=31)}-{int(_hex('e', name, n=8), 16)}.{self.region}.elb.amazonaws.com"}]}
            out["status"] = status
        elif token.startswith("kubernetes:apps/v1:") or token == "kubernetes:batch/v1:Job":
            replicas = (out.get("spec") or {}).get("replicas", 1)
            out["status"] = {"readyReplicas": replicas, "replicas": replicas, "availableReplicas": replicas} \
                if not token.endswith(":Job") else {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}
        elif token == "kubernetes:networking.k8s.io/v1:Ingress":
            out["status"] = {"loadBalancer": {"ingress": [{"hostname": f"k8s-{_hex('ing', name, n=8)}.{self.region}.elb.amazonaws.com"}]}}
        rid = meta["name"] if cluster_scoped else f"{meta['namespace']}/{meta['name']}"
        return rid, out

    # ------------------------------------------------------------------ Docker
    def _docker(self, token: str, name: str, suffix: str, inp: dict) -> tuple[str, dict]:
        out = dict(inp)
        rid = _hex("docker", token, name, n=64)
        nm = out.get("name") or f"{name}-{suffix}"
        out.setdefault("name", nm)
        if token == "docker:index/network:Network":
            out.setdefault("driver", "bridge")
            out.setdefault("scope", "local")
            out.setdefault("ipamConfigs", [{"subnet": "172.28.0.0/16", "gateway": "172.28.0.1"}])
        elif token == "docker:index/volume:Volume":
            out.setdefault("mountpoint", f"/var/lib/docker/volumes/{nm}/_data")
            out.setdefault("driver", "local")
            rid = nm
        elif token == "docker:index/container:Container":
            nets = out.get("networksAdvanced") or []
            out["networkDatas"] = [{"networkName": n.get("name"), "ipAddress": f"172.28.0.{i + 2}",
                                     "gateway": "172.28.0.1", "ipPrefixLength": 16}
                                    for i, n in enumerate(nets) if isinstance(n, dict)]
            out.setdefault("exitCode", None)
            out.setdefault("hostname", out.get("hostname") or rid[:12])
        elif token in ("docker:index/remoteImage:RemoteImage", "docker:index/image:Image"):
            digest = "sha256:" + _hex("img", name, n=64)
            out.setdefault("imageId", digest)
            out.setdefault("repoDigest", f"{str(out.get('name') or out.get('imageName') or name).split(':')[0]}@{digest}")
            out.setdefault("imageName", out.get("imageName") or out.get("name"))
            rid = digest
        return rid, out

    # ------------------------------------------------------------------ random
    def _random(self, token: str, name: str, suffix: str, inp: dict) -> tuple[str, dict]:
        out = dict(inp)
        length = int(out.get("length") or 16)
        value = (_hex("random", token, name, n=64) * 4)[:length]
        if token in ("random:index/randomPassword:RandomPassword", "random:index/randomString:RandomString"):
            out["result"] = value
            if token.endswith("RandomPassword"):
                out["bcryptHash"] = "$2a$10$" + _hex("bcrypt", name, n=53)
        elif token == "random:index/randomId:RandomId":
            out["hex"] = _hex("rid", name, n=2 * int(out.get("byteLength") or 8))
            out["b64Url"] = base64.urlsafe_b64encode(bytes.fromhex(out["hex"])).decode().rstrip("=")
        return "none" if token.endswith("RandomPassword") else value, out


def _policy_json(args: dict, *, minified: bool = False) -> str:
    """Render an ``aws.iam.get_policy_document`` call as the IAM JSON policy AWS would return."""
    statements = []
    for st in args.get("statements") or []:
        doc: dict[str, Any] = {"Effect": st.get("effect", "Allow")}
        if st.get("sid"):
            doc["Sid"] = st["sid"]
        if st.get("actions"):
            doc["Action"] = st["actions"] if len(st["actions"]) > 1 else st["actions"][0]
        if st.get("resources"):
            doc["Resource"] = st["resources"] if len(st["resources"]) > 1 else st["resources"][0]
        for p in st.get("principals") or []:
            ids = p.get("identifiers") or []
            doc.setdefault("Principal", {})[p.get("type", "AWS")] = ids if len(ids) > 1 else (ids[0] if ids else "*")
        for c in st.get("conditions") or []:
            doc.setdefault("Condition", {}).setdefault(c.get("test"), {})[c.get("variable")] = c.get("values")
        statements.append(doc)
    policy = {"Version": args.get("version") or "2012-10-17", "Statement": statements}
    return json.dumps(policy, separators=(",", ":")) if minified else json.dumps(policy, indent=2)
