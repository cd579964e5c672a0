"""Step 1: schema and rules. Rejects with ``INVALID_APPLICATION`` and field codes only; no side effects."""

from __future__ import annotations

from lambdas.events import DatedSubmissionEvent
from lambdas.task import Invocation, StepResult, task_handler
from onboarding import steps


@task_handler("validate", DatedSubmissionEvent)
def handler(event: DatedSubmissionEvent, run: Invocation) -> StepResult:
    application = steps.validate(run.submission(event), today=event.today)
    return StepResult(
        public={"application_id": event.application_id, "valid": True},
        raw={"application": application.model_dump(mode="json")},
    )
