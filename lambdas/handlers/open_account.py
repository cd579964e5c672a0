"""Step 6: open the account (idempotent on application_id)."""

from __future__ import annotations

from lambdas.events import SubmissionEvent
from lambdas.task import Invocation, StepResult, task_handler
from onboarding import steps


@task_handler("open_account", SubmissionEvent, idempotent=True)
def handler(event: SubmissionEvent, run: Invocation) -> StepResult:
    account = steps.open_account(run.application(event), ledger=run.adapters.ledger)
    return StepResult(
        public={"application_id": event.application_id, "account_id": account.account_id},
        raw={"account": account.model_dump(mode="json")},
    )
