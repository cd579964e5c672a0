"""The errors a task Lambda lets escape, i.e. what Step Functions records as a task failure.

The Lambda runtime reports an unhandled exception as ``errorType`` = the exception's class name and
``errorMessage`` = ``str(exception)``; Step Functions turns that into the failure's ``Error`` (what Retry
and Catch match) and ``Cause`` (the runtime's JSON error payload, kept in execution history). So:

- each class name below *is* an ASL error name: one class per :class:`RejectionReason` (``SANCTIONS_MATCH``,
  ...), ``TransientProviderError`` (retried), and a few generic names;
- messages carry reason codes, field paths and error codes only (JSON, so the ASL can read the field
  codes of ``INVALID_APPLICATION`` with ``States.StringToJson``). The baseline profile adds the submission
  to business errors, the naive "include the request for debugging" habit the exposure audit must catch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from onboarding.models import FieldError, RejectionReason


class TaskError(Exception):
    """Base class: the subclass name is the Step Functions error name."""


class BusinessError(TaskError):
    """A terminal business decision; the ASL catches it by name."""

    reason: ClassVar[RejectionReason]


class TransientProviderError(TaskError):
    """Same name as :class:`onboarding.errors.TransientProviderError`: the ASL retries it with backoff."""


class InternalError(TaskError):
    """Anything unexpected. The details stay in the function's log group; history gets this name only."""

    def __init__(self) -> None:
        super().__init__("INTERNAL_ERROR")


class InvalidTaskInput(TaskError):
    """The state machine sent an event that breaks the contract (a wiring bug, not a bad application)."""


class ApplicationConflict(TaskError):
    """``intake`` got a second, different submission under an application id already in use."""

    def __init__(self) -> None:
        super().__init__("APPLICATION_CONFLICT")


class StepInProgress(TaskError):
    """Another invocation of the same step for the same application holds the idempotency record."""

    def __init__(self) -> None:
        super().__init__("STEP_IN_PROGRESS")


# Class names must equal the reason codes, so they are built rather than spelled out one by one.
_BUSINESS_ERRORS: dict[RejectionReason, type[BusinessError]] = {
    reason: type(reason.value, (BusinessError,), {"reason": reason, "__module__": __name__})
    for reason in RejectionReason
}


def business_error_class(reason: RejectionReason) -> type[BusinessError]:
    return _BUSINESS_ERRORS[reason]


def business_error(
    reason: RejectionReason,
    field_errors: Sequence[FieldError] = (),
    *,
    context: Mapping[str, Any] | None = None,
) -> BusinessError:
    """``context`` is for the baseline profile only; the hardened profile never passes it."""
    detail: dict[str, Any] = {
        "reason": reason.value,
        "error_codes": [error.model_dump(mode="json") for error in field_errors],
    }
    if context is not None:
        detail["context"] = dict(context)
    return _BUSINESS_ERRORS[reason](json.dumps(detail, separators=(",", ":"), sort_keys=True))


def invalid_task_input(fields: Sequence[str]) -> InvalidTaskInput:
    return InvalidTaskInput("INVALID_TASK_INPUT [" + ", ".join(sorted(set(fields))) + "]")


# Error names the ASL refers to (tests check the definition against these).
RETRYABLE_ERRORS: tuple[str, ...] = (TransientProviderError.__name__, StepInProgress.__name__)
LAMBDA_SERVICE_ERRORS: tuple[str, ...] = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)
