"""The AWS managed policies the evaluation knows, as their statements (from each policy's page in the AWS Managed
Policy Reference, https://docs.aws.amazon.com/aws-managed-policy/latest/reference/). A role with any other AWS
managed policy is not trusted to read nothing: the evaluation lists it as a reader under the condition that the
policy allows the read."""

from __future__ import annotations

from comparison.access.policy import Statement, statements

_LOGS_WRITE = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
_ENI = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
        "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]

_KNOWN: dict[str, list[str]] = {
    "service-role/AWSLambdaBasicExecutionRole": _LOGS_WRITE,
    "service-role/AWSLambdaVPCAccessExecutionRole": [*_LOGS_WRITE, *_ENI],
    "service-role/AmazonECSTaskExecutionRolePolicy": [
        "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer",
        "ecr:BatchGetImage", "logs:CreateLogStream", "logs:PutLogEvents"],
    "AWSXRayDaemonWriteAccess": ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                                 "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"],
}


def managed_policy_statements(arn: str) -> list[Statement] | None:
    """The statements of a known AWS managed policy (``arn:aws:iam::aws:policy/<path>``), ``None`` if unknown."""
    prefix = ":iam::aws:policy/"
    if prefix not in arn:
        return None
    actions = _KNOWN.get(arn.split(prefix, 1)[1])
    if actions is None:
        return None
    name = arn.rsplit("/", 1)[-1]
    return statements({"Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]},
                      f"AWS managed policy {name}")
