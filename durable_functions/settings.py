"""The durable function's configuration, from its environment (read once per execution environment).

A missing or bad variable is reported by its name, never its value. The baseline profile (no encryption of
checkpoints) is refused inside the Lambda runtime: it exists for the local exposure comparison only, and one
environment variable must not be able to turn the protections off in a deployment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from contract import environment as names
from contract.process import ProcessDescription
from contract.profile import Profile

# Set by the AWS Lambda runtime itself (e.g. ``AWS_Lambda_python3.13``), never by the local emulator.
LAMBDA_RUNTIME_MARKER = "AWS_EXECUTION_ENV"


class ConfigurationError(RuntimeError):
    """A deployment mistake: names the variable, never its value."""


@dataclass(frozen=True, kw_only=True)
class DurableSettings:
    tables: tuple[tuple[str, str], ...]  # (role, table name) pairs
    payload_key_id: str | None  # the KMS key (ARN or alias) checkpoints are sealed under; None for baseline
    profile: Profile

    @classmethod
    def from_env(cls, process: ProcessDescription, environ: Mapping[str, str] | None = None) -> DurableSettings:
        env = os.environ if environ is None else environ
        raw_profile = env.get(names.PROTECTION_PROFILE, "").strip() or Profile.HARDENED.value
        try:
            profile = Profile(raw_profile)
        except ValueError:
            choices = ", ".join(p.value for p in Profile)
            raise ConfigurationError(f"environment variable {names.PROTECTION_PROFILE} must be one of: {choices}") \
                from None
        if profile is Profile.BASELINE and env.get(LAMBDA_RUNTIME_MARKER, "").startswith("AWS_Lambda"):
            raise ConfigurationError(f"environment variable {names.PROTECTION_PROFILE}: baseline is refused inside "
                                     "AWS Lambda (it exists for the local exposure comparison only)")
        key = env.get(names.PAYLOAD_KEY_ID, "").strip() or None
        if profile is Profile.HARDENED and key is None:
            raise ConfigurationError(
                f"environment variable {names.PAYLOAD_KEY_ID} is required (a KMS key ARN or alias)")
        tables = []
        for role, variable in process.table_variables.items():
            value = env.get(variable, "").strip()
            if not value:
                raise ConfigurationError(f"environment variable {variable} is not set")
            tables.append((role, value))
        return cls(tables=tuple(tables), payload_key_id=key, profile=profile)

    @property
    def table_names(self) -> dict[str, str]:
        return dict(self.tables)
