"""Step 3: identity verification. The attempt number comes from the state machine's retry count."""

from __future__ import annotations

from lambdas.handlers.events import AttemptEvent
from lambdas.handlers.submission import load_application
from lambdas.registration import ONBOARDING_TASKS
from lambdas.task import Invocation, StepResult, task_handler
from onboarding import steps
from onboarding.ports import Adapters


@task_handler(ONBOARDING_TASKS, "verify_identity", AttemptEvent)
def handler(event: AttemptEvent, run: Invocation[Adapters]) -> StepResult:
    application = load_application(run, event)
    steps.verify_identity(application, identity=run.stores.identity, attempt=event.attempt)
    return StepResult(
        public={"application_id": event.application_id, "identity": "VERIFIED", "attempt": event.attempt},
        raw={"verified": True},
    )
