"""Private, encrypted S3 bucket (Milvus object storage, OPA policy bundles).

Type token ``somastack:storage:PrivateBucket``. Server-side encryption (SSE-S3, AES256),
versioning, bucket-owner-enforced object ownership (ACLs off) and all four public-access
blocks on (S3 docs "Blocking public access to your Amazon S3 storage").
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

TYPE = "somastack:storage:PrivateBucket"


@dataclass(frozen=True, kw_only=True)
class PrivateBucketArgs:
    """``force_destroy``: allow deleting a non-empty bucket (DEV only); ``tags``."""

    force_destroy: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


class PrivateBucket(pulumi.ComponentResource):
    """Outputs: ``bucket`` (name), ``arn``."""

    bucket: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: PrivateBucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(f"{name}-bucket", force_destroy=args.force_destroy, tags=dict(args.tags), opts=child)
        aws.s3.BucketPublicAccessBlock(f"{name}-public-access", bucket=bucket.id, block_public_acls=True,
                                       block_public_policy=True, ignore_public_acls=True,
                                       restrict_public_buckets=True, opts=child)
        aws.s3.BucketOwnershipControls(f"{name}-ownership", bucket=bucket.id,
                                       rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
                                       opts=child)
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-sse", bucket=bucket.id,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"))],
            opts=child)
        aws.s3.BucketVersioning(f"{name}-versioning", bucket=bucket.id,
                                versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
                                opts=child)
        self.bucket = bucket.bucket
        self.arn = bucket.arn
        self.register_outputs({"bucket": self.bucket, "arn": self.arn})


def bucket_policy(arn: pulumi.Input[str], *, write: bool) -> pulumi.Output[str]:
    """IAM policy document (JSON string) granting read (and, with ``write``, write/delete)
    on the bucket ``arn`` and its objects; attached to a service's task/pod role."""
    actions = ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"]
    if write:
        actions += ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]

    def render(a: str) -> str:
        return json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": sorted(actions), "Resource": [a, f"{a}/*"]}]}, sort_keys=True)

    return pulumi.Output.from_input(arn).apply(render)


def merge_policies(docs: Sequence[pulumi.Input[str]]) -> pulumi.Output[str]:
    """One IAM policy document (JSON) holding the statements of all ``docs``."""
    def merge(texts: list[str]) -> str:
        statements = [st for t in texts for st in json.loads(t)["Statement"]]
        return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)

    return pulumi.Output.all(*docs).apply(merge)
