"""The AWS resources the handlers need, created through boto3 (against moto when run locally).

Mirrors what infra/ deploys, at the level the handlers can observe: a KMS key, the claim-check bucket
(default SSE-KMS, public access blocked), the four process tables plus the Powertools idempotency table,
one log group per function, and the environment variables of :mod:`contract.registry`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contract import registry
from lambdas.settings import Profile
from onboarding.adapters.dynamodb import TableNames, create_tables


@dataclass(frozen=True, kw_only=True)
class LocalResources:
    prefix: str
    region: str
    account: str
    key_arn: str
    bucket: str
    tables: TableNames
    idempotency_table: str

    def function_name(self, name: str) -> str:
        return f"{self.prefix}-{name.replace('_', '-')}"

    def function_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.function_name(name)}"

    def log_group(self, name: str) -> str:
        return f"/aws/lambda/{self.function_name(name)}"

    @property
    def state_machine_name(self) -> str:
        return f"{self.prefix}-onboarding"

    @property
    def state_machine_log_group(self) -> str:
        return f"/aws/vendedlogs/states/{self.state_machine_name}"

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role/{self.prefix}-state-machine"

    def environment(self, *, profile: Profile, review_timeout_seconds: int) -> dict[str, str]:
        """The Lambda environment; ``STATE_MACHINE_ARN`` is added once the state machine exists."""
        return {
            registry.ENV_LEDGER_TABLE: self.tables.ledger,
            registry.ENV_CHARGES_TABLE: self.tables.charges,
            registry.ENV_OUTBOX_TABLE: self.tables.outbox,
            registry.ENV_REVIEWS_TABLE: self.tables.reviews,
            registry.ENV_IDEMPOTENCY_TABLE: self.idempotency_table,
            registry.ENV_CLAIM_CHECK_BUCKET: self.bucket,
            registry.ENV_CLAIM_CHECK_KEY_ARN: self.key_arn,
            registry.ENV_PROTECTION_PROFILE: profile.value,
            registry.ENV_REVIEW_TIMEOUT_SECONDS: str(review_timeout_seconds),
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon locally
        }


def provision(session: Any, *, prefix: str) -> LocalResources:
    region = session.region_name
    account = session.client("sts").get_caller_identity()["Account"]
    kms = session.client("kms")
    key_arn = kms.create_key(Description=f"{prefix} data key", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=key_arn)

    resources = LocalResources(
        prefix=prefix,
        region=region,
        account=account,
        key_arn=key_arn,
        bucket=f"{prefix}-claim-check-{account}",
        tables=TableNames.with_prefix(prefix),
        idempotency_table=f"{prefix}-idempotency",
    )
    _bucket(session.client("s3"), resources)
    _tables(session.client("dynamodb"), resources)
    logs = session.client("logs")
    for function in registry.TASK_FUNCTIONS:
        logs.create_log_group(logGroupName=resources.log_group(function.name), kmsKeyId=key_arn)
    logs.create_log_group(logGroupName=resources.state_machine_log_group, kmsKeyId=key_arn)
    return resources


def _bucket(s3: Any, resources: LocalResources) -> None:
    create: dict[str, Any] = {"Bucket": resources.bucket}
    if resources.region != "us-east-1":
        create["CreateBucketConfiguration"] = {"LocationConstraint": resources.region}
    s3.create_bucket(**create)
    s3.put_bucket_encryption(
        Bucket=resources.bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": resources.key_arn,
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_public_access_block(
        Bucket=resources.bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )


def _tables(dynamodb: Any, resources: LocalResources) -> None:
    create_tables(dynamodb, resources.tables)
    dynamodb.create_table(
        TableName=resources.idempotency_table,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": registry.IDEMPOTENCY_PARTITION_KEY, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": registry.IDEMPOTENCY_PARTITION_KEY, "AttributeType": "S"}],
    )
    dynamodb.update_time_to_live(
        TableName=resources.idempotency_table,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": registry.IDEMPOTENCY_TTL_ATTRIBUTE},
    )
