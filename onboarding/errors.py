"""Typed business outcomes and faults.

Messages here travel to orchestrator history (as failure messages or error causes), so they are built
only from reason codes, field paths and error codes, never from submitted values.
"""

from __future__ import annotations

from collections.abc import Sequence

from onboarding.models import FieldError, RejectionReason


class OnboardingError(Exception):
    """Base class for every error the business steps raise on purpose."""


class BusinessRejection(OnboardingError):
    """A terminal, non-retryable business decision (the application is rejected or fails).

    ``reason`` doubles as the error type both engines match on: Temporal's ``ApplicationError.type``
    and the Step Functions ``Error`` name.
    """

    def __init__(self, reason: RejectionReason, field_errors: Sequence[FieldError] = ()) -> None:
        self.reason = reason
        self.field_errors = tuple(field_errors)
        detail = ", ".join(f"{e.field}:{e.code}" for e in self.field_errors)
        super().__init__(f"{reason.value}" + (f" [{detail}]" if detail else ""))


class TransientProviderError(OnboardingError):
    """A provider fault worth retrying with backoff (the engines' retry policies match its name)."""

    def __init__(self, provider: str, attempt: int) -> None:
        self.provider = provider
        self.attempt = attempt
        super().__init__(f"{provider} temporarily unavailable (attempt {attempt})")
