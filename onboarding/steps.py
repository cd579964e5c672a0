"""The eight business steps and their two compensations, as plain functions both engines call, and the reference
run that chains them.

Each step either returns a small, PII-free result or raises :class:`BusinessRejection` (terminal) or
:class:`TransientProviderError` (retry with backoff). Engines supply the adapters, the attempt number
and the date; nothing here reads a clock or the environment, so both engines behave identically.

:func:`run_onboarding` runs the steps synchronously, in process: the specification both engines must match. Engines
do not call it; they orchestrate the same steps with their own retries, timers and compensation, and the tests
compare every scenario's outcome and side effects with it.

The saga: once ``open_account`` has succeeded, every failure is undone. A declined charge closes the account
(``FUNDING_DECLINED``); a charge or a welcome message that fails for good (its attempts exhausted, for any reason
but a business rejection) refunds the charge if one was approved, then closes the account (``FUNDING_UNAVAILABLE``,
``NOTIFICATION_UNAVAILABLE``). Compensations are retried like steps; one that still fails stops the saga there and the
outcome says ``compensation_pending`` (the rest is left for an operator to replay, in order).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from typing import TypeVar

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
    # Imported here: the validation libraries are a cold-start cost the task Lambdas that never validate skip.
    from onboarding.validation import validate_application  # noqa: PLC0415

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


def fund_account(application: Application, *, cards: CardProcessor, attempt: int = 1) -> Charge:
    """Step 7. Idempotent on the funding key; a decline raises FUNDING_DECLINED (engine compensates); processor
    faults propagate (``attempt`` is the engine's 1-based attempt number)."""
    charge = cards.charge(
        idempotency_key=funding_idempotency_key(application.application_id),
        application_id=application.application_id,
        funding=application.funding,
        attempt=attempt,
    )
    if not charge.approved:
        raise BusinessRejection(RejectionReason.FUNDING_DECLINED)
    return charge


def refund_charge(application: Application, *, cards: CardProcessor, attempt: int = 1) -> Charge | None:
    """Compensation for step 7 (idempotent): refunds the approved charge if there is one; the charge as it now is,
    or ``None`` when nothing was charged. Processor faults propagate."""
    return cards.refund(
        idempotency_key=funding_idempotency_key(application.application_id),
        application_id=application.application_id,
        funding=application.funding,
        attempt=attempt,
    )


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

# Attempts per step, as the engines retry (workers.workflows.RETRY_POLICY; the definition's Retry blocks).
DEFAULT_ATTEMPTS = 5
DEFAULT_IDENTITY_ATTEMPTS = DEFAULT_ATTEMPTS

ReviewerFn = Callable[[Application], ReviewDecision | None]
T = TypeVar("T")


def run_onboarding(
    raw: object,
    *,
    adapters: Adapters,
    today: date,
    reviewer: ReviewerFn,
    identity_attempts: int = DEFAULT_IDENTITY_ATTEMPTS,
    attempts: int = DEFAULT_ATTEMPTS,
) -> Outcome:
    """Run the steps synchronously. ``reviewer`` returns a decision, or ``None`` for a timeout; ``attempts`` bounds
    the retries of funding, notification and the compensations (any failure but a business rejection is retried)."""
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
    return _fund_and_notify(application, account, adapters, attempts)


def _fund_and_notify(application: Application, account: Account, adapters: Adapters, attempts: int) -> Outcome:
    """Steps 7 and 8 and the saga that undoes the account when either fails."""

    def refund(attempt: int) -> object:
        return refund_charge(application, cards=adapters.cards, attempt=attempt)

    def close(_attempt: int) -> object:
        return close_account(application.application_id, ledger=adapters.ledger)

    try:
        _with_retries(lambda attempt: fund_account(application, cards=adapters.cards, attempt=attempt), attempts)
    except BusinessRejection as rejection:  # declined: nothing was charged
        return _compensate(application.application_id, rejection.reason, (close,), attempts)
    except Exception:  # any failure after the retries: the processor may have charged
        return _compensate(application.application_id, RejectionReason.FUNDING_UNAVAILABLE, (refund, close),
                           attempts)
    try:
        _with_retries(lambda _attempt: notify(application.application_id, account.account_id,
                                              outbox=adapters.outbox), attempts)
    except Exception:  # the welcome message failed for good
        return _compensate(application.application_id, RejectionReason.NOTIFICATION_UNAVAILABLE, (refund, close),
                           attempts)
    return Outcome.approved(application.application_id, account.account_id)


def _compensate(application_id: str, reason: RejectionReason, compensations: tuple[Callable[[int], object], ...],
                attempts: int) -> Outcome:
    for compensation in compensations:
        try:
            _with_retries(compensation, attempts)
        except Exception:  # left for an operator, and said so
            return Outcome.rejected(application_id, reason, compensation_pending=True)
    return Outcome.rejected(application_id, reason, compensated=True)


def _with_retries(call: Callable[[int], T], attempts: int) -> T:
    """Call with attempt numbers 1, 2, ...; a business rejection ends at once, anything else is retried."""
    for attempt in range(1, attempts + 1):
        try:
            return call(attempt)
        except BusinessRejection:
            raise
        except Exception:
            if attempt == attempts:
                raise
    raise ValueError("attempts: at least 1")


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
