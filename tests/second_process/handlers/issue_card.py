"""Step 3: issue the card (idempotent on the request id)."""

from __future__ import annotations

from lambdas.task import Invocation, StepResult, task_handler
from tests.second_process import domain
from tests.second_process.handlers.events import LIBRARY_TASKS, RequestEvent


@task_handler(LIBRARY_TASKS, "issue_card", RequestEvent)
def handler(event: RequestEvent, run: Invocation[domain.Stores]) -> StepResult:
    return StepResult(public={"request_id": event.request_id, "card_id": run.stores.issue_card(event.request_id)})
