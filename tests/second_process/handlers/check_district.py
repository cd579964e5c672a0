"""Step 2: the district (refused as ``OUT_OF_DISTRICT``; some districts need a review)."""

from __future__ import annotations

from lambdas.task import Invocation, StepResult, task_handler
from tests.second_process import domain
from tests.second_process.handlers.events import LIBRARY_TASKS, SubmissionEvent


@task_handler(LIBRARY_TASKS, "check_district", SubmissionEvent)
def handler(event: SubmissionEvent, run: Invocation[domain.Stores]) -> StepResult:
    request = domain.check_details(run.submission(event.request_id, event.submission))
    needs_review = domain.check_district(request)
    return StepResult(public={"request_id": event.request_id, "needs_review": needs_review},
                      raw={"district": request.district})
