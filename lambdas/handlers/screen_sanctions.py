"""Step 2: sanctions screening. A hit raises ``SANCTIONS_MATCH``."""

from __future__ import annotations

from lambdas.events import SubmissionEvent
from lambdas.task import Invocation, StepResult, task_handler
from onboarding import steps


@task_handler("screen_sanctions", SubmissionEvent)
def handler(event: SubmissionEvent, run: Invocation) -> StepResult:
    application = run.application(event)
    steps.screen_sanctions(application, sanctions=run.adapters.sanctions)
    return StepResult(
        public={"application_id": event.application_id, "sanctions": "CLEAR"},
        raw={"listed": False},
    )
