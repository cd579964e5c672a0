"""Handler configuration, read from the environment variables named in :mod:`contract.environment`.

Read per invocation (cheap) rather than at import, so the local runner can set the environment after importing
the handlers. The side-effect tables are the process's (``<ROLE>_TABLE``). A missing or bad variable is reported
by its name, never by its value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from contract import environment as names
from contract.process import ProcessDescription
from contract.profile import Profile


class ConfigurationError(RuntimeError):
    """A deployment mistake: names the variable, never its value."""


# Variables the Lambda runtime sets for every function and that a function's configuration cannot override (AWS Lambda
# Developer Guide, "Defined runtime environment variables": reserved). Either one present means: running in Lambda.
LAMBDA_RUNTIME_VARIABLES = ("AWS_LAMBDA_FUNCTION_NAME", "AWS_EXECUTION_ENV")


@dataclass(frozen=True, kw_only=True)
class Settings:
    tables: tuple[tuple[str, str], ...]  # (role, table name) pairs: hashable, so runtimes can be cached per settings
    idempotency_table: str
    claim_check_bucket: str
    claim_check_key_arn: str
    profile: Profile
    state_machine_arn: str | None  # the entry function only
    review_timeout_seconds: int

    @classmethod
    def from_env(cls, process: ProcessDescription, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            tables=tuple((role, _required(env, variable)) for role, variable in process.table_variables.items()),
            idempotency_table=_required(env, names.IDEMPOTENCY_TABLE),
            claim_check_bucket=_required(env, names.CLAIM_CHECK_BUCKET),
            claim_check_key_arn=_required(env, names.CLAIM_CHECK_KEY_ARN),
            profile=_profile(env),
            state_machine_arn=env.get(names.STATE_MACHINE_ARN) or None,
            review_timeout_seconds=_positive_int(
                env, names.REVIEW_TIMEOUT_SECONDS, names.DEFAULT_REVIEW_TIMEOUT_SECONDS
            ),
        )

    @property
    def table_names(self) -> dict[str, str]:
        return dict(self.tables)

    def require_state_machine_arn(self) -> str:
        if not self.state_machine_arn:
            raise ConfigurationError(f"environment variable {names.STATE_MACHINE_ARN} is not set")
        return self.state_machine_arn


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"environment variable {name} is not set")
    return value


def _profile(env: Mapping[str, str]) -> Profile:
    value = env.get(names.PROTECTION_PROFILE, "").strip() or Profile.HARDENED.value
    try:
        profile = Profile(value)
    except ValueError:
        choices = ", ".join(profile.value for profile in Profile)
        raise ConfigurationError(
            f"environment variable {names.PROTECTION_PROFILE} must be one of: {choices}"
        ) from None
    if profile is Profile.BASELINE and any(env.get(variable) for variable in LAMBDA_RUNTIME_VARIABLES):
        # The baseline turns the protections off; it exists for the local exposure comparison only. Inside the Lambda
        # runtime, whose own variables a deployment cannot unset, no single configuration change can select it.
        raise ConfigurationError(
            f"environment variable {names.PROTECTION_PROFILE}: baseline is refused inside the Lambda runtime"
        )
    return profile


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ConfigurationError(f"environment variable {name} must be a positive integer (seconds)")
    return int(value)
