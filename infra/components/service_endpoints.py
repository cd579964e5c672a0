"""VPC endpoints for `privatelink` mode: everything the workers and Lambdas call, with no route to the internet.

Gateway endpoints (free) for S3 (also ECR image layers) and DynamoDB; interface endpoints for the other AWS
APIs; and an interface endpoint to the Temporal Cloud PrivateLink service, reachable only from the workers.

Every AWS endpoint carries a policy that admits only this account's principals acting on this account's resources
(``aws:PrincipalAccount``, ``aws:ResourceAccount``), so a stolen credential of another account cannot carry data out
through them. The S3 gateway endpoint also admits reads of the ECR layer bucket (``prod-<region>-starport-layer-
bucket``, owned by AWS), which an image pull needs. X-Ray and STS calls name no resource of an account, so their
endpoints check the principal's account only.

Nothing in the VPC may send to 0.0.0.0/0 in this mode: :class:`NetworkEgress` opens HTTPS to the interface endpoints'
security group and to the S3 and DynamoDB prefix lists (looked up at deploy time: CloudFormation has no intrinsic
for an AWS-managed prefix list), and Temporal's port to the Temporal endpoint only.
"""

from __future__ import annotations

from aws_cdk import Aws, CfnOutput, Fn
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import custom_resources as cr
from constructs import Construct

from infra.components.private_network import VPC_CIDR

TEMPORAL_PORT = 7233
HTTPS = 443

# The AWS APIs the worker tasks, the task Lambdas and the Fargate agent call (image pull, logs, secrets).
INTERFACE_SERVICES: dict[str, ec2.InterfaceVpcEndpointAwsService] = {
    "Kms": ec2.InterfaceVpcEndpointAwsService.KMS,
    "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "Sts": ec2.InterfaceVpcEndpointAwsService.STS,
    "EcrApi": ec2.InterfaceVpcEndpointAwsService.ECR,
    "EcrDocker": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    "StepFunctions": ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
    "XRay": ec2.InterfaceVpcEndpointAwsService.XRAY,
}
# Calls through these name no resource owned by an account (trace segments, caller identity).
PRINCIPAL_ONLY_SERVICES = frozenset({"Sts", "XRay"})
GATEWAY_SERVICES: dict[str, ec2.GatewayVpcEndpointAwsService] = {
    "S3": ec2.GatewayVpcEndpointAwsService.S3,
    "DynamoDb": ec2.GatewayVpcEndpointAwsService.DYNAMODB,
}


def this_account_only(*, resource_account: bool) -> iam.PolicyStatement:
    conditions = {"aws:PrincipalAccount": Aws.ACCOUNT_ID}
    if resource_account:
        conditions["aws:ResourceAccount"] = Aws.ACCOUNT_ID
    return iam.PolicyStatement(principals=[iam.AnyPrincipal()], actions=["*"], resources=["*"],
                               conditions={"StringEquals": conditions})


def ecr_layer_reads() -> iam.PolicyStatement:
    """ECR serves image layers from an S3 bucket AWS owns in each region (ECR's documentation on gateway endpoints)."""
    return iam.PolicyStatement(
        principals=[iam.AnyPrincipal()], actions=["s3:GetObject"],
        resources=[f"arn:{Aws.PARTITION}:s3:::prod-{Aws.REGION}-starport-layer-bucket/*"],
        conditions={"StringEquals": {"aws:PrincipalAccount": Aws.ACCOUNT_ID}},
    )


