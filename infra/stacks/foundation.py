"""Stateful resources, in their own stack: keys (the durable function's two among them), tables, the claim-check
bucket, the Temporal secret and the audit trail."""

from __future__ import annotations

from typing import Any

from aws_cdk import ArnFormat, Aws, CfnOutput, RemovalPolicy, Stack
from constructs import Construct

from contract.process import Table
from infra.compliance.acknowledgement import COMPLIANCE_PACKS, Acknowledgement, acknowledge, in_packs, skip_checkov
from infra.components.audit_trail import AuditTrail, trail_arn
from infra.components.claim_check_bucket import ClaimCheckBucket, Retention, claim_check_bucket_name
from infra.components.data_tables import DataTables
from infra.components.encryption_keys import EncryptionKeys, KeyedResources
from infra.components.temporal_secret import TemporalSecret
from infra.config import BlueprintConfig
from infra.principals import Principals


class FoundationStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: BlueprintConfig, tables: tuple[Table, ...],
                 principals: Principals, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        removal = RemovalPolicy.RETAIN if config.retain_on_delete else RemovalPolicy.DESTROY
        name = config.environment_name
        self.keys = EncryptionKeys(
            self, "Keys", name_prefix=name, removal_policy=removal, principals=principals,
            resources=KeyedResources(
                claim_check_bucket_arn=f"arn:{Aws.PARTITION}:s3:::{claim_check_bucket_name(name)}",
                state_machine_arn=self.format_arn(service="states", resource="stateMachine",
                                                  resource_name=config.resource_name(principals.process.name),
                                                  arn_format=ArnFormat.COLON_RESOURCE_NAME),
                durable_function_arn=self.format_arn(service="lambda", resource="function",
                                                     resource_name=principals.durable_function_name,
                                                     arn_format=ArnFormat.COLON_RESOURCE_NAME),
                trail_arn=trail_arn(name) if config.audit_trail else None,
            ),
        )
        self.tables = DataTables(self, "Tables", tables=tables, name_prefix=name,
                                 key=self.keys.data, removal_policy=removal)
        self.claim_check = ClaimCheckBucket(
            self, "ClaimCheck", name_prefix=name, data_key=self.keys.data, logs_key=self.keys.logs,
            retention=Retention(access_log_days=config.log_retention_days,
                                current_days=config.claim_check_retention_days,
                                noncurrent_days=config.claim_check_noncurrent_days),
        )
        self.audit_trail: AuditTrail | None = None
        if config.audit_trail:
            self.audit_trail = AuditTrail(
                self, "AuditTrail", name_prefix=name, logs_key=self.keys.logs,
                access_logs=self.claim_check.access_logs, claim_check=self.claim_check.bucket,
                tables=[*self.tables.by_role.values(), self.tables.idempotency],
                retention_days=config.log_retention_days,
            )
        self.temporal_secret = TemporalSecret(self, "TemporalSecret", secret_name=config.temporal_secret_name,
                                              key=self.keys.data, removal_policy=removal)
        CfnOutput(self, "TemporalSecretArn", value=self.temporal_secret.secret.secret_arn)
        CfnOutput(self, "ClaimCheckBucketName", value=self.claim_check.bucket.bucket_name)
        self.acknowledgements = self._acknowledgements()
        skip_checkov(self.claim_check.access_logs, "CKV_AWS_18", (
            "This bucket is the server-access-log destination of the claim-check bucket; logging it into itself "
            "would log every log delivery recursively."))

    def _acknowledgements(self) -> list[Acknowledgement]:
        acks: list[Acknowledgement] = []
        buckets = [self.claim_check.access_logs, self.claim_check.bucket]
        if self.audit_trail is not None:
            buckets.append(self.audit_trail.bucket)
            trail = self.audit_trail.trail
            acks += acknowledge(trail, in_packs("CloudTrailCloudWatchLogsEnabled", *COMPLIANCE_PACKS), (
                "The audit trail's record is its validated, KMS-encrypted log files in S3; streaming the data events "
                "of the claim-check bucket and tables to CloudWatch Logs would copy every record id into a second "
                "store, which an adopter adds only with its alerting."))
        for bucket in buckets:
            acks += acknowledge(bucket, in_packs("S3BucketReplicationEnabled", *COMPLIANCE_PACKS), (
                f"{bucket.node.id} bucket: cross-region replication is a disaster-recovery decision of the adopting "
                "organisation (target region, its own key); the sandbox keeps data in one region, versioned."))
        for role, table in {**self.tables.by_role, "idempotency": self.tables.idempotency}.items():
            acks += acknowledge(table, in_packs("DynamoDBInBackupPlan", "HIPAA.Security", "NIST.800.53.R5"), (
                f"The {role} table has point-in-time recovery (35 days of per-second restore points); an AWS Backup "
                "plan with vault, retention and cross-account copy is an organisation-level policy the adopter "
                "attaches."))
        acks += acknowledge(self.temporal_secret.secret,
                            ["AwsSolutions-SMG4", *in_packs("SecretsManagerRotationEnabled", "HIPAA.Security",
                                                            "NIST.800.53.R5")], (
            "Temporal Cloud API keys and mTLS certificates are issued and rotated in Temporal Cloud, not by a Secrets "
            "Manager rotation Lambda; the operator writes each new credential into this secret (README)."))
        return acks
