"""The VPC both architectures run in, in one of two egress modes, with flow logs and a closed default SG.

- `nat`: private subnets route out through NAT gateways; the public subnets hold only the NAT gateways and
  never assign public IPs to anything launched in them.
- `privatelink`: isolated subnets only, so no internet gateway and no NAT gateway exist at all; AWS services
  and Temporal Cloud are reached through VPC endpoints (see ServiceEndpoints).
"""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import EgressMode

_PRIVATE_CIDR_MASK = 22
_PUBLIC_CIDR_MASK = 26
# A literal (not the VPC's CidrBlock attribute) so security-group rules that use it stay checkable at synth.
VPC_CIDR = "10.40.0.0/16"


class PrivateNetwork(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        egress_mode: EgressMode,
        max_azs: int,
        nat_gateways: int,
        flow_log_group: logs.ILogGroup,
    ) -> None:
        super().__init__(scope, construct_id)
        nat = egress_mode == "nat"
        private = ec2.SubnetConfiguration(
            name="private",
            subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS if nat else ec2.SubnetType.PRIVATE_ISOLATED,
            cidr_mask=_PRIVATE_CIDR_MASK,
        )
        public = ec2.SubnetConfiguration(
            name="nat", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=_PUBLIC_CIDR_MASK, map_public_ip_on_launch=False
        )
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(VPC_CIDR),
            max_azs=max_azs,
            nat_gateways=nat_gateways if nat else 0,
            subnet_configuration=[public, private] if nat else [private],
            restrict_default_security_group=True,
            enable_dns_hostnames=True,
            enable_dns_support=True,
        )
        self.private_subnets = ec2.SubnetSelection(subnet_group_name=private.name)
        # The delivery role may be assumed by VPC Flow Logs for this account's flow logs only (confused deputy).
        self.flow_log_role = flow_log_role = iam.Role(self, "FlowLogRole", assumed_by=iam.ServicePrincipal(
            "vpc-flow-logs.amazonaws.com", conditions={
                "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                "ArnLike": {"aws:SourceArn": f"arn:{Aws.PARTITION}:ec2:{Aws.REGION}:{Aws.ACCOUNT_ID}:vpc-flow-log/*"},
            }))
        self.flow_log = self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_log_group, flow_log_role),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )
