"""Compensation for step 6 after any later failure (idempotent)."""

from __future__ import annotations

from lambdas.handlers.events import TaskEvent
from lambdas.registration import ONBOARDING_TASKS
from lambdas.task import Invocation, StepResult, task_handler
from onboarding import steps
from onboarding.ports import Adapters


@task_handler(ONBOARDING_TASKS, "close_account", TaskEvent)
def handler(event: TaskEvent, run: Invocation[Adapters]) -> StepResult:
    account = steps.close_account(event.application_id, ledger=run.stores.ledger)
    return StepResult(
        public={
            "application_id": event.application_id,
            "account_id": account.account_id if account else None,
            "account_status": account.status if account else None,
        },
        raw={"account": account.model_dump(mode="json") if account else None},
    )
