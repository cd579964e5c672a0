"""The customer-managed KMS keys, all with yearly automatic rotation, and the policies that decide who reads.

- payload: the Temporal payload codec's envelope key (data keys are generated under it inside the VPC);
- data: DynamoDB tables, the claim-check bucket, the Temporal credentials secret and the Lambda environment;
- logs: every CloudWatch log group, the S3 access logs and the audit trail's log files;
- state_machine: Step Functions execution history and definition;
- checkpoint: the durable function's checkpoint envelopes (data keys generated under it in the function, like the
  payload key's for the Temporal codec);
- durable_execution: the durable function's ``DurableConfig.KMSKeyArn``, with which the Lambda service itself encrypts
  the execution data it stores (already ciphertext under the checkpoint key in the hardened profile).

The two durable keys are separate on purpose (defence in depth): the Lambda service may use ``durable_execution`` as
itself, and so must be admitted by its policy, while ``checkpoint`` admits no service at all and only the codec's
encryption context; a principal or service that can read the stored execution data still cannot open a checkpoint.

Every key policy has the same shape (``key_policy``):

1. ``KeyAdministration``: the account (through IAM) may administer the key, never use it for cryptography, so the
   account cannot lock itself out;
2. ``KeyUse``: the named principals (:mod:`infra.principals`) may use it, through IAM, in ``aws:PrincipalArn``;
3. ``DeployerUse``: CloudFormation's execution role, only through the services that create this key's resources;
4. ``DenyDecryptionToOtherPrincipals``: ``kms:Decrypt``, ``kms:ReEncrypt*`` and ``kms:GenerateDataKey*`` are denied
   to every other principal of the account, whatever IAM allows them (AWS services acting as themselves are bound by
   their own statements instead); the deployer is denied them outside its services;
5. the AWS services that use the key as themselves, each bound to this account and its resource by
   ``aws:SourceAccount``/``aws:SourceArn`` or an encryption context.

The payload and checkpoint keys also refuse every operation without their envelope's encryption context; the
durable_execution key refuses every operation outside its function's encryption context (``aws:lambda:FunctionArn``)
and admits its users only through Lambda.

CDK adds key-policy statements of its own when a construct uses a key (an unconditioned ``delivery.logs`` grant for a
state machine, ``logging.s3`` with ``kms:ReEncrypt*`` for access logs, a root grant through Secrets Manager). Those
land in each ``kms.Key``'s own document, which is never rendered: ``seal`` sets every key's policy to the document
built here, so what deploys is exactly this module's statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import Aws, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from contract.environment import CHECKPOINT_ENCRYPTION_CONTEXT, PAYLOAD_ENCRYPTION_CONTEXT
from infra.principals import DEPLOYER_SERVICES, KEY_NAMES, KeyName, Principals

# Administration without any cryptographic operation. kms:CreateGrant only for AWS resources (DynamoDB, Lambda and
# Secrets Manager create grants for themselves when a resource is created with the key).
ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:CreateGrant", "kms:DeleteAlias", "kms:DescribeKey",
    "kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation", "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListGrants", "kms:ListKeyPolicies", "kms:ListKeyRotations",
    "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:RetireGrant", "kms:RevokeGrant", "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:UpdateAlias", "kms:UpdateKeyDescription",
)
# What the Deny takes from everyone not named: every operation that yields plaintext or a data key.
DECRYPTING_ACTIONS = ("kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*")
# What a key bound to an encryption context refuses without it: every operation that takes a context.
CONTEXT_BOUND_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*", "kms:Encrypt", "kms:ReEncrypt*")
# What each key's users need (the codec: data keys and unwrapping; the data key: S3, DynamoDB, Secrets Manager and
# the Lambda environment through their services; history: Step Functions; logs: reading access logs and the trail).
# The durable_execution key's users (the function's role reading its state, operators reading history with
# IncludeExecutionData or sending callbacks) only need Decrypt, through Lambda (AWS Lambda Developer Guide, "Encrypting
# AWS Lambda durable execution data", https://docs.aws.amazon.com/lambda/latest/dg/durable-encryption.html).
USE_ACTIONS: dict[KeyName, tuple[str, ...]] = {
    "payload": ("kms:GenerateDataKey", "kms:Decrypt"),
    "data": ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
    "state_machine": ("kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
    "logs": ("kms:Decrypt", "kms:DescribeKey"),
    "checkpoint": ("kms:GenerateDataKey", "kms:Decrypt"),
    "durable_execution": ("kms:Decrypt",),
}
# What the deployer does through its service: the secret and the state machine are created with data keys; Lambda
# validates a DurableConfig key with DescribeKey and dry-run GenerateDataKey and Decrypt (same source as above).
DEPLOYER_ACTIONS: dict[KeyName, tuple[str, ...]] = {
    "data": ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
    "state_machine": ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
    "durable_execution": ("kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
}
# Envelope keys: usable only with their envelope's encryption context (the Sid names which envelope).
ENVELOPE_CONTEXTS: dict[KeyName, tuple[str, dict[str, str]]] = {
    "payload": ("DenyUseWithoutTheCodecContext", PAYLOAD_ENCRYPTION_CONTEXT),
    "checkpoint": ("DenyUseWithoutTheCheckpointContext", CHECKPOINT_ENCRYPTION_CONTEXT),
}
# The encryption context Lambda adds to every KMS call for a durable function's execution data (same source).
LAMBDA_FUNCTION_CONTEXT = "kms:EncryptionContext:aws:lambda:FunctionArn"

_DESCRIPTIONS: dict[KeyName, str] = {
    "payload": "Temporal payload codec envelope key",
    "data": "Tables, claim-check objects, the Temporal secret and the Lambda environment",
    "logs": "CloudWatch log groups, S3 access logs and the audit trail",
    "state_machine": "Step Functions execution history and definition",
    "checkpoint": "Durable function checkpoint envelope key",
    "durable_execution": "Durable function execution data (DurableConfig, used by the Lambda service)",
}


@dataclass(frozen=True, kw_only=True)
class KeyedResources:
    """The resources whose AWS services use a key as themselves, by ARN (all fixed names, no references)."""

    claim_check_bucket_arn: str
    state_machine_arn: str
    durable_function_arn: str  # unqualified: what Lambda puts in aws:SourceArn and the aws:lambda:FunctionArn context
    trail_arn: str | None  # None: no audit trail


class EncryptionKeys(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, name_prefix: str, removal_policy: RemovalPolicy,
                 principals: Principals, resources: KeyedResources) -> None:
        super().__init__(scope, construct_id)
        self._documents: dict[KeyName, iam.PolicyDocument] = {}
        self.by_name: dict[KeyName, kms.Key] = {}
        for key_name in KEY_NAMES:
            name = str(key_name)
            self.by_name[key_name] = kms.Key(
                self, "".join(part.title() for part in name.split("_")),
                alias=f"alias/{name_prefix}/{name.replace('_', '-')}",
                description=f"{name_prefix}: {_DESCRIPTIONS[key_name]}",
                enable_key_rotation=True,
                removal_policy=removal_policy,
                # CDK's own additions go to this document, which seal() replaces (see the module docstring).
                policy=iam.PolicyDocument(),
            )
            self._documents[key_name] = key_policy(key_name, principals, resources)
        self.payload = self.by_name["payload"]
        self.data = self.by_name["data"]
        self.logs = self.by_name["logs"]
        self.state_machine = self.by_name["state_machine"]
        self.checkpoint = self.by_name["checkpoint"]
        self.durable_execution = self.by_name["durable_execution"]

    def seal(self) -> None:
        """Render exactly this module's policy for every key (call once every construct has used the keys)."""
        for name, key in self.by_name.items():
            cfn = key.node.default_child
            assert isinstance(cfn, kms.CfnKey)
            cfn.key_policy = self._documents[name]


