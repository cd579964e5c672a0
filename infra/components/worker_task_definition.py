"""The Temporal worker's Fargate task: image built from `build/worker` (`make bundle`), hardened container settings.

Non-root, read-only root filesystem with a small writable tmp volume (the health file lives there), all Linux
capabilities dropped, logs to a KMS-encrypted log group, and a stop timeout above the worker's own drain time.
The image is only staged at synth (no Docker needed); `cdk deploy` builds and pushes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Aws, Duration
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

WORKER_USER = "10001:10001"
TMP_VOLUME = "tmp"
TMP_PATH = "/tmp"  # noqa: S108 - a private per-task volume, not a shared host directory
HEALTH_FILE = f"{TMP_PATH}/worker-healthy"


@dataclass(frozen=True, kw_only=True)
class WorkerSettings:
    cpu: int
    memory_mib: int
    stop_timeout_seconds: int
    environment: dict[str, str]


class WorkerTaskDefinition(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        image_context: Path,
        settings: WorkerSettings,
        log_group: logs.ILogGroup,
        task_role_name: str,
        execution_role_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        # Named roles (the payload and data keys' policies name the task role), assumable by ECS tasks of this
        # account only (confused-deputy protection, as ECS documents for task roles).
        trust = iam.ServicePrincipal("ecs-tasks.amazonaws.com", conditions={
            "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
            "ArnLike": {"aws:SourceArn": f"arn:{Aws.PARTITION}:ecs:{Aws.REGION}:{Aws.ACCOUNT_ID}:*"},
        })
        task_role = iam.Role(self, "TaskRole", role_name=task_role_name, assumed_by=trust)
        execution_role = iam.Role(self, "ExecutionRole", role_name=execution_role_name, assumed_by=trust)
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "TaskDefinition",
            cpu=settings.cpu,
            memory_limit_mib=settings.memory_mib,
            task_role=task_role,
            execution_role=execution_role,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.X86_64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
        self.task_definition.add_volume(name=TMP_VOLUME)
        linux = ecs.LinuxParameters(self, "Linux", init_process_enabled=True)
        linux.drop_capabilities(ecs.Capability.ALL)
        self.container = self.task_definition.add_container(
            "Worker",
            # The context is the worker package plus the domain and contract (infra.bundle), nothing to exclude.
            image=ecs.ContainerImage.from_asset(str(image_context), platform=ecr_assets.Platform.LINUX_AMD64),
            command=["python", "-m", "workers"],
            user=WORKER_USER,
            readonly_root_filesystem=True,
            privileged=False,
            linux_parameters=linux,
            environment={**settings.environment, "WORKER_HEALTH_FILE": HEALTH_FILE},
            stop_timeout=Duration.seconds(settings.stop_timeout_seconds),
            health_check=ecs.HealthCheck(
                command=["CMD", "python", "-m", "workers.health"],
                interval=Duration.seconds(30),
                timeout=Duration.seconds(5),
                retries=3,
                start_period=Duration.seconds(60),
            ),
            logging=ecs.LogDrivers.aws_logs(stream_prefix="worker", log_group=log_group),
        )
        self.container.add_mount_points(
            ecs.MountPoint(container_path=TMP_PATH, source_volume=TMP_VOLUME, read_only=False)
        )
