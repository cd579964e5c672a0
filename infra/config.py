"""The blueprint's configuration: `cdk.json` context validated into one typed, immutable model.

`app.py` passes the raw context here; nothing else in `infra/` reads context or the environment.
A bad or missing key fails synth with a message that names the key and the rule it breaks, never the value
(context can carry account ids, endpoints or a mistakenly pasted credential).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

EgressMode = Literal["nat", "privatelink"]
TemporalAuthMode = Literal["none", "api_key", "mtls"]

# ECS waits at most 120 s between SIGTERM and SIGKILL; the worker needs a margin above its own drain time.
MAX_STOP_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_MARGIN_SECONDS = 15

# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                      3288, 3653)

# Fargate's valid CPU units -> memory sizes (MiB).
_FARGATE_MEMORY: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
}

_NAME = r"^[a-z][a-z0-9-]{1,18}[a-z0-9]$"
_HOST_PORT = r"^[A-Za-z0-9.-]+:[0-9]{1,5}$"
_PRIVATELINK_SERVICE = r"^com\.amazonaws\.vpce\.[a-z0-9-]+\.vpce-svc-[0-9a-f]{8,}$"
# An IAM role ARN (with an optional path); the key policies name these principals in aws:PrincipalArn conditions.
_ROLE_ARN = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$"
RoleArn = Annotated[str, Field(pattern=_ROLE_ARN)]

# Claim-check retention default: five years, the record-keeping period of the US customer identification program
# rule for banks (31 CFR 1020.220(a)(3)(ii)); set your own regulation's period.
DEFAULT_CLAIM_CHECK_RETENTION_DAYS = 1827
DEFAULT_CLAIM_CHECK_NONCURRENT_DAYS = 30

PositiveInt = Annotated[int, Field(ge=1)]

# Lambda durable functions: execution history is retained 1 to 90 whole days after an execution ends (AWS default 14),
# and an execution may run at most 31,622,400 s (366 days) (AWS Lambda API reference, DurableConfig).
DURABLE_RETENTION_DAYS_RANGE = (1, 90)
DEFAULT_DURABLE_RETENTION_DAYS = 14
MAX_DURABLE_EXECUTION_SECONDS = 31_622_400


class BlueprintConfig(BaseModel):
    """Everything a deployment may vary. Field names are the `cdk.json` context keys."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    environment_name: Annotated[str, Field(pattern=_NAME, description="prefix of every stack and resource name")]
    egress_mode: EgressMode
    temporal_address: Annotated[str, Field(pattern=_HOST_PORT, description="host:port of the Temporal frontend")]
    temporal_namespace: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{2,64}$")]
    temporal_task_queue: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,128}$")]
    temporal_auth_mode: TemporalAuthMode
    temporal_tls: bool
    temporal_secret_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9/_+=.@-]{1,256}$")]
    temporal_privatelink_service_name: Annotated[str, Field(pattern=_PRIVATELINK_SERVICE)] | None = None
    worker_cpu: Literal[256, 512, 1024, 2048, 4096]
    worker_memory_mib: PositiveInt
    worker_desired_count: Annotated[int, Field(ge=0, le=50)]
    worker_max_count: Annotated[int, Field(ge=1, le=100)]
    worker_graceful_shutdown_seconds: Annotated[
        int, Field(ge=1, le=MAX_STOP_TIMEOUT_SECONDS - STOP_TIMEOUT_MARGIN_SECONDS)
    ]
    review_timeout_seconds: Annotated[int, Field(ge=60, le=365 * 24 * 3600)]
    lambda_reserved_concurrency: Annotated[int, Field(ge=1, le=1000)]
    log_retention_days: int
    nat_gateways: Annotated[int, Field(ge=1, le=3)] = 1
    max_azs: Annotated[int, Field(ge=2, le=3)] = 2
    retain_on_delete: bool = True
    # The operator role (codec server, reviewer, make audit): named in every key policy that guards data it reads.
    operator_role_arn: RoleArn
    # Extra principals that may decrypt with every key (break-glass; README): role ARNs of this account.
    break_glass_role_arns: tuple[RoleArn, ...] = ()
    claim_check_retention_days: Annotated[int, Field(ge=1, le=36500)] = DEFAULT_CLAIM_CHECK_RETENTION_DAYS
    claim_check_noncurrent_days: Annotated[int, Field(ge=1, le=3650)] = DEFAULT_CLAIM_CHECK_NONCURRENT_DAYS
    # A CloudTrail trail with data events for the claim-check bucket and the tables (who read which record).
    audit_trail: bool = False
    # Days the durable-execution service keeps an ended execution's history (DurableConfig.RetentionPeriodInDays).
    durable_retention_days: Annotated[
        int, Field(ge=DURABLE_RETENTION_DAYS_RANGE[0], le=DURABLE_RETENTION_DAYS_RANGE[1])
    ] = DEFAULT_DURABLE_RETENTION_DAYS

    @model_validator(mode="after")
    def _consistent(self) -> BlueprintConfig:
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            raise _KeyError("log_retention_days", "must be a CloudWatch Logs retention period (e.g. 365)")
        if self.worker_memory_mib not in _FARGATE_MEMORY[self.worker_cpu]:
            raise _KeyError("worker_memory_mib", "is not a Fargate memory size for the configured worker_cpu")
        if self.worker_max_count < self.worker_desired_count:
            raise _KeyError("worker_max_count", "must be at least worker_desired_count")
        if self.egress_mode == "privatelink" and self.temporal_privatelink_service_name is None:
            raise _KeyError("temporal_privatelink_service_name", "is required when egress_mode is privatelink")
        if self.operator_role_arn in self.break_glass_role_arns:
            raise _KeyError("break_glass_role_arns", "must not repeat operator_role_arn")
        if self.temporal_auth_mode != "none" and not self.temporal_tls:
            raise _KeyError("temporal_tls", "must be true when temporal_auth_mode sends credentials")
        return self

    @property
    def worker_stop_timeout_seconds(self) -> int:
        return min(self.worker_graceful_shutdown_seconds + STOP_TIMEOUT_MARGIN_SECONDS, MAX_STOP_TIMEOUT_SECONDS)

    def resource_name(self, suffix: str) -> str:
        return f"{self.environment_name}-{suffix}"


