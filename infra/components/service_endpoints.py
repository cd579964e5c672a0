"""VPC endpoints for `privatelink` mode: everything the workers and Lambdas call, with no route to the internet.

Gateway endpoints (free) for S3 (also ECR image layers) and DynamoDB; interface endpoints for the other AWS
APIs; and an interface endpoint to the Temporal Cloud PrivateLink service, reachable only from the workers.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Fn
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from infra.components.private_network import VPC_CIDR

TEMPORAL_PORT = 7233

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
        for gateway_name, gateway in (("S3", ec2.GatewayVpcEndpointAwsService.S3),
                                      ("DynamoDb", ec2.GatewayVpcEndpointAwsService.DYNAMODB)):
            ec2.GatewayVpcEndpoint(self, gateway_name, vpc=vpc, service=gateway, subnets=[subnets])
        self.interface_security_group = ec2.SecurityGroup(
            self, "InterfaceEndpoints", vpc=vpc, allow_all_outbound=False,
            description="AWS API interface endpoints: HTTPS from inside the VPC only",
        )
        self.interface_security_group.add_ingress_rule(
            ec2.Peer.ipv4(VPC_CIDR), ec2.Port.tcp(443), "HTTPS from the VPC"
        )
        for name, service in INTERFACE_SERVICES.items():
            ec2.InterfaceVpcEndpoint(
                self, name, vpc=vpc, service=service, subnets=subnets, private_dns_enabled=True, open=False,
                security_groups=[self.interface_security_group],
            )
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
