"""Step 7: charge the card with the funding idempotency key. A decline raises ``FUNDING_DECLINED``; processor faults
are retried by the state machine (the attempt number comes from its retry count), then compensated."""

from __future__ import annotations

from lambdas.handlers.events import AttemptEvent
from lambdas.handlers.submission import load_application
from lambdas.registration import ONBOARDING_TASKS
from lambdas.task import Invocation, StepResult, task_handler
from onboarding import steps
from onboarding.ports import Adapters


@task_handler(ONBOARDING_TASKS, "fund_account", AttemptEvent)
def handler(event: AttemptEvent, run: Invocation[Adapters]) -> StepResult:
    charge = steps.fund_account(load_application(run, event), cards=run.stores.cards, attempt=event.attempt)
    return StepResult(
        public={"application_id": event.application_id, "charge_id": charge.charge_id},
        raw={"charge": charge.model_dump(mode="json")},
    )
