"""Step 1: schema and rules. Rejects with ``INVALID_APPLICATION`` and field codes only; no side effects."""

from __future__ import annotations

from lambdas.handlers.events import DatedSubmissionEvent
from lambdas.registration import ONBOARDING_TASKS
from lambdas.task import Invocation, StepResult, task_handler
from onboarding import steps, validation  # noqa: F401 - every call validates: its libraries load at init
from onboarding.ports import Adapters


@task_handler(ONBOARDING_TASKS, "validate", DatedSubmissionEvent)
def handler(event: DatedSubmissionEvent, run: Invocation[Adapters]) -> StepResult:
    application = steps.validate(run.submission(event.application_id, event.submission), today=event.today)
    return StepResult(
        public={"application_id": event.application_id, "valid": True},
        raw={"application": application.model_dump(mode="json")},
    )
