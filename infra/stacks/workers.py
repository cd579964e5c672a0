"""The Temporal workers: Fargate tasks in the private subnets that only dial out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from contract.environment import PAYLOAD_ENCRYPTION_CONTEXT, worker_environment
from contract.process import ProcessDescription
from contract.profile import Profile
from infra.compliance.acknowledgement import COMPLIANCE_PACKS, Acknowledgement, acknowledge, in_packs
from infra.components.encrypted_log_group import EncryptedLogGroup
from infra.components.service_endpoints import TEMPORAL_PORT, NetworkEgress
from infra.components.worker_service import WorkerService
from infra.components.worker_task_definition import WorkerSettings, WorkerTaskDefinition
from infra.config import BlueprintConfig
from infra.permissions import ENVELOPE_KEY_USE, allow_key, allow_secret_read, allow_table_read_write
from infra.principals import Principals


@dataclass(frozen=True, kw_only=True)
class WorkerDependencies:
    vpc: ec2.IVpc
    subnets: ec2.SubnetSelection
    temporal_endpoint_security_group: ec2.ISecurityGroup | None
    payload_key: kms.IKey
    logs_key: kms.IKey
    tables: dict[str, dynamodb.ITable]
    temporal_secret: secretsmanager.ISecret
    egress: NetworkEgress


class WorkersStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: BlueprintConfig,
        deps: WorkerDependencies,
        image_context: Path,
        process: ProcessDescription,
        principals: Principals,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        removal = RemovalPolicy.RETAIN if config.retain_on_delete else RemovalPolicy.DESTROY
        log_group = EncryptedLogGroup(self, "WorkerLogs", key=deps.logs_key,
                                      retention_days=config.log_retention_days, removal_policy=removal)
        environment = worker_environment(
            process, address=config.temporal_address, namespace=config.temporal_namespace,
            task_queue=config.temporal_task_queue, auth_mode=config.temporal_auth_mode, tls=config.temporal_tls,
            secret_arn=deps.temporal_secret.secret_arn, payload_key_id=deps.payload_key.key_arn,
            tables={role: table.table_name for role, table in deps.tables.items()}, profile=Profile.HARDENED,
            graceful_shutdown_seconds=config.worker_graceful_shutdown_seconds,
        )
        self.task = WorkerTaskDefinition(
            self, "Task", image_context=image_context, log_group=log_group.log_group,
            task_role_name=principals.worker_task_role_name,
            execution_role_name=principals.worker_execution_role_name,
            settings=WorkerSettings(
                cpu=config.worker_cpu, memory_mib=config.worker_memory_mib,
                stop_timeout_seconds=config.worker_stop_timeout_seconds, environment=environment,
            ),
        )
        task_role = self.task.task_definition.task_role
        allow_key(task_role, deps.payload_key, ENVELOPE_KEY_USE, {"StringEquals": {
            f"kms:EncryptionContext:{name}": value for name, value in PAYLOAD_ENCRYPTION_CONTEXT.items()}})
        for table in deps.tables.values():
            allow_table_read_write(task_role, table)
        if config.temporal_auth_mode != "none":
            allow_secret_read(task_role, deps.temporal_secret)
        self.workers = WorkerService(
            self, "Workers", vpc=deps.vpc, subnets=deps.subnets, task_definition=self.task.task_definition,
            cluster_name=config.resource_name("workers"), desired_count=config.worker_desired_count,
            max_count=config.worker_max_count, egress=deps.egress,
        )
        if deps.temporal_endpoint_security_group is not None:
            ec2.CfnSecurityGroupIngress(
                self, "TemporalEndpointFromWorkers",
                group_id=deps.temporal_endpoint_security_group.security_group_id,
                ip_protocol="tcp", from_port=TEMPORAL_PORT, to_port=TEMPORAL_PORT,
                source_security_group_id=self.workers.security_group.security_group_id,
                description="Temporal gRPC from the worker tasks",
            )
        self.acknowledgements = self._acknowledgements()

    def _acknowledgements(self) -> list[Acknowledgement]:
        task_definition = self.task.task_definition
        acks = acknowledge(task_definition, ["AwsSolutions-ECS2"], (
            "The worker's environment holds only non-secret settings (Temporal address, namespace and queue, table "
            "names, key and secret ARNs); the Temporal credentials are read from Secrets Manager at start-up."))
        acks += acknowledge(task_definition.obtain_execution_role(), ["AwsSolutions-IAM5[Resource::*]"], (
            "ecr:GetAuthorizationToken, which the Fargate agent needs to pull the worker image, supports no "
            "resource-level permission; every other statement of the execution role names its repository or log "
            "group."))
        for role, purpose in ((task_definition.task_role, "worker task role (payload key, its four tables, the "
                                                          "Temporal secret)"),
                              (task_definition.obtain_execution_role(), "task execution role (image pull, logs)")):
            acks += acknowledge(role, in_packs("IAMNoInlinePolicy", *COMPLIANCE_PACKS), (
                f"The {purpose} policy is generated from explicit, resource-scoped grants for this role alone; "
                "being inline it cannot be attached to any other principal."))
        return acks
