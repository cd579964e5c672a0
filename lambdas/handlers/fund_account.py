"""Step 7: charge the card with the funding idempotency key. A decline raises ``FUNDING_DECLINED``."""

from __future__ import annotations

from lambdas.events import SubmissionEvent
from lambdas.task import Invocation, StepResult, task_handler
from onboarding import steps


@task_handler("fund_account", SubmissionEvent, idempotent=True)
def handler(event: SubmissionEvent, run: Invocation) -> StepResult:
    charge = steps.fund_account(run.application(event), cards=run.adapters.cards)
    return StepResult(
        public={"application_id": event.application_id, "charge_id": charge.charge_id},
        raw={"charge": charge.model_dump(mode="json")},
    )
