"""Step 2: sanctions screening. A hit raises ``SANCTIONS_MATCH``."""

from __future__ import annotations

from lambdas.handlers.events import SubmissionEvent
from lambdas.handlers.submission import load_application
from lambdas.registration import ONBOARDING_TASKS
from lambdas.task import Invocation, StepResult, task_handler
from onboarding import steps
from onboarding.ports import Adapters


@task_handler(ONBOARDING_TASKS, "screen_sanctions", SubmissionEvent)
def handler(event: SubmissionEvent, run: Invocation[Adapters]) -> StepResult:
    application = load_application(run, event)
    steps.screen_sanctions(application, sanctions=run.stores.sanctions)
    return StepResult(
        public={"application_id": event.application_id, "sanctions": "CLEAR"},
        raw={"listed": False},
    )
