"""Network promises: no public IPs, no internet path in privatelink mode, flow logs, restricted default SG."""

from __future__ import annotations

import json
from typing import Any

from infra.components.service_endpoints import GATEWAY_SERVICES, INTERFACE_SERVICES, PRINCIPAL_ONLY_SERVICES
from infra.synthesis import Synthesis
from tests.infra.template_queries import all_types, as_list, props, refers_to, render, resources


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


def _egress_rules(synthesis: Synthesis) -> list[tuple[str, dict[str, Any]]]:
    """(security group logical id, rule) for every egress rule, inline or separate."""
    rules = [(logical_id, rule) for _, logical_id, group in resources(synthesis, "AWS::EC2::SecurityGroup")
             for rule in props(group).get("SecurityGroupEgress", [])]
    rules += [(render(props(rule)["GroupId"]), props(rule))
              for _, _, rule in resources(synthesis, "AWS::EC2::SecurityGroupEgress")]
    return rules


def _aws_endpoints(synthesis: Synthesis) -> dict[str, dict[str, Any]]:
    temporal = synthesis.config.temporal_privatelink_service_name
    return {logical_id: props(endpoint) for _, logical_id, endpoint in resources(synthesis, "AWS::EC2::VPCEndpoint")
            if props(endpoint)["ServiceName"] != temporal}


def test_privatelink_endpoints_admit_only_this_accounts_principals_and_resources(
        syntheses: dict[str, Synthesis]) -> None:
    endpoints = _aws_endpoints(syntheses["privatelink"])
    assert len(endpoints) == len(INTERFACE_SERVICES) + len(GATEWAY_SERVICES)
    for logical_id, endpoint in endpoints.items():
        statements = endpoint["PolicyDocument"]["Statement"]
        assert all(s["Effect"] == "Allow" for s in statements), logical_id
        principal_only = any(logical_id.startswith(f"Endpoints{name}") for name in PRINCIPAL_ONLY_SERVICES)
        for statement in statements:
            condition = statement["Condition"]["StringEquals"]
            assert render(condition["aws:PrincipalAccount"]) == "${AWS::AccountId}", logical_id
            is_layer_bucket = "starport-layer-bucket" in render(statement["Resource"])
            if not principal_only and not is_layer_bucket:
                assert render(condition["aws:ResourceAccount"]) == "${AWS::AccountId}", logical_id
        if logical_id.startswith("EndpointsS3"):
            layers = [s for s in statements if "starport-layer-bucket" in render(s["Resource"])]
            assert [as_list(s["Action"]) for s in layers] == [["s3:GetObject"]]


def test_privatelink_mode_has_no_egress_to_the_internet(syntheses: dict[str, Synthesis]) -> None:
    rules = _egress_rules(syntheses["privatelink"])
    assert rules
    for group, rule in rules:
        assert rule.get("CidrIp") not in ("0.0.0.0/0",) and "CidrIpv6" not in rule, group
        assert "DestinationSecurityGroupId" in rule or "DestinationPrefixListId" in rule or \
            rule.get("CidrIp") == "255.255.255.255/32", (group, rule)  # CDK's "no egress" placeholder


def _group_rules(synthesis: Synthesis, name: str) -> list[dict[str, Any]]:
    return [rule for group, rule in _egress_rules(synthesis) if name in group]


def test_privatelink_workers_reach_the_endpoints_prefix_lists_and_temporal_only(
        syntheses: dict[str, Synthesis]) -> None:
    synthesis = syntheses["privatelink"]
    for name in ("WorkersSecurityGroup", "TasksSecurityGroup", "DurableSecurityGroup"):
        rules = _group_rules(synthesis, name)
        https = [r for r in rules if r["FromPort"] == r["ToPort"] == 443]
        assert sum("EndpointsInterfaceEndpoints" in render(r.get("DestinationSecurityGroupId", "")) for r in https) \
            == 1, name
        assert sum("DestinationPrefixListId" in r for r in https) == len(GATEWAY_SERVICES), name
        temporal = [r for r in rules if r["FromPort"] == 7233]
        if name == "WorkersSecurityGroup":
            (rule,) = temporal
            assert "EndpointsTemporalEndpoint" in render(rule["DestinationSecurityGroupId"])
        else:
            assert temporal == [], "the Lambdas never talk to Temporal"
        assert len(rules) == len(https) + len(temporal), name


def test_nat_mode_egress_is_https_and_temporal_only(syntheses: dict[str, Synthesis]) -> None:
    synthesis = syntheses["nat"]
    workers = _group_rules(synthesis, "WorkersSecurityGroup")
    assert sorted((r["CidrIp"], r["FromPort"], r["ToPort"]) for r in workers) == [
        ("0.0.0.0/0", 443, 443), ("0.0.0.0/0", 7233, 7233)]
    for name in ("TasksSecurityGroup", "DurableSecurityGroup"):
        lambdas = _group_rules(synthesis, name)
        assert [(r["CidrIp"], r["FromPort"], r["ToPort"]) for r in lambdas] == [("0.0.0.0/0", 443, 443)], name