class ServiceEndpoints(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        temporal_service_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.gateways: dict[str, ec2.GatewayVpcEndpoint] = {}
        for gateway_name, gateway in GATEWAY_SERVICES.items():
            endpoint = ec2.GatewayVpcEndpoint(self, gateway_name, vpc=vpc, service=gateway, subnets=[subnets])
            endpoint.add_to_policy(this_account_only(resource_account=True))
            self.gateways[gateway_name] = endpoint
        self.gateways["S3"].add_to_policy(ecr_layer_reads())
        self.interface_security_group = ec2.SecurityGroup(
            self, "InterfaceEndpoints", vpc=vpc, allow_all_outbound=False,
            description="AWS API interface endpoints: HTTPS from inside the VPC only",
        )
        self.interface_security_group.add_ingress_rule(
            ec2.Peer.ipv4(VPC_CIDR), ec2.Port.tcp(HTTPS), "HTTPS from the VPC"
        )
        for name, service in INTERFACE_SERVICES.items():
            interface = ec2.InterfaceVpcEndpoint(
                self, name, vpc=vpc, service=service, subnets=subnets, private_dns_enabled=True, open=False,
                security_groups=[self.interface_security_group],
            )
            interface.add_to_policy(this_account_only(resource_account=name not in PRINCIPAL_ONLY_SERVICES))
        # Ingress is added by the workers stack, from the worker security group only.
        self.temporal_security_group = ec2.SecurityGroup(
            self, "TemporalEndpoint", vpc=vpc, allow_all_outbound=False,
            description="Temporal Cloud PrivateLink endpoint: gRPC from the worker tasks only",
        )
        self.temporal_endpoint = ec2.InterfaceVpcEndpoint(
            self,
            "Temporal",
            vpc=vpc,
            service=ec2.InterfaceVpcEndpointService(temporal_service_name, TEMPORAL_PORT),
            subnets=subnets,
            # Temporal Cloud's endpoint service offers no private DNS name; workers dial the namespace address,
            # which the operator maps to this endpoint (see the README's deploy section).
            private_dns_enabled=False,
            open=False,
            security_groups=[self.temporal_security_group],
        )
        CfnOutput(self, "TemporalEndpointDns", value=Fn.select(0, self.temporal_endpoint.vpc_endpoint_dns_entries),
                  description="hosted-zone-id:dns-name of the Temporal Cloud PrivateLink endpoint")
        self.prefix_lists = {name: _managed_prefix_list(self, name, service.name)
                             for name, service in GATEWAY_SERVICES.items()}


def _managed_prefix_list(scope: Construct, name: str, service_name: str) -> str:
    """The id of the AWS-managed prefix list of a gateway service (``com.amazonaws.<region>.s3``), read at deploy."""
    lookup = cr.AwsCustomResource(
        scope, f"{name}PrefixList",
        on_update=cr.AwsSdkCall(
            service="EC2", action="describeManagedPrefixLists",
            parameters={"Filters": [{"Name": "prefix-list-name", "Values": [service_name]}]},
            physical_resource_id=cr.PhysicalResourceId.of(f"{name}-prefix-list"),
            output_paths=["PrefixLists.0.PrefixListId"],
        ),
        # DescribeManagedPrefixLists supports no resource-level permission.
        policy=cr.AwsCustomResourcePolicy.from_sdk_calls(resources=cr.AwsCustomResourcePolicy.ANY_RESOURCE),
        install_latest_aws_sdk=False,
    )
    return lookup.get_response_field("PrefixLists.0.PrefixListId")


class NetworkEgress:
    """Where the security groups of the workers and the task Lambdas may send, in the deployment's egress mode.

    ``nat``: HTTPS to any address (AWS's public API endpoints through the NAT gateway) and, for the workers, Temporal
    Cloud's port; nothing else. ``privatelink``: HTTPS to the interface endpoints and the S3 and DynamoDB prefix
    lists, Temporal's port to the Temporal endpoint only; no rule names 0.0.0.0/0.
    """

    def __init__(self, endpoints: ServiceEndpoints | None) -> None:
        self._endpoints = endpoints

    def allow_aws_apis(self, group: ec2.SecurityGroup) -> None:
        if self._endpoints is None:
            group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(HTTPS), "AWS APIs over HTTPS (NAT gateway)")
            return
        group.add_egress_rule(ec2.Peer.security_group_id(self._endpoints.interface_security_group.security_group_id),
                              ec2.Port.tcp(HTTPS), "AWS API interface endpoints")
        for name, prefix_list in self._endpoints.prefix_lists.items():
            group.add_egress_rule(ec2.Peer.prefix_list(prefix_list), ec2.Port.tcp(HTTPS),
                                  f"{name} through its gateway endpoint")

    def allow_temporal(self, group: ec2.SecurityGroup) -> None:
        if self._endpoints is None:
            group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(TEMPORAL_PORT), "Temporal Cloud gRPC")
            return
        group.add_egress_rule(ec2.Peer.security_group_id(self._endpoints.temporal_security_group.security_group_id),
                              ec2.Port.tcp(TEMPORAL_PORT), "Temporal Cloud PrivateLink endpoint")