class _KeyError(ValueError):
    """A cross-field rule broken by one key; carries the key so the message can name it."""

    def __init__(self, key: str, rule: str) -> None:
        super().__init__(f"{key}: {rule}")
        self.key = key


class ConfigurationError(Exception):
    """Raised at synth for a missing or bad configuration key. The message names keys, never values."""


def _looks_like_cdk_key(key: str) -> bool:
    # Feature flags ("@aws-cdk/..."), CLI settings ("aws:cdk:..."), lookups ("availability-zones:...").
    return key.startswith("@") or ":" in key or key in _CDK_OWN_KEYS


_CDK_OWN_KEYS = frozenset({"acknowledged-issue-numbers", "cli-telemetry", "cdk-version"})


def load_config(context: Mapping[str, Any]) -> BlueprintConfig:
    """Validate the blueprint's keys out of the whole CDK context."""
    ours = {key: value for key, value in context.items() if not _looks_like_cdk_key(key)}
    try:
        return BlueprintConfig.model_validate(ours)
    except ValidationError as error:
        message = _describe(error)
    # Raised outside the handler so the pydantic error (which holds the input values) is not even chained.
    raise ConfigurationError(message)


def _describe(error: ValidationError) -> str:
    problems: list[str] = []
    for item in error.errors(include_input=False, include_url=False):
        key = ".".join(str(part) for part in item["loc"])
        cause = item.get("ctx", {}).get("error")
        if isinstance(cause, _KeyError):
            problems.append(f"{cause}")
        elif item["type"] == "missing":
            problems.append(f"{key}: missing (set it in cdk.json context or with -c {key}=...)")
        elif item["type"] == "extra_forbidden":
            problems.append(f"{key}: unknown configuration key")
        else:
            problems.append(f"{key}: {_without_pattern(item['msg'])}")
    return "invalid blueprint configuration in cdk.json context:\n  " + "\n  ".join(sorted(problems))


def _without_pattern(message: str) -> str:
    # Pydantic's pattern message quotes the regex, which is noise to a user; keep the rule's gist.
    return re.sub(r"String should match pattern '.*'", "has an invalid format", message)
