"""Step 1: the request's details (refused as ``INVALID_REQUEST``)."""

from __future__ import annotations

from lambdas.task import Invocation, StepResult, task_handler
from tests.second_process import domain
from tests.second_process.handlers.events import LIBRARY_TASKS, SubmissionEvent


@task_handler(LIBRARY_TASKS, "check_details", SubmissionEvent)
def handler(event: SubmissionEvent, run: Invocation[domain.Stores]) -> StepResult:
    request = domain.check_details(run.submission(event.request_id, event.submission))
    return StepResult(public={"request_id": event.request_id, "valid": True}, raw={"request": request.model_dump()})
