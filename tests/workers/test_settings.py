"""Worker configuration: every bad value fails naming the variable and never echoing the value."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from temporalio.service import TLSConfig

from contract.onboarding import ONBOARDING
from contract.profile import Profile
from workers.client import read_credentials
from workers.settings import AuthMode, ClientSettings, SettingsError, WorkerSettings

SECRETISH = "hunter2-do-not-print"
TABLES = {"LEDGER_TABLE": "t-led", "CHARGES_TABLE": "t-chg", "OUTBOX_TABLE": "t-out", "REVIEWS_TABLE": "t-rev"}
BASE = {"PAYLOAD_KEY_ID": "alias/temporal-payloads", **TABLES}
CLOUD = {"TEMPORAL_AUTH_MODE": "api_key", "TEMPORAL_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:t"}


def settings_of(environ: dict[str, str]) -> WorkerSettings:
    return WorkerSettings.from_env(environ, process=ONBOARDING)


def refused(environ: dict[str, str], variable: str) -> str:
    with pytest.raises(SettingsError) as raised:
        settings_of(environ)
    message = str(raised.value)
    assert variable in message
    assert SECRETISH not in message
    return message


def test_defaults_for_a_local_dev_server() -> None:
    settings = settings_of(BASE)
    assert (settings.address, settings.namespace, settings.task_queue) == ("localhost:7233", "default", "onboarding")
    assert settings.auth_mode is AuthMode.NONE and settings.tls is False
    assert settings.profile is Profile.HARDENED
    assert settings.graceful_shutdown_seconds == 30
    assert settings.table_names is not None and settings.table_names["ledger"] == "t-led"


@pytest.mark.parametrize(
    "variable",
    [
        "TEMPORAL_AUTH_MODE", "TEMPORAL_TLS", "PROTECTION_PROFILE", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE",
        "TEMPORAL_SECRET_ARN", "WORKER_GRACEFUL_SHUTDOWN_SECONDS", "WORKER_MAX_CONCURRENT_ACTIVITIES",
        "WORKER_MAX_CONCURRENT_WORKFLOW_TASKS", "WORKER_LOG_LEVEL", "PAYLOAD_DATA_KEY_MAX_USES", "LEDGER_TABLE",
    ],
)
def test_a_bad_value_names_the_variable_not_the_value(variable: str) -> None:
    refused({**BASE, variable: f"{SECRETISH} !"}, variable)


def test_empty_values_count_as_unset() -> None:
    assert settings_of({**BASE, "TEMPORAL_SECRET_ARN": "", "TEMPORAL_TLS": ""}).secret_arn is None


def test_credentials_need_a_secret_and_tls() -> None:
    refused({**BASE, "TEMPORAL_AUTH_MODE": "mtls"}, "TEMPORAL_SECRET_ARN")
    refused({**BASE, **CLOUD, "TEMPORAL_TLS": "false"}, "TEMPORAL_TLS")
    assert settings_of({**BASE, **CLOUD}).tls is True


def test_development_shortcuts_are_refused_with_credentials() -> None:
    refused({**BASE, **CLOUD, "PROTECTION_PROFILE": "baseline"}, "PROTECTION_PROFILE")
    refused({**BASE, **CLOUD, "PAYLOAD_KEY_ID": "local", "PAYLOAD_LOCAL_KEYRING_FILE": "/k"}, "PAYLOAD_KEY_ID")
    no_tables = {key: value for key, value in BASE.items() if key not in TABLES}
    refused({**no_tables, **CLOUD, "WORKER_IN_MEMORY_ADAPTERS": "true"}, "WORKER_IN_MEMORY_ADAPTERS")


def test_payload_keys_are_required_when_hardened() -> None:
    refused(dict(TABLES), "PAYLOAD_KEY_ID")
    refused({**TABLES, "PAYLOAD_KEY_ID": "local"}, "PAYLOAD_LOCAL_KEYRING_FILE")
    assert settings_of({**TABLES, "PROTECTION_PROFILE": "baseline"}).payload_key_id is None


def test_tables_or_the_explicit_in_memory_flag() -> None:
    no_tables = {"PAYLOAD_KEY_ID": "alias/k"}
    message = refused(no_tables, "WORKER_IN_MEMORY_ADAPTERS")
    assert all(name in message for name in TABLES)
    assert "OUTBOX_TABLE" in refused({**no_tables, "LEDGER_TABLE": "t", "CHARGES_TABLE": "c", "REVIEWS_TABLE": "r"},
                                     "OUTBOX_TABLE")
    refused({**BASE, "WORKER_IN_MEMORY_ADAPTERS": "true"}, "WORKER_IN_MEMORY_ADAPTERS")
    assert settings_of({**no_tables, "WORKER_IN_MEMORY_ADAPTERS": "true"}).table_names is None


def test_the_health_age_must_exceed_the_refresh_interval() -> None:
    refused({**BASE, "WORKER_HEALTH_INTERVAL_SECONDS": "30", "WORKER_HEALTH_MAX_AGE_SECONDS": "20"},
            "WORKER_HEALTH_MAX_AGE_SECONDS")


@pytest.fixture
def secrets_client() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")


def _with_secret(client: Any, value: str, mode: str) -> ClientSettings:
    arn = client.create_secret(Name=f"temporal-{mode}", SecretString=value)["ARN"]
    return ClientSettings.from_env({"TEMPORAL_AUTH_MODE": mode, "TEMPORAL_SECRET_ARN": arn, "PAYLOAD_KEY_ID": "k"})


def test_an_api_key_is_read_from_secrets_manager(secrets_client: Any) -> None:
    settings = _with_secret(secrets_client, json.dumps({"api_key": SECRETISH}), "api_key")
    credentials = read_credentials(settings, secrets_client=secrets_client)
    assert credentials.api_key == SECRETISH and credentials.tls is True
    assert SECRETISH not in repr(credentials)


def test_an_mtls_pair_is_read_from_secrets_manager(secrets_client: Any) -> None:
    secret = {"client_cert": "-----BEGIN CERTIFICATE-----", "client_key": "-----BEGIN PRIVATE KEY-----"}
    credentials = read_credentials(_with_secret(secrets_client, json.dumps(secret), "mtls"),
                                   secrets_client=secrets_client)
    assert isinstance(credentials.tls, TLSConfig)
    assert credentials.tls.client_private_key == b"-----BEGIN PRIVATE KEY-----"
    assert credentials.api_key is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [(SECRETISH, "JSON object"), (json.dumps({"apikey": SECRETISH}), "'api_key'"), (json.dumps([SECRETISH]), "JSON")],
)
def test_a_malformed_secret_is_reported_without_its_content(secrets_client: Any, value: str, problem: str) -> None:
    settings = _with_secret(secrets_client, value, "api_key")
    with pytest.raises(SettingsError, match=problem) as raised:
        read_credentials(settings, secrets_client=secrets_client)
    assert SECRETISH not in str(raised.value) and "TEMPORAL_SECRET_ARN" in str(raised.value)


def test_an_unreadable_secret_names_the_aws_error(secrets_client: Any) -> None:
    settings = ClientSettings.from_env(
        {**CLOUD, "TEMPORAL_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf",
         "PAYLOAD_KEY_ID": "k"}
    )
    with pytest.raises(SettingsError, match="ResourceNotFoundException"):
        read_credentials(settings, secrets_client=secrets_client)