def key_policy(key: KeyName, principals: Principals, resources: KeyedResources) -> iam.PolicyDocument:
    account = iam.AccountRootPrincipal()
    users = list(principals.key_users(key))
    deployer = principals.deployer_role_arn
    via = DEPLOYER_SERVICES.get(key)
    use_conditions: dict[str, Any] = {"ArnEquals": {"aws:PrincipalArn": users}}
    if key == "durable_execution":  # its users reach it only through Lambda's durable-execution APIs
        use_conditions["StringEquals"] = {"kms:ViaService": f"lambda.{Aws.REGION}.amazonaws.com"}
    statements = [
        iam.PolicyStatement(sid="KeyAdministration", principals=[account], actions=list(ADMIN_ACTIONS),
                            resources=["*"]),  # in a key policy "*" means this key
        iam.PolicyStatement(sid="KeyUse", principals=[account], actions=list(USE_ACTIONS[key]), resources=["*"],
                            conditions=use_conditions),
    ]
    named = users
    if via is not None:
        service = f"{via}.{Aws.REGION}.amazonaws.com"
        statements.append(iam.PolicyStatement(
            sid="DeployerUse", principals=[account], actions=list(DEPLOYER_ACTIONS[key]), resources=["*"],
            conditions={"ArnEquals": {"aws:PrincipalArn": deployer}, "StringEquals": {"kms:ViaService": service}},
        ))
        statements.append(iam.PolicyStatement(
            sid="DenyDeployerOutsideItsService", effect=iam.Effect.DENY, principals=[iam.AnyPrincipal()],
            actions=list(DECRYPTING_ACTIONS), resources=["*"],
            conditions={"ArnEquals": {"aws:PrincipalArn": deployer}, "StringNotEquals": {"kms:ViaService": service}},
        ))
        named = [*users, deployer]
    statements.append(iam.PolicyStatement(
        sid="DenyDecryptionToOtherPrincipals", effect=iam.Effect.DENY, principals=[iam.AnyPrincipal()],
        actions=list(DECRYPTING_ACTIONS), resources=["*"],
        conditions={"ArnNotEquals": {"aws:PrincipalArn": named},
                    "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}},
    ))
    if key in ENVELOPE_CONTEXTS:
        sid, context = ENVELOPE_CONTEXTS[key]
        statements.append(iam.PolicyStatement(
            sid=sid, effect=iam.Effect.DENY, principals=[iam.AnyPrincipal()],
            actions=list(CONTEXT_BOUND_ACTIONS), resources=["*"],
            conditions={"StringNotEquals": {f"kms:EncryptionContext:{name}": value for name, value in context.items()}},
        ))
    if key == "durable_execution":
        # Everyone, the Lambda service included, uses this key only for the one durable function's data.
        statements.append(iam.PolicyStatement(
            sid="DenyUseOutsideTheDurableFunction", effect=iam.Effect.DENY, principals=[iam.AnyPrincipal()],
            actions=list(CONTEXT_BOUND_ACTIONS), resources=["*"],
            conditions={"StringNotEquals": {LAMBDA_FUNCTION_CONTEXT: resources.durable_function_arn}},
        ))
    statements += _service_statements(key, resources)
    return iam.PolicyDocument(statements=statements)


def _service_statements(key: KeyName, resources: KeyedResources) -> list[iam.PolicyStatement]:
    account_condition = {"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}
    if key == "logs":
        statements = [
            # CloudWatch Logs encrypts and decrypts log events of this account's and region's log groups only.
            iam.PolicyStatement(
                sid="CloudWatchLogsUse", principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
                actions=["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey",
                         "kms:DescribeKey"],
                resources=["*"],
                conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": _arn(
                    "logs", "log-group", "*", region=Aws.REGION)}},
            ),
            # S3 server access logging writes the claim-check bucket's access logs (SSE-KMS): data keys only.
            iam.PolicyStatement(
                sid="S3AccessLogDelivery", principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
                actions=["kms:GenerateDataKey"], resources=["*"],
                conditions={**account_condition, "ArnEquals": {"aws:SourceArn": resources.claim_check_bucket_arn}},
            ),
        ]
        if resources.trail_arn is not None:
            statements.append(iam.PolicyStatement(
                sid="CloudTrailLogFiles", principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")],
                actions=["kms:GenerateDataKey", "kms:DescribeKey"], resources=["*"],
                conditions={"StringEquals": {"aws:SourceArn": resources.trail_arn},
                            "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": _arn(
                                "cloudtrail", "trail", "*", region="*")}},
            ))
        return statements
    if key == "durable_execution":
        # Lambda encrypts and decrypts the durable function's execution data as itself, bound to this account and
        # function (aws:SourceArn is the unqualified function ARN; the encryption context names it too).
        return [iam.PolicyStatement(
            sid="LambdaDurableExecutionUse", principals=[iam.ServicePrincipal("lambda.amazonaws.com")],
            actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=["*"],
            conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID,
                                         "aws:SourceArn": resources.durable_function_arn,
                                         LAMBDA_FUNCTION_CONTEXT: resources.durable_function_arn}},
        )]
    if key == "state_machine":
        # Log delivery reads this state machine's events to write its (logs-key-encrypted) log group.
        return [iam.PolicyStatement(
            sid="StateMachineLogDelivery", principals=[iam.ServicePrincipal("delivery.logs.amazonaws.com")],
            actions=["kms:Decrypt"], resources=["*"],
            conditions={**account_condition,
                        "ArnLike": {"aws:SourceArn": _arn("logs", "*", "", region=Aws.REGION, bare=True)}},
        )]
    return []


def _arn(service: str, resource: str, name: str, *, region: str, bare: bool = False) -> str:
    if bare:
        return f"arn:{Aws.PARTITION}:{service}:{region}:{Aws.ACCOUNT_ID}:*"
    separator = ":" if service == "logs" else "/"
    return f"arn:{Aws.PARTITION}:{service}:{region}:{Aws.ACCOUNT_ID}:{resource}{separator}{name}"
