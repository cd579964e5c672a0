"""The AWS resources the task Lambdas of a process need, created through boto3 (against moto when run locally).

Mirrors what infra deploys, at the level the handlers can observe: the data, logs and state machine keys (behind
``alias/<prefix>/data``, ``.../logs``, ``.../state-machine``, as infra names them), the claim-check bucket
(``<prefix>-claim-check-<account>-<region>``, default SSE-KMS under the data key, public access blocked), the
process's tables plus the Powertools idempotency table (encrypted with the data key), one log group per function
(logs key), and the environment of :func:`contract.environment.task_environment`. The names follow infra's, so a
template synthesized with ``environment_name`` = the prefix names exactly these resources (the two-way IAM test).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contract.environment import task_environment
from contract.process import ProcessDescription
from contract.profile import Profile
from contract.registry import TaskFunction
from local.aws import create_idempotency_table, create_key, create_process_tables


@dataclass(frozen=True, kw_only=True)
class LocalResources:
    prefix: str
    region: str
    account: str
    key_arn: str  # the data key (tables, claim checks, the Lambda environment)
    logs_key_arn: str
    state_machine_key_arn: str
    bucket: str
    process: ProcessDescription
    tables: dict[str, str]  # role -> table name
    idempotency_table: str

    def function_name(self, name: str) -> str:
        return f"{self.prefix}-{name.replace('_', '-')}"

    def function_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.function_name(name)}"

    def log_group(self, name: str) -> str:
        return f"/aws/lambda/{self.function_name(name)}"

    @property
    def state_machine_name(self) -> str:
        return f"{self.prefix}-{self.process.name}"

    @property
    def state_machine_log_group(self) -> str:
        return f"/aws/vendedlogs/states/{self.state_machine_name}"

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role/{self.prefix}-state-machine"

    @property
    def state_machine_arn(self) -> str:
        return f"arn:aws:states:{self.region}:{self.account}:stateMachine:{self.state_machine_name}"

    def environment(self, *, profile: Profile, review_timeout_seconds: int) -> dict[str, str]:
        """The Lambda environment, as infra sets it, plus what a local process needs instead of the Lambda runtime."""
        return {
            **task_environment(self.process, tables=self.tables, idempotency_table=self.idempotency_table,
                               claim_check_bucket=self.bucket, claim_check_key_arn=self.key_arn,
                               state_machine_arn=self.state_machine_arn, review_timeout_seconds=review_timeout_seconds,
                               profile=profile),
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon locally
        }


def provision(session: Any, process: ProcessDescription, functions: tuple[TaskFunction, ...], *,
              prefix: str) -> LocalResources:
    region = session.region_name
    account = session.client("sts").get_caller_identity()["Account"]
    kms = session.client("kms")
    key_arn, logs_key_arn, state_machine_key_arn = (
        create_key(kms, description=f"{prefix}: {name} key (local)", alias=f"alias/{prefix}/{name}")
        for name in ("data", "logs", "state-machine"))
    dynamodb = session.client("dynamodb")
    resources = LocalResources(
        prefix=prefix,
        region=region,
        account=account,
        key_arn=key_arn,
        logs_key_arn=logs_key_arn,
        state_machine_key_arn=state_machine_key_arn,
        bucket=f"{prefix}-claim-check-{account}-{region}",
        process=process,
        tables=create_process_tables(dynamodb, process, prefix=prefix),
        idempotency_table=f"{prefix}-idempotency",
    )
    create_idempotency_table(dynamodb, resources.idempotency_table)
    _bucket(session.client("s3"), resources)
    logs = session.client("logs")
    for function in functions:
        logs.create_log_group(logGroupName=resources.log_group(function.name), kmsKeyId=logs_key_arn)
    logs.create_log_group(logGroupName=resources.state_machine_log_group, kmsKeyId=logs_key_arn)
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


