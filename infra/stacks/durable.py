"""The Lambda durable functions architecture: the process as one durable function in the private subnets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from contract.environment import CHECKPOINT_ENCRYPTION_CONTEXT, durable_environment
from contract.process import ProcessDescription
from contract.profile import Profile
from infra.compliance.acknowledgement import (
    COMPLIANCE_PACKS,
    Acknowledgement,
    acknowledge,
    in_packs,
    lambda_role_acknowledgements,
    nag_rendering,
    skip_checkov,
)
from infra.components.durable_function import INVOCATION_TIMEOUT, DurableFunction, DurableFunctionSettings
from infra.components.service_endpoints import NetworkEgress
from infra.config import MAX_DURABLE_EXECUTION_SECONDS, BlueprintConfig, ConfigurationError
from infra.permissions import ENVELOPE_KEY_USE, TABLE_INSERT, TABLE_UPDATE, allow_key, allow_table_read_write
from infra.principals import Principals
from infra.task_access import durable_access

# The execution timeout is the review window plus a ceiling for the steps around it: every step and compensation of
# the description, and the handler's own two bookkeeping steps (opening the sealed input, recording the review's
# decision; durable_functions.handler), each using its whole retry budget (the process's, the same for every engine:
# contract.process.RetryBudget) with every attempt taking the whole invocation timeout and the longest backoff.
BOOKKEEPING_STEPS = 2


def execution_timeout_seconds(process: ProcessDescription, review_timeout_seconds: int) -> int:
    """``DurableConfig.ExecutionTimeout`` in seconds for ``process``; a review window too long for AWS's limit
    (366 days) fails naming the configuration key."""
    steps = len(process.all_steps) + BOOKKEEPING_STEPS
    retries = process.retry_budget
    budget = steps * retries.max_attempts * (int(INVOCATION_TIMEOUT.to_seconds()) + retries.max_interval_seconds)
    timeout = review_timeout_seconds + budget
    if timeout > MAX_DURABLE_EXECUTION_SECONDS:
        raise ConfigurationError(f"review_timeout_seconds: leaves no room for the durable function's steps (at most "
                                 f"{MAX_DURABLE_EXECUTION_SECONDS - budget})")
    return timeout


@dataclass(frozen=True, kw_only=True)
class DurableDependencies:
    vpc: ec2.IVpc
    subnets: ec2.SubnetSelection
    logs_key: kms.IKey
    data_key: kms.IKey
    checkpoint_key: kms.IKey
    execution_data_key: kms.IKey
    tables: dict[str, dynamodb.ITable]
    egress: NetworkEgress


class DurableStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: BlueprintConfig,
        deps: DurableDependencies,
        process: ProcessDescription,
        handler: str,
        code: lambda_.Code,
        principals: Principals,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        removal = RemovalPolicy.RETAIN if config.retain_on_delete else RemovalPolicy.DESTROY
        environment = durable_environment(
            process, tables={role: table.table_name for role, table in deps.tables.items()},
            payload_key_id=deps.checkpoint_key.key_arn, profile=Profile.HARDENED,
        )
        self.durable = DurableFunction(
            self, "Durable", code=code, vpc=deps.vpc, subnets=deps.subnets, logs_key=deps.logs_key,
            environment_key=deps.data_key, execution_data_key=deps.execution_data_key, removal_policy=removal,
            egress=deps.egress,
            settings=DurableFunctionSettings(
                function_name=principals.durable_function_name, role_name=principals.durable_role_name,
                handler=handler, environment=environment, reserved_concurrency=config.lambda_reserved_concurrency,
                log_retention_days=config.log_retention_days,
                execution_timeout_seconds=execution_timeout_seconds(process, config.review_timeout_seconds),
                retention_days=config.durable_retention_days,
            ),
        )
        self.access = durable_access(process)
        function = self.durable.function
        for role in sorted({*self.access.inserts, *self.access.updates}):
            actions = (*(TABLE_INSERT if role in self.access.inserts else ()),
                       *(TABLE_UPDATE if role in self.access.updates else ()))
            allow_table_read_write(function, deps.tables[role], actions)
        # The checkpoint envelopes: data keys generated and unwrapped in the function, only under their context.
        allow_key(function, deps.checkpoint_key, ENVELOPE_KEY_USE, {"StringEquals": {
            f"kms:EncryptionContext:{name}": value for name, value in CHECKPOINT_ENCRYPTION_CONTEXT.items()}})
        CfnOutput(self, "DurableFunctionName", value=function.function_name)
        CfnOutput(self, "DurableFunctionAliasArn", value=self.durable.alias.function_arn,
                  description="Start executions with this qualified ARN (DURABLE_FUNCTION for ops.durable)")
        self.acknowledgements = self._acknowledgements()

    def _acknowledgements(self) -> list[Acknowledgement]:
        function = self.durable.function
        role = self.durable.role
        skip_checkov(function, "CKV_AWS_116", (
            "The durable function is started by lambda:Invoke with a durable execution name and retries its steps "
            "from checkpoints; a failed execution stays in the service's history, a dead-letter queue adds nothing."))
        acks: list[Acknowledgement] = []
        acks += acknowledge(function, in_packs("LambdaDLQ", "HIPAA.Security", "NIST.800.53.R5"), (
            "The durable function's failures are durable executions that ended FAILED, kept with their (sealed) "
            "history by the durable-execution service for the configured retention; a dead-letter queue would only "
            "copy the sealed input."))
        acks += acknowledge(function, ["AwsSolutions-L1"], (
            "The durable function runs CPython 3.13, the first runtime of the durable-execution SDK, because its "
            "bundle's binary wheels are built for cp313 from the pinned constraints; python3.14 is a deliberate "
            "dependency upgrade (infra.bundle.DURABLE_ASSET)."))
        acks += lambda_role_acknowledgements(role, "the durable function")
        executions = nag_rendering(self.resolve(f"{self.durable.function_arn}:*"))
        acks += acknowledge(role, [f"AwsSolutions-IAM5[Resource::{executions}]"], (
            "Durable-execution actions are authorized on execution ARNs (function:<name>:<version>/durable-execution/"
            "...), which an unqualified function ARN never matches; ':*' is this one function's executions of every "
            "version, as AWS documents."))
        acks += acknowledge(role, in_packs("IAMNoInlinePolicy", *COMPLIANCE_PACKS), (
            "The durable function role's policy is generated from explicit grants on its own executions, tables and "
            "keys; being inline it cannot be attached to any other principal."))
        return acks


