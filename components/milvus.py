"""Milvus vector database (standalone), seed 001 §1.1: port 19530; health on 9091.

Type token ``somastack:vector:Milvus``. Standalone mode with embedded etcd (Milvus docs
"Run Milvus standalone": ``ETCD_USE_EMBED=true``); object storage in a private S3 bucket
created here on AWS targets (``MINIO_*`` settings with ``MINIO_USE_IAM=true`` so the task/node
role signs the requests, no access keys), local disk on the local target (volume
``milvus-data``). Health: ``GET /healthz`` on 9091.

Durable state: standalone Milvus keeps its collection metadata in the embedded etcd
(``ETCD_DATA_DIR=/var/lib/milvus/etcd``) and its write-ahead log in the local message queue
(RocksMQ, ``/var/lib/milvus/rdb_data``); segments go to S3. ``/var/lib/milvus`` is therefore a
durable volume on every target (``ServiceSpec.volumes``: docker volume, EFS access point on
Fargate, PersistentVolumeClaim on EKS), and the service is a ``singleton`` with one replica:
two standalone processes must never open the same etcd directory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import pulumi

from .bucket import PrivateBucket, PrivateBucketArgs, bucket_policy
from .spec import HealthCheck, ServiceRuntime, ServiceSpec, Sizing

TYPE = "somastack:vector:Milvus"
PORT = 19530
HEALTH_PORT = 9091
IMAGE = "milvusdb/milvus:v2.4.17"
#: The data directory of standalone Milvus: embedded etcd (``etcd/``), RocksMQ (``rdb_data*``),
#: local storage (``data/``, a cache when the storage is S3).
DATA_DIR = "/var/lib/milvus"
VOLUME = "milvus-data"


@dataclass(kw_only=True)
class MilvusArgs:
    """``runtime``; ``region``: AWS region of the S3 storage bucket, or None for local disk;
    ``image`` pinned by tag; ``sizing``; ``force_destroy`` (DEV)."""

    runtime: ServiceRuntime
    region: str | None
    image: str = IMAGE
    sizing: Sizing = Sizing()
    force_destroy: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


class Milvus(pulumi.ComponentResource):
    """Outputs: ``host``, ``port`` (19530), ``protocol`` (``grpc``), ``bucket`` (S3 bucket name or
    None)."""

    host: pulumi.Output[str]
    port: int
    protocol: str
    bucket: pulumi.Output[str] | None

    def __init__(self, name: str, args: MilvusArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        base = {"ETCD_USE_EMBED": "true", "ETCD_DATA_DIR": f"{DATA_DIR}/etcd",
                "ETCD_CONFIG_PATH": "/milvus/configs/embedEtcd.yaml"}
        policy = None
        if args.region:
            bucket = PrivateBucket(f"{name}-storage", PrivateBucketArgs(force_destroy=args.force_destroy, tags=args.tags),
                                   opts=pulumi.ResourceOptions(parent=self))
            region = args.region
            env = bucket.bucket.apply(lambda b: {
                **base, "COMMON_STORAGETYPE": "remote", "MINIO_ADDRESS": f"s3.{region}.amazonaws.com",
                "MINIO_PORT": "443", "MINIO_USE_SSL": "true", "MINIO_USE_IAM": "true",
                "MINIO_CLOUD_PROVIDER": "aws", "MINIO_REGION": region, "MINIO_BUCKET_NAME": b,
                "MINIO_ROOT_PATH": "milvus"})
            policy = bucket_policy(bucket.arn, write=True)
            self.bucket = bucket.bucket
        else:
            env = {**base, "COMMON_STORAGETYPE": "local"}
            self.bucket = None
        spec = ServiceSpec(
            key="milvus", image=args.image, port=PORT, protocol="grpc",
            command=("milvus", "run", "standalone"), env=env,
            health=HealthCheck(path="/healthz", port=HEALTH_PORT,
                               command=("CMD", "curl", "-fsS", f"http://127.0.0.1:{HEALTH_PORT}/healthz")),
            sizing=replace(args.sizing, desired_count=1), volumes={VOLUME: DATA_DIR}, singleton=True,
            task_policy=policy, extra_ports=(HEALTH_PORT,),
        )
        deployed = args.runtime.deploy(name, spec, parent=self)
        self.host = deployed.host
        self.port = PORT
        self.protocol = "grpc"
        self.ready = deployed.ready
        self.register_outputs({"host": self.host, "port": self.port, "protocol": self.protocol,
                               "bucket": self.bucket})
