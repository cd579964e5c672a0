"""A small deployment written as CloudFormation, in the shapes CDK synthesizes for the blueprint (two stacks,
cross-stack exports, ``Fn::Join`` ARNs, ``Ref``/``Fn::GetAtt``), so the access evaluation can be tested on policies
changed one statement at a time. Names follow the blueprint's conventions, so the onboarding binding's stores
(:data:`comparison.onboarding.ACCESS_STORES`) select its resources.

``mini_templates()`` returns a fresh copy each time: tests edit it freely.
"""

from __future__ import annotations

import copy
from typing import Any

ACCOUNT = {"Ref": "AWS::AccountId"}
REGION = {"Ref": "AWS::Region"}
ROOT = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", ACCOUNT, ":root"]]}
BUCKET_NAME = {"Fn::Join": ["", ["mini-claim-check-", ACCOUNT, "-", REGION]]}
BUCKET_OBJECTS = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::mini-claim-check-", ACCOUNT, "-",
                                    REGION, "/*"]]}


def _export(logical_id: str, attribute: str = "Arn") -> dict[str, Any]:
    return {"Fn::ImportValue": f"mini-foundation:Export{logical_id}{attribute}"}


def _key_policy() -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}]}


def _role(service: str, *statements: dict[str, Any]) -> dict[str, Any]:
    return {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}}}


def _policy(role: str, *statements: dict[str, Any]) -> dict[str, Any]:
    return {"Type": "AWS::IAM::Policy", "Properties": {
        "PolicyName": f"{role}Policy", "Roles": [{"Ref": role}],
        "PolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)}}}


def _function(name: str, role: str) -> dict[str, Any]:
    return {"Type": "AWS::Lambda::Function", "Properties": {
        "FunctionName": name, "Role": {"Fn::GetAtt": [role, "Arn"]}, "MemorySize": 256,
        "Architectures": ["x86_64"], "KmsKeyArn": _export("KeysData"), "TracingConfig": {"Mode": "Active"}}}


def _log_group(name: str | None) -> dict[str, Any]:
    properties: dict[str, Any] = {"KmsKeyId": _export("KeysLogs")}
    if name:
        properties["LogGroupName"] = name
    return {"Type": "AWS::Logs::LogGroup", "Properties": properties}


_FOUNDATION: dict[str, Any] = {
    "Resources": {
        "KeysPayload": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": _key_policy()}},
        "KeysPayloadAlias": {"Type": "AWS::KMS::Alias", "Properties": {
            "AliasName": "alias/mini/payload", "TargetKeyId": {"Fn::GetAtt": ["KeysPayload", "Arn"]}}},
        "KeysData": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": _key_policy()}},
        "KeysDataAlias": {"Type": "AWS::KMS::Alias", "Properties": {
            "AliasName": "alias/mini/data", "TargetKeyId": {"Fn::GetAtt": ["KeysData", "Arn"]}}},
        "KeysLogs": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Version": "2012-10-17", "Statement": [
            *_key_policy()["Statement"],
            {"Sid": "CloudWatchLogsUse", "Effect": "Allow",
             "Principal": {"Service": {"Fn::Join": ["", ["logs.", REGION, ".amazonaws.com"]]}},
             "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], "Resource": "*"}]}}},
        "KeysStateMachine": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": _key_policy()}},
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {
            "BucketName": BUCKET_NAME,
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
                "BucketKeyEnabled": True, "ServerSideEncryptionByDefault": {
                    "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Fn::GetAtt": ["KeysData", "Arn"]}}}]}}},
        "BucketPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {
            "Bucket": {"Ref": "Bucket"}, "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                 "Resource": [{"Fn::GetAtt": ["Bucket", "Arn"]},
                              {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/*"]]}]}]}}},
        "Ledger": {"Type": "AWS::DynamoDB::Table", "Properties": {
            "TableName": "mini-ledger", "SSESpecification": {
                "SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": {"Fn::GetAtt": ["KeysData", "Arn"]}}}},
    },
    "Outputs": {
        f"Export{name}{attribute}": {"Value": {"Fn::GetAtt": [name, attribute]} if attribute != "Ref" else
                                     {"Ref": name},
                                     "Export": {"Name": f"mini-foundation:Export{name}{attribute}"}}
        for name, attribute in (("KeysPayload", "Arn"), ("KeysData", "Arn"), ("KeysLogs", "Arn"),
                                ("KeysStateMachine", "Arn"), ("Ledger", "Arn"))
    },
}

_APP: dict[str, Any] = {
    "Resources": {
        "IntakeRole": _role("lambda.amazonaws.com"),
        "IntakePolicy": _policy("IntakeRole",
                                {"Effect": "Allow", "Action": "s3:PutObject", "Resource": BUCKET_OBJECTS},
                                {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
                                 "Resource": _export("KeysData")}),
        "Intake": _function("mini-intake", "IntakeRole"),
        "IntakeLogs": _log_group("/aws/lambda/mini-intake"),
        "ValidateRole": _role("lambda.amazonaws.com"),
        "ValidatePolicy": _policy("ValidateRole",
                                  {"Effect": "Allow", "Action": "s3:GetObject", "Resource": BUCKET_OBJECTS},
                                  {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:DescribeKey"],
                                   "Resource": _export("KeysData")},
                                  {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
                                   "Resource": _export("Ledger")}),
        "Validate": _function("mini-validate", "ValidateRole"),
        "ValidateLogs": _log_group("/aws/lambda/mini-validate"),
        "WorkerRole": _role("ecs-tasks.amazonaws.com"),
        "WorkerPolicy": _policy("WorkerRole",
                                {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                                 "Resource": _export("KeysPayload")}),
        "WorkerLogs": _log_group(None),
        "WorkerTask": {"Type": "AWS::ECS::TaskDefinition", "Properties": {
            "Family": "MiniWorkerTask", "Cpu": "512", "Memory": "1024", "TaskRoleArn": {"Fn::GetAtt": [
                "WorkerRole", "Arn"]}, "RuntimePlatform": {"CpuArchitecture": "X86_64"},
            "ContainerDefinitions": [{"LogConfiguration": {"LogDriver": "awslogs", "Options": {
                "awslogs-group": {"Ref": "WorkerLogs"}}}}]}},
        "MachineRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": [
            {"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}},
        "MachinePolicy": _policy("MachineRole",
                                 {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                                  "Resource": _export("KeysStateMachine")}),
        "Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
            "StateMachineName": "mini-onboarding", "RoleArn": {"Fn::GetAtt": ["MachineRole", "Arn"]},
            "EncryptionConfiguration": {"Type": "CUSTOMER_MANAGED_KMS_KEY", "KmsKeyId": _export("KeysStateMachine")},
            "LoggingConfiguration": {"Destinations": [{"CloudWatchLogsLogGroup": {
                "LogGroupArn": {"Fn::GetAtt": ["MachineLogs", "Arn"]}}}]}}},
        "MachineLogs": _log_group("/aws/vendedlogs/states/mini-onboarding"),
    },
}


def mini_templates() -> dict[str, dict[str, Any]]:
    return {"Foundation": copy.deepcopy(_FOUNDATION), "App": copy.deepcopy(_APP)}
