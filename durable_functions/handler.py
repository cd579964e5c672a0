"""The onboarding process as an AWS Lambda durable function: the steps as checkpointed steps, the manual review as
a callback, the saga once the account is open (a declined charge closes the account; a charge or a welcome message
that fails for good refunds, then closes; a compensation that cannot finish leaves the outcome
``compensation_pending``). Written by hand (it is what people read), like the Temporal
workflow and the Step Functions definition, and checked against :data:`contract.onboarding.ONBOARDING`.

Execution input (the client's, see ``durable_functions.client``): ``{"application_id": ..., "submission":
{"sealed": <envelope text>} | {"inline": {...}} (baseline only), "review_timeout_seconds": N}``; the execution's name
is the application id (the idempotency key of every start). The result is an :class:`~onboarding.models.Outcome`
(ids and codes only).

What the durable-execution service stores, and how it is protected in the hardened profile:

- the input: sealed by the client under the execution name (the SDK never passes it through a serializer);
- every step result and the review's answer: sealed here (``durable_functions.serdes``), bound to their operation and
  execution (the answer: to the application id, which its sender knows);
- errors: only reason codes and field codes (:class:`StepRejected`); anything unexpected is reported by its type
  name (:class:`StepFailed`), the detail going to the function's own log group;
- the result: ids and codes.

Retries: a step gets the same budget as the other engines (5 attempts, 1 s doubling to at most 30 s); business
rejections are never retried. Determinism: everything that reads a clock, a table or a provider runs inside a step, so
a replay reuses the checkpointed results.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from aws_durable_execution_sdk_python import (
    CallbackTimeoutError,
    ChildContextError,
    DurableContext,
    StepContext,
    StepError,
    durable_execution,
)
from aws_durable_execution_sdk_python.config import CallbackConfig, ChildConfig, Duration, StepConfig
from aws_durable_execution_sdk_python.retries import RetryDecision
from pydantic import BaseModel, ConfigDict

from contract.environment import DEFAULT_REVIEW_TIMEOUT_SECONDS
from contract.onboarding import ONBOARDING
from durable_functions.runtime import DurableRuntime, runtime_for
from durable_functions.serdes import open_input
from durable_functions.settings import DurableSettings
from onboarding import steps
from onboarding.adapters.dynamodb import TableNames, dynamodb_adapters
from onboarding.errors import BusinessRejection, TransientProviderError
from onboarding.models import (
    Account,
    Application,
    FieldError,
    Outcome,
    RejectionReason,
    ReviewDecision,
    RiskAssessment,
)
from onboarding.ports import Adapters

RETRY_BUDGET = ONBOARDING.retry_budget  # the same budget as the other engines (contract.process.RetryBudget)
log = logging.getLogger("durable_functions")
T = TypeVar("T")


class StepRejected(Exception):
    """A business rejection inside a step. Its message, the only thing the service keeps of it, is JSON of codes:
    ``{"reason": ..., "error_codes": [{"field", "code"}]}``."""

    def __init__(self, reason: RejectionReason, field_errors: tuple[FieldError, ...] = ()) -> None:
        super().__init__(json.dumps({"reason": reason.value,
                                     "error_codes": [e.model_dump(mode="json") for e in field_errors]},
                                    sort_keys=True, separators=(",", ":")))


class StepFailed(Exception):
    """Anything unexpected inside a step, by type name only (a message could quote a value)."""


class Validated(BaseModel):
    """The first step's result: the application as validated and the business date it was judged on."""

    model_config = ConfigDict(frozen=True)
    application: Application
    today: date


class ReviewAnswer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    decision: ReviewDecision


def onboarding_stores(tables: Any, dynamodb: Any) -> Adapters:
    return dynamodb_adapters(TableNames(**dict(tables)), resource=dynamodb)


def _retry(error: Exception, attempts_made: int) -> RetryDecision:
    if isinstance(error, StepRejected) or attempts_made >= RETRY_BUDGET.max_attempts:
        return RetryDecision.no_retry()
    return RetryDecision.retry(Duration.from_seconds(RETRY_BUDGET.delay_seconds(attempts_made)))


