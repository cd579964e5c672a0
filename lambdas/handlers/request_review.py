"""Step 5a: put the application in the review queue with this task's token.

The state machine then waits (``.waitForTaskToken``) until the reviewer command sends the decision, or
the review times out. A retried task brings a new token, which replaces the old one while undecided.
"""

from __future__ import annotations

from lambdas.events import ReviewEvent
from lambdas.task import Invocation, StepResult, task_handler


@task_handler("request_review", ReviewEvent)
def handler(event: ReviewEvent, run: Invocation) -> StepResult:
    review = run.adapters.reviews.request(
        application_id=event.application_id, risk_level=event.risk_level, task_token=event.task_token
    )
    return StepResult(
        public={"application_id": event.application_id, "review": "REQUESTED"},
        raw={"review": review.model_dump(mode="json", exclude={"task_token"})},
    )
