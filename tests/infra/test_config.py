"""The typed configuration: a bad or missing key fails with a message naming the key, never its value."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import (
    DEFAULT_DURABLE_RETENTION_DAYS,
    MAX_STOP_TIMEOUT_SECONDS,
    BlueprintConfig,
    ConfigurationError,
    load_config,
)
from infra.synthesis import project_context


def _context(**overrides: Any) -> dict[str, Any]:
    return {**project_context(), **overrides}


def test_project_context_is_valid_in_both_egress_modes() -> None:
    for mode in ("nat", "privatelink"):
        assert load_config(_context(egress_mode=mode)).egress_mode == mode


def test_cdk_feature_flags_are_not_configuration_keys() -> None:
    flags = {"@aws-cdk/core:newStyleStackSynthesis": True, "aws:cdk:enable-path-metadata": True}
    config = load_config(_context(**flags))
    assert isinstance(config, BlueprintConfig)


def test_cli_strings_are_coerced_like_cdk_json_values() -> None:
    # `cdk synth -c worker_desired_count=3 -c temporal_tls=true` hands the app strings.
    config = load_config(_context(worker_desired_count="3", temporal_tls="true"))
    assert config.worker_desired_count == 3
    assert config.temporal_tls is True


@pytest.mark.parametrize("key", ["environment_name", "egress_mode", "temporal_address", "temporal_secret_name",
                                 "worker_cpu", "review_timeout_seconds", "operator_role_arn"])
def test_missing_key_is_named(key: str) -> None:
    context = _context()
    del context[key]
    with pytest.raises(ConfigurationError, match=rf"{key}: missing"):
        load_config(context)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("egress_mode", "internet"),
        ("temporal_auth_mode", "password"),
        ("temporal_address", "no port here"),
        ("environment_name", "Has Spaces"),
        ("worker_desired_count", "many"),
        ("worker_cpu", 300),
        ("log_retention_days", 42),
        ("worker_graceful_shutdown_seconds", MAX_STOP_TIMEOUT_SECONDS),
        ("temporal_privatelink_service_name", "vpce-svc-not-a-service-name"),
        ("operator_role_arn", "arn:aws:iam::123456789012:user/not-a-role"),
        ("operator_role_arn", "blueprint-operator"),
        ("claim_check_retention_days", 0),
        ("claim_check_noncurrent_days", "forever"),
        ("durable_retention_days", 91),
        ("durable_retention_days", 0),
    ],
)
def test_bad_value_is_named_without_echoing_it(key: str, value: object) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_config(_context(**{key: value}))
    message = str(raised.value)
    assert f"{key}:" in message
    assert str(value) not in message.replace(key, "")


def test_a_pasted_credential_is_never_echoed() -> None:
    leaked = "tmprl_api_key_SUPERSECRET_0123456789"
    for key in ("temporal_address", "temporal_secret_name", "temporal_namespace"):
        with pytest.raises(ConfigurationError) as raised:
            load_config(_context(**{key: leaked + "!!"}))
        assert "SUPERSECRET" not in str(raised.value)
        assert raised.value.__cause__ is None
        assert raised.value.__context__ is None  # the validation error holding the input is not chained


def test_unknown_key_is_named() -> None:
    with pytest.raises(ConfigurationError, match="egres_mode: unknown configuration key"):
        load_config(_context(egres_mode="nat"))


def test_privatelink_requires_the_temporal_service_name() -> None:
    with pytest.raises(ConfigurationError, match="temporal_privatelink_service_name: is required"):
        load_config(_context(egress_mode="privatelink", temporal_privatelink_service_name=None))


def test_memory_must_fit_the_cpu_size() -> None:
    with pytest.raises(ConfigurationError, match="worker_memory_mib: is not a Fargate memory size"):
        load_config(_context(worker_cpu=256, worker_memory_mib=4096))


def test_credentials_require_tls() -> None:
    with pytest.raises(ConfigurationError, match="temporal_tls: must be true"):
        load_config(_context(temporal_auth_mode="api_key", temporal_tls=False))


def test_stop_timeout_stays_above_the_graceful_shutdown_and_within_ecs_limit() -> None:
    for graceful in (1, 30, 60, MAX_STOP_TIMEOUT_SECONDS - 15):
        config = load_config(_context(worker_graceful_shutdown_seconds=graceful))
        assert graceful < config.worker_stop_timeout_seconds <= MAX_STOP_TIMEOUT_SECONDS


def test_the_operator_may_not_double_as_a_break_glass_principal() -> None:
    operator = _context()["operator_role_arn"]
    with pytest.raises(ConfigurationError, match="break_glass_role_arns: must not repeat operator_role_arn"):
        load_config(_context(break_glass_role_arns=[operator]))


def test_retention_and_audit_trail_defaults_are_stated() -> None:
    context = _context()
    for key in ("claim_check_retention_days", "claim_check_noncurrent_days", "audit_trail", "durable_retention_days"):
        del context[key]
    config = load_config(context)
    assert (config.claim_check_retention_days, config.claim_check_noncurrent_days) == (1827, 30)
    assert config.durable_retention_days == DEFAULT_DURABLE_RETENTION_DAYS == 14  # AWS's own default
    assert config.audit_trail is False  # optional; the shipped sandbox configuration turns it on
    assert load_config(_context()).audit_trail is True


def test_a_bad_break_glass_principal_is_named_by_position() -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_config(_context(break_glass_role_arns=["arn:aws:iam::123456789012:role/ok",
                                                    "arn:aws:sts::123456789012:assumed-role/x/y"]))
    assert "break_glass_role_arns.1: has an invalid format" in str(raised.value)
    assert "assumed-role" not in str(raised.value)
