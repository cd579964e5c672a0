"""What the task Lambdas write to their logs, and the baseline profile's refusal inside the Lambda runtime.

- An exception's message reaches a log line only for types known to build it from codes (the task errors, the
  process's ``safe_message_errors``); any other is logged by type and frames with a reference (the request id), never
  ``str(exc)``, as the workers do.
- ``PROTECTION_PROFILE=baseline`` is refused when the Lambda runtime's own variables are present, so one changed
  variable cannot turn the protections off in a deployment; locally (no such variable) the baseline still runs.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest

from contract import environment as names
from contract.onboarding import ONBOARDING
from contract.profile import Profile
from lambdas.errors import InternalError, business_error
from lambdas.observability import logger
from lambdas.settings import LAMBDA_RUNTIME_VARIABLES, ConfigurationError, Settings
from local.stepfunctions.context import LocalLambdaContext
from onboarding.errors import OnboardingError
from scenarios import SCENARIOS

PII = SCENARIOS[0].searchable_pii()[0]


LogLines = Callable[[], list[dict[str, object]]]


@pytest.fixture
def log_lines() -> Iterator[LogLines]:
    """The JSON lines the handlers' logger writes, formatted by its own formatter (as the Lambda runtime gets them)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    service_logger = logging.getLogger(logger.name)
    service_logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    service_logger.removeHandler(handler)


def test_an_unexpected_exception_is_logged_by_type_never_by_message(log_lines: LogLines) -> None:
    try:
        raise RuntimeError(f"could not parse {PII}")
    except RuntimeError:
        logger.exception("unexpected failure", extra={"reference": "req-1"})
    line = log_lines()[-1]
    assert PII not in json.dumps(line)
    assert "builtins.RuntimeError (message withheld)" in str(line["exception"])
    assert line["exception_name"] == "RuntimeError"
    assert line["reference"] == "req-1"
    assert "stack_trace" not in line and "exception_notes" not in line


def test_notes_added_to_an_exception_are_withheld(log_lines: LogLines) -> None:
    error = ValueError("x")
    error.add_note(f"while reading {PII}")
    try:
        raise error
    except ValueError:
        logger.exception("unexpected failure")
    assert PII not in json.dumps(log_lines()[-1])


@pytest.mark.parametrize("error", [InternalError(), business_error("SANCTIONS_MATCH"), OnboardingError("CODE_ONLY")],
                         ids=["task error", "business error", "process safe type"])
def test_code_only_messages_are_kept(log_lines: LogLines, error: Exception) -> None:
    from lambdas.observability import allow_exception_messages

    allow_exception_messages(ONBOARDING.safe_message_errors)
    try:
        raise error
    except Exception:
        logger.exception("refused")
    assert f": {error}" in str(log_lines()[-1]["exception"])


def _environment(profile: Profile) -> dict[str, str]:
    return {**{variable: f"t-{role}" for role, variable in ONBOARDING.table_variables.items()},
            names.IDEMPOTENCY_TABLE: "t-idempotency", names.CLAIM_CHECK_BUCKET: "b",
            names.CLAIM_CHECK_KEY_ARN: "arn:aws:kms:us-east-1:123456789012:key/k", names.PROTECTION_PROFILE: profile}


@pytest.mark.parametrize("variable", LAMBDA_RUNTIME_VARIABLES)
def test_the_baseline_is_refused_inside_the_lambda_runtime(variable: str) -> None:
    inside = {**_environment(Profile.BASELINE), variable: "onboarding-validate"}
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env(ONBOARDING, inside)
    assert names.PROTECTION_PROFILE in str(refused.value) and "Lambda runtime" in str(refused.value)
    # The product's profile runs there, and the baseline still runs outside Lambda (the local comparison).
    assert Settings.from_env(ONBOARDING, {**inside, names.PROTECTION_PROFILE: "hardened"}).profile is Profile.HARDENED
    assert Settings.from_env(ONBOARDING, _environment(Profile.BASELINE)).profile is Profile.BASELINE


def test_a_handler_refuses_the_baseline_before_touching_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    from lambdas.handlers.validate import handler

    for key, value in {**_environment(Profile.BASELINE), "AWS_LAMBDA_FUNCTION_NAME": "onboarding-validate"}.items():
        monkeypatch.setenv(key, value)
    context = LocalLambdaContext(function_name="onboarding-validate",
                                 function_arn="arn:aws:lambda:us-east-1:123456789012:function:onboarding-validate")
    event = {"application_id": SCENARIOS[0].application_id, "submission": {"inline": SCENARIOS[0].application()}}
    with pytest.raises(ConfigurationError, match=names.PROTECTION_PROFILE):
        handler(event, context)
