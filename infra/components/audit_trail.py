"""A CloudTrail trail that makes every read of PII attributable: management events plus data events for the
claim-check objects and the process's tables (who read or wrote which record, when, from where).

Log files are SSE-KMS under the logs key (CloudTrail may use it only for this trail, see the key policy), validated
(digest files) and kept in a versioned, TLS-only bucket that logs its own access to the access-log bucket. Management
events come from every region (global services included), so a change to the keys or the roles made elsewhere is
recorded too; data events only for this deployment's resources.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.components.claim_check_bucket import hardened_bucket


def trail_name(name_prefix: str) -> str:
    return f"{name_prefix}-audit"


def trail_arn(name_prefix: str) -> str:
    return f"arn:{Aws.PARTITION}:cloudtrail:{Aws.REGION}:{Aws.ACCOUNT_ID}:trail/{trail_name(name_prefix)}"


class AuditTrail(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str,
        logs_key: kms.IKey,
        access_logs: s3.IBucket,
        claim_check: s3.IBucket,
        tables: list[dynamodb.ITable],
        retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = hardened_bucket(
            self, "Files", key=logs_key, bucket_name=None, access_logs=access_logs, log_prefix="audit-trail",
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(retention_days),
                                              noncurrent_version_expiration=Duration.days(1))],
        )
        self.trail = cloudtrail.Trail(
            self, "Trail", trail_name=trail_name(name_prefix), bucket=self.bucket, encryption_key=logs_key,
            enable_file_validation=True, is_multi_region_trail=True, include_global_service_events=True,
            management_events=cloudtrail.ReadWriteType.ALL,
        )
        cfn = self.trail.node.default_child
        assert isinstance(cfn, cloudtrail.CfnTrail)
        # Advanced selectors: the L2 construct has no DynamoDB data events, and a trail takes either basic or
        # advanced selectors, so every selector is written here.
        cfn.add_property_deletion_override("EventSelectors")
        cfn.add_property_override("AdvancedEventSelectors", [
            {"Name": "Management events",
             "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
            {"Name": "Claim-check objects",
             "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                                {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                                {"Field": "resources.ARN", "StartsWith": [claim_check.arn_for_objects("")]}]},
            {"Name": "Process tables",
             "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                                {"Field": "resources.type", "Equals": ["AWS::DynamoDB::Table"]},
                                {"Field": "resources.ARN", "Equals": [table.table_arn for table in tables]}]},
        ])
