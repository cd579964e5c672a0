"""The onboarding workflow: the eight steps as activities, manual review as an update, and a saga once the account
is open.

Deterministic by construction: no I/O, clock or randomness here. The business date is ``workflow.now()`` taken
once at the start (replays see the same value); the decisions that need no I/O (does this need review? what does
a review decision mean?) reuse the pure functions of :mod:`onboarding.steps`, so both engines share one rule.

Review: the ``submit_review`` update carries a :class:`~onboarding.models.ReviewDecision`. Its validator accepts it
only while the workflow awaits a review, so the reviewer learns synchronously whether it counted (as with
Step Functions' ``SendTaskSuccess``). No decision within ``review_timeout_seconds`` rejects with REVIEW_TIMEOUT.

Saga: once ``open_account`` has succeeded, every failure is undone before the workflow ends ``FAILED``. A declined
charge closes the account (``FUNDING_DECLINED``); a charge or a welcome message that fails for good (its retries
exhausted, for any reason but a business rejection) refunds the charge if one was approved, then closes the account
(``FUNDING_UNAVAILABLE``, ``NOTIFICATION_UNAVAILABLE``). Compensations retry like every step and are idempotent. If
one still cannot finish, the workflow does not end: it stays open (listed as running; ``current_step`` answers
``compensation_pending``) for ``review_timeout_seconds``, the window a person has to act, during which an operator
replays the remaining compensations with the ``retry_compensation`` update (after fixing the cause). If the window
passes, the outcome says ``compensation_pending`` and names the reason: never a silent half state.

Versioning: the saga's new commands (refund, the operator window's timer) follow only an activity failure that the
earlier code let fail the workflow, so no committed history takes a different path (``tests/workers/test_replay.py``
proves it); the declined-charge path issues the same commands as before. No ``workflow.patched`` is needed.
"""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from contract.onboarding import ONBOARDING
    from onboarding import steps
    from onboarding.errors import BusinessRejection
    from onboarding.models import (
        Account,
        Application,
        FieldError,
        Outcome,
        RejectionReason,
        ReviewDecision,
        RiskAssessment,
    )
    from workers.activities import OnboardingActivities
    from workers.messages import (
        CURRENT_STEP_QUERY_NAME,
        RETRY_COMPENSATION_UPDATE_NAME,
        REVIEW_UPDATE_NAME,
        WORKFLOW_NAME,
        NotifyInput,
        OnboardingInput,
        ReviewDecisionInput,
        ReviewRequestInput,
        RiskInput,
        Step,
        ValidateInput,
    )

STEP_TIMEOUT = timedelta(seconds=30)
# Bounds a step's retries in time as well as in count (5 attempts of 30 s plus backoff fit well inside).
STEP_BUDGET = timedelta(minutes=5)
# The process's retry budget (contract.process.RetryBudget). Business rejections are raised non-retryable already;
# listing their types too keeps that true if an activity forgets to.
RETRY_POLICY = RetryPolicy(
    initial_interval=timedelta(seconds=ONBOARDING.retry_budget.initial_interval_seconds),
    backoff_coefficient=ONBOARDING.retry_budget.backoff_coefficient,
    maximum_interval=timedelta(seconds=ONBOARDING.retry_budget.max_interval_seconds),
    maximum_attempts=ONBOARDING.retry_budget.max_attempts,
    non_retryable_error_types=[reason.value for reason in RejectionReason],
)
WORKFLOW_ID_MISMATCH = FieldError(field="application_id", code="does_not_match_workflow_id")


