"""The KMS calls AWS makes on a caller's behalf, derived from a recorded call, and the grants no local run exercises.

A recorded S3, DynamoDB or Step Functions call does not show the KMS operation the service performs with the
caller's permissions; moto performs none. Each rule below derives that operation from AWS's documentation (the
source is named with the rule) so the two-way IAM test checks it against the caller's policy and the key's policy
like any recorded call:

- S3 with SSE-KMS: "To upload an object encrypted with an AWS KMS key to Amazon S3, you need kms:GenerateDataKey
  permissions on the key. To download an object encrypted with an AWS KMS key, you need kms:Decrypt permissions"
  (Amazon S3 User Guide, "Using server-side encryption with AWS KMS keys (SSE-KMS)",
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html).
- DynamoDB with a customer-managed key: DynamoDB calls AWS KMS through the service with the caller's authority
  (``kms:ViaService`` ``dynamodb.<region>.amazonaws.com``); the AWS-managed key policy for DynamoDB lets principals
  do ``kms:Encrypt``, ``kms:Decrypt``, ``kms:ReEncrypt*``, ``kms:GenerateDataKey*``, ``kms:CreateGrant`` and
  ``kms:DescribeKey`` that way (Amazon DynamoDB Developer Guide, "Encryption at rest: How it works" and "Usage
  notes", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.howitworks.html). Reading an
  item decrypts the table key: every item operation derives ``kms:Decrypt``.
- Step Functions with a customer-managed key: "For an execution to successfully complete when using customer managed
  key encryption, the execution role needs to be granted kms:GenerateDataKey and kms:Decrypt" with the encryption
  context ``aws:states:stateMachineArn`` (AWS Step Functions Developer Guide, "Data at rest encryption",
  https://docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html, quoted in aws/aws-cdk#30959); the
  Step Functions team lists ``kms:GenerateDataKey`` and ``kms:Decrypt`` for the principal calling StartExecution
  (aws-samples/aws-stepfunctions-examples#74, review of the customer-managed-key sample), and the API reference says
  the service encrypts data of an encrypted execution with the key (SendTaskFailure, StopExecution, DescribeExecution:
  "callers must have kms:Decrypt"). So ``StartExecution`` derives both, for the caller, and every execution derives
  both for the state machine's role.
- Lambda environment variables encrypted with a customer-managed key: Lambda decrypts them at initialization with the
  function's execution role, which needs ``kms:Decrypt`` on the key, under the encryption context
  ``LambdaFunctionName`` (AWS Lambda Developer Guide, "Securing Lambda environment variables",
  https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html): every invocation derives it.
- Lambda durable functions with a customer-managed key (``DurableConfig.KMSKeyArn``): the execution role "needs
  kms:Decrypt to read state and progress the execution", which Lambda calls with the role's credentials through
  Lambda (``kms:ViaService`` ``lambda.<region>.amazonaws.com``) under the encryption context
  ``aws:lambda:FunctionArn`` (the unqualified function ARN) (AWS Lambda Developer Guide, "Encrypting AWS Lambda
  durable execution data", https://docs.aws.amazon.com/lambda/latest/dg/durable-encryption.html): every
  ``CheckpointDurableExecution`` and ``GetDurableExecutionState`` derives it. Lambda's own encryption of the data
  (``GenerateDataKey``/``Decrypt`` as the service principal) is the key policy's business, not the role's.
- Secrets Manager: GetSecretValue decrypts the secret with ``kms:Decrypt`` through Secrets Manager, encryption
  context ``SecretARN`` (AWS Secrets Manager User Guide, "Secret encryption and decryption",
  https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html).
"""

from __future__ import annotations

from local.aws_calls import AwsCall
from tests.support.iam_policies import REGION, ResolvedDeployment

