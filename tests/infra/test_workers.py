"""Temporal worker promises: outbound only, hardened container, least-privilege task role."""

from __future__ import annotations

from typing import Any

from infra.components.worker_task_definition import HEALTH_FILE, TMP_PATH
from infra.synthesis import Synthesis
from tests.infra.template_queries import as_list, props, resources

REQUIRED_ENVIRONMENT = {
    "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_TASK_QUEUE", "TEMPORAL_AUTH_MODE", "TEMPORAL_SECRET_ARN",
    "TEMPORAL_TLS", "PAYLOAD_KEY_ID", "LEDGER_TABLE", "CHARGES_TABLE", "OUTBOX_TABLE", "REVIEWS_TABLE",
    "WORKER_GRACEFUL_SHUTDOWN_SECONDS", "WORKER_HEALTH_FILE",
}


def _workers(synthesis: Synthesis) -> dict[str, Any]:
    return synthesis.templates["Workers"]["Resources"]  # type: ignore[no-any-return]


def _container(synthesis: Synthesis) -> dict[str, Any]:
    (_, _, task), = resources(synthesis, "AWS::ECS::TaskDefinition")
    (container,) = props(task)["ContainerDefinitions"]
    return container  # type: ignore[no-any-return]


def test_service_runs_in_private_subnets_without_public_ip_or_load_balancer(synthesis: Synthesis) -> None:
    (_, _, service), = resources(synthesis, "AWS::ECS::Service")
    network = props(service)["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == "DISABLED"
    assert "LoadBalancers" not in props(service)
    assert props(service)["LaunchType"] == "FARGATE"
    assert not any(t.startswith("AWS::ElasticLoadBalancing") for t in
                   {r["Type"] for r in _workers(synthesis).values()})
    circuit_breaker = props(service)["DeploymentConfiguration"]["DeploymentCircuitBreaker"]
    assert circuit_breaker == {"Enable": True, "Rollback": True}


def test_worker_security_group_has_no_ingress_and_narrow_egress(synthesis: Synthesis) -> None:
    groups = {logical_id: props(g) for _, logical_id, g in resources(synthesis, "AWS::EC2::SecurityGroup")
              if "WorkersSecurityGroup" in logical_id}
    ((logical_id, group),) = groups.items()
    assert "SecurityGroupIngress" not in group
    assert not [r for _, _, r in resources(synthesis, "AWS::EC2::SecurityGroupIngress")
                if props(r)["GroupId"] == {"Fn::GetAtt": [logical_id, "GroupId"]}]
    assert {rule["FromPort"] for rule in group["SecurityGroupEgress"]} == {443, 7233}
    assert all(rule["IpProtocol"] == "tcp" and rule["FromPort"] == rule["ToPort"]
               for rule in group["SecurityGroupEgress"])


def test_cluster_has_container_insights(synthesis: Synthesis) -> None:
    (_, _, cluster), = resources(synthesis, "AWS::ECS::Cluster")
    assert {"Name": "containerInsights", "Value": "enabled"} in props(cluster)["ClusterSettings"]


def test_container_is_non_root_read_only_and_health_checked(synthesis: Synthesis) -> None:
    container = _container(synthesis)
    assert container["ReadonlyRootFilesystem"] is True
    assert container["User"].split(":")[0] not in ("", "0", "root")
    assert container["Privileged"] is False
    assert container["LinuxParameters"]["Capabilities"]["Drop"] == ["ALL"]
    assert container["HealthCheck"]["Command"] == ["CMD", "python", "-m", "workers.health"]
    assert container["Command"] == ["python", "-m", "workers"]
    assert container["MountPoints"] == [{"ContainerPath": TMP_PATH, "ReadOnly": False, "SourceVolume": "tmp"}]
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"


def test_container_environment_and_stop_timeout(synthesis: Synthesis) -> None:
    container = _container(synthesis)
    environment = {item["Name"]: item["Value"] for item in container["Environment"]}
    assert set(environment) >= REQUIRED_ENVIRONMENT
    assert environment["WORKER_HEALTH_FILE"] == HEALTH_FILE
    graceful = int(environment["WORKER_GRACEFUL_SHUTDOWN_SECONDS"])
    assert graceful < container["StopTimeout"] <= 120
    assert environment["TEMPORAL_AUTH_MODE"] in {"none", "api_key", "mtls"}
    assert "Secrets" not in container  # credentials are fetched by ARN at start-up, never injected as values


def test_service_autoscales_on_cpu(synthesis: Synthesis) -> None:
    (_, _, target), = resources(synthesis, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert props(target)["MaxCapacity"] == synthesis.config.worker_max_count
    assert props(target)["MinCapacity"] == synthesis.config.worker_desired_count
    (_, _, policy), = resources(synthesis, "AWS::ApplicationAutoScaling::ScalingPolicy")
    metric = props(policy)["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]
    assert metric["PredefinedMetricType"] == "ECSServiceAverageCPUUtilization"


def test_task_role_reaches_only_the_payload_key_its_tables_and_the_secret(synthesis: Synthesis) -> None:
    resources_by_id = _workers(synthesis)
    (task,) = [props(r) for r in resources_by_id.values() if r["Type"] == "AWS::ECS::TaskDefinition"]
    task_role = task["TaskRoleArn"]["Fn::GetAtt"][0]
    policies = [props(r) for r in resources_by_id.values()
                if r["Type"] == "AWS::IAM::Policy" and {"Ref": task_role} in props(r)["Roles"]]
    statements = [s for p in policies for s in p["PolicyDocument"]["Statement"]]
    allowed = ("KeysPayload", "KeysData", "TablesLedger", "TablesCharges", "TablesOutbox", "TablesReviews",
               "TemporalSecret")
    touched: set[str] = set()
    for statement in statements:
        for resource in as_list(statement["Resource"]):
            names = [name for name in allowed if name in repr(resource)]
            assert names, f"task role reaches an unexpected resource: {resource}"
            touched.update(names)
    expected = set(allowed) if synthesis.config.temporal_auth_mode != "none" else set(allowed) - {"TemporalSecret"}
    assert touched == expected
