"""The onboarding process on the local tooling: the one module of ``local`` that names the process.

- :class:`OnboardingStepFunctions`: the generic local runner with onboarding's task functions, stores, reviews (the
  review queue and :mod:`ops.reviewer`, as an operator answers them) and outcomes;
- :func:`onboarding_definition`: the state machine definition from the synthesized CDK template (what deploys);
- :func:`onboarding_synthesis`: that synthesis itself (every template, the cdk-nag findings), made once per process;
- :class:`OnboardingDurableFunction`: the onboarding durable function on AWS's durable-execution emulator, with its
  tables and (hardened) its checkpoint key created on the local AWS emulation, configured as infra configures it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from contract.definition import DefinitionTemplate
from contract.environment import CHECKPOINT_ENCRYPTION_CONTEXT, durable_environment
from contract.onboarding import ONBOARDING, ONBOARDING_FUNCTIONS, onboarding_asl
from contract.profile import Profile
from envelope.key_cache import DataKeyCache
from envelope.keys import KmsKeyProvider
from local.aws import AwsEmulation, create_key, create_process_tables
from local.durable.runner import LocalDurableFunctions
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


DURABLE_FUNCTION = "onboarding"
DURABLE_HANDLER = "durable_functions.handler.handler"


class OnboardingDurableFunction:
    """The onboarding durable function of one profile on the emulator, over its own tables (``prefix``) and, hardened,
    its own checkpoint key on ``aws``: ``start(name, input)`` starts an execution, ``client`` answers the durable
    execution APIs, ``keys`` seals what a client sends (None for the baseline profile)."""

    def __init__(self, aws: AwsEmulation, *, profile: Profile, prefix: str, workdir: Path,
                 tables: Mapping[str, str] | None = None) -> None:
        """``tables``: role -> name of existing tables to write (as a deployment's stacks share them); by default
        the function gets tables of its own, named after ``prefix``."""
        self.profile = profile
        self._aws = aws
        self.tables = dict(tables) if tables is not None else create_process_tables(
            aws.client("dynamodb"), ONBOARDING, prefix=prefix)
        key_alias = None
        self.keys: DataKeyCache | None = None
        if profile is Profile.HARDENED:
            key_alias = f"alias/{prefix}/checkpoint"
            create_key(aws.client("kms"), description=f"{prefix} durable checkpoints", alias=key_alias)
            self.keys = DataKeyCache(KmsKeyProvider(key_alias, kms_client=aws.client("kms"),
                                                    encryption_context=CHECKPOINT_ENCRYPTION_CONTEXT))
        environment = {**aws.credentials_env, **durable_environment(ONBOARDING, tables=self.tables,
                                                                    payload_key_id=key_alias, profile=profile)}
        self._runner = LocalDurableFunctions(functions={DURABLE_FUNCTION: DURABLE_HANDLER}, environment=environment,
                                             workdir=workdir)
        self.key_alias = key_alias  # the checkpoint key, an alias so that it can be rotated; None: baseline
        self._stack = ExitStack()

    def __enter__(self) -> Self:
        self._stack.enter_context(self._runner)
        return self

    def __exit__(self, *_: object) -> None:
        self._stack.close()

    @property
    def client(self) -> Any:
        return self._runner.client

    @property
    def endpoint(self) -> str:
        """The emulator's URL: where a boto3 ``lambda`` client finds the durable-execution APIs."""
        return self._runner.endpoint

    def start(self, name: str, payload: dict[str, Any]) -> str:
        return self._runner.start(DURABLE_FUNCTION, name=name, payload=payload)

    def wait(self, arn: str, *, timeout_seconds: float = 120.0) -> dict[str, Any]:
        """``GetDurableExecution`` once the execution has ended."""
        return self._runner.wait(arn, timeout_seconds=timeout_seconds)

    def reviews_table(self) -> Any:
        return self._aws.resource("dynamodb").Table(self.tables["reviews"])

    def route_invoke(self, session: Any, *, deployed_name: str) -> Callable[[], None]:
        """Answer ``lambda:Invoke`` with ``DurableExecutionName`` for ``deployed_name`` on a boto3 session, as the
        Lambda service does (see :meth:`LocalDurableFunctions.route_invoke`); returns the uninstall callable."""
        return self._runner.route_invoke(session, deployed_names={deployed_name: DURABLE_FUNCTION})

    def replace_execution_environment(self) -> None:
        """Kill the function's execution environment mid-whatever (SIGKILL) and start a fresh one: a crash, or the
        next cold start after a key rotation (a fresh process holds no cached data key)."""
        self._runner.replace_execution_environment()

    def adapters(self) -> Adapters:
        return dynamodb_adapters(TableNames(**self.tables), resource=self._aws.resource("dynamodb"))

    def log_lines(self) -> list[str]:
        """The function's log lines (the endpoint process's output), as its log group would hold them."""
        return self._runner.log_lines()
