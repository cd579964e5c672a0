"""Handler configuration, read from the environment variables named in :mod:`contract.registry`.

Read per invocation (cheap) rather than at import, so the local runner can set the environment after
importing the handlers. A missing or bad variable is reported by its name, never by its value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from contract import registry
from onboarding.adapters.dynamodb import TableNames


class Profile(StrEnum):
    HARDENED = "hardened"
    BASELINE = "baseline"  # full payloads and raw errors: only to prove the exposure audit finds leaks


class ConfigurationError(RuntimeError):
    """A deployment mistake: names the variable, never its value."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    tables: TableNames
    idempotency_table: str
    claim_check_bucket: str
    claim_check_key_arn: str
    profile: Profile
    state_machine_arn: str | None  # intake only
    review_timeout_seconds: int

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            tables=TableNames(
                ledger=_required(env, registry.ENV_LEDGER_TABLE),
                charges=_required(env, registry.ENV_CHARGES_TABLE),
                outbox=_required(env, registry.ENV_OUTBOX_TABLE),
                reviews=_required(env, registry.ENV_REVIEWS_TABLE),
            ),
            idempotency_table=_required(env, registry.ENV_IDEMPOTENCY_TABLE),
            claim_check_bucket=_required(env, registry.ENV_CLAIM_CHECK_BUCKET),
            claim_check_key_arn=_required(env, registry.ENV_CLAIM_CHECK_KEY_ARN),
            profile=_profile(env),
            state_machine_arn=env.get(registry.ENV_STATE_MACHINE_ARN) or None,
            review_timeout_seconds=_positive_int(
                env, registry.ENV_REVIEW_TIMEOUT_SECONDS, registry.DEFAULT_REVIEW_TIMEOUT_SECONDS
            ),
        )

    def require_state_machine_arn(self) -> str:
        if not self.state_machine_arn:
            raise ConfigurationError(f"environment variable {registry.ENV_STATE_MACHINE_ARN} is not set")
        return self.state_machine_arn


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"environment variable {name} is not set")
    return value


def _profile(env: Mapping[str, str]) -> Profile:
    value = env.get(registry.ENV_PROTECTION_PROFILE, "").strip() or Profile.HARDENED.value
    try:
        return Profile(value)
    except ValueError:
        choices = ", ".join(profile.value for profile in Profile)
        raise ConfigurationError(
            f"environment variable {registry.ENV_PROTECTION_PROFILE} must be one of: {choices}"
        ) from None


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ConfigurationError(f"environment variable {name} must be a positive integer (seconds)")
    return int(value)
