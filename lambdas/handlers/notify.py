"""Step 8: the welcome message goes to the outbox (idempotent); it references the account, not a person."""

from __future__ import annotations

from lambdas.events import NotifyEvent
from lambdas.task import Invocation, StepResult, task_handler
from onboarding import steps


@task_handler("notify", NotifyEvent, idempotent=True)
def handler(event: NotifyEvent, run: Invocation) -> StepResult:
    message = steps.notify(event.application_id, event.account_id, outbox=run.adapters.outbox)
    return StepResult(
        public={"application_id": event.application_id, "message_id": message.message_id},
        raw={"message": message.model_dump(mode="json")},
    )
