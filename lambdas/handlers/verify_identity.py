"""Step 3: identity verification. The attempt number comes from the state machine's retry count."""

from __future__ import annotations

from lambdas.events import IdentityEvent
from lambdas.task import Invocation, StepResult, task_handler
from onboarding import steps


@task_handler("verify_identity", IdentityEvent)
def handler(event: IdentityEvent, run: Invocation) -> StepResult:
    application = run.application(event)
    steps.verify_identity(application, identity=run.adapters.identity, attempt=event.attempt)
    return StepResult(
        public={"application_id": event.application_id, "identity": "VERIFIED", "attempt": event.attempt},
        raw={"verified": True},
    )
