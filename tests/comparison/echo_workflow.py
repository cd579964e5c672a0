"""A tiny workflow that passes PII around the way a careless (baseline) implementation would."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError


@activity.defn
async def lookup(application: dict[str, Any]) -> dict[str, Any]:
    return {"holder": application["applicant"]["full_name"]}


@workflow.defn
class EchoWorkflow:
    def __init__(self) -> None:
        self.note: str | None = None

    @workflow.run
    async def run(self, application: dict[str, Any]) -> dict[str, Any]:
        found = await workflow.execute_activity(
            lookup, application, start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(maximum_attempts=1))
        await workflow.sleep(timedelta(milliseconds=50))  # one durable timer, whatever the signal's timing
        await workflow.wait_condition(lambda: self.note is not None)
        raise ApplicationError(f"declined card {application['funding']['card_number']} of {found['holder']}",
                               type="FUNDING_DECLINED", non_retryable=True)

    @workflow.signal
    def review(self, note: str) -> None:
        self.note = note

