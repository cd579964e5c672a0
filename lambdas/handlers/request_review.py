"""Step 5a: put the application in the review queue with this task's token.

The state machine then waits (``.waitForTaskToken``) until the reviewer command sends the decision, or
the review times out. A retried task brings a new token, which replaces the old one while undecided.
"""

from __future__ import annotations

from lambdas.handlers.events import ReviewEvent
from lambdas.registration import ONBOARDING_TASKS
from lambdas.task import Invocation, StepResult, task_handler
from onboarding.ports import Adapters


@task_handler(ONBOARDING_TASKS, "request_review", ReviewEvent)
def handler(event: ReviewEvent, run: Invocation[Adapters]) -> StepResult:
    review = run.stores.reviews.request(
        application_id=event.application_id, risk_level=event.risk_level, task_token=event.task_token
    )
    return StepResult(
        public={"application_id": event.application_id, "review": "REQUESTED"},
        raw={"review": review.model_dump(mode="json", exclude={"task_token"})},
    )
