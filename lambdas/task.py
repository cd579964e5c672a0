"""What every handler shares: configuration, observability, idempotency and error sanitizing.

A handler module is a thin adapter: parse the event, load the submission from the claim check, call one
:mod:`onboarding.steps` function, return ids/decisions/reason codes. Everything else lives here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from lambdas import errors
from lambdas.events import E, SubmissionEvent, parse_event
from lambdas.observability import logger, tracer
from lambdas.runtime import Runtime, runtime_for
from lambdas.settings import Profile, Settings
from onboarding.errors import BusinessRejection
from onboarding.errors import TransientProviderError as ProviderFault
from onboarding.models import Application
from onboarding.ports import Adapters

IDEMPOTENCY_EXPIRY_SECONDS = 24 * 3600

LambdaHandler = Callable[[Any, LambdaContext], dict[str, Any]]


@dataclass(frozen=True)
class StepResult:
    public: dict[str, Any]  # ids, references, decisions, reason codes: all the hardened profile returns
    raw: dict[str, Any] | None = None  # the step's full result, returned by the baseline profile only

    def for_profile(self, profile: Profile) -> dict[str, Any]:
        if profile is Profile.BASELINE and self.raw is not None:
            return {**self.public, "raw": self.raw}
        return dict(self.public)


@dataclass
class Invocation:
    settings: Settings
    runtime: Runtime
    context: LambdaContext
    loaded: dict[str, Any] | None = None  # the submission once loaded (baseline error context only)

    @property
    def adapters(self) -> Adapters:
        return self.runtime.adapters

    def submission(self, event: SubmissionEvent) -> dict[str, Any]:
        """The raw submission: from the claim check, or inline when the profile is baseline."""
        source = event.submission
        if source.claim_check is not None:
            raw = self.runtime.claim_checks.load(event.application_id, source.claim_check)
        elif self.settings.profile is Profile.BASELINE and source.inline is not None:
            raw = source.inline
        else:  # the hardened profile never accepts PII in an execution's data
            raise errors.invalid_task_input(["submission.inline"])
        if raw.get("application_id") != event.application_id:
            raise errors.invalid_task_input(["submission"])
        self.loaded = raw
        return raw

    def application(self, event: SubmissionEvent) -> Application:
        """For the steps after ``validate``, which has already accepted this submission."""
        raw = self.submission(event)
        try:
            return Application.model_validate(raw)
        except ValidationError:
            raise errors.invalid_task_input(["submission"]) from None

    def once(self, step: str, request: E, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Powertools idempotency keyed on ``application_id``, on top of the stores' conditional writes."""
        config = IdempotencyConfig(
            event_key_jmespath="application_id",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=IDEMPOTENCY_EXPIRY_SECONDS,
            hash_function="sha256",
            lambda_context=self.context,
        )


        def call(request: dict[str, Any]) -> dict[str, Any]:
            return run()

        guarded = idempotent_function(
            call,
            data_keyword_argument="request",
            persistence_store=self.runtime.persistence(step),
            config=config,
            key_prefix=f"onboarding.{step}",
        )
        result: dict[str, Any] = guarded(request=request.model_dump(mode="json"))
        return result


def entry_point(step: str) -> Callable[[Callable[[Any, Invocation], dict[str, Any]]], LambdaHandler]:
    """Wrap ``fn(event, invocation)`` into a Lambda handler that only lets sanitized errors escape."""

    def decorate(fn: Callable[[Any, Invocation], dict[str, Any]]) -> LambdaHandler:
        @functools.wraps(fn)
        def handler(event: Any, context: LambdaContext) -> dict[str, Any]:
            settings = Settings.from_env()
            invocation = Invocation(settings=settings, runtime=runtime_for(settings), context=context)
            logger.append_keys(step=step)
            try:
                return fn(event, invocation)
            except Exception as exc:  # every failure leaves through the sanitizer
                raise _task_error(exc, invocation) from None

        traced = tracer.capture_lambda_handler(handler, capture_response=False, capture_error=False)
        wrapped: LambdaHandler = logger.inject_lambda_context(traced, log_event=False, clear_state=True)
        return wrapped

    return decorate


def task_handler(
    step: str, model: type[E], *, idempotent: bool = False
) -> Callable[[Callable[[E, Invocation], StepResult]], LambdaHandler]:
    """A state machine task: a typed event in, a :class:`StepResult` out."""

    def decorate(fn: Callable[[E, Invocation], StepResult]) -> LambdaHandler:
        def run(event: Any, invocation: Invocation) -> dict[str, Any]:
            request = parse_event(model, event)
            logger.append_keys(application_id=request.application_id)

            def execute() -> dict[str, Any]:
                return fn(request, invocation).for_profile(invocation.settings.profile)

            return invocation.once(step, request, execute) if idempotent else execute()

        return entry_point(step)(functools.wraps(fn)(run))

    return decorate


def _task_error(exc: Exception, invocation: Invocation) -> Exception:
    baseline = invocation.settings.profile is Profile.BASELINE
    if isinstance(exc, errors.TaskError):
        logger.info("task refused", extra={"error": type(exc).__name__})
        return exc
    if isinstance(exc, BusinessRejection):
        logger.info("business rejection", extra={"reason": exc.reason.value})
        context = invocation.loaded if baseline else None
        return errors.business_error(exc.reason, exc.field_errors, context=context)
    if isinstance(exc, ProviderFault):
        logger.warning("transient provider fault", extra={"provider": exc.provider, "attempt": exc.attempt})
        return errors.TransientProviderError(str(exc))  # provider name and attempt number only
    if isinstance(exc, IdempotencyAlreadyInProgressError):
        return errors.StepInProgress()
    # Unexpected: the full story goes to this function's (KMS-encrypted) log group, not to history.
    logger.exception("unexpected failure")
    return exc if baseline else errors.InternalError()
