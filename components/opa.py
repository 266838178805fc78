"""Open Policy Agent, seed 001 §1.1: port 20181.

Type token ``somastack:policy:OPA``. On AWS targets the policy bundle comes from a private S3
bucket created here (object ``bundles/somastack.tar.gz``, uploaded by the policy pipeline),
pulled with SigV4 signing from the task/node role (OPA docs "Configuration → services →
s3_signing → metadata_credentials"); on the local target from a volume mounted at
``/policies``. The ``-debug`` image variant carries busybox ``wget`` for the exec health check
(ECS and docker only run commands).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

from .bucket import PrivateBucket, PrivateBucketArgs, bucket_policy
from .spec import HealthCheck, ServiceRuntime, ServiceSpec, Sizing

TYPE = "somastack:policy:OPA"
PORT = 20181
IMAGE = "openpolicyagent/opa:0.70.0-debug"
BUNDLE_OBJECT = "bundles/somastack.tar.gz"


@dataclass(kw_only=True)
class OPAArgs:
    """``runtime``; ``region``: AWS region for the S3 bundle bucket, or None on the local target
    (bundle from the ``opa-policies`` volume); ``image`` pinned by tag; ``sizing``;
    ``force_destroy``: allow deleting a non-empty bucket (DEV)."""

    runtime: ServiceRuntime
    region: str | None
    image: str = IMAGE
    sizing: Sizing = Sizing()
    force_destroy: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


class OPA(pulumi.ComponentResource):
    """Outputs: ``host``, ``port`` (20181), ``protocol`` (``http``), ``url``,
    ``bundle_bucket`` (bucket name, or None on the local target)."""

    host: pulumi.Output[str]
    port: int
    protocol: str
    url: pulumi.Output[str]
    bundle_bucket: pulumi.Output[str] | None

    def __init__(self, name: str, args: OPAArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        base = ("run", "--server", f"--addr=0.0.0.0:{PORT}", "--log-format=json")
        volumes: dict[str, str] = {}
        policy = None
        if args.region:
            bucket = PrivateBucket(f"{name}-bundles", PrivateBucketArgs(force_destroy=args.force_destroy, tags=args.tags),
                                   opts=pulumi.ResourceOptions(parent=self))
            region = args.region
            command = bucket.bucket.apply(lambda b: list(base) + [
                f"--set=services.s3.url=https://{b}.s3.{region}.amazonaws.com",
                f"--set=services.s3.credentials.s3_signing.metadata_credentials.aws_region={region}",
                "--set=bundles.somastack.service=s3",
                f"--set=bundles.somastack.resource={BUNDLE_OBJECT}",
                "--set=bundles.somastack.polling.min_delay_seconds=30",
                "--set=bundles.somastack.polling.max_delay_seconds=120",
            ])
            policy = bucket_policy(bucket.arn, write=False)
            self.bundle_bucket = bucket.bucket
        else:
            command = list(base) + ["/policies"]
            volumes = {"opa-policies": "/policies"}
            self.bundle_bucket = None
        spec = ServiceSpec(
            key="opa", image=args.image, port=PORT, protocol="http", command=command,
            health=HealthCheck(path="/health", command=("CMD", "wget", "-q", "-O", "/dev/null",
                                                         f"http://127.0.0.1:{PORT}/health")),
            sizing=args.sizing, volumes=volumes, task_policy=policy,
        )
        deployed = args.runtime.deploy(name, spec, parent=self)
        self.host = deployed.host
        self.port = PORT
        self.protocol = "http"
        self.url = deployed.host.apply(lambda h: f"http://{h}:{PORT}")
        self.ready = deployed.ready
        self.register_outputs({"host": self.host, "port": self.port, "protocol": self.protocol,
                               "url": self.url, "bundle_bucket": self.bundle_bucket})
