"""The account-onboarding process, described for the platform (see :mod:`contract.process`).

This is the one place that ties the domain (:mod:`onboarding`) to the generic platform: the runtimes, the
infrastructure and the tooling receive ``ONBOARDING`` and derive their process-specific parts from it. Adding a
step starts here (FORKING.md lists the rest).
"""

from __future__ import annotations

from contract.process import ProcessDescription, Retry, Review, Step, StepKind
from onboarding.errors import BusinessRejection, OnboardingError, TransientProviderError
from onboarding.models import APPLICATION_ID_PATTERN, RejectionReason

ONBOARDING = ProcessDescription(
    name="onboarding",
    id_field="application_id",
    id_pattern=APPLICATION_ID_PATTERN,
    steps=(
        Step(name="validate", rejections=(RejectionReason.INVALID_APPLICATION,)),
        Step(name="screen_sanctions", rejections=(RejectionReason.SANCTIONS_MATCH,)),
        Step(name="verify_identity", rejections=(RejectionReason.IDENTITY_NOT_VERIFIED,), retry=Retry.TRANSIENT),
        Step(name="assess_risk", rejections=(RejectionReason.HIGH_RISK,)),
        Step(name="request_review", writes=("reviews",), kind=StepKind.REVIEW),
        Step(name="open_account", writes=("ledger",), idempotent=True),
        Step(name="fund_account", writes=("charges",), rejections=(RejectionReason.FUNDING_DECLINED,),
             idempotent=True),
        Step(name="notify", writes=("outbox",), idempotent=True),
    ),
    compensations=(
        Step(name="close_account", writes=("ledger",), idempotent=True, kind=StepKind.COMPENSATION),
    ),
    review=Review(step="request_review", declined=RejectionReason.REVIEW_DECLINED,
                  timed_out=RejectionReason.REVIEW_TIMEOUT),
    tables=("ledger", "charges", "outbox", "reviews"),
    rejection_error=BusinessRejection,
    transient_error=TransientProviderError,
    safe_message_errors=(OnboardingError,),
)
