"""A cdk-nag finding a stack accepts on purpose, with the reason that holds for that resource."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aws_cdk import CfnResource
from constructs import IConstruct


@dataclass(frozen=True, kw_only=True)
class Acknowledgement:
    scope: IConstruct  # the finding is accepted on this construct and everything below it
    rule_id: str  # e.g. "AwsSolutions-IAM5[Resource::*]" - one finding, never a whole rule family
    reason: str

    def __post_init__(self) -> None:
        if len(self.reason.split()) < 6:
            raise ValueError(f"acknowledgement of {self.rule_id} needs a specific reason, not a placeholder")

    @property
    def path(self) -> str:
        return self.scope.node.path

    def covers(self, rule_id: str, resource_path: str) -> bool:
        """The same test cdk-nag applies: same finding id, on the scope or one of its descendants."""
        return rule_id == self.rule_id and (resource_path == self.path or resource_path.startswith(self.path + "/"))


def acknowledge(scope: IConstruct, rule_ids: Iterable[str], reason: str) -> list[Acknowledgement]:
    """The same reason for several packs' versions of one finding on one construct."""
    return [Acknowledgement(scope=scope, rule_id=rule_id, reason=reason) for rule_id in rule_ids]


def in_packs(rule: str, *packs: str) -> list[str]:
    """`in_packs("LambdaDLQ", "HIPAA.Security", "NIST.800.53.R5")` -> the rule id in each pack."""
    return [f"{pack}-{rule}" for pack in packs]


COMPLIANCE_PACKS = ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")
# AWS managed service-role policies as cdk-nag names them in AwsSolutions-IAM4 finding ids.
MANAGED_SERVICE_ROLE = "arn:<AWS::Partition>:iam::aws:policy/service-role/"


def lambda_role_acknowledgements(role: IConstruct, function: str) -> list[Acknowledgement]:
    """The findings every VPC-attached, actively traced function's role carries, each with its reason for the one
    function named by ``function`` (e.g. ``"intake"``, ``"the durable function"``): the two AWS managed execution
    policies (IAM4) and the X-Ray actions that have no resource-level permission (IAM5 ``Resource::*``)."""
    acks = acknowledge(role, [f"AwsSolutions-IAM4[Policy::{MANAGED_SERVICE_ROLE}AWSLambdaBasicExecutionRole]"], (
        f"AWSLambdaBasicExecutionRole only lets {function} create streams and put events in its own log group."))
    acks += acknowledge(role, [f"AwsSolutions-IAM4[Policy::{MANAGED_SERVICE_ROLE}AWSLambdaVPCAccessExecutionRole]"], (
        f"AWSLambdaVPCAccessExecutionRole holds only the network-interface actions {function} needs to attach to "
        "the private subnets; AWS keeps it in step with the Lambda service."))
    acks += acknowledge(role, ["AwsSolutions-IAM5[Resource::*]"], (
        f"xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing of {function}) support no "
        "resource-level permission."))
    return acks


def skip_checkov(scope: IConstruct, check_id: str, comment: str) -> None:
    """Record a checkov skip on the resource's template Metadata, where checkov reads it, with its reason."""
    resource = scope if isinstance(scope, CfnResource) else scope.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{scope.node.path} has no CloudFormation resource to carry a checkov skip")
    existing = resource.get_metadata("checkov") or {"skip": []}
    existing["skip"].append({"id": check_id, "comment": comment})
    resource.add_metadata("checkov", existing)


def nag_rendering(resolved: object) -> str:
    """A resolved IAM resource (``Stack.resolve`` of an ARN) rendered the way cdk-nag names it in finding ids:
    pseudo parameters as ``<AWS::Region>``, joins joined."""
    if isinstance(resolved, str):
        return resolved
    if isinstance(resolved, dict) and "Fn::Join" in resolved:
        separator, parts = resolved["Fn::Join"]
        return str(separator).join(nag_rendering(part) for part in parts)
    if isinstance(resolved, dict) and "Ref" in resolved:
        return f"<{resolved['Ref']}>"
    raise ValueError("unexpected token shape in an IAM resource")
