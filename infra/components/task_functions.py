"""One Lambda per task function of the process (`contract.registry.task_functions`), all from one bundle.

Each function runs in the private subnets, traces with X-Ray, logs JSON to its own KMS-encrypted log group and
has reserved concurrency so one runaway step cannot starve the account.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from contract.environment import POWERTOOLS_SERVICE_NAME
from contract.registry import TaskFunction
from infra.components.encrypted_log_group import EncryptedLogGroup
from infra.components.service_endpoints import NetworkEgress

RUNTIME = lambda_.Runtime.PYTHON_3_12
MEMORY_MIB = 256
TIMEOUT = Duration.seconds(30)


@dataclass(frozen=True, kw_only=True)
class FunctionSettings:
    name_prefix: str
    reserved_concurrency: int
    environment: dict[str, str]
    log_retention_days: int
    role_name: Callable[[str], str]  # task function name -> its execution role's name (infra.principals)


class TaskFunctions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        entries: tuple[TaskFunction, ...],
        service: str,
        code: lambda_.Code,
        settings: FunctionSettings,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        logs_key: kms.IKey,
        environment_key: kms.IKey,
        removal_policy: RemovalPolicy,
        egress: NetworkEgress,
    ) -> None:
        super().__init__(scope, construct_id)
        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, allow_all_outbound=False,
            description="Task Lambdas: no ingress; HTTPS to AWS APIs only",
        )
        egress.allow_aws_apis(self.security_group)
        self.by_name: dict[str, lambda_.Function] = {}
        self.roles: dict[str, iam.Role] = {}
        self.log_groups: dict[str, EncryptedLogGroup] = {}
        for entry in entries:
            construct_name = "".join(part.title() for part in entry.name.split("_"))
            function_name = f"{settings.name_prefix}-{entry.name.replace('_', '-')}"
            log_group = EncryptedLogGroup(
                self, f"{construct_name}Logs", key=logs_key, retention_days=settings.log_retention_days,
                removal_policy=removal_policy, log_group_name=f"/aws/lambda/{function_name}",
            )
            self.log_groups[entry.name] = log_group
            # A named role (the key policies name it before it exists), assumable by Lambda for this account only.
            role = iam.Role(
                self, f"{construct_name}Role", role_name=settings.role_name(entry.name),
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com", conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}),
                managed_policies=[
                    iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWSLambdaBasicExecutionRole"),
                    iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWSLambdaVPCAccessExecutionRole"),
                ],
            )
            self.roles[entry.name] = role
            # Lambda decrypts the environment with the function's role at start-up, under the encryption context
            # naming the function (AWS Lambda Developer Guide, "Securing Lambda environment variables").
            role.add_to_policy(iam.PolicyStatement(
                actions=["kms:Decrypt"], resources=[environment_key.key_arn],
                conditions={"StringEquals": {"kms:EncryptionContext:LambdaFunctionName": function_name}},
            ))
            self.by_name[entry.name] = lambda_.Function(
                self,
                construct_name,
                function_name=function_name,
                runtime=RUNTIME,
                architecture=lambda_.Architecture.X86_64,
                handler=entry.handler,
                code=code,
                role=role,
                memory_size=MEMORY_MIB,
                timeout=TIMEOUT,
                vpc=vpc,
                vpc_subnets=subnets,
                security_groups=[self.security_group],
                tracing=lambda_.Tracing.ACTIVE,
                log_group=log_group.log_group,
                logging_format=lambda_.LoggingFormat.JSON,
                reserved_concurrent_executions=settings.reserved_concurrency,
                environment={**settings.environment, POWERTOOLS_SERVICE_NAME: f"{service}-{entry.name}"},
                environment_encryption=environment_key,
            )
