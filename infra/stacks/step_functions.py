"""The Step Functions architecture: task Lambdas in the private subnets and the named, CMK-encrypted machine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import ArnFormat, CfnOutput, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from contract.environment import task_environment
from contract.process import ProcessDescription, pascal_case
from contract.profile import Profile
from contract.registry import TaskFunction, state_machine_functions
from infra.compliance.acknowledgement import (
    COMPLIANCE_PACKS,
    Acknowledgement,
    acknowledge,
    in_packs,
    lambda_role_acknowledgements,
    nag_rendering,
    skip_checkov,
)
from infra.components.claim_check_bucket import claim_check_bucket_name
from infra.components.compensation_alarm import CompensationPendingAlarm
from infra.components.encrypted_log_group import EncryptedLogGroup
from infra.components.process_state_machine import ProcessStateMachine
from infra.components.service_endpoints import NetworkEgress
from infra.components.task_functions import FunctionSettings, TaskFunctions
from infra.config import BlueprintConfig
from infra.permissions import (
    TABLE_INSERT,
    TABLE_UPDATE,
    allow_idempotency_records,
    allow_key,
    allow_object_read,
    allow_object_write,
    allow_table_read_write,
    via,
)
from infra.principals import Principals
from infra.task_access import access_for

# What Step Functions does with a customer-managed key for whoever starts an execution (the input is encrypted as
# the execution is created): tests/infra/aws_side_calls.py cites the sources.
START_EXECUTION_KEY_USE = ("kms:GenerateDataKey", "kms:Decrypt")


@dataclass(frozen=True, kw_only=True)
class StepFunctionsDependencies:
    vpc: ec2.IVpc
    subnets: ec2.SubnetSelection
    logs_key: kms.IKey
    data_key: kms.IKey
    state_machine_key: kms.IKey
    tables: dict[str, dynamodb.ITable]
    idempotency_table: dynamodb.ITable
    egress: NetworkEgress


class StepFunctionsStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: BlueprintConfig,
        deps: StepFunctionsDependencies,
        process: ProcessDescription,
        functions: tuple[TaskFunction, ...],
        definition: str,
        lambda_code: lambda_.Code,
        principals: Principals,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        removal = RemovalPolicy.RETAIN if config.retain_on_delete else RemovalPolicy.DESTROY
        claim_check = s3.Bucket.from_bucket_name(self, "ClaimCheck", claim_check_bucket_name(config.environment_name))
        state_machine_name = config.resource_name(process.name)
        # Formatted from the fixed name rather than referenced: the intake function needs the ARN and the
        # state machine needs the functions' ARNs, and a reference both ways would be a dependency cycle.
        state_machine_arn = self.format_arn(service="states", resource="stateMachine",
                                            resource_name=state_machine_name,
                                            arn_format=ArnFormat.COLON_RESOURCE_NAME)
        environment = task_environment(
            process, tables={role: table.table_name for role, table in deps.tables.items()},
            idempotency_table=deps.idempotency_table.table_name, claim_check_bucket=claim_check.bucket_name,
            claim_check_key_arn=deps.data_key.key_arn, state_machine_arn=state_machine_arn,
            review_timeout_seconds=config.review_timeout_seconds, profile=Profile.HARDENED,
        )
        self.functions = TaskFunctions(
            self, "Tasks", entries=functions, code=lambda_code, service=process.name, vpc=deps.vpc,
            subnets=deps.subnets, logs_key=deps.logs_key, environment_key=deps.data_key, removal_policy=removal,
            egress=deps.egress,
            settings=FunctionSettings(
                name_prefix=config.environment_name, reserved_concurrency=config.lambda_reserved_concurrency,
                environment=environment, log_retention_days=config.log_retention_days,
                role_name=principals.task_role_name,
            ),
        )
        self.access = {name: access_for(process, name) for name in self.functions.by_name}
        for name, function in self.functions.by_name.items():
            access = self.access[name]
            if access.idempotency_prefix is not None:
                allow_idempotency_records(function, deps.idempotency_table, access.idempotency_prefix)
            for role in sorted({*access.inserts, *access.updates}):
                actions = (*(TABLE_INSERT if role in access.inserts else ()),
                           *(TABLE_UPDATE if role in access.updates else ()))
                allow_table_read_write(function, deps.tables[role], actions)
            if access.claim_check == "write":
                allow_object_write(function, claim_check, deps.data_key)
            elif access.claim_check == "read":
                allow_object_read(function, claim_check, deps.data_key)
            if access.starts_executions:
                function.add_to_role_policy(
                    iam.PolicyStatement(actions=["states:StartExecution"], resources=[state_machine_arn])
                )
                allow_key(function, deps.state_machine_key, START_EXECUTION_KEY_USE, {"StringEquals": {
                    **via("states")["StringEquals"],
                    "kms:EncryptionContext:aws:states:stateMachineArn": state_machine_arn,
                }})
        log_group = EncryptedLogGroup(
            self, "StateMachineLogs", key=deps.logs_key, retention_days=config.log_retention_days,
            removal_policy=removal, log_group_name=f"/aws/vendedlogs/states/{state_machine_name}",
        )
        self.state_machine = ProcessStateMachine(
            self, pascal_case(process.name), state_machine_name=state_machine_name, definition=definition,
            key=deps.state_machine_key, log_group=log_group.log_group,
            role_name=principals.state_machine_role_name, state_machine_arn=state_machine_arn,
            # Only the functions the definition calls: the state machine's role may invoke exactly these (not intake).
            substitutions={entry.substitution_key: self.functions.by_name[entry.name]
                           for entry in state_machine_functions(functions)},
        )
        self.compensation_alarm = CompensationPendingAlarm(self, "CompensationPending", log_group=log_group.log_group,
                                                           state_machine_name=state_machine_name)
        CfnOutput(self, "StateMachineArn", value=self.state_machine.state_machine.state_machine_arn)
        CfnOutput(self, "IntakeFunctionName", value=self.functions.by_name[process.entry_function].function_name)
        self.acknowledgements = self._acknowledgements(process, claim_check.arn_for_objects("*"))
        self.acknowledgements += self.compensation_alarm.acknowledgements

    def _acknowledgements(self, process: ProcessDescription, claim_check_objects: str) -> list[Acknowledgement]:
        objects = nag_rendering(self.resolve(claim_check_objects))
        acks: list[Acknowledgement] = []
        for name, function in self.functions.by_name.items():
            caller = "the submitting client" if name == process.entry_function else "the state machine"
            skip_checkov(function, "CKV_AWS_116", (
                f"{name} is invoked synchronously by {caller}; a dead-letter queue only receives asynchronous "
                "invocations."))
            acks += acknowledge(function, in_packs("LambdaDLQ", "HIPAA.Security", "NIST.800.53.R5"), (
                f"{name} is invoked synchronously by {caller}; failures return to the caller (Retry/Catch in the "
                "state machine) and a dead-letter queue only ever receives asynchronous invocations."))
            acks += acknowledge(function, ["AwsSolutions-L1"], (
                f"{name} runs CPython 3.12 because its bundle's binary wheels (pydantic-core) are built for cp312 "
                "from the pinned constraints; a newer runtime is a deliberate dependency upgrade."))
            role = self.functions.roles[name]
            acks += lambda_role_acknowledgements(role, name)
            if self.access[name].claim_check != "none":
                acks += acknowledge(role, [f"AwsSolutions-IAM5[Resource::{objects}]"], (
                    f"Claim-check objects are keyed by application id, so {name} is scoped to the objects of the one "
                    "claim-check bucket; it holds no bucket-level or listing permission."))
            acks += acknowledge(role, in_packs("IAMNoInlinePolicy", *COMPLIANCE_PACKS), (
                f"The {name} role's policy is generated from explicit grants on this function's own tables, "
                "key and objects; being inline it cannot be attached to any other principal."))
        machine = self.state_machine.role
        acks += acknowledge(machine, ["AwsSolutions-IAM5[Resource::*]"], (
            "The state machine's X-Ray (PutTraceSegments, PutTelemetryRecords, GetSampling*) and CloudWatch Logs "
            "delivery actions (Create/Get/Update/Delete/ListLogDeliveries, resource policies) support no "
            "resource-level permission."))
        acks += acknowledge(machine, in_packs("IAMNoInlinePolicy", *COMPLIANCE_PACKS), (
            "The state machine role's policy allows invoking exactly the task functions and using its own key; "
            "being inline it cannot be attached to any other principal."))
        return acks

