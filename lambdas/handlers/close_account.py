"""Compensation for step 6 when funding is declined (idempotent)."""

from __future__ import annotations

from lambdas.events import TaskEvent
from lambdas.task import Invocation, StepResult, task_handler
from onboarding import steps


@task_handler("close_account", TaskEvent, idempotent=True)
def handler(event: TaskEvent, run: Invocation) -> StepResult:
    account = steps.close_account(event.application_id, ledger=run.adapters.ledger)
    return StepResult(
        public={
            "application_id": event.application_id,
            "account_id": account.account_id if account else None,
            "account_status": account.status if account else None,
        },
        raw={"account": account.model_dump(mode="json") if account else None},
    )
