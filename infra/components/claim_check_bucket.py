"""The claim-check bucket (PII submitted to the Step Functions side) and its server-access-log bucket.

Both are SSE-KMS, TLS-only, private, versioned and owner-enforced. Objects are never deleted by the stack:
the bucket is always retained so a `destroy` cannot silently discard regulated records.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct


def claim_check_bucket_name(name_prefix: str) -> str:
    """Fixed, account- and region-unique name, so other stacks can scope IAM to it without a cross-stack export."""
    return f"{name_prefix}-claim-check-{Aws.ACCOUNT_ID}-{Aws.REGION}"


class ClaimCheckBucket(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str,
        data_key: kms.IKey,
        logs_key: kms.IKey,
        access_log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = _hardened_bucket(
            self, "AccessLogs", key=logs_key, bucket_name=None, access_logs=None,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(access_log_retention_days),
                    noncurrent_version_expiration=Duration.days(1),
                )
            ],
        )
        self.bucket = _hardened_bucket(
            self, "Bucket", key=data_key, bucket_name=claim_check_bucket_name(name_prefix),
            access_logs=self.access_logs, lifecycle_rules=None,
        )


def _hardened_bucket(
    scope: Construct,
    construct_id: str,
    *,
    key: kms.IKey,
    bucket_name: str | None,
    access_logs: s3.IBucket | None,
    lifecycle_rules: list[s3.LifecycleRule] | None,
) -> s3.Bucket:
    return s3.Bucket(
        scope,
        construct_id,
        bucket_name=bucket_name,
        encryption=s3.BucketEncryption.KMS,
        encryption_key=key,
        bucket_key_enabled=True,
        enforce_ssl=True,
        minimum_tls_version=1.2,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned=True,
        server_access_logs_bucket=access_logs,
        server_access_logs_prefix="claim-check/" if access_logs else None,
        lifecycle_rules=lifecycle_rules,
        removal_policy=RemovalPolicy.RETAIN,
    )
