"""The business steps, as plain functions both engines call, and the reference run that chains them.

Each step either returns a small, PII-free result or raises :class:`BusinessRejection` (terminal) or
:class:`TransientProviderError` (retry with backoff). Engines supply the adapters, the attempt number
and the date; nothing here reads a clock or the environment, so both engines behave identically.

:func:`run_onboarding` runs the steps synchronously, in process: the specification both engines must match. Engines
do not call it; they orchestrate the same steps with their own retries, timers and compensation, and the tests
compare every scenario's outcome and side effects with it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date

from onboarding import risk
from onboarding.errors import BusinessRejection, TransientProviderError
from onboarding.models import (
    Account,
    Application,
    Charge,
    OutboxMessage,
    Outcome,
    RejectionReason,
    ReviewDecision,
    ReviewRequest,
    RiskAssessment,
    RiskLevel,
)
from onboarding.ports import (
    Adapters,
    CardProcessor,
    IdentityVerifier,
    Ledger,
    Outbox,
    ReviewQueue,
    SanctionsScreening,
)
from onboarding.validation import validate_application

WELCOME_TEMPLATE = "welcome"


def account_id_for(application_id: str) -> str:
    """Deterministic, so a retried or duplicated open is the same account on both engines."""
    return "acct_" + hashlib.sha256(application_id.encode()).hexdigest()[:24]


def funding_idempotency_key(application_id: str) -> str:
    return f"{application_id}:fund"


def welcome_message_id(application_id: str) -> str:
    return f"{application_id}:{WELCOME_TEMPLATE}"


def validate(raw: object, *, today: date) -> Application:
    """Step 1. No side effects; rejects with field codes only."""
    application, errors = validate_application(raw, today=today)
    if application is None:
        raise BusinessRejection(RejectionReason.INVALID_APPLICATION, errors)
    return application


def screen_sanctions(application: Application, *, sanctions: SanctionsScreening) -> None:
    """Step 2."""
    if sanctions.is_listed(application.applicant):
        raise BusinessRejection(RejectionReason.SANCTIONS_MATCH)


def verify_identity(application: Application, *, identity: IdentityVerifier, attempt: int) -> None:
    """Step 3. ``attempt`` is the engine's 1-based attempt number; transient faults propagate."""
    if not identity.verify(application.applicant, attempt=attempt):
        raise BusinessRejection(RejectionReason.IDENTITY_NOT_VERIFIED)


def assess_risk(application: Application, *, today: date) -> RiskAssessment:
    """Step 4. HIGH rejects; MEDIUM means the engine must run manual review."""
    assessment = risk.assess(application, today=today)
    if assessment.level is RiskLevel.HIGH:
        raise BusinessRejection(RejectionReason.HIGH_RISK)
    return assessment


def needs_review(assessment: RiskAssessment) -> bool:
    return assessment.level is RiskLevel.MEDIUM


def request_review(
    application_id: str, assessment: RiskAssessment, *, reviews: ReviewQueue, task_token: str | None = None
) -> ReviewRequest:
    """Step 5a. Put the application in the review queue (idempotent)."""
    return reviews.request(application_id=application_id, risk_level=assessment.level, task_token=task_token)


def apply_review_decision(decision: ReviewDecision | None) -> None:
    """Step 5b. ``None`` means the review timed out."""
    if decision is None:
        raise BusinessRejection(RejectionReason.REVIEW_TIMEOUT)
    if decision is ReviewDecision.DECLINE:
        raise BusinessRejection(RejectionReason.REVIEW_DECLINED)


def open_account(application: Application, *, ledger: Ledger) -> Account:
    """Step 6. Idempotent on application_id."""
    return ledger.open_account(
        application_id=application.application_id,
        account_id=account_id_for(application.application_id),
        product=application.product,
    )


def fund_account(application: Application, *, cards: CardProcessor) -> Charge:
    """Step 7. Idempotent on the funding key; a decline raises FUNDING_DECLINED (engine compensates)."""
    charge = cards.charge(
        idempotency_key=funding_idempotency_key(application.application_id),
        application_id=application.application_id,
        funding=application.funding,
    )
    if not charge.approved:
        raise BusinessRejection(RejectionReason.FUNDING_DECLINED)
    return charge


def close_account(application_id: str, *, ledger: Ledger) -> Account | None:
    """Compensation for step 6 (idempotent)."""
    return ledger.close_account(application_id=application_id)


def notify(application_id: str, account_id: str, *, outbox: Outbox) -> OutboxMessage:
    """Step 8. The message references the account; the mailer resolves the address inside the account."""
    return outbox.enqueue(
        OutboxMessage(
            message_id=welcome_message_id(application_id),
            application_id=application_id,
            template=WELCOME_TEMPLATE,
            account_id=account_id,
        )
    )


# -- the reference run ------------------------------------------------------------------------------------------

DEFAULT_IDENTITY_ATTEMPTS = 5

ReviewerFn = Callable[[Application], ReviewDecision | None]


def run_onboarding(
    raw: object,
    *,
    adapters: Adapters,
    today: date,
    reviewer: ReviewerFn,
    identity_attempts: int = DEFAULT_IDENTITY_ATTEMPTS,
) -> Outcome:
    """Run the steps synchronously, in order. ``reviewer`` returns a decision, or ``None`` for a timeout."""
    application_id = _application_id_of(raw)
    try:
        application = validate(raw, today=today)
    except BusinessRejection as rejection:
        return Outcome.rejected(application_id, rejection.reason, error_codes=rejection.field_errors)
    try:
        screen_sanctions(application, sanctions=adapters.sanctions)
        _verify_with_retries(application, adapters, identity_attempts)
        assessment = assess_risk(application, today=today)
        if needs_review(assessment):
            request_review(application_id, assessment, reviews=adapters.reviews)
            decision = reviewer(application)
            if decision is not None:
                adapters.reviews.record_decision(application_id=application_id, decision=decision)
            apply_review_decision(decision)
        account = open_account(application, ledger=adapters.ledger)
    except BusinessRejection as rejection:
        return Outcome.rejected(application_id, rejection.reason)
    try:
        fund_account(application, cards=adapters.cards)
    except BusinessRejection as rejection:
        close_account(application_id, ledger=adapters.ledger)
        return Outcome.rejected(application_id, rejection.reason, compensated=True)
    notify(application_id, account.account_id, outbox=adapters.outbox)
    return Outcome.approved(application_id, account.account_id)


def _verify_with_retries(application: Application, adapters: Adapters, attempts: int) -> None:
    for attempt in range(1, attempts + 1):
        try:
            verify_identity(application, identity=adapters.identity, attempt=attempt)
        except TransientProviderError:
            if attempt == attempts:
                raise
        else:
            return


def _application_id_of(raw: object) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("application_id"), str):
        return str(raw["application_id"])
    return ""


