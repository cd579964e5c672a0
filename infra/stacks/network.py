"""The shared VPC, in `nat` or `privatelink` egress mode, with flow logs to a KMS-encrypted log group."""

from __future__ import annotations

from typing import Any

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.compliance.acknowledgement import (
    COMPLIANCE_PACKS,
    MANAGED_SERVICE_ROLE,
    Acknowledgement,
    acknowledge,
    in_packs,
    skip_checkov,
)
from infra.components.encrypted_log_group import EncryptedLogGroup
from infra.components.private_network import PrivateNetwork
from infra.components.service_endpoints import NetworkEgress, ServiceEndpoints
from infra.config import BlueprintConfig

_AWS_CUSTOM_RESOURCE_PROVIDER = "AWS679f53fac002430cb0da5b7982bd2287"  # CDK's fixed id for the singleton


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
        self.egress = NetworkEgress(self.endpoints)
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

    def _prefix_list_lookup_acknowledgements(self) -> list[Acknowledgement]:
        """The deploy-time lookup of the S3 and DynamoDB prefix-list ids (ServiceEndpoints): CDK's AwsCustomResource
        provider, a singleton Lambda that runs only while CloudFormation creates or updates this stack."""
        assert self.endpoints is not None
        provider = self.node.find_child(_AWS_CUSTOM_RESOURCE_PROVIDER)
        purpose = ("the deploy-time lookup of the S3 and DynamoDB prefix-list ids (DescribeManagedPrefixLists), "
                   "which never handles application data")
        acks = acknowledge(provider, in_packs("LambdaInsideVPC", *COMPLIANCE_PACKS), (
            f"CDK's AwsCustomResource provider runs {purpose}; it calls the EC2 API from outside the VPC it "
            "configures, since privatelink mode has no EC2 endpoint."))
        acks += acknowledge(provider, in_packs("LambdaDLQ", "HIPAA.Security", "NIST.800.53.R5"), (
            f"CDK's AwsCustomResource provider runs {purpose}; CloudFormation invokes it synchronously and reports "
            "its failures, so a dead-letter queue would receive nothing."))
        acks += acknowledge(provider, in_packs("LambdaConcurrency", "HIPAA.Security", "NIST.800.53.R5"), (
            f"CDK's AwsCustomResource provider runs {purpose}, twice per deployment; it needs no reserved "
            "concurrency."))
        basic_execution = f"AwsSolutions-IAM4[Policy::{MANAGED_SERVICE_ROLE}AWSLambdaBasicExecutionRole]"
        acks += acknowledge(provider, [basic_execution], (
            "AWSLambdaBasicExecutionRole only lets the prefix-list lookup provider write its own log group."))
        for name in self.endpoints.prefix_lists:
            policy = self.endpoints.node.find_child(f"{name}PrefixList").node.find_child("CustomResourcePolicy")
            acks += acknowledge(policy, ["AwsSolutions-IAM5[Resource::*]"], (
                f"ec2:DescribeManagedPrefixLists (the {name} prefix-list lookup) supports no resource-level "
                "permission; it is the policy's only action."))
            acks += acknowledge(policy, in_packs("IAMNoInlinePolicy", *COMPLIANCE_PACKS), (
                f"The {name} prefix-list lookup's policy, generated by CDK for its one SDK call, is attached to the "
                "lookup provider's role only."))
        reason = f"CDK-managed deploy-time handler for {purpose}"
        skip_checkov(provider, "CKV_AWS_115", f"{reason}; it runs twice per deployment, no concurrency limit needed.")
        skip_checkov(provider, "CKV_AWS_116", f"{reason}; CloudFormation reports its failures, no DLQ needed.")
        skip_checkov(provider, "CKV_AWS_117", f"{reason}; it calls the EC2 API from outside the VPC.")
        return acks

    def _acknowledgements(self) -> list[Acknowledgement]:
        acks = acknowledge(self.network.flow_log_role, in_packs("IAMNoInlinePolicy", *COMPLIANCE_PACKS), (
            "The flow-log delivery role's policy allows only writing to the flow-log group of this VPC; being "
            "inline it cannot be attached to any other principal."))
        if self.endpoints is not None:
            acks += self._prefix_list_lookup_acknowledgements()
        for subnet in self.network.vpc.public_subnets:  # only in nat mode; privatelink has no public subnet
            acks += acknowledge(subnet, in_packs("VPCNoUnrestrictedRouteToIGW", *COMPLIANCE_PACKS), (
                f"Public subnet {subnet.node.id} holds only a NAT gateway and assigns no public IPs; its default "
                "route to the internet gateway is how that NAT gateway reaches out in nat egress mode."))
        return acks
