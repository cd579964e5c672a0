"""A CloudWatch log group encrypted with the logs key, with a fixed retention."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import LOG_RETENTION_DAYS

# RetentionDays members are declared in ascending order of the periods CloudWatch Logs accepts; INFINITE is last.
_RETENTION = dict(zip(LOG_RETENTION_DAYS, list(logs.RetentionDays)[: len(LOG_RETENTION_DAYS)], strict=True))


class EncryptedLogGroup(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        retention_days: int,
        removal_policy: RemovalPolicy,
        log_group_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        # The logs key's policy already lets the Logs service use it for any log group of this account and region
        # (see EncryptionKeys), so no per-group key grant is needed here.
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=log_group_name,
            encryption_key=key,
            retention=_RETENTION[retention_days],
            removal_policy=removal_policy,
        )
