"""A process's Lambda durable function: one function that runs every step as a checkpointed step.

The function runs in the private subnets behind a security group without ingress, traces with X-Ray, logs JSON to its
own KMS-encrypted log group and has reserved concurrency, like the task Lambdas. ``DurableConfig`` makes it durable:
the execution timeout, how long the service keeps an ended execution's history, and the customer-managed key the
service encrypts the execution data with (``KMSKeyArn``, which the CDK L2 construct does not expose: set on the
CloudFormation resource). A version is published for every change of code or configuration and the ``live`` alias
points at it: durable executions must be started with a qualified function, and each stays on the version it started
with, so a deployment never replays old executions on new code.

The role is written out: the durable-execution API actions on this function's executions only (``function:<name>:*``,
the form AWS documents: an unqualified ARN never matches an execution ARN), instead of the AWS managed
``AWSLambdaBasicDurableExecutionRolePolicy``; the stack adds the tables and keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import ArnFormat, Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from contract.environment import DURABLE_FUNCTION_ALIAS
from infra.components.encrypted_log_group import EncryptedLogGroup
from infra.components.service_endpoints import NetworkEgress

RUNTIME = lambda_.Runtime.PYTHON_3_13  # the first Python runtime with durable functions; the asset is built for it
MEMORY_MIB = 512
# One invocation: it replays the checkpoints, then runs steps until the execution waits, retries or ends.
INVOCATION_TIMEOUT = Duration.seconds(60)
ALIAS = DURABLE_FUNCTION_ALIAS
# What the execution role calls on its own executions (AWS Lambda Developer Guide, "Security and permissions for Lambda
# durable functions", https://docs.aws.amazon.com/lambda/latest/dg/durable-security.html).
EXECUTION_ROLE_ACTIONS = ("lambda:CheckpointDurableExecution", "lambda:GetDurableExecutionState")


@dataclass(frozen=True, kw_only=True)
class DurableFunctionSettings:
    function_name: str  # fixed: the key policies and the role's policy name it before it exists
    role_name: str
    handler: str  # module.function inside the asset
    environment: dict[str, str]
    reserved_concurrency: int
    log_retention_days: int
    execution_timeout_seconds: int  # DurableConfig.ExecutionTimeout
    retention_days: int  # DurableConfig.RetentionPeriodInDays


class DurableFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DurableFunctionSettings,
        code: lambda_.Code,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        logs_key: kms.IKey,
        environment_key: kms.IKey,
        execution_data_key: kms.IKey,
        removal_policy: RemovalPolicy,
        egress: NetworkEgress,
    ) -> None:
        super().__init__(scope, construct_id)
        name = settings.function_name
        self.function_arn = Stack.of(self).format_arn(service="lambda", resource="function", resource_name=name,
                                                      arn_format=ArnFormat.COLON_RESOURCE_NAME)
        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, allow_all_outbound=False,
            description="Durable function: no ingress; HTTPS to AWS APIs only",
        )
        egress.allow_aws_apis(self.security_group)
        self.log_group = EncryptedLogGroup(
            self, "Logs", key=logs_key, retention_days=settings.log_retention_days, removal_policy=removal_policy,
            log_group_name=f"/aws/lambda/{name}",
        )
        self.role = iam.Role(
            self, "Role", role_name=settings.role_name,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com", conditions={
                "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWSLambdaBasicExecutionRole"),
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWSLambdaVPCAccessExecutionRole"),
            ],
        )
        self.role.add_to_policy(iam.PolicyStatement(
            actions=list(EXECUTION_ROLE_ACTIONS), resources=[f"{self.function_arn}:*"]))
        # Lambda decrypts the environment with the function's role at start-up, under the encryption context naming
        # the function (AWS Lambda Developer Guide, "Securing Lambda environment variables").
        self.role.add_to_policy(iam.PolicyStatement(
            actions=["kms:Decrypt"], resources=[environment_key.key_arn],
            conditions={"StringEquals": {"kms:EncryptionContext:LambdaFunctionName": name}},
        ))
        # The role reads its executions' state, which Lambda decrypts with the role's credentials through Lambda under
        # the function's context (AWS Lambda Developer Guide, "Encrypting AWS Lambda durable execution data").
        self.role.add_to_policy(iam.PolicyStatement(
            actions=["kms:Decrypt"], resources=[execution_data_key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"lambda.{Aws.REGION}.amazonaws.com",
                                         "kms:EncryptionContext:aws:lambda:FunctionArn": self.function_arn}},
        ))
        self.function = lambda_.Function(
            self, "Function",
            function_name=name,
            runtime=RUNTIME,
            architecture=lambda_.Architecture.X86_64,
            handler=settings.handler,
            code=code,
            role=self.role,
            memory_size=MEMORY_MIB,
            timeout=INVOCATION_TIMEOUT,
            vpc=vpc,
            vpc_subnets=subnets,
            security_groups=[self.security_group],
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            reserved_concurrent_executions=settings.reserved_concurrency,
            environment=settings.environment,
            environment_encryption=environment_key,
            durable_config=lambda_.DurableConfig(
                execution_timeout=Duration.seconds(settings.execution_timeout_seconds),
                retention_period=Duration.days(settings.retention_days),
            ),
        )
        cfn = self.function.node.default_child
        assert isinstance(cfn, lambda_.CfnFunction)
        cfn.add_property_override("DurableConfig.KMSKeyArn", execution_data_key.key_arn)
        self.alias = lambda_.Alias(self, "Alias", alias_name=ALIAS, version=self.function.current_version)