@workflow.defn(name=WORKFLOW_NAME)
class OnboardingWorkflow:
    def __init__(self) -> None:
        self._step: str = Step.STARTED
        self._decision: ReviewDecision | None = None
        self._replay_compensation = False

    @workflow.query(name=CURRENT_STEP_QUERY_NAME)
    def current_step(self) -> str:
        return str(self._step)

    @workflow.update(name=REVIEW_UPDATE_NAME)
    def submit_review(self, decision: ReviewDecision) -> None:
        self._decision = decision

    @submit_review.validator
    def _accept_review_only_while_awaiting(self, decision: ReviewDecision) -> None:
        if self._step != Step.AWAITING_REVIEW or self._decision is not None:
            raise ValueError("this onboarding is not awaiting a review decision")

    @workflow.update(name=RETRY_COMPENSATION_UPDATE_NAME)
    def retry_compensation(self) -> None:
        """An operator fixed what made a compensation fail: run the remaining compensations again."""
        self._replay_compensation = True

    @retry_compensation.validator
    def _accept_replay_only_while_pending(self) -> None:
        if self._step != Step.COMPENSATION_PENDING or self._replay_compensation:
            raise ValueError("this onboarding has no compensation pending")

    @workflow.run
    async def run(self, request: OnboardingInput) -> Outcome:
        today = workflow.now().date()
        application_id = _application_id_of(request.submission)
        if application_id and application_id != workflow.info().workflow_id:
            # Idempotency keys derive from the application id: one application, one workflow id.
            return self._done(Outcome.rejected(application_id, RejectionReason.INVALID_APPLICATION,
                                               error_codes=(WORKFLOW_ID_MISMATCH,)))
        try:
            application = await self._validate(request.submission, today)
        except ActivityError as error:
            reason, field_errors = _rejection_of(error)
            return self._done(Outcome.rejected(application_id, reason, error_codes=field_errors))
        try:
            account = await self._checks_and_account(application, today, request.review_timeout_seconds)
        except (ActivityError, BusinessRejection) as error:
            reason = error.reason if isinstance(error, BusinessRejection) else _rejection_of(error)[0]
            return self._done(Outcome.rejected(application_id, reason))
        return await self._fund_and_notify(application, account, request.review_timeout_seconds)

    async def _validate(self, submission: dict[str, Any], today: date) -> Application:
        application: Application = await self._activity(
            OnboardingActivities.validate, ValidateInput(submission=submission, today=today)
        )
        return application

    async def _checks_and_account(self, application: Application, today: date, review_timeout: int) -> Account:
        await self._activity(OnboardingActivities.screen_sanctions, application)
        await self._activity(OnboardingActivities.verify_identity, application)
        assessment: RiskAssessment = await self._activity(
            OnboardingActivities.assess_risk, RiskInput(application=application, today=today)
        )
        if steps.needs_review(assessment):
            await self._review(application.application_id, assessment, review_timeout)
        account: Account = await self._activity(OnboardingActivities.open_account, application)
        return account

    async def _fund_and_notify(self, application: Application, account: Account, window: int) -> Outcome:
        """Steps 7 and 8; from here on a failure is undone (the compensations in reverse order of their steps)."""
        application_id = application.application_id
        refund = (OnboardingActivities.refund_charge, application)
        close = (OnboardingActivities.close_account, application_id)
        try:
            await self._activity(OnboardingActivities.fund_account, application)
        except ActivityError as error:
            declined = _business_reason(error)
            if declined is not None:  # the charge was refused: nothing to refund, only the account to undo
                return await self._compensate(declined, application_id, [close], window)
            # The processor may have charged before failing (a lost answer): refund whatever was approved.
            return await self._compensate(RejectionReason.FUNDING_UNAVAILABLE, application_id, [refund, close], window)
        try:
            await self._activity(OnboardingActivities.notify,
                NotifyInput(application_id=application_id, account_id=account.account_id),
            )
        except ActivityError:
            return await self._compensate(RejectionReason.NOTIFICATION_UNAVAILABLE, application_id, [refund, close],
                                          window)
        return self._done(Outcome.approved(application_id, account.account_id))

    async def _compensate(self, reason: RejectionReason, application_id: str, compensations: list[tuple[Any, Any]],
                          window: int) -> Outcome:
        """Run ``compensations`` (activity, argument) in order; one that fails for good holds the rest back and the
        workflow waits up to ``window`` seconds for an operator's ``retry_compensation``."""
        pending = list(compensations)
        while True:
            while pending:
                try:
                    await self._activity(*pending[0])
                except ActivityError:
                    break
                pending.pop(0)
            if not pending:
                return self._done(Outcome.rejected(application_id, reason, compensated=True))
            self._step = Step.COMPENSATION_PENDING
            self._replay_compensation = False
            try:
                await workflow.wait_condition(lambda: self._replay_compensation, timeout=window)
            except TimeoutError:
                return self._done(Outcome.rejected(application_id, reason, compensation_pending=True))

    async def _review(self, application_id: str, assessment: RiskAssessment, timeout_seconds: int) -> None:
        await self._activity(OnboardingActivities.request_review,
            ReviewRequestInput(application_id=application_id, assessment=assessment),
        )
        self._step = Step.AWAITING_REVIEW
        with contextlib.suppress(TimeoutError):  # no decision in time: decision stays None (REVIEW_TIMEOUT)
            await workflow.wait_condition(lambda: self._decision is not None, timeout=timeout_seconds)
        decision = self._decision
        self._step = Step.REVIEW_DECIDED  # from here on the validator refuses late decisions
        if decision is not None:
            await self._activity(OnboardingActivities.record_review_decision,
                ReviewDecisionInput(application_id=application_id, decision=decision),
            )
        steps.apply_review_decision(decision)  # raises BusinessRejection on DECLINE or timeout (None)

    async def _activity(self, method: Any, argument: Any) -> Any:
        """Run one step's activity; until it returns, ``current_step`` answers the activity's (the step's) name."""
        self._step = getattr(method, "__temporal_activity_definition").name
        return await workflow.execute_activity_method(
            method, argument, start_to_close_timeout=STEP_TIMEOUT, schedule_to_close_timeout=STEP_BUDGET,
            retry_policy=RETRY_POLICY,
        )

    def _done(self, outcome: Outcome) -> Outcome:
        self._step = Step.COMPLETED
        return outcome


def _rejection_of(error: ActivityError) -> tuple[RejectionReason, tuple[FieldError, ...]]:
    """The business rejection an activity failed with; anything else (retries exhausted, a bug) is re-raised so
    the workflow fails visibly instead of inventing an outcome (before the account exists, nothing needs undoing)."""
    reason = _business_reason(error)
    if reason is None:
        raise error
    cause = error.cause
    details = cause.details[0] if isinstance(cause, ApplicationError) and cause.details else []
    return reason, tuple(FieldError.model_validate(item) for item in details)


def _business_reason(error: ActivityError) -> RejectionReason | None:
    """The reason of a business rejection, or ``None`` for any other failure (retries exhausted, a timeout)."""
    cause = error.cause
    reason = cause.type if isinstance(cause, ApplicationError) else None
    return RejectionReason(reason) if reason is not None and reason in RejectionReason.__members__ else None


def _application_id_of(submission: dict[str, Any]) -> str:
    # Same rule as onboarding.steps.run_onboarding: the outcome carries the submitted id, or "" when there is none.
    value = submission.get("application_id")
    return value if isinstance(value, str) else ""
