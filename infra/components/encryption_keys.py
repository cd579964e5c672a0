"""The customer-managed KMS keys, all with yearly automatic rotation.

- payload: the Temporal payload codec's envelope key (data keys are generated under it inside the VPC);
- data: DynamoDB tables, the claim-check bucket and the Temporal credentials secret;
- logs: every CloudWatch log group and the access-log bucket (CDK grants the S3 logging service on it);
- state_machine: Step Functions execution history and definition.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Aws, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct


class EncryptionKeys(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, name_prefix: str, removal_policy: RemovalPolicy) -> None:
        super().__init__(scope, construct_id)
        self.payload = self._key("Payload", name_prefix, "payload", "Temporal payload codec envelope key",
                                 removal_policy)
        self.data = self._key("Data", name_prefix, "data", "Tables, claim-check objects and the Temporal secret",
                              removal_policy)
        self.logs = self._key("Logs", name_prefix, "logs", "CloudWatch log groups and S3 access logs",
                              removal_policy)
        self.state_machine = self._key("StateMachine", name_prefix, "state-machine",
                                       "Step Functions execution history and definition", removal_policy)
        self._let_logs_service_use(self.logs)

    def _key(self, construct_id: str, prefix: str, alias: str, description: str, removal: RemovalPolicy) -> kms.Key:
        return kms.Key(
            self,
            construct_id,
            alias=f"alias/{prefix}/{alias}",
            description=f"{prefix}: {description}",
            enable_key_rotation=True,
            removal_policy=removal,
        )

    @staticmethod
    def _let_logs_service_use(key: kms.Key) -> None:
        # LogGroup(encryption_key=...) does not grant CloudWatch Logs on the key. The encryption-context condition
        # limits the grant to log groups of this account and region, whichever stack creates them.
        stack = Stack.of(key)
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsUse",
                principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
                actions=["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
                         "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"],
                resources=["*"],  # in a key policy "*" means this key
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                            service="logs", resource="log-group", resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    }
                },
            )
        )