DURABLE_EXECUTION_ACTIONS = ("lambda:CheckpointDurableExecution", "lambda:GetDurableExecutionState")
ITEM_OPERATIONS = frozenset({"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                             "dynamodb:Query"})


def via(service: str) -> dict[str, str]:
    return {"kms:ViaService": f"{service}.{REGION}.amazonaws.com"}


def derived(call: AwsCall, deployment: ResolvedDeployment, *, bucket_key: str) -> list[AwsCall]:
    """The KMS calls AWS makes for ``call`` with the caller's permissions (``bucket_key``: the claim-check
    bucket's default key, for an object read whose key the response did not name)."""
    if call.action == "s3:PutObject":
        object_key = call.key_id or bucket_key
        return [AwsCall(call.principal, "kms:GenerateDataKey", (object_key,), object_key, via("s3"))]
    if call.action == "s3:GetObject" and call.error is None:
        object_key = call.key_id or bucket_key
        return [AwsCall(call.principal, "kms:Decrypt", (object_key,), object_key, via("s3"))]
    if call.action in ITEM_OPERATIONS:
        table_key = deployment.table_key(call.resources[0])
        return [AwsCall(call.principal, "kms:Decrypt", (table_key,), table_key, via("dynamodb"))] if table_key else []
    if call.action in DURABLE_EXECUTION_ACTIONS:
        function_arn = ":".join(call.resources[0].split(":")[:7])  # arn:aws:lambda:<region>:<account>:function:<name>
        data_key = deployment.function_durable_key(function_arn)
        context = {**via("lambda"), "kms:EncryptionContext:aws:lambda:FunctionArn": function_arn}
        return [AwsCall(call.principal, "kms:Decrypt", (data_key,), data_key, context)] if data_key else []
    if call.action == "states:StartExecution":
        machine_key = deployment.state_machine_key(call.resources[0])
        context = {**via("states"), "kms:EncryptionContext:aws:states:stateMachineArn": call.resources[0]}
        return [AwsCall(call.principal, action, (machine_key,), machine_key, context)
                for action in ("kms:GenerateDataKey", "kms:Decrypt")] if machine_key else []
    return []


def execution_calls(principal: str, state_machine_arn: str, deployment: ResolvedDeployment) -> list[AwsCall]:
    """What Step Functions does with the state machine's role for every execution of an encrypted state machine."""
    key = deployment.state_machine_key(state_machine_arn)
    assert key is not None
    context = {**via("states"), "kms:EncryptionContext:aws:states:stateMachineArn": state_machine_arn}
    return [AwsCall(principal, action, (key,), key, context)
            for action in ("kms:GenerateDataKey", "kms:Decrypt")]


def environment_decrypt(principal: str, function_arn: str, deployment: ResolvedDeployment) -> list[AwsCall]:
    key = deployment.function_environment_key(function_arn)
    context = {"kms:EncryptionContext:LambdaFunctionName": function_arn.rsplit(":", 1)[-1]}
    return [AwsCall(principal, "kms:Decrypt", (key,), key, context)] if key else []


# Grants that no local run exercises, each with the reason it is granted. Keyed by (principal, IAM action); the
# principal "task function" stands for every task function. The test fails on a reason nobody needs (stale) as well
# as on an unexercised grant without one.
TASK_FUNCTION = "task function"
UNEXERCISED: dict[tuple[str, str], str] = {
    (TASK_FUNCTION, "xray:PutTraceSegments"): (
        "Active tracing: the function sends its trace segments through the Lambda service's X-Ray daemon; local runs "
        "have no daemon (POWERTOOLS_TRACE_DISABLED)."),
    (TASK_FUNCTION, "xray:PutTelemetryRecords"): "Active tracing, as xray:PutTraceSegments.",
    (TASK_FUNCTION, "kms:Encrypt"): (
        "DynamoDB may encrypt through the service with the caller's authority when it renews a table's data key "
        "(the AWS-managed DynamoDB key policy allows it); moto never calls KMS for tables, so no local run can show "
        "which item operation triggers it."),
    (TASK_FUNCTION, "kms:GenerateDataKey"): "As kms:Encrypt: DynamoDB's table-key renewal through the service.",
    (TASK_FUNCTION, "kms:DescribeKey"): "As kms:Encrypt: DynamoDB checks the table's key through the service.",
    (TASK_FUNCTION, "dynamodb:GetItem"): (
        "A conditional insert that finds its record already there (a retried or duplicated step) reads it back, and "
        "Powertools reads an idempotency record it finds in place; each corpus runs a step once per application, so "
        "only the duplicate tests (tests/reliability/test_stepfunctions_duplicates.py) take that path."),
    (TASK_FUNCTION, "dynamodb:DeleteItem"): (
        "Powertools deletes a step's in-progress idempotency record when the guarded call raises (so a retry can run "
        "it); in the corpora only fund_account raises (a declined card)."),
    ("state machine", "kms:GenerateDataKey"): (
        "CDK grants the role data keys for the log events Step Functions delivers to the encrypted log group "
        "(condition kms:EncryptionContext:SourceArn); moto's interpreter emits no execution log events."),
    ("worker", "kms:Encrypt"): "As for the task functions: DynamoDB's table-key renewal through the service.",
    ("worker", "kms:GenerateDataKey"): (
        "DynamoDB's table-key renewal through the service (the worker's own data keys come from the payload key, "
        "which its recorded calls exercise)."),
    ("worker", "kms:DescribeKey"): "As kms:Encrypt: DynamoDB checks the table's key through the service.",
    ("worker", "secretsmanager:GetSecretValue"): (
        "The worker reads the Temporal credentials at start-up when TEMPORAL_AUTH_MODE is api_key or mtls (the "
        "sandbox configuration); a local dev server takes no credentials, so no local run reads the secret."),
    ("worker", "kms:Decrypt"): (
        "Only the statement for the Temporal secret's key (through Secrets Manager) is unexercised, for the reason "
        "of secretsmanager:GetSecretValue; the payload key's kms:Decrypt is recorded."),
    ("state machine", "xray:PutTraceSegments"): "Tracing of the state machine: Step Functions sends the segments.",
    ("state machine", "xray:PutTelemetryRecords"): "Tracing of the state machine, as xray:PutTraceSegments.",
    ("state machine", "xray:GetSamplingRules"): "Tracing of the state machine, as xray:PutTraceSegments.",
    ("state machine", "xray:GetSamplingTargets"): "Tracing of the state machine, as xray:PutTraceSegments.",
}
DURABLE = "durable function"
UNEXERCISED.update({
    (DURABLE, "lambda:GetDurableExecutionState"): (
        "Lambda hands each invocation the execution's operations in its event; the SDK pages the rest with "
        "GetDurableExecutionState only when that state carries a NextMarker (a state larger than one page), which "
        "no execution of the corpora reaches (aws_durable_execution_sdk_python.state, fetch_paginated_operations)."),
    (DURABLE, "xray:PutTraceSegments"): (
        "Active tracing: the durable function sends its segments through the Lambda service's X-Ray daemon; the "
        "local Lambda endpoint has none."),
    (DURABLE, "xray:PutTelemetryRecords"): "Active tracing, as xray:PutTraceSegments.",
    (DURABLE, "kms:Encrypt"): "As for the task functions: DynamoDB's table-key renewal through the service.",
    (DURABLE, "kms:GenerateDataKey"): (
        "Only the statement for the data key through DynamoDB (table-key renewal, as for the task functions) is "
        "unexercised; the checkpoint key's data keys are recorded."),
    (DURABLE, "kms:DescribeKey"): "As kms:Encrypt: DynamoDB checks the table's key through the service.",
    (DURABLE, "dynamodb:GetItem"): (
        "Only the outbox's: a conditional insert that finds its message already there (a step replayed after a "
        "crash between its side effect and its checkpoint) reads it back; the corpora write each message once. The "
        "other tables' reads are recorded."),
})
# CloudWatch Logs delivery of the state machine's events: Step Functions documents these actions for the execution
# role (they support no resource); moto emits no execution log events.
for _action in ("logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
                "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
                "logs:DescribeLogGroups"):
    UNEXERCISED[("state machine", _action)] = (
        "Log delivery of the state machine (level ALL, no execution data): Step Functions uses these with its role; "
        "moto's interpreter emits no execution log events.")

# AWS managed policies attached to a role: what they are for; none is exercised by the code under test.
MANAGED_POLICIES: dict[str, str] = {
    "AWSLambdaBasicExecutionRole": (
        "The Lambda service writes the function's log streams with it (locally the router ships the lines)."),
    "AWSLambdaVPCAccessExecutionRole": (
        "Lambda creates and deletes the function's network interfaces in the private subnets with it."),
}
