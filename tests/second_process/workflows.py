"""The library-card workflow: deterministic, every rule and table behind an activity; the review is the
``submit_review`` update, accepted only while the workflow waits for it. (Only temporalio and passed-through
imports here: the workflow sandbox re-imports this module.)"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from tests.second_process.description import LIBRARY

RETRY = RetryPolicy(maximum_attempts=3, non_retryable_error_types=list(LIBRARY.reasons))
AWAITING_REVIEW = "awaiting_review"


@workflow.defn(name="LibraryCard")
class LibraryCardWorkflow:
    def __init__(self) -> None:
        self._step = "started"
        self._decision: str | None = None

    @workflow.query(name="current_step")
    def current_step(self) -> str:
        return self._step

    @workflow.update(name="submit_review")
    def submit_review(self, decision: str) -> None:
        self._decision = decision

    @submit_review.validator
    def _only_while_awaiting(self, decision: str) -> None:
        if self._step != AWAITING_REVIEW or self._decision is not None or decision not in ("APPROVE", "DECLINE"):
            raise ValueError("this request is not awaiting a review decision")

    @workflow.run
    async def run(self, submission: dict[str, Any], review_timeout_seconds: int) -> dict[str, Any]:
        request_id = workflow.info().workflow_id
        try:
            request = await self._activity("check_details", submission)
            if await self._activity("check_district", request):
                await self._activity("request_review", request_id)
                self._step = AWAITING_REVIEW
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(lambda: self._decision is not None, timeout=review_timeout_seconds)
                self._step = "review_decided"
                if self._decision is None:
                    return self._refused(request_id, LIBRARY.review.timed_out if LIBRARY.review else "")
                if self._decision == "DECLINE":
                    return self._refused(request_id, LIBRARY.review.declined if LIBRARY.review else "")
            await self._activity("issue_card", request_id)
        except ActivityError as error:
            cause = error.cause
            if isinstance(cause, ApplicationError) and cause.type in LIBRARY.reasons:
                return self._refused(request_id, cause.type)
            raise
        self._step = "completed"
        return {"request_id": request_id, "status": "ISSUED", "reason": None}

    async def _activity(self, name: str, argument: Any) -> Any:
        self._step = name
        return await workflow.execute_activity(name, argument, start_to_close_timeout=timedelta(seconds=30),
                                               retry_policy=RETRY)

    def _refused(self, request_id: str, reason: str) -> dict[str, Any]:
        self._step = "completed"
        return {"request_id": request_id, "status": "REFUSED", "reason": reason}
