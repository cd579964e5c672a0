"""The claim-check bucket (PII submitted to the Step Functions side) and its server-access-log bucket.

Both are SSE-KMS, TLS-only, private, versioned and owner-enforced. Objects are never deleted by the stack:
the bucket is always retained so a `destroy` cannot silently discard regulated records.

The claim-check bucket's policy also refuses any put that is not SSE-KMS under the data key, and any put without
``If-None-Match: *`` (S3's conditional write), so a submission is written once: the code relies on the same
condition, and the policy holds it for every other writer too. Lifecycle rules expire submissions after the
configured retention and old versions (left by a delete) after their own, shorter period.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct


def claim_check_bucket_name(name_prefix: str) -> str:
    """Fixed, account- and region-unique name, so other stacks can scope IAM to it without a cross-stack export."""
    return f"{name_prefix}-claim-check-{Aws.ACCOUNT_ID}-{Aws.REGION}"


@dataclass(frozen=True, kw_only=True)
class Retention:
    access_log_days: int
    current_days: int  # a submission expires this long after it was written
    noncurrent_days: int  # a version replaced or deleted is kept this long


class ClaimCheckBucket(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str,
        data_key: kms.IKey,
        logs_key: kms.IKey,
        retention: Retention,
    ) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = hardened_bucket(
            self, "AccessLogs", key=logs_key, bucket_name=None, access_logs=None,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(retention.access_log_days),
                    noncurrent_version_expiration=Duration.days(1),
                )
            ],
        )
        self.bucket = hardened_bucket(
            self, "Bucket", key=data_key, bucket_name=claim_check_bucket_name(name_prefix),
            access_logs=self.access_logs,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="claim-check-retention",
                    expiration=Duration.days(retention.current_days),
                    noncurrent_version_expiration=Duration.days(retention.noncurrent_days),
                    expired_object_delete_marker=False,
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
        )
        objects = self.bucket.arn_for_objects("*")
        for sid, conditions in (
            ("DenyPutWithoutSseKms", {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}),
            ("DenyPutUnderAnotherKey",
             {"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": data_key.key_arn}}),
            ("DenyOverwrite", {"Null": {"s3:if-none-match": "true"}}),
        ):
            self.bucket.add_to_resource_policy(iam.PolicyStatement(
                sid=sid, effect=iam.Effect.DENY, principals=[iam.AnyPrincipal()], actions=["s3:PutObject"],
                resources=[objects], conditions=conditions,
            ))


def hardened_bucket(
    scope: Construct,
    construct_id: str,
    *,
    key: kms.IKey,
    bucket_name: str | None,
    access_logs: s3.IBucket | None,
    lifecycle_rules: list[s3.LifecycleRule] | None,
    log_prefix: str = "claim-check",
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
        server_access_logs_prefix=f"{log_prefix}/" if access_logs else None,
        lifecycle_rules=lifecycle_rules,
        removal_policy=RemovalPolicy.RETAIN,
    )
