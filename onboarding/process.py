"""A reference, in-process run of the whole process: the specification both engines must match.

Engines do not call this; they orchestrate the same steps with their own retries, timers and
compensation. Tests use it to pin down what every scenario's outcome and side effects must be.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from onboarding import steps
from onboarding.errors import BusinessRejection, TransientProviderError
from onboarding.models import Application, Outcome, RejectionReason, ReviewDecision
from onboarding.ports import Adapters

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
    """Run the eight steps synchronously. ``reviewer`` returns a decision, or ``None`` for a timeout."""
    application_id = _application_id_of(raw)
    try:
        application = steps.validate(raw, today=today)
    except BusinessRejection as rejection:
        return Outcome.rejected(application_id, rejection.reason, error_codes=rejection.field_errors)
    try:
        steps.screen_sanctions(application, sanctions=adapters.sanctions)
        _verify_with_retries(application, adapters, identity_attempts)
        assessment = steps.assess_risk(application, today=today)
        if steps.needs_review(assessment):
            steps.request_review(application_id, assessment, reviews=adapters.reviews)
            decision = reviewer(application)
            if decision is not None:
                adapters.reviews.record_decision(application_id=application_id, decision=decision)
            steps.apply_review_decision(decision)
        account = steps.open_account(application, ledger=adapters.ledger)
    except BusinessRejection as rejection:
        return Outcome.rejected(application_id, rejection.reason)
    try:
        steps.fund_account(application, cards=adapters.cards)
    except BusinessRejection as rejection:
        steps.close_account(application_id, ledger=adapters.ledger)
        return Outcome.rejected(application_id, rejection.reason, compensated=True)
    steps.notify(application_id, account.account_id, outbox=adapters.outbox)
    return Outcome.approved(application_id, account.account_id)


def _verify_with_retries(application: Application, adapters: Adapters, attempts: int) -> None:
    for attempt in range(1, attempts + 1):
        try:
            steps.verify_identity(application, identity=adapters.identity, attempt=attempt)
        except TransientProviderError:
            if attempt == attempts:
                raise
        else:
            return


def _application_id_of(raw: object) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("application_id"), str):
        return str(raw["application_id"])
    return ""


__all__ = ["RejectionReason", "run_onboarding"]