def _guarded(body: Callable[[StepContext], T]) -> Callable[[StepContext], T]:
    """A step body whose failures leave as code-only errors: rejections as StepRejected, transient faults as they
    are (their messages are codes; they are retried), anything else as StepFailed naming its type."""

    def step(context: StepContext) -> T:
        try:
            return body(context)
        except BusinessRejection as rejection:
            raise StepRejected(rejection.reason, rejection.field_errors) from None
        except TransientProviderError:
            raise
        except Exception as error:
            log.error("step failed", extra={"error_type": type(error).__name__})
            raise StepFailed(type(error).__name__) from None

    return step


class _Rejected(Exception):
    def __init__(self, reason: RejectionReason, field_errors: tuple[FieldError, ...] = ()) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.field_errors = field_errors


class Onboarding:
    """One execution: the steps in order, each checkpointed."""

    def __init__(self, context: DurableContext, runtime: DurableRuntime[Adapters], application_id: str) -> None:
        self._context = context
        self._runtime = runtime
        self._stores = runtime.stores
        self._application_id = application_id

    def step(self, name: str, body: Callable[[StepContext], T], model: Any = Any) -> T:
        config = StepConfig(retry_strategy=_retry, serdes=self._runtime.serdes(model))
        try:
            result: T = self._context.step(_guarded(body), name=name, config=config)
        except StepError as error:
            if (error.error_type or "").endswith(StepRejected.__name__):
                detail = json.loads(error.message or "{}")
                raise _Rejected(RejectionReason(detail["reason"]),
                                tuple(FieldError.model_validate(item) for item in detail["error_codes"])) from None
            raise
        return result

    def run(self, submission: dict[str, Any], review_timeout_seconds: int) -> Outcome:
        application_id = self._application_id
        try:
            validated: Validated = self.step(
                "validate", lambda _: Validated(application=steps.validate(submission, today=date.today()),
                                                today=date.today()), Validated)
        except _Rejected as rejection:
            return Outcome.rejected(application_id, rejection.reason, error_codes=rejection.field_errors)
        application, today = validated.application, validated.today
        try:
            self.step("screen_sanctions",
                      lambda _: steps.screen_sanctions(application, sanctions=self._stores.sanctions))
            self.step("verify_identity", lambda context: steps.verify_identity(
                application, identity=self._stores.identity, attempt=context.attempt))
            assessment: RiskAssessment = self.step(
                "assess_risk", lambda _: steps.assess_risk(application, today=today), RiskAssessment)
            if steps.needs_review(assessment):
                self._review(assessment, review_timeout_seconds)
            account: Account = self.step(
                "open_account", lambda _: steps.open_account(application, ledger=self._stores.ledger), Account)
        except _Rejected as rejection:
            return Outcome.rejected(application_id, rejection.reason)
        return self._fund_and_notify(application, account)

    def _fund_and_notify(self, application: Application, account: Account) -> Outcome:
        """Steps 7 and 8; from here on a failure is undone by the compensations the description derives for it."""
        application_id = application.application_id
        try:
            self.step("fund_account", lambda context: steps.fund_account(
                application, cards=self._stores.cards, attempt=context.attempt))
        except _Rejected as rejection:  # declined: nothing was charged
            return self._compensate("fund_account", rejection.reason, application, rejected=True)
        except StepError:  # failed for good: the processor may have charged
            return self._compensate("fund_account", RejectionReason.FUNDING_UNAVAILABLE, application, rejected=False)
        try:
            self.step("notify", lambda _: steps.notify(application_id, account.account_id, outbox=self._stores.outbox))
        except StepError:
            return self._compensate("notify", RejectionReason.NOTIFICATION_UNAVAILABLE, application, rejected=False)
        return Outcome.approved(application_id, account.account_id)

    def _compensate(self, failed: str, reason: RejectionReason, application: Application, *,
                    rejected: bool) -> Outcome:
        """Run the compensations :meth:`~contract.process.ProcessDescription.compensations_for` names, in order. One
        that fails for good (after its retries) holds the rest back: the outcome says ``compensation_pending``, and
        the function logs ``COMPENSATION_PENDING`` with the step's name (the alarm's metric filter counts it); an
        operator replays the remaining compensations, which are idempotent."""
        application_id = application.application_id
        bodies: dict[str, Callable[[StepContext], object]] = {
            "refund_charge": lambda context: steps.refund_charge(application, cards=self._stores.cards,
                                                                 attempt=context.attempt),
            "close_account": lambda _: steps.close_account(application_id, ledger=self._stores.ledger),
        }
        for name in ONBOARDING.compensations_for(failed, rejected=rejected):
            try:
                self.step(name, bodies[name])
            except StepError:
                log.warning("COMPENSATION_PENDING", extra={"step": name, "reason": reason.value})
                return Outcome.rejected(application_id, reason, compensation_pending=True)
        return Outcome.rejected(application_id, reason, compensated=True)

    def _review(self, assessment: RiskAssessment, timeout_seconds: int) -> None:
        """The review: a callback whose id the review queue holds, answered by a reviewer or timed out.

        Built from its parts (what ``wait_for_callback`` does) so that the surrounding context's own result, which the
        service checkpoints too, goes through the same sealing serializer as the callback's."""
        application_id = self._application_id
        serdes = self._runtime.callback_serdes(ReviewAnswer | None, application_id)

        def wait(context: DurableContext) -> ReviewAnswer | None:
            callback = context.create_callback(
                name="request_review create callback id",
                config=CallbackConfig(timeout=Duration.from_seconds(timeout_seconds), serdes=serdes))

            def request_review(_: StepContext) -> None:
                # The review queue holds the callback id, as it holds Step Functions' task token.
                steps.request_review(application_id, assessment, reviews=self._stores.reviews,
                                     task_token=callback.callback_id)

            context.step(_guarded(request_review), name="request_review submitter",
                         config=StepConfig(retry_strategy=_retry, serdes=serdes))
            answer: ReviewAnswer | None = callback.result()
            return answer

        try:
            answer = self._context.run_in_child_context(
                wait, name="request_review", config=ChildConfig(serdes=serdes, sub_type="WaitForCallback"))
        except ChildContextError as error:
            if not isinstance(error.__cause__, CallbackTimeoutError):
                raise
            answer = None
        decision = answer.decision if answer is not None else None
        if decision is not None:
            self.step("record_review_decision", lambda _: self._stores.reviews.record_decision(
                application_id=application_id, decision=decision))
        try:
            steps.apply_review_decision(decision)
        except BusinessRejection as rejection:
            raise _Rejected(rejection.reason) from None


def _submission(event: dict[str, Any], runtime: DurableRuntime[Adapters]) -> dict[str, Any]:
    source = event.get("submission") or {}
    if runtime.keys is not None:
        sealed = source.get("sealed")
        if not isinstance(sealed, str):  # the hardened profile never takes a submission in clear
            raise StepFailed("InvalidExecutionInput")
        opened = open_input(sealed, runtime.keys, execution_name=str(event.get("application_id")))
    else:
        opened = source.get("inline")
    if not isinstance(opened, dict):
        raise StepFailed("InvalidExecutionInput")
    return opened


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    runtime: DurableRuntime[Adapters] = runtime_for(DurableSettings.from_env(ONBOARDING), onboarding_stores)
    application_id = str(event.get("application_id") or "")
    onboarding = Onboarding(context, runtime, application_id)
    # Opening the sealed input happens inside a step: its result (the submission) is then checkpointed sealed, and a
    # replay does not call KMS again.
    submission: dict[str, Any] = onboarding.step("open_submission", lambda _: _submission(event, runtime))
    outcome = onboarding.run(submission, int(event.get("review_timeout_seconds") or DEFAULT_REVIEW_TIMEOUT_SECONDS))
    return outcome.model_dump(mode="json")
