"""What every handler shares: configuration, observability, idempotency and error sanitizing.

A handler module is a thin adapter: parse the event, load the submission from the claim check, call one domain
step, return ids/decisions/reason codes. Everything else lives here, generic over the process: what it needs of the
process comes from a :class:`TaskRegistration` (its description and its stores; onboarding's is
``lambdas.registration``).
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aws_lambda_powertools.utilities.typing import LambdaContext

from contract.process import ProcessDescription, field_errors_of, reason_of
from contract.profile import Profile
from lambdas import errors
from lambdas.events import E, Submission, parse_event
from lambdas.observability import allow_exception_messages, logger, tracer
from lambdas.runtime import Runtime, runtime_for
from lambdas.settings import Settings

IDEMPOTENCY_EXPIRY_SECONDS = 24 * 3600
# Powertools idempotency is imported by the handlers of idempotent steps only (at import, by task_handler): the
# others' cold start skips it.
_IDEMPOTENCY = "aws_lambda_powertools.utilities.idempotency"

LambdaHandler = Callable[[Any, LambdaContext], dict[str, Any]]
S = TypeVar("S")  # the process's stores (onboarding: ``onboarding.ports.Adapters``)


@dataclass(frozen=True, kw_only=True)
class TaskRegistration(Generic[S]):
    """A process's task Lambdas: its description and how to build its stores from table names."""

    process: ProcessDescription
    stores: Callable[[Any, Any], S]  # (table names by role, a DynamoDB service resource) -> the stores


@dataclass(frozen=True)
class StepResult:
    public: dict[str, Any]  # ids, references, decisions, reason codes: all the hardened profile returns
    raw: dict[str, Any] | None = None  # the step's full result, returned by the baseline profile only

    def for_profile(self, profile: Profile) -> dict[str, Any]:
        if profile is Profile.BASELINE and self.raw is not None:
            return {**self.public, "raw": self.raw}
        return dict(self.public)


@dataclass
class Invocation(Generic[S]):
    registration: TaskRegistration[S]
    settings: Settings
    runtime: Runtime
    context: LambdaContext
    loaded: dict[str, Any] | None = None  # the submission once loaded (baseline error context only)

    @property
    def stores(self) -> S:
        stores: S = self.runtime.stores
        return stores

    def submission(self, business_id: str, source: Submission) -> dict[str, Any]:
        """The raw submission of ``business_id``: from the claim check, or inline when the profile is baseline."""
        if source.claim_check is not None:
            raw = self.runtime.claim_checks.load(business_id, source.claim_check)
        elif self.settings.profile is Profile.BASELINE and source.inline is not None:
            raw = source.inline
        else:  # the hardened profile never accepts PII in an execution's data
            raise errors.invalid_task_input(["submission.inline"])
        if raw.get(self.registration.process.id_field) != business_id:
            raise errors.invalid_task_input(["submission"])
        self.loaded = raw
        return raw

    def once(self, step: str, request: dict[str, Any], run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Powertools idempotency keyed on the business id, on top of the stores' conditional writes."""
        from aws_lambda_powertools.utilities.idempotency import (  # noqa: PLC0415 - see _IDEMPOTENCY
            IdempotencyConfig,
            idempotent_function,
        )

        process = self.registration.process
        config = IdempotencyConfig(
            event_key_jmespath=process.id_field,
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
            key_prefix=process.idempotency_prefix(step),
        )
        result: dict[str, Any] = guarded(request=request)
        return result


def entry_point(
    registration: TaskRegistration[S], step: str
) -> Callable[[Callable[[Any, Invocation[S]], dict[str, Any]]], LambdaHandler]:
    """Wrap ``fn(event, invocation)`` into a Lambda handler that only lets sanitized errors escape."""

    allow_exception_messages(registration.process.safe_message_errors)

    def decorate(fn: Callable[[Any, Invocation[S]], dict[str, Any]]) -> LambdaHandler:
        @functools.wraps(fn)
        def handler(event: Any, context: LambdaContext) -> dict[str, Any]:
            settings = Settings.from_env(registration.process)
            invocation = Invocation(registration=registration, settings=settings,
                                    runtime=runtime_for(settings, registration.stores), context=context)
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
    registration: TaskRegistration[S], step: str, model: type[E]
) -> Callable[[Callable[[E, Invocation[S]], StepResult]], LambdaHandler]:
    """A state machine task for ``step`` of the process: a typed event in, a :class:`StepResult` out. Steps the
    description marks idempotent run once per business id (Powertools idempotency)."""
    process = registration.process
    idempotent = process.step(step).idempotent  # also fails at import for a step the process does not describe
    if idempotent:
        importlib.import_module(_IDEMPOTENCY)  # used on every call: loaded at init, not by the first request

    def decorate(fn: Callable[[E, Invocation[S]], StepResult]) -> LambdaHandler:
        def run(event: Any, invocation: Invocation[S]) -> dict[str, Any]:
            request = parse_event(model, event)
            logger.append_keys(**{process.id_field: getattr(request, process.id_field)})

            def execute() -> dict[str, Any]:
                return fn(request, invocation).for_profile(invocation.settings.profile)

            if not idempotent:
                return execute()
            return invocation.once(step, request.model_dump(mode="json"), execute)

        return entry_point(registration, step)(functools.wraps(fn)(run))

    return decorate


def _task_error(exc: Exception, invocation: Invocation[Any]) -> Exception:
    process = invocation.registration.process
    baseline = invocation.settings.profile is Profile.BASELINE
    if isinstance(exc, errors.TaskError):
        logger.info("task refused", extra={"error": type(exc).__name__})
        return exc
    if process.is_rejection(exc):
        reason = reason_of(exc)
        logger.info("business rejection", extra={"reason": reason})
        context = invocation.loaded if baseline else None
        return errors.business_error(reason, field_errors_of(exc), context=context)
    if isinstance(exc, process.transient_error) and process.transient_error is not Exception:
        detail = str(exc) if isinstance(exc, process.safe_message_errors) else None
        logger.warning("transient provider fault", extra={"error": type(exc).__name__, "detail": detail})
        return errors.TransientProviderError(str(exc))  # the process's transient errors name codes only
    if _idempotency_in_progress(exc):
        return errors.StepInProgress()
    # Unexpected: type and frames go to this function's (KMS-encrypted) log group, never the message (it may quote
    # its input); the request id in the line is the reference an operator follows from the INTERNAL_ERROR in history.
    logger.exception("unexpected failure", extra={"error": f"{type(exc).__module__}.{type(exc).__qualname__}",
                                                  "reference": getattr(invocation.context, "aws_request_id", None)})
    return exc if baseline else errors.InternalError()


def _idempotency_in_progress(exc: Exception) -> bool:
    """Powertools' "already in progress" (only a handler that loaded idempotency can raise it)."""
    module = sys.modules.get(f"{_IDEMPOTENCY}.exceptions")
    return module is not None and isinstance(exc, module.IdempotencyAlreadyInProgressError)
