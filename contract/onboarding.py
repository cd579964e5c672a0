"""The account-onboarding process, described for the platform (see :mod:`contract.process`).

This is the one place that ties the domain (:mod:`onboarding`) to the generic platform: the runtimes, the
infrastructure and the tooling receive ``ONBOARDING`` and derive their process-specific parts from it. Adding a
step starts here (FORKING.md lists the rest).
"""

from __future__ import annotations

from pathlib import Path

from contract.definition import DefinitionTemplate
from contract.process import ProcessDescription, Retry, Review, Step, StepKind, Table
from contract.registry import task_functions
from onboarding.adapters.dynamodb import TABLE_KEYS
from onboarding.errors import BusinessRejection, OnboardingError, TransientProviderError
from onboarding.models import APPLICATION_ID_PATTERN, RejectionReason

# The Step Functions definition, relative to the repository root (hand-written; tests check it against ONBOARDING).
DEFINITION_FILE = Path("state_machines/onboarding.asl.json")
DEFINITION_PATH = Path(__file__).resolve().parent.parent / DEFINITION_FILE

ONBOARDING = ProcessDescription(
    name="onboarding",
    id_field="application_id",
    id_pattern=APPLICATION_ID_PATTERN,
    steps=(
        Step(name="validate", rejections=(RejectionReason.INVALID_APPLICATION,)),
        Step(name="screen_sanctions", rejections=(RejectionReason.SANCTIONS_MATCH,)),
        Step(name="verify_identity", rejections=(RejectionReason.IDENTITY_NOT_VERIFIED,), retry=Retry.TRANSIENT),
        Step(name="assess_risk", rejections=(RejectionReason.HIGH_RISK,)),
        Step(name="request_review", writes=("reviews",), updates=("reviews",), kind=StepKind.REVIEW,
             state="ManualReview",
             reads_submission=False),
        Step(name="open_account", writes=("ledger",), idempotent=True, compensation="close_account"),
        Step(name="fund_account", writes=("charges",), rejections=(RejectionReason.FUNDING_DECLINED,),
             idempotent=True, compensation="refund_charge", unavailable=RejectionReason.FUNDING_UNAVAILABLE),
        Step(name="notify", writes=("outbox",), idempotent=True, unavailable=RejectionReason.NOTIFICATION_UNAVAILABLE,
             reads_submission=False),
    ),
    compensations=(
        Step(name="refund_charge", updates=("charges",), idempotent=True, kind=StepKind.COMPENSATION),
        Step(name="close_account", updates=("ledger",), idempotent=True, kind=StepKind.COMPENSATION,
             reads_submission=False),
    ),
    invalid_reason=RejectionReason.INVALID_APPLICATION,
    review=Review(step="request_review", declined=RejectionReason.REVIEW_DECLINED,
                  timed_out=RejectionReason.REVIEW_TIMEOUT),
    tables=tuple(Table(role=role, keys=keys) for role, keys in TABLE_KEYS.items()),
    rejection_error=BusinessRejection,
    transient_error=TransientProviderError,
    safe_message_errors=(OnboardingError,),
)

# One task Lambda per step plus the entry function (``intake``), as infra deploys them.
ONBOARDING_FUNCTIONS = task_functions(ONBOARDING)


def onboarding_asl(text: str | None = None) -> DefinitionTemplate:
    """The hand-written definition (or a variant's ``text``) with the onboarding task functions' placeholders."""
    if text is not None:
        return DefinitionTemplate.asl(ONBOARDING_FUNCTIONS, text=text)
    return DefinitionTemplate.asl(ONBOARDING_FUNCTIONS, path=DEFINITION_PATH)
