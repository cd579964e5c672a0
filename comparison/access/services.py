"""What reading each kind of store takes, per AWS service: the API actions, the resource ARN they act on, the
resource policy that also decides, and the KMS key a reader must be allowed to use (if any).

Generic AWS knowledge, written from the services' documentation:

- S3 objects: ``s3:GetObject``/``GetObjectVersion``; bucket policy; SSE-KMS needs the caller's ``kms:Decrypt`` via
  S3 (encryption context ``aws:s3:arn``: the bucket with bucket keys, else the object).
- DynamoDB tables: ``GetItem``, ``BatchGetItem``, ``Query``, ``Scan``, ``PartiQLSelect``, and the writes that return
  an item (``PutItem``, ``UpdateItem``, ``DeleteItem``, ``ConditionCheckItem``: ``ReturnValues`` or, when a condition
  fails, ``ReturnValuesOnConditionCheckFailure=ALL_OLD`` hand back the stored item); a customer managed key needs
  the caller's ``kms:Decrypt`` via DynamoDB (context ``aws:dynamodb:tableName``, ``aws:dynamodb:subscriberId``), as
  the key policy DynamoDB documents for such keys assumes ("principals in the account authorized to use DynamoDB",
  ``kms:ViaService``).
- Step Functions execution history: ``GetExecutionHistory``, ``DescribeExecution``; a customer managed key needs the
  caller's ``kms:Decrypt`` via Step Functions (context ``aws:states:stateMachineArn``).
- CloudWatch Logs groups: ``GetLogEvents``, ``FilterLogEvents``, ``StartQuery``, ``StartLiveTail``,
  ``GetLogRecord``; the Logs service decrypts with its own key-policy permission, readers need no KMS permission.
- Lambda environment: ``GetFunctionConfiguration``/``GetFunction``; a customer managed key needs the caller's
  ``kms:Decrypt`` via Lambda (context ``aws:lambda:FunctionArn``).
- X-Ray traces: ``BatchGetTraces``/``GetTraceSummaries`` (no resource-level permissions).
- ECS task definition environment: ``DescribeTaskDefinition`` (no resource-level permissions), stored by ECS.
- A client-side envelope (payloads encrypted before they reach a service outside AWS): ``kms:Decrypt`` called
  directly (no ``kms:ViaService``), with the codec's encryption context; reading the ciphertext itself is a matter of
  the outside service's own access control.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from comparison.access.model import KeyKind
from comparison.access.policy import Statement, statements
from comparison.access.templates import ACCOUNT, PARTITION, REGION, Resource, TemplateSet


class StoreKind(StrEnum):
    S3_OBJECTS = "s3_objects"
    DYNAMODB_TABLE = "dynamodb_table"
    STATE_MACHINE_HISTORY = "state_machine_history"
    LOG_GROUP = "log_group"
    LAMBDA_ENVIRONMENT = "lambda_environment"
    XRAY_TRACES = "xray_traces"
    ECS_TASK_ENVIRONMENT = "ecs_task_environment"
    CLIENT_ENVELOPE = "client_envelope"
    DURABLE_EXECUTION_HISTORY = "durable_execution_history"


# The CloudFormation type a store of each kind is selected from (traces have no resource of their own).
RESOURCE_TYPES = {
    StoreKind.S3_OBJECTS: "AWS::S3::Bucket",
    StoreKind.DYNAMODB_TABLE: "AWS::DynamoDB::Table",
    StoreKind.STATE_MACHINE_HISTORY: "AWS::StepFunctions::StateMachine",
    StoreKind.LOG_GROUP: "AWS::Logs::LogGroup",
    StoreKind.LAMBDA_ENVIRONMENT: "AWS::Lambda::Function",
    StoreKind.XRAY_TRACES: "AWS::Lambda::Function",  # traced functions (and state machines) write traces
    StoreKind.ECS_TASK_ENVIRONMENT: "AWS::ECS::TaskDefinition",
    StoreKind.CLIENT_ENVELOPE: "AWS::KMS::Key",
    StoreKind.DURABLE_EXECUTION_HISTORY: "AWS::Lambda::Function",  # a function with a DurableConfig
}


@dataclass(frozen=True)
class DataRead:
    """The service API call that returns the data."""

    service: str  # the AWS service's name, as in kms:ViaService ("s3", "dynamodb", ...)
    actions: tuple[str, ...]
    arns: tuple[str, ...]  # the forms the resource is named by in policies
    resource_policy: tuple[Statement, ...] = ()
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class KeyUse:
    """A KMS key the reader must be allowed to use, and how the call is made."""

    key: Resource
    via_service: str | None  # None: called directly (client-side envelope)
    encryption_context: Mapping[str, str]


@dataclass(frozen=True)
class ReadPath:
    """Everything one read of a store needs: the data call (absent for a client-side envelope, read elsewhere),
    the key the reader must use (absent when the service decrypts on its own or the key is AWS's), and the key
    that protects the store for the report."""

    data: DataRead | None
    key_use: KeyUse | None
    key: Resource | None
    key_kind: KeyKind
    key_note: str  # "AWS managed key aws/lambda", "AWS owned key" when no customer managed key


def read_path(kind: StoreKind, resource: Resource, templates: TemplateSet,
              encryption_context: Mapping[str, str] | None = None) -> ReadPath:
    """What reading ``resource`` (a store of ``kind``) takes."""
    builder = _BUILDERS[kind]
    return builder(resource, templates, encryption_context or {})


def find_key(templates: TemplateSet, stack: str, value: object) -> Resource | None:
    """The template KMS key a property names (by ARN, id or alias), if it is one of the templates'."""
    if value is None:
        return None
    named = str(templates.resolve(stack, value))
    for key in templates.resources("AWS::KMS::Key"):
        if named in (templates.arn(key), templates.ref(key)):
            return key
    for alias in templates.resources("AWS::KMS::Alias"):
        if named in (templates.name(alias), f"arn:{PARTITION}:kms:{REGION}:{ACCOUNT}:{templates.name(alias)}"):
            return find_key(templates, alias.stack, alias.properties.get("TargetKeyId"))
    return None


def _customer_key(resource: Resource, templates: TemplateSet, value: object, service: str | None,
                  context: Mapping[str, str], *, caller: bool = True) -> ReadPath:
    key = find_key(templates, resource.stack, value)
    if key is None and value is None:
        return ReadPath(None, None, None, KeyKind.AWS_MANAGED, f"AWS managed key (aws/{service})")
    if key is None:  # its policy is not in these templates: the key does not narrow the readers here
        return ReadPath(None, None, None, KeyKind.CUSTOMER_MANAGED,
                        "customer managed key outside these templates (its key policy is not evaluated)")
    use = KeyUse(key, service, context) if caller else None
    return ReadPath(None, use, key, KeyKind.CUSTOMER_MANAGED, "")


def _with(path: ReadPath, data: DataRead) -> ReadPath:
    return ReadPath(data, path.key_use, path.key, path.key_kind, path.key_note)


def _s3(bucket: Resource, templates: TemplateSet, _: Mapping[str, str]) -> ReadPath:
    arn = templates.arn(bucket)
    name = templates.name(bucket)
    policy = tuple(
        statement
        for item in templates.resources("AWS::S3::BucketPolicy")
        if templates.resolve(item.stack, item.properties.get("Bucket")) == name
        for statement in statements(templates.resolve(item.stack, item.properties.get("PolicyDocument")),
                                    f"bucket policy of {name}")
    )
    data = DataRead("s3", ("s3:GetObject", "s3:GetObjectVersion"), (f"{arn}/{{object}}",), policy,
                    {"s3:tlsversion": ("1.2",)})
    rules = (bucket.properties.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration") or [{}]
    default = rules[0].get("ServerSideEncryptionByDefault") or {}
    if default.get("SSEAlgorithm") not in ("aws:kms", "aws:kms:dsse"):
        return ReadPath(data, None, None, KeyKind.AWS_OWNED, "S3 managed key (SSE-S3)")
    context_arn = arn if rules[0].get("BucketKeyEnabled") else f"{arn}/{{object}}"
    return _with(_customer_key(bucket, templates, default.get("KMSMasterKeyID"), "s3",
                               {"aws:s3:arn": context_arn}), data)


def _dynamodb(table: Resource, templates: TemplateSet, _: Mapping[str, str]) -> ReadPath:
    arn, name = templates.arn(table), templates.name(table)
    policy = tuple(statements(templates.resolve(table.stack, (table.properties.get("ResourcePolicy") or {})
                                                .get("PolicyDocument")), f"resource policy of table {name}"))
    data = DataRead("dynamodb", ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan",
                                 "dynamodb:PartiQLSelect", "dynamodb:PutItem", "dynamodb:UpdateItem",
                                 "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"),
                    (arn, f"{arn}/index/{{index}}"), policy)
    sse = table.properties.get("SSESpecification") or {}
    if not sse.get("SSEEnabled"):
        return ReadPath(data, None, None, KeyKind.AWS_OWNED, "AWS owned key")
    return _with(_customer_key(table, templates, sse.get("KMSMasterKeyId"), "dynamodb",
                               {"aws:dynamodb:tableName": name, "aws:dynamodb:subscriberId": ACCOUNT}), data)


def _state_machine(machine: Resource, templates: TemplateSet, _: Mapping[str, str]) -> ReadPath:
    name, arn = templates.name(machine), templates.arn(machine)
    data = DataRead("states", ("states:GetExecutionHistory", "states:DescribeExecution"),
                    (f"arn:{PARTITION}:states:{REGION}:{ACCOUNT}:execution:{name}:{{execution}}",))
    encryption = machine.properties.get("EncryptionConfiguration") or {}
    if encryption.get("Type") != "CUSTOMER_MANAGED_KMS_KEY":
        return ReadPath(data, None, None, KeyKind.AWS_OWNED, "AWS owned key")
    return _with(_customer_key(machine, templates, encryption.get("KmsKeyId"), "states",
                               {"aws:states:stateMachineArn": arn}), data)


def _log_group(group: Resource, templates: TemplateSet, _: Mapping[str, str]) -> ReadPath:
    name = templates.name(group)
    base = f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{name}"
    data = DataRead("logs", ("logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartQuery", "logs:StartLiveTail",
                             "logs:GetLogRecord"), (base, f"{base}:*", f"{base}:log-stream:{{stream}}"))
    if group.properties.get("KmsKeyId") is None:
        return ReadPath(data, None, None, KeyKind.AWS_OWNED, "CloudWatch Logs' own key")
    # The Logs service decrypts under its own key-policy permission: readers need no KMS permission.
    return _with(_customer_key(group, templates, group.properties["KmsKeyId"], "logs", {}, caller=False), data)


def _lambda_environment(function: Resource, templates: TemplateSet, _: Mapping[str, str]) -> ReadPath:
    arn = templates.arn(function)
    data = DataRead("lambda", ("lambda:GetFunctionConfiguration", "lambda:GetFunction"), (arn,))
    if function.properties.get("KmsKeyArn") is None:
        return ReadPath(data, None, None, KeyKind.AWS_MANAGED, "AWS managed key aws/lambda")
    return _with(_customer_key(function, templates, function.properties["KmsKeyArn"], "lambda",
                               {"aws:lambda:FunctionArn": arn}), data)


def _durable_history(function: Resource, templates: TemplateSet, _: Mapping[str, str]) -> ReadPath:
    # Durable-execution permissions are evaluated on the execution's ARN, which carries the function's version.
    arn = templates.arn(function)
    data = DataRead("lambda", ("lambda:GetDurableExecutionHistory", "lambda:GetDurableExecution"),
                    (f"{arn}:{{qualifier}}/durable-execution/{{name}}/{{id}}",))
    config = function.properties.get("DurableConfig") or {}
    if config.get("KMSKeyArn") is None:
        return ReadPath(data, None, None, KeyKind.AWS_OWNED, "AWS owned key")
    # Lambda encrypts the execution data under the function's context, as it does the environment.
    return _with(_customer_key(function, templates, config["KMSKeyArn"], "lambda", {"aws:lambda:FunctionArn": arn}),
                 data)


def _traces(_resource: Resource, templates: TemplateSet, __: Mapping[str, str]) -> ReadPath:
    data = DataRead("xray", ("xray:BatchGetTraces", "xray:GetTraceSummaries"), ("*",))
    configured = [c for c in templates.resources("AWS::XRay::EncryptionConfig")
                  if c.properties.get("Type") == "KMS"]
    if configured:
        return _with(_customer_key(configured[0], templates, configured[0].properties.get("KeyId"), "xray", {},
                                   caller=False), data)
    return ReadPath(data, None, None, KeyKind.AWS_OWNED, "AWS owned key (X-Ray default encryption)")


def _task_environment(_task: Resource, _templates: TemplateSet, __: Mapping[str, str]) -> ReadPath:
    data = DataRead("ecs", ("ecs:DescribeTaskDefinition",), ("*",))
    return ReadPath(data, None, None, KeyKind.AWS_OWNED, "stored by ECS (AWS owned key)")


def _envelope(key: Resource, _templates: TemplateSet, context: Mapping[str, str]) -> ReadPath:
    return ReadPath(None, KeyUse(key, None, context), key, KeyKind.CLIENT_SIDE, "")


_BUILDERS = {
    StoreKind.S3_OBJECTS: _s3,
    StoreKind.DYNAMODB_TABLE: _dynamodb,
    StoreKind.STATE_MACHINE_HISTORY: _state_machine,
    StoreKind.LOG_GROUP: _log_group,
    StoreKind.LAMBDA_ENVIRONMENT: _lambda_environment,
    StoreKind.XRAY_TRACES: _traces,
    StoreKind.ECS_TASK_ENVIRONMENT: _task_environment,
    StoreKind.CLIENT_ENVELOPE: _envelope,
    StoreKind.DURABLE_EXECUTION_HISTORY: _durable_history,
}
