"""Configuration from environment variables, validated once at start.

A bad or missing value stops the process with a message naming the variable and the rule, never the value
(values include ARNs and secrets' locations; and a mistyped secret pasted into the wrong variable must not be
printed). Empty strings count as unset, as ECS and shell templates often produce them.

``ClientSettings`` is what anything that talks to Temporal needs (worker, starter, codec server);
``WorkerSettings`` adds storage, tuning, shutdown and health. The side-effect tables are the process's
(``<ROLE>_TABLE`` for each table of its :class:`~contract.process.ProcessDescription`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contract import environment as env_names
from contract.process import ProcessDescription
from contract.profile import Profile
from envelope.key_cache import CachePolicy
from workers.health import DEFAULT_HEALTH_FILE, DEFAULT_MAX_AGE_SECONDS

LOCAL_KEY_ID = "local"
_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$"
_NAME_RE = re.compile(_NAME)


class SettingsError(ValueError):
    """Invalid configuration; the message names variables and rules only."""


class AuthMode(StrEnum):
    NONE = "none"
    API_KEY = "api_key"
    MTLS = "mtls"


class ClientSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    address: str = Field("localhost:7233", alias="TEMPORAL_ADDRESS", pattern=r"^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$")
    namespace: str = Field("default", alias="TEMPORAL_NAMESPACE", pattern=_NAME)
    task_queue: str | None = Field(None, alias="TEMPORAL_TASK_QUEUE", pattern=_NAME)  # default: the process name
    auth_mode: AuthMode = Field(AuthMode.NONE, alias="TEMPORAL_AUTH_MODE")
    secret_arn: str | None = Field(None, alias="TEMPORAL_SECRET_ARN", pattern=r"^arn:aws[a-z-]*:secretsmanager:")
    tls_flag: bool | None = Field(None, alias="TEMPORAL_TLS")
    profile: Profile = Field(Profile.HARDENED, alias="PROTECTION_PROFILE")
    payload_key_id: str | None = Field(None, alias="PAYLOAD_KEY_ID", min_length=1, max_length=2048)
    local_keyring_file: Path | None = Field(None, alias="PAYLOAD_LOCAL_KEYRING_FILE")
    data_key_max_age_seconds: float = Field(300.0, alias="PAYLOAD_DATA_KEY_MAX_AGE_SECONDS", gt=0, le=86_400)
    data_key_max_uses: int = Field(10_000, alias="PAYLOAD_DATA_KEY_MAX_USES", ge=1, le=2**30)

    @property
    def tls(self) -> bool:
        """TLS defaults on whenever credentials are sent (Temporal Cloud)."""
        return self.tls_flag if self.tls_flag is not None else self.auth_mode is not AuthMode.NONE

    @property
    def local_only(self) -> bool:
        """No credentials: a local dev server. Development shortcuts are allowed only here."""
        return self.auth_mode is AuthMode.NONE

    @property
    def cache_policy(self) -> CachePolicy:
        return CachePolicy(max_age_seconds=self.data_key_max_age_seconds, max_uses=self.data_key_max_uses)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, process: ProcessDescription | None = None) -> Self:
        """Read and check the variables. ``process`` supplies the default task queue (its name) and, for a worker,
        the side-effect tables to read."""
        source = os.environ if environ is None else environ
        names = {field.alias for field in cls.model_fields.values() if field.alias}
        values: dict[str, object] = {name: value for name, value in source.items() if name in names and value != ""}
        if process is not None:
            values.setdefault("TEMPORAL_TASK_QUEUE", process.name)
            if "tables" in cls.model_fields:
                values["tables"] = {role: source.get(variable, "") for role, variable in
                                    process.table_variables.items()}
        try:
            settings = cls.model_validate(values)
        except ValidationError as error:
            raise SettingsError(_describe(error)) from None
        settings.check()
        return settings

    @property
    def queue(self) -> str:
        if self.task_queue is None:
            raise SettingsError("TEMPORAL_TASK_QUEUE is required (no process was given to default it from)")
        return self.task_queue

    def check(self) -> None:
        """Rules across variables."""
        if not self.local_only and self.secret_arn is None:
            _fail("TEMPORAL_SECRET_ARN", f"is required when TEMPORAL_AUTH_MODE is {self.auth_mode.value}")
        if not self.local_only and not self.tls:
            _fail("TEMPORAL_TLS", "must be on when credentials are sent (TEMPORAL_AUTH_MODE api_key or mtls)")
        if self.profile is Profile.BASELINE:
            if not self.local_only:
                _fail("PROTECTION_PROFILE", "baseline (no payload encryption) is allowed only with a local dev server")
            return
        if self.payload_key_id is None:
            _fail("PAYLOAD_KEY_ID", "is required: a KMS key ARN or alias, or 'local' for a dev keyring")
        if self.payload_key_id == LOCAL_KEY_ID:
            if not self.local_only:
                _fail("PAYLOAD_KEY_ID", "'local' is for a local dev server only; use a KMS key with credentials")
            if self.local_keyring_file is None:
                _fail("PAYLOAD_LOCAL_KEYRING_FILE", "is required when PAYLOAD_KEY_ID is 'local'")


class WorkerSettings(ClientSettings):
    # Role -> table name ("" when its variable is unset), read from the process's <ROLE>_TABLE variables.
    tables: dict[str, str] = Field(default_factory=dict, alias="tables")
    in_memory_adapters: bool = Field(False, alias="WORKER_IN_MEMORY_ADAPTERS")
    graceful_shutdown_seconds: float = Field(30.0, alias="WORKER_GRACEFUL_SHUTDOWN_SECONDS", gt=0, le=3600)
    max_concurrent_activities: int = Field(50, alias="WORKER_MAX_CONCURRENT_ACTIVITIES", ge=1, le=1000)
    max_concurrent_workflow_tasks: int = Field(50, alias="WORKER_MAX_CONCURRENT_WORKFLOW_TASKS", ge=2, le=1000)
    health_file: Path = Field(Path(DEFAULT_HEALTH_FILE), alias=env_names.WORKER_HEALTH_FILE)
    health_interval_seconds: float = Field(10.0, alias="WORKER_HEALTH_INTERVAL_SECONDS", gt=0, le=600)
    health_max_age_seconds: float = Field(DEFAULT_MAX_AGE_SECONDS, alias=env_names.WORKER_HEALTH_MAX_AGE_SECONDS, gt=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", alias="WORKER_LOG_LEVEL")

    @property
    def table_names(self) -> dict[str, str] | None:
        """DynamoDB tables by role, or None for in-memory adapters (checked: only with the explicit dev flag)."""
        return dict(self.tables) if self.tables and all(self.tables.values()) else None

    def check(self) -> None:
        super().check()
        missing = [f"{role.upper()}_TABLE" for role, value in self.tables.items() if not value]
        bad = [f"{role.upper()}_TABLE" for role, value in self.tables.items() if value and not _NAME_RE.match(value)]
        if bad:
            _fail(", ".join(bad), "must be a DynamoDB table name (letters, digits, '.', '_', '-')")
        if self.in_memory_adapters:
            if len(missing) < len(self.tables):
                _fail("WORKER_IN_MEMORY_ADAPTERS", "cannot be combined with table names; set one or the other")
            if not self.local_only:
                _fail("WORKER_IN_MEMORY_ADAPTERS", "is for a local dev server only")
        elif missing:
            _fail(", ".join(missing), "must be set (DynamoDB table names), or set WORKER_IN_MEMORY_ADAPTERS=true "
                  "for a throw-away local run")
        if self.health_max_age_seconds <= self.health_interval_seconds:
            _fail(env_names.WORKER_HEALTH_MAX_AGE_SECONDS, "must be longer than WORKER_HEALTH_INTERVAL_SECONDS")


def _fail(variable: str, rule: str) -> None:
    raise SettingsError(f"{variable} {rule}")


def _describe(error: ValidationError) -> str:
    # pydantic's "msg" states the rule ("Input should be ..."); its "input" (the value) is deliberately dropped.
    problems = [f"{_variable(item['loc'])}: {item['msg']}" for item in error.errors(include_url=False)]
    return "invalid configuration: " + "; ".join(problems)


def _variable(loc: tuple[Any, ...]) -> str:
    return str(loc[0]) if loc else "configuration"
