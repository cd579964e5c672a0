"""The errors a task Lambda lets escape, i.e. what Step Functions records as a task failure.

The Lambda runtime reports an unhandled exception as ``errorType`` = the exception's class name and
``errorMessage`` = ``str(exception)``; Step Functions turns that into the failure's ``Error`` (what Retry
and Catch match) and ``Cause`` (the runtime's JSON error payload, kept in execution history). So:

- each class name below *is* an ASL error name: one class per rejection reason of the process
  (``SANCTIONS_MATCH``, ...; made on first use, see :func:`business_error_class`), ``TransientProviderError``
  (retried), and a few generic names;
- messages carry reason codes, field paths and error codes only (JSON, so the ASL can read the field
  codes of ``INVALID_APPLICATION`` with ``States.StringToJson``). The baseline profile adds the submission
  to business errors, the naive "include the request for debugging" habit the exposure audit must catch.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from contract.process import FieldErrorLike

_REASON = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")


class TaskError(Exception):
    """Base class: the subclass name is the Step Functions error name."""


class BusinessError(TaskError):
    """A terminal business decision; the ASL catches it by name."""

    reason: ClassVar[str]


class TransientProviderError(TaskError):
    """A process's transient fault (its ``transient_error``), under the name the ASL retries with backoff."""


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


# Class names must equal the reason codes, so they are built (once per code) rather than spelled out one by one.
_BUSINESS_ERRORS: dict[str, type[BusinessError]] = {}
_LOCK = threading.Lock()


def business_error_class(reason: str) -> type[BusinessError]:
    """The error class named ``reason`` (an UPPER_SNAKE reason code), the same class on every call."""
    code = str(reason)
    if not _REASON.fullmatch(code):
        raise ValueError("a reason code is UPPER_SNAKE, at most 64 characters")
    with _LOCK:
        if code not in _BUSINESS_ERRORS:
            _BUSINESS_ERRORS[code] = type(code, (BusinessError,), {"reason": code, "__module__": __name__})
        return _BUSINESS_ERRORS[code]


def business_error(
    reason: str,
    field_errors: Sequence[FieldErrorLike] = (),
    *,
    context: Mapping[str, Any] | None = None,
) -> BusinessError:
    """``context`` is for the baseline profile only; the hardened profile never passes it."""
    detail: dict[str, Any] = {
        "reason": str(reason),
        "error_codes": [{"field": error.field, "code": error.code} for error in field_errors],
    }
    if context is not None:
        detail["context"] = dict(context)
    return business_error_class(reason)(json.dumps(detail, separators=(",", ":"), sort_keys=True))


def invalid_task_input(fields: Sequence[str]) -> InvalidTaskInput:
    return InvalidTaskInput("INVALID_TASK_INPUT [" + ", ".join(sorted(set(fields))) + "]")


# Error names the ASL refers to (tests check the definition against these).
LAMBDA_SERVICE_ERRORS: tuple[str, ...] = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)
