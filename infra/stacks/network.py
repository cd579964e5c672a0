"""The shared VPC, in `nat` or `privatelink` egress mode, with flow logs to a KMS-encrypted log group."""

from __future__ import annotations

from typing import Any

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.compliance.acknowledgement import COMPLIANCE_PACKS, Acknowledgement, acknowledge, in_packs, skip_checkov
from infra.components.encrypted_log_group import EncryptedLogGroup
from infra.components.private_network import PrivateNetwork
from infra.components.service_endpoints import ServiceEndpoints
from infra.config import BlueprintConfig


class NetworkStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: BlueprintConfig, logs_key: kms.IKey, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        removal = RemovalPolicy.RETAIN if config.retain_on_delete else RemovalPolicy.DESTROY
        flow_logs = EncryptedLogGroup(self, "FlowLogs", key=logs_key, retention_days=config.log_retention_days,
                                      removal_policy=removal)
        self.network = PrivateNetwork(
            self, "Network", egress_mode=config.egress_mode, max_azs=config.max_azs,
            nat_gateways=config.nat_gateways, flow_log_group=flow_logs.log_group,
        )
        self.endpoints: ServiceEndpoints | None = None
        if config.egress_mode == "privatelink":
            assert config.temporal_privatelink_service_name is not None  # guaranteed by BlueprintConfig
            self.endpoints = ServiceEndpoints(
                self, "Endpoints", vpc=self.network.vpc, subnets=self.network.private_subnets,
                temporal_service_name=config.temporal_privatelink_service_name,
            )
        self.acknowledgements = self._acknowledgements()
        self._skip_checkov_on_default_sg_provider()

    def _skip_checkov_on_default_sg_provider(self) -> None:
        # CDK's singleton provider behind restrict_default_security_group: it runs only during deployments, to
        # remove the default security group's rules, and CDK does not expose VPC, concurrency or DLQ settings.
        provider = self.node.find_child("Custom::VpcRestrictDefaultSGCustomResourceProvider").node.find_child(
            "Handler")
        reason = ("CDK-managed deploy-time handler that strips the default security group's rules; it never "
                  "handles application data and runs once per deployment")
        skip_checkov(provider, "CKV_AWS_115", f"{reason}, so no concurrency limit is needed.")
        skip_checkov(provider, "CKV_AWS_116", f"{reason}; CloudFormation reports its failures, no DLQ needed.")
        skip_checkov(provider, "CKV_AWS_117", f"{reason} against the EC2 API, outside the VPC it configures.")

    def _acknowledgements(self) -> list[Acknowledgement]:
        acks = acknowledge(self.network.flow_log, in_packs("IAMNoInlinePolicy", *COMPLIANCE_PACKS), (
            "The flow-log delivery role's policy allows only writing to the flow-log group of this VPC; being "
            "inline it cannot be attached to any other principal."))
        for subnet in self.network.vpc.public_subnets:  # only in nat mode; privatelink has no public subnet
            acks += acknowledge(subnet, in_packs("VPCNoUnrestrictedRouteToIGW", *COMPLIANCE_PACKS), (
                f"Public subnet {subnet.node.id} holds only a NAT gateway and assigns no public IPs; its default "
                "route to the internet gateway is how that NAT gateway reaches out in nat egress mode."))
        return acks
