"""Step 8: the welcome message goes to the outbox (idempotent); it references the account, not a person."""

from __future__ import annotations

from lambdas.handlers.events import NotifyEvent
from lambdas.registration import ONBOARDING_TASKS
from lambdas.task import Invocation, StepResult, task_handler
from onboarding import steps
from onboarding.ports import Adapters


@task_handler(ONBOARDING_TASKS, "notify", NotifyEvent)
def handler(event: NotifyEvent, run: Invocation[Adapters]) -> StepResult:
    message = steps.notify(event.application_id, event.account_id, outbox=run.stores.outbox)
    return StepResult(
        public={"application_id": event.application_id, "message_id": message.message_id},
        raw={"message": message.model_dump(mode="json")},
    )
