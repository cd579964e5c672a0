"""Activities: one per business step, each a thin call into :mod:`onboarding.steps` with injected adapters.

Error mapping (Step Functions does the same in ``lambdas.task``):

- :class:`~onboarding.errors.BusinessRejection` -> non-retryable ``ApplicationError`` whose ``type`` is the
  rejection reason (``SANCTIONS_MATCH`` ...); validation field codes ride along as the error's details.
- :class:`~onboarding.errors.TransientProviderError` propagates unchanged: the SDK reports it as a retryable
  ``ApplicationError`` of type ``TransientProviderError`` and the workflow's retry policy backs off.

The baseline profile (exposure comparison only, as in ``lambdas.errors``) adds the step's input to the rejection
message, the naive "include the request for debugging" habit: the failure channel the exposure audit must catch.

Activities are synchronous (boto3 blocks), so the worker runs them on a thread pool.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from contract.profile import Profile
from onboarding import steps
from onboarding.errors import BusinessRejection
from onboarding.models import Account, Application, Charge, OutboxMessage, RiskAssessment
from onboarding.ports import Adapters
from workers.messages import NotifyInput, ReviewDecisionInput, ReviewRequestInput, RiskInput, ValidateInput


@contextmanager
def business_rejections(context: BaseModel | None = None) -> Iterator[None]:
    """``context`` (the step's input) is for the baseline profile only; the hardened profile never passes it."""
    try:
        yield
    except BusinessRejection as rejection:
        # The message is built from reason and field codes only (onboarding.errors guarantees no values).
        message = str(rejection)
        if context is not None:
            message += " " + json.dumps({"context": context.model_dump(mode="json")}, sort_keys=True)
        raise ApplicationError(
            message,
            [error.model_dump(mode="json") for error in rejection.field_errors],
            type=rejection.reason.value,
            non_retryable=True,
        ) from None


class OnboardingActivities:
    def __init__(self, adapters: Adapters, *, profile: Profile = Profile.HARDENED) -> None:
        self._adapters = adapters
        self._baseline = profile is Profile.BASELINE

    def _rejections(self, step_input: BaseModel) -> AbstractContextManager[None]:
        return business_rejections(step_input if self._baseline else None)

    @activity.defn(name="validate")
    def validate(self, request: ValidateInput) -> Application:
        with self._rejections(request):
            return steps.validate(request.submission, today=request.today)

    @activity.defn(name="screen_sanctions")
    def screen_sanctions(self, application: Application) -> None:
        with self._rejections(application):
            steps.screen_sanctions(application, sanctions=self._adapters.sanctions)

    @activity.defn(name="verify_identity")
    def verify_identity(self, application: Application) -> None:
        with self._rejections(application):
            steps.verify_identity(application, identity=self._adapters.identity, attempt=activity.info().attempt)

    @activity.defn(name="assess_risk")
    def assess_risk(self, request: RiskInput) -> RiskAssessment:
        with self._rejections(request):
            return steps.assess_risk(request.application, today=request.today)

    @activity.defn(name="request_review")
    def request_review(self, request: ReviewRequestInput) -> None:
        steps.request_review(request.application_id, request.assessment, reviews=self._adapters.reviews)

    @activity.defn(name="record_review_decision")
    def record_review_decision(self, request: ReviewDecisionInput) -> None:
        self._adapters.reviews.record_decision(application_id=request.application_id, decision=request.decision)

    @activity.defn(name="open_account")
    def open_account(self, application: Application) -> Account:
        return steps.open_account(application, ledger=self._adapters.ledger)

    @activity.defn(name="fund_account")
    def fund_account(self, application: Application) -> Charge:
        with self._rejections(application):
            return steps.fund_account(application, cards=self._adapters.cards, attempt=activity.info().attempt)

    @activity.defn(name="refund_charge")
    def refund_charge(self, application: Application) -> Charge | None:
        return steps.refund_charge(application, cards=self._adapters.cards, attempt=activity.info().attempt)

    @activity.defn(name="close_account")
    def close_account(self, application_id: str) -> Account | None:
        return steps.close_account(application_id, ledger=self._adapters.ledger)

    @activity.defn(name="notify")
    def notify(self, request: NotifyInput) -> OutboxMessage:
        return steps.notify(request.application_id, request.account_id, outbox=self._adapters.outbox)
