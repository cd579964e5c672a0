"""The review: the request waits in the review table with this task's token until a librarian decides."""

from __future__ import annotations

from lambdas.task import Invocation, StepResult, task_handler
from tests.second_process import domain
from tests.second_process.handlers.events import LIBRARY_TASKS, ReviewEvent


@task_handler(LIBRARY_TASKS, "request_review", ReviewEvent)
def handler(event: ReviewEvent, run: Invocation[domain.Stores]) -> StepResult:
    run.stores.request_review(event.request_id, event.task_token)
    return StepResult(public={"request_id": event.request_id, "review": "REQUESTED"})
