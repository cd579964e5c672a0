"""The onboarding process on the local tooling: the one module of ``local`` that names the process.

- :class:`OnboardingStepFunctions`: the generic local runner with onboarding's task functions, stores, reviews (the
  review queue and :mod:`ops.reviewer`, as an operator answers them) and outcomes;
- :func:`onboarding_definition`: the state machine definition from the synthesized CDK template (what deploys);
- :func:`onboarding_synthesis`: that synthesis itself (every template, the cdk-nag findings), made once per process.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from contract.definition import DefinitionTemplate
from contract.onboarding import ONBOARDING, ONBOARDING_FUNCTIONS, onboarding_asl
from contract.profile import Profile
from local.stepfunctions.runner import DEFAULT_REVIEW_TIMEOUT_SECONDS, ExecutionResult, LocalStepFunctions
from onboarding.adapters.dynamodb import DynamoReviewQueue, TableNames, dynamodb_adapters
from onboarding.models import Outcome, ReviewDecision, ReviewRequest
from onboarding.ports import Adapters
from ops import reviewer

if TYPE_CHECKING:
    from infra.synthesis import Synthesis

Reviewer = Callable[[str], ReviewDecision | None]  # application id -> decision, or None to let it time out


def onboarding_definition() -> DefinitionTemplate:
    """The onboarding state machine exactly as the synthesized template deploys it (synthesized once per process)."""
    # Imported here: importing the CDK starts its node process, which a run on the ASL file does not need.
    from infra.onboarding import onboarding_sources  # noqa: PLC0415
    from local.stepfunctions.deployed_definition import synthesized_definition  # noqa: PLC0415

    return synthesized_definition(onboarding_sources())


def onboarding_synthesis() -> Synthesis:
    """The blueprint synthesized with the ``cdk.json`` context (the same synthesis as :func:`onboarding_definition`)."""
    from infra.onboarding import onboarding_sources  # noqa: PLC0415
    from local.stepfunctions.deployed_definition import synthesized  # noqa: PLC0415

    return synthesized(onboarding_sources())


@dataclass(frozen=True)
class OnboardingResult(ExecutionResult):
    """One execution's end, with the state machine's output read as an :class:`~onboarding.models.Outcome`."""

    @classmethod
    def of(cls, result: ExecutionResult) -> OnboardingResult:
        return cls(**{item.name: getattr(result, item.name) for item in fields(result)})

    @property
    def application_id(self) -> str:
        return self.business_id

    @property
    def outcome(self) -> Outcome | None:
        return Outcome.model_validate_json(self.output) if self.output else None


class OnboardingStepFunctions(LocalStepFunctions):
    """The onboarding state machine on moto, with its real handlers. ``definition`` defaults to the ASL file;
    pass :func:`onboarding_definition` to run what deploys."""

    def __init__(self, *, definition: DefinitionTemplate | None = None, profile: Profile = Profile.HARDENED,
                 review_timeout_seconds: int = DEFAULT_REVIEW_TIMEOUT_SECONDS, **kwargs: Any) -> None:
        super().__init__(process=ONBOARDING, functions=ONBOARDING_FUNCTIONS,
                         definition=definition if definition is not None else onboarding_asl(),
                         profile=profile, review_timeout_seconds=review_timeout_seconds, **kwargs)

    def adapters(self) -> Adapters:
        """The DynamoDB stores the handlers wrote to, to inspect side effects."""
        return dynamodb_adapters(TableNames(**self.resources.tables), resource=self.dynamodb())

    def reviews_table(self) -> Any:
        """The review queue's DynamoDB table (boto3 resource)."""
        return self.table("reviews")

    def pending_review(self, application_id: str) -> ReviewRequest | None:
        review = self.adapters().reviews.get(application_id)
        if review is None or review.task_token is None or review.decision is not None:
            return None
        return review

    def decide(self, application_id: str, decision: ReviewDecision) -> None:
        reviewer.decide(application_id, decision, reviews=DynamoReviewQueue(self.reviews_table()),
                        stepfunctions=self.stepfunctions)

    def run_onboardings(
        self, applications: Sequence[Mapping[str, Any]], *, reviewer: Reviewer, timeout_seconds: float = 120.0
    ) -> dict[str, OnboardingResult]:
        """Submit every application, answer reviews as they appear (``reviewer``), wait for every execution."""

        def answer(runner: LocalStepFunctions, running: set[str]) -> None:
            for review in _pending(self.reviews_table()):
                decision = reviewer(review.application_id) if review.application_id in running else None
                if decision is not None:
                    self.decide(review.application_id, decision)

        results = self.run(applications, answer_reviews=answer, timeout_seconds=timeout_seconds)
        return {business_id: OnboardingResult.of(result) for business_id, result in results.items()}

    def onboarding_result(self, execution_arn: str) -> OnboardingResult:
        return OnboardingResult.of(self.result(execution_arn))

    def wait_onboarding(self, execution_arn: str, *, timeout_seconds: float = 60.0) -> OnboardingResult:
        return OnboardingResult.of(self.wait(execution_arn, timeout_seconds=timeout_seconds))


def _pending(reviews_table: Any) -> list[ReviewRequest]:
    return reviewer.pending_reviews(reviews_table)
