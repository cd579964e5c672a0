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

    @property
    def status(self) -> OutcomeStatus:
        return OutcomeStatus.FAILED if self is RejectionReason.FUNDING_DECLINED else OutcomeStatus.REJECTED


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
    refunded: bool = False


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
    """The final result of one onboarding, identical in shape for both engines."""

    application_id: str
    status: OutcomeStatus
    reason: RejectionReason | None = None
    account_id: str | None = None
    compensated: bool = False
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
        error_codes: tuple[FieldError, ...] = (),
    ) -> Outcome:
        return cls(
            application_id=application_id,
            status=reason.status,
            reason=reason,
            compensated=compensated,
            error_codes=error_codes,
        )
