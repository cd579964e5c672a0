"""The named, CMK-encrypted state machine of a process, built from its ASL file with DefinitionSubstitutions.

Logs go to a KMS-encrypted log group at level ALL without execution data (inputs and outputs never reach the
logs), X-Ray tracing is on, and the role may invoke exactly the task functions it is given.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from contract.definition import check_substitutions

DATA_KEY_REUSE = Duration.minutes(5)


class ProcessStateMachine(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        state_machine_name: str,
        definition: str,
        substitutions: dict[str, lambda_.IFunction],
        key: kms.IKey,
        log_group: logs.ILogGroup,
        role_name: str,
        state_machine_arn: str,
    ) -> None:
        super().__init__(scope, construct_id)
        check_substitutions(definition, set(substitutions))
        # A named role (the state machine key's policy names it), assumable by Step Functions for this state machine
        # of this account only (confused-deputy protection).
        self.role = iam.Role(self, "Role", role_name=role_name, assumed_by=iam.ServicePrincipal(
            "states.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                                                "ArnLike": {"aws:SourceArn": state_machine_arn}}))
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            # A customer-managed key needs a fixed name: CDK's key grant condition is built from the ARN.
            state_machine_name=state_machine_name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            role=self.role,
            definition_body=sfn.DefinitionBody.from_string(definition),
            definition_substitutions={key_: function.function_arn for key_, function in substitutions.items()},
            encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(key, DATA_KEY_REUSE),
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
            tracing_enabled=True,
        )
        # Explicit ARNs: Function.grant_invoke would add "<arn>:*" (every version) as well.
        self.state_machine.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=sorted({function.function_arn for function in substitutions.values()}),
            )
        )
