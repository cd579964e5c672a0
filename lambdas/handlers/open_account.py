"""Step 6: open the account (idempotent on application_id)."""

from __future__ import annotations

from lambdas.handlers.events import SubmissionEvent
from lambdas.handlers.submission import load_application
from lambdas.registration import ONBOARDING_TASKS
from lambdas.task import Invocation, StepResult, task_handler
from onboarding import steps
from onboarding.ports import Adapters


@task_handler(ONBOARDING_TASKS, "open_account", SubmissionEvent)
def handler(event: SubmissionEvent, run: Invocation[Adapters]) -> StepResult:
    account = steps.open_account(load_application(run, event), ledger=run.stores.ledger)
    return StepResult(
        public={"application_id": event.application_id, "account_id": account.account_id},
        raw={"account": account.model_dump(mode="json")},
    )
