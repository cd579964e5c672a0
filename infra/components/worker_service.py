"""The ECS cluster and the worker service: private subnets, no public IP, no load balancer, outbound only.

The security group has no ingress rule at all; egress is HTTPS (AWS APIs) and Temporal's gRPC port, to the
destinations of the egress mode (``NetworkEgress``).
Deployments use the circuit breaker with rollback; the task count follows CPU between the configured bounds.
"""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from constructs import Construct

from infra.components.service_endpoints import NetworkEgress

CPU_TARGET_PERCENT = 60


class WorkerService(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        task_definition: ecs.FargateTaskDefinition,
        cluster_name: str,
        desired_count: int,
        max_count: int,
        egress: NetworkEgress,
    ) -> None:
        super().__init__(scope, construct_id)
        self.cluster = ecs.Cluster(
            self, "Cluster", vpc=vpc, cluster_name=cluster_name,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )
        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, allow_all_outbound=False,
            description="Temporal workers: no ingress; egress to AWS APIs (443) and Temporal (7233) only",
        )
        egress.allow_aws_apis(self.security_group)
        egress.allow_temporal(self.security_group)
        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=self.cluster,
            task_definition=task_definition,
            desired_count=desired_count,
            assign_public_ip=False,
            vpc_subnets=subnets,
            security_groups=[self.security_group],
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            min_healthy_percent=100,
            max_healthy_percent=200,
            platform_version=ecs.FargatePlatformVersion.LATEST,
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
            enable_execute_command=False,
        )
        scaling = self.service.auto_scale_task_count(min_capacity=desired_count, max_capacity=max_count)
        scaling.scale_on_cpu_utilization("Cpu", target_utilization_percent=CPU_TARGET_PERCENT)
