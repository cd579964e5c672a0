"""Record every AWS call a process makes: who made it, the IAM action, the resource ARNs, the KMS key and the request
values IAM conditions read. The two-way IAM test checks each recorded call against the caller's synthesized policy.

The recorder is two botocore event handlers (``before-parameter-build`` keeps the request's parameters,
``after-call`` records the call with its response, refused or not) added to ``botocore.handlers.BUILTIN_HANDLERS``,
which every botocore session registers when it is created (the mechanism moto's own mock uses). So every client the
code under test creates afterwards is recorded, and the code itself carries no hook:

- in this process (the task Lambdas on the local runner), ``principal`` names who is calling (the routed function);
  calls made while it answers ``None`` (the test harness itself) are not recorded;
- in a child process (the worker), ``sitecustomize`` in ``local/aws_call_recording/`` installs a recorder when
  ``AWS_CALL_LOG`` names a file: put that folder first on the child's ``PYTHONPATH`` (``recording_environment``).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from botocore import handlers

CALL_LOG = "AWS_CALL_LOG"  # a file to append one JSON line per call to (child processes)
CALL_PRINCIPAL = "AWS_CALL_PRINCIPAL"  # who the child process is (e.g. "worker")
SITE_DIR = Path(__file__).resolve().parent / "aws_call_recording"
_STASH = "recorded_call_params"
# API operations whose IAM action has another name.
_ACTIONS = {("lambda", "Invoke"): "lambda:InvokeFunction", ("s3", "HeadObject"): "s3:GetObject"}


@dataclass(frozen=True)
class AwsCall:
    principal: str
    action: str  # the IAM action, e.g. "dynamodb:PutItem"
    resources: tuple[str, ...]  # ARNs the action is authorized on
    key_id: str | None = None  # the KMS key ARN a KMS call used, or an S3 object's SSE-KMS key
    context: dict[str, Any] = field(default_factory=dict)  # request values IAM conditions read
    error: str | None = None  # the error code when AWS refused the call (it was authorized all the same)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, default=list)

    @classmethod
    def from_json(cls, line: str) -> AwsCall:
        data = json.loads(line)
        return cls(**{**data, "resources": tuple(data["resources"])})


class CallRecorder:
    def __init__(self, *, principal: Callable[[], str | None], sink: Callable[[AwsCall], None],
                 account: str) -> None:
        self._principal = principal
        self._sink = sink
        self._account = account
        self._handlers = [("before-parameter-build", self._stash), ("after-call", self._record)]

    def install(self) -> None:
        handlers.BUILTIN_HANDLERS.extend(self._handlers)

    def uninstall(self) -> None:
        for handler in self._handlers:
            if handler in handlers.BUILTIN_HANDLERS:
                handlers.BUILTIN_HANDLERS.remove(handler)

    def _stash(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_STASH] = dict(params)

    def _record(self, model: Any, parsed: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
        principal = self._principal()
        if principal is None:
            return
        service = model.service_model.signing_name
        operation = model.name
        params = context.get(_STASH, {})
        region = str(context.get("client_region") or os.environ.get("AWS_REGION", "us-east-1"))
        resources, key_id, condition_values = describe(service, operation, params, parsed,
                                                       region=region, account=self._account)
        error = parsed.get("Error", {}).get("Code") if isinstance(parsed, Mapping) else None
        self._sink(AwsCall(principal=principal, action=_ACTIONS.get((service, operation), f"{service}:{operation}"),
                           resources=resources, key_id=key_id, context=condition_values, error=error))


def describe(service: str, operation: str, params: Mapping[str, Any], parsed: Mapping[str, Any], *, region: str,
             account: str) -> tuple[tuple[str, ...], str | None, dict[str, Any]]:
    """(resource ARNs, KMS key, condition values) of one call, from its parameters and its response."""
    context: dict[str, Any] = {}
    if service == "dynamodb":
        table = params.get("TableName")
        key = params.get("Key") or params.get("Item") or {}
        context["dynamodb:item"] = {name: _scalar(value) for name, value in key.items()}
        return ((f"arn:aws:dynamodb:{region}:{account}:table/{table}",) if table else ()), None, context
    if service == "s3":
        bucket, key_name = params.get("Bucket"), params.get("Key")
        arn = f"arn:aws:s3:::{bucket}/{key_name}" if key_name is not None else f"arn:aws:s3:::{bucket}"
        for header, name in (("ServerSideEncryption", "s3:x-amz-server-side-encryption"),
                             ("SSEKMSKeyId", "s3:x-amz-server-side-encryption-aws-kms-key-id"),
                             ("IfNoneMatch", "s3:if-none-match")):
            if params.get(header) is not None:
                context[name] = params[header]
        key_id = params.get("SSEKMSKeyId") or parsed.get("SSEKMSKeyId")
        return (arn,), key_id, context
    if service == "kms":
        used = str(parsed.get("KeyId") or params.get("KeyId"))
        for name, value in (params.get("EncryptionContext") or {}).items():
            context[f"kms:EncryptionContext:{name}"] = value
        resource = used if used.startswith("arn:") else f"arn:aws:kms:{region}:{account}:{used}"
        return (resource,), used, context
    if service == "states":
        target = params.get("stateMachineArn") or params.get("executionArn")
        return ((str(target),) if target else ()), None, context
    if service == "secretsmanager":
        return (str(parsed.get("ARN") or params.get("SecretId")),), None, context
    if service == "lambda":
        name = str(params.get("FunctionName"))
        arn = name if name.startswith("arn:") else f"arn:aws:lambda:{region}:{account}:function:{name}"
        return (arn,), None, context
    return (), None, context


def _scalar(value: Any) -> Any:
    """A DynamoDB attribute as a plain value, whether the caller used the resource API or typed values."""
    if isinstance(value, Mapping) and len(value) == 1 and next(iter(value)) in {"S", "N", "B"}:
        return next(iter(value.values()))
    return value


def read_call_log(path: Path) -> list[AwsCall]:
    if not path.exists():
        return []
    return [AwsCall.from_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def recording_environment(log_file: Path, principal: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Variables that make a child Python process record its AWS calls to ``log_file`` as ``principal``."""
    existing = (environ or {}).get("PYTHONPATH", "")
    return {CALL_LOG: str(log_file), CALL_PRINCIPAL: principal,
            "PYTHONPATH": os.pathsep.join(part for part in (str(SITE_DIR), existing) if part)}


def install_from_environment(environ: Mapping[str, str] | None = None) -> CallRecorder | None:
    """What ``sitecustomize`` runs in a child: record to ``AWS_CALL_LOG`` when it is set, else nothing."""
    env = os.environ if environ is None else environ
    target = env.get(CALL_LOG)
    if not target:
        return None
    lock = threading.Lock()
    path = Path(target)
    principal = env.get(CALL_PRINCIPAL, "process")

    def append(call: AwsCall) -> None:
        with lock, path.open("a", encoding="utf-8") as handle:
            handle.write(call.to_json() + "\n")

    recorder = CallRecorder(principal=lambda: principal, sink=append,
                            account=env.get("MOTO_ACCOUNT_ID", DEFAULT_ACCOUNT))
    recorder.install()
    return recorder


DEFAULT_ACCOUNT = "123456789012"  # moto's default account


def by_principal(calls: Iterable[AwsCall]) -> dict[str, list[AwsCall]]:
    grouped: dict[str, list[AwsCall]] = {}
    for call in calls:
        grouped.setdefault(call.principal, []).append(call)
    return grouped
