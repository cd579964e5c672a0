"""Where the deployed audit (``make audit``) finds the deployment: ``cdk.json`` context, overridden by environment.

Every name the blueprint gives a resource follows from the context's ``environment_name`` (see infra/), so with the
deployment's ``cdk.json`` and AWS credentials only the region is needed. Each value can be overridden:

| variable | default (from ``cdk.json`` context) |
|---|---|
| ``AWS_REGION`` (or ``AWS_DEFAULT_REGION``) | required: the deployment's region |
| ``AUDIT_ENVIRONMENT_NAME`` | ``environment_name`` |
| ``AUDIT_STATE_MACHINE_ARN`` | ``arn:aws:states:<region>:<account>:stateMachine:<environment_name>-onboarding`` |
| ``AUDIT_LOG_GROUP`` | ``/aws/vendedlogs/states/<environment_name>-onboarding`` |
| ``AUDIT_INTAKE_FUNCTION`` | ``<environment_name>-intake`` |
| ``AUDIT_TABLE_PREFIX`` | ``<environment_name>`` (``<prefix>-ledger``, ``-charges``, ``-outbox``, ``-reviews``) |
| ``AUDIT_SCENARIOS`` | every scenario that does not wait for a review timeout (comma-separated names) |
| ``AUDIT_REVIEW_TIMEOUT_SECONDS`` | ``300``: the Temporal canaries' review timeout (reviews are answered at once) |
| ``AUDIT_REPORT_WAIT_SECONDS`` | ``60``: how long to wait for the task Lambdas' REPORT lines to reach CloudWatch Logs |
| ``TEMPORAL_ADDRESS``, ``_NAMESPACE``, ``_TASK_QUEUE`` | ``temporal_address``, ``_namespace``, ``_task_queue`` |
| ``TEMPORAL_AUTH_MODE``, ``TEMPORAL_TLS`` | ``temporal_auth_mode``, ``temporal_tls`` |
| ``TEMPORAL_SECRET_ARN`` | the ARN of the secret named ``temporal_secret_name`` |
| ``PAYLOAD_KEY_ID`` | ``alias/<environment_name>/payload`` (the workers' payload key) |
| ``AUDIT_DURABLE_FUNCTION`` | ``<environment_name>-onboarding-durable:live`` (the durable function's alias) |
| ``CHECKPOINT_KEY_ID`` | ``alias/<environment_name>/checkpoint`` (the durable function's checkpoint key) |

A missing or bad setting stops the audit before anything starts, with a message naming the variable (and the
context key it defaults from), never its value. The canaries always use the hardened profile: it is what deploys.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contract.environment import DURABLE_FUNCTION_ALIAS
from contract.onboarding import ONBOARDING
from contract.profile import Profile
from scenarios import SCENARIOS, SCENARIOS_BY_NAME, Scenario
from workers.settings import ClientSettings, SettingsError

# Canaries must end on their own within minutes: a review timeout is the deployment's own (72 h by default).
CANARY_SCENARIOS = tuple(s for s in SCENARIOS if not (s.expected.review_requested and s.review_decision is None))
_CONTEXT_DEFAULTS = {  # variable -> cdk.json context key
    "AUDIT_ENVIRONMENT_NAME": "environment_name",
    "TEMPORAL_ADDRESS": "temporal_address",
    "TEMPORAL_NAMESPACE": "temporal_namespace",
    "TEMPORAL_TASK_QUEUE": "temporal_task_queue",
    "TEMPORAL_AUTH_MODE": "temporal_auth_mode",
    "TEMPORAL_TLS": "temporal_tls",
}
_TEMPORAL_VARIABLES = ("TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_TASK_QUEUE", "TEMPORAL_AUTH_MODE",
                       "TEMPORAL_TLS", "TEMPORAL_SECRET_ARN", "PAYLOAD_KEY_ID")


class AuditConfigError(ValueError):
    """A missing or bad setting; the message names variables and context keys only."""


class _AuditSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", hide_input_in_errors=True)

    region: str = Field(alias="AWS_REGION", pattern=r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
    environment_name: str = Field(alias="AUDIT_ENVIRONMENT_NAME", pattern=r"^[a-z][a-z0-9-]{1,18}[a-z0-9]$")
    state_machine_arn: str | None = Field(
        None, alias="AUDIT_STATE_MACHINE_ARN",
        pattern=r"^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$")
    log_group: str | None = Field(None, alias="AUDIT_LOG_GROUP", pattern=r"^[A-Za-z0-9_/.#-]{1,512}$")
    intake_function: str | None = Field(None, alias="AUDIT_INTAKE_FUNCTION", pattern=r"^[A-Za-z0-9_:.-]{1,170}$")
    table_prefix: str | None = Field(None, alias="AUDIT_TABLE_PREFIX", pattern=r"^[A-Za-z0-9_.-]{1,200}$")
    scenarios: str | None = Field(None, alias="AUDIT_SCENARIOS")
    review_timeout_seconds: int = Field(300, alias="AUDIT_REVIEW_TIMEOUT_SECONDS", ge=1, le=86_400)
    report_wait_seconds: int = Field(60, alias="AUDIT_REPORT_WAIT_SECONDS", ge=0, le=900)
    durable_function: str | None = Field(None, alias="AUDIT_DURABLE_FUNCTION", pattern=r"^[A-Za-z0-9_:.$-]{1,170}$")
    checkpoint_key_id: str | None = Field(None, alias="CHECKPOINT_KEY_ID", pattern=r"^[A-Za-z0-9_:/.-]{1,256}$")


@dataclass(frozen=True)
class DeployedTarget:
    region: str
    environment_name: str
    state_machine_arn: str
    log_group: str
    intake_function: str
    tables: dict[str, str]  # role -> table name, for every side-effect table of the process
    temporal: ClientSettings
    scenarios: tuple[Scenario, ...]
    review_timeout_seconds: int
    durable_function: str  # what a client starts executions on: the function's alias (name:alias or its ARN)
    checkpoint_key_id: str  # the KMS key (ARN or alias) the durable function's checkpoints are sealed under
    report_wait_seconds: int = 60


def read_context(path: Path = Path("cdk.json")) -> dict[str, Any]:
    """The ``context`` block of ``cdk.json`` (empty when there is no such file)."""
    if not path.is_file():
        return {}
    context = json.loads(path.read_text(encoding="utf-8")).get("context", {})
    return context if isinstance(context, dict) else {}


def load_target(
    environ: Mapping[str, str], context: Mapping[str, Any], *, account_of: Callable[[str], str],
    secret_arn_of: Callable[[str], str],
) -> DeployedTarget:
    """Resolve the deployment. ``account_of(region)`` and ``secret_arn_of(name)`` are only called when a default
    needs them (STS ``GetCallerIdentity``, Secrets Manager ``DescribeSecret``)."""
    values = _merged(environ, context)
    try:
        settings = _AuditSettings.model_validate(values)
    except ValidationError as error:
        raise AuditConfigError(_describe(error)) from None
    name = settings.environment_name
    temporal_env = {key: values[key] for key in _TEMPORAL_VARIABLES if key in values}
    temporal_env["PAYLOAD_KEY_ID"] = values.get("PAYLOAD_KEY_ID", f"alias/{name}/payload")
    if temporal_env.get("TEMPORAL_AUTH_MODE", "none") != "none" and "TEMPORAL_SECRET_ARN" not in temporal_env:
        secret_name = context.get("temporal_secret_name")
        if not isinstance(secret_name, str) or not secret_name:
            raise AuditConfigError("TEMPORAL_SECRET_ARN is not set and cdk.json context has no temporal_secret_name")
        temporal_env["TEMPORAL_SECRET_ARN"] = secret_arn_of(secret_name)
    try:
        temporal = ClientSettings.from_env({**temporal_env, "PROTECTION_PROFILE": Profile.HARDENED.value},
                                           process=ONBOARDING)
    except SettingsError as error:
        raise AuditConfigError(str(error)) from None
    state_machine = f"{name}-{ONBOARDING.name}"
    return DeployedTarget(
        region=settings.region,
        environment_name=name,
        state_machine_arn=settings.state_machine_arn
        or f"arn:aws:states:{settings.region}:{account_of(settings.region)}:stateMachine:{state_machine}",
        log_group=settings.log_group or f"/aws/vendedlogs/states/{state_machine}",
        intake_function=settings.intake_function or f"{name}-{ONBOARDING.entry_function}",
        tables={role: f"{settings.table_prefix or name}-{role}" for role in ONBOARDING.table_roles},
        temporal=temporal,
        scenarios=_scenarios(settings.scenarios),
        review_timeout_seconds=settings.review_timeout_seconds,
        durable_function=settings.durable_function
        or f"{name}-{ONBOARDING.name.replace('_', '-')}-durable:{DURABLE_FUNCTION_ALIAS}",
        checkpoint_key_id=settings.checkpoint_key_id or f"alias/{name}/checkpoint",
        report_wait_seconds=settings.report_wait_seconds,
    )


def _merged(environ: Mapping[str, str], context: Mapping[str, Any]) -> dict[str, str]:
    """Context defaults, then the environment (empty strings count as unset, as in workers/settings.py)."""
    values = {variable: _text(context[key]) for variable, key in _CONTEXT_DEFAULTS.items() if key in context}
    values.update({key: value for key, value in environ.items() if value != ""})
    if "AWS_REGION" not in values and environ.get("AWS_DEFAULT_REGION"):
        values["AWS_REGION"] = environ["AWS_DEFAULT_REGION"]
    return values


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _scenarios(names: str | None) -> tuple[Scenario, ...]:
    if names is None:
        return CANARY_SCENARIOS
    wanted = [name.strip() for name in names.split(",") if name.strip()]
    if not wanted or any(name not in SCENARIOS_BY_NAME for name in wanted):
        raise AuditConfigError("AUDIT_SCENARIOS: comma-separated scenario names, each one of: "
                               + ", ".join(s.name for s in CANARY_SCENARIOS))
    return tuple(SCENARIOS_BY_NAME[name] for name in wanted)


_WHERE = {"AWS_REGION": "AWS_REGION (or AWS_DEFAULT_REGION)",
          "AUDIT_ENVIRONMENT_NAME": "AUDIT_ENVIRONMENT_NAME (or cdk.json context environment_name)"}


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors(include_input=False, include_url=False):
        variable = str(item["loc"][0]) if item["loc"] else "configuration"
        if item["type"] == "missing":
            problems.append(f"{_WHERE.get(variable, variable)} is not set")
        elif item["type"] == "string_pattern_mismatch":
            problems.append(f"{variable} has an invalid format")
        else:
            problems.append(f"{variable}: {item['msg']}")
    return "deployed audit configuration: " + "; ".join(problems)
