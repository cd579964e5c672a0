"""Data shapes shared by both engines.

``Application`` is the validated form of a submission; build it with
:func:`onboarding.validation.validate_application`, which turns raw input into either an
``Application`` or field-level error codes without echoing any submitted value.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

APPLICATION_ID_PATTERN = r"^app_[0-9A-Za-z]{10,40}$"


class Product(StrEnum):
    CHECKING = "checking"
    SAVINGS = "savings"


class OutcomeStatus(StrEnum):
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    FAILED = "FAILED"


class RejectionReason(StrEnum):
    INVALID_APPLICATION = "INVALID_APPLICATION"
    SANCTIONS_MATCH = "SANCTIONS_MATCH"
    IDENTITY_NOT_VERIFIED = "IDENTITY_NOT_VERIFIED"
    HIGH_RISK = "HIGH_RISK"
    REVIEW_DECLINED = "REVIEW_DECLINED"
    REVIEW_TIMEOUT = "REVIEW_TIMEOUT"
    FUNDING_DECLINED = "FUNDING_DECLINED"
    # A step after the account opened failed for good (its retries exhausted, for any reason but a business
    # rejection): the engines undo what was done (refund, close) and end with the step's own reason.
    FUNDING_UNAVAILABLE = "FUNDING_UNAVAILABLE"
    NOTIFICATION_UNAVAILABLE = "NOTIFICATION_UNAVAILABLE"

    @property
    def status(self) -> OutcomeStatus:
        """FAILED once an account had been opened (the saga undid it), REJECTED before."""
        return OutcomeStatus.FAILED if self in _AFTER_ACCOUNT else OutcomeStatus.REJECTED


_AFTER_ACCOUNT = frozenset({RejectionReason.FUNDING_DECLINED, RejectionReason.FUNDING_UNAVAILABLE,
                            RejectionReason.NOTIFICATION_UNAVAILABLE})


class RiskLevel(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class ReviewDecision(StrEnum):
    APPROVE = "APPROVE"
    DECLINE = "DECLINE"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Address(_Frozen):
    line1: StrictStr
    city: StrictStr
    postal_code: StrictStr
    country: StrictStr


class Applicant(_Frozen):
    full_name: StrictStr
    date_of_birth: StrictStr
    national_id: StrictStr
    email: StrictStr
    phone: StrictStr
    address: Address


class Funding(_Frozen):
    card_number: StrictStr
    card_expiry: StrictStr
    amount_cents: StrictInt
    currency: StrictStr


class Application(_Frozen):
    application_id: StrictStr = Field(pattern=APPLICATION_ID_PATTERN)
    applicant: Applicant
    funding: Funding
    product: Product


class FieldError(_Frozen):
    """One validation failure: a field path and a stable code. Never the submitted value."""

    field: str
    code: str


class RiskAssessment(_Frozen):
    score: int
    level: RiskLevel
    factors: tuple[str, ...]


class Account(_Frozen):
    account_id: str
    application_id: str
    product: Product
    status: Literal["OPEN", "CLOSED"]


class Charge(_Frozen):
    charge_id: str
    idempotency_key: str
    application_id: str
    amount_cents: int
    currency: str
    approved: bool
    refunded: bool = False  # set by the refund_charge compensation (a void, before settlement); never unset


class OutboxMessage(_Frozen):
    message_id: str
    application_id: str
    template: str
    account_id: str


class ReviewRequest(_Frozen):
    """A pending manual review. ``task_token`` is set only by the Step Functions engine."""

    application_id: str
    risk_level: RiskLevel
    task_token: str | None = None
    decision: ReviewDecision | None = None


class Outcome(_Frozen):
    """The final result of one onboarding, identical in shape for both engines.

    ``compensated``: every side effect of a failed onboarding was undone (the account closed, an approved charge
    refunded). ``compensation_pending``: a compensation could not finish within its retries; the side effects it
    should undo are still there and an operator must replay it (never both flags at once).
    """

    application_id: str
    status: OutcomeStatus
    reason: RejectionReason | None = None
    account_id: str | None = None
    compensated: bool = False
    compensation_pending: bool = False
    error_codes: tuple[FieldError, ...] = ()

    @classmethod
    def approved(cls, application_id: str, account_id: str) -> Outcome:
        return cls(application_id=application_id, status=OutcomeStatus.APPROVED, account_id=account_id)

    @classmethod
    def rejected(
        cls,
        application_id: str,
        reason: RejectionReason,
        *,
        compensated: bool = False,
        compensation_pending: bool = False,
        error_codes: tuple[FieldError, ...] = (),
    ) -> Outcome:
        if compensated and compensation_pending:
            raise ValueError("an outcome is compensated or has a compensation pending, not both")
        return cls(
            application_id=application_id,
            status=reason.status,
            reason=reason,
            compensated=compensated,
            compensation_pending=compensation_pending,
            error_codes=error_codes,
        )
