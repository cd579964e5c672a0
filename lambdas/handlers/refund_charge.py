"""Compensation for step 7 after a later failure: refunds the approved charge if there is one (idempotent)."""

from __future__ import annotations

from lambdas.handlers.events import AttemptEvent
from lambdas.handlers.submission import load_application
from lambdas.registration import ONBOARDING_TASKS
from lambdas.task import Invocation, StepResult, task_handler
from onboarding import steps
from onboarding.ports import Adapters


@task_handler(ONBOARDING_TASKS, "refund_charge", AttemptEvent)
def handler(event: AttemptEvent, run: Invocation[Adapters]) -> StepResult:
    charge = steps.refund_charge(load_application(run, event), cards=run.stores.cards, attempt=event.attempt)
    return StepResult(
        public={"application_id": event.application_id, "refunded": charge is not None and charge.refunded},
        raw={"charge": charge.model_dump(mode="json") if charge else None},
    )
