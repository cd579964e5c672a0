"""Network promises: no public IPs, no internet path in privatelink mode, flow logs, restricted default SG."""

from __future__ import annotations

import json

from infra.components.service_endpoints import INTERFACE_SERVICES
from infra.synthesis import Synthesis
from tests.infra.template_queries import all_types, props, refers_to, resources


def test_no_subnet_assigns_public_ips(synthesis: Synthesis) -> None:
    subnets = list(resources(synthesis, "AWS::EC2::Subnet"))
    assert subnets
    for _, logical_id, subnet in subnets:
        assert props(subnet).get("MapPublicIpOnLaunch") is False, logical_id


def test_nat_mode_has_nat_gateways_only_in_public_subnets(syntheses: dict[str, Synthesis]) -> None:
    nat = syntheses["nat"]
    gateways = list(resources(nat, "AWS::EC2::NatGateway"))
    assert len(gateways) == nat.config.nat_gateways
    public_subnets = {logical_id for _, logical_id, subnet in resources(nat, "AWS::EC2::Subnet")
                      if any(tag["Value"] == "Public" for tag in props(subnet).get("Tags", []))}
    for _, _, gateway in gateways:
        assert props(gateway)["SubnetId"]["Ref"] in public_subnets


def test_privatelink_mode_has_no_internet_gateway_nat_or_public_address(syntheses: dict[str, Synthesis]) -> None:
    types = all_types(syntheses["privatelink"])
    for forbidden in ("AWS::EC2::InternetGateway", "AWS::EC2::VPCGatewayAttachment", "AWS::EC2::NatGateway",
                      "AWS::EC2::EIP", "AWS::EC2::EgressOnlyInternetGateway"):
        assert forbidden not in types
    for _, logical_id, route in resources(syntheses["privatelink"], "AWS::EC2::Route"):
        assert "GatewayId" not in props(route) and "NatGatewayId" not in props(route), logical_id


def test_privatelink_mode_reaches_aws_and_temporal_through_endpoints(syntheses: dict[str, Synthesis]) -> None:
    synthesis = syntheses["privatelink"]
    endpoints = [props(endpoint) for _, _, endpoint in resources(synthesis, "AWS::EC2::VPCEndpoint")]
    gateway = [e for e in endpoints if e.get("VpcEndpointType") == "Gateway"]
    interface = [e for e in endpoints if e.get("VpcEndpointType") == "Interface"]
    gateway_services = {service for e in gateway for service in ("s3", "dynamodb")
                        if json.dumps(e["ServiceName"]).endswith(f'.{service}"]]}}')}
    assert gateway_services == {"s3", "dynamodb"}
    assert len(interface) == len(INTERFACE_SERVICES) + 1
    temporal = [e for e in interface if e["ServiceName"] == synthesis.config.temporal_privatelink_service_name]
    assert len(temporal) == 1
    assert temporal[0]["PrivateDnsEnabled"] is False


def test_temporal_endpoint_admits_only_the_workers(syntheses: dict[str, Synthesis]) -> None:
    synthesis = syntheses["privatelink"]
    rules = [props(rule) for _, _, rule in resources(synthesis, "AWS::EC2::SecurityGroupIngress")]
    temporal_rules = [rule for rule in rules if refers_to(rule["GroupId"], "EndpointsTemporalEndpoint")]
    assert len(temporal_rules) == 1
    assert temporal_rules[0]["FromPort"] == temporal_rules[0]["ToPort"] == 7233
    assert refers_to(temporal_rules[0]["SourceSecurityGroupId"], "WorkersSecurityGroup")
    assert "CidrIp" not in temporal_rules[0]


def test_nat_mode_creates_no_endpoints(syntheses: dict[str, Synthesis]) -> None:
    assert "AWS::EC2::VPCEndpoint" not in all_types(syntheses["nat"])


def test_flow_logs_capture_all_traffic_to_an_encrypted_log_group(synthesis: Synthesis) -> None:
    flow_logs = [props(flow_log) for _, _, flow_log in resources(synthesis, "AWS::EC2::FlowLog")]
    assert len(flow_logs) == 1
    assert flow_logs[0]["TrafficType"] == "ALL"
    assert flow_logs[0]["LogDestinationType"] == "cloud-watch-logs"
    log_group_id = flow_logs[0]["LogGroupName"]["Ref"]
    assert "KmsKeyId" in props(synthesis.templates["Network"]["Resources"][log_group_id])


def test_default_security_group_is_restricted(synthesis: Synthesis) -> None:
    assert len(list(resources(synthesis, "Custom::VpcRestrictDefaultSG"))) == 1
