"""Step 4: risk score. HIGH raises ``HIGH_RISK``; the level (a code) decides whether review is needed."""

from __future__ import annotations

from lambdas.handlers.events import DatedSubmissionEvent
from lambdas.handlers.submission import load_application
from lambdas.registration import ONBOARDING_TASKS
from lambdas.task import Invocation, StepResult, task_handler
from onboarding import steps
from onboarding.ports import Adapters


@task_handler(ONBOARDING_TASKS, "assess_risk", DatedSubmissionEvent)
def handler(event: DatedSubmissionEvent, run: Invocation[Adapters]) -> StepResult:
    assessment = steps.assess_risk(load_application(run, event), today=event.today)
    return StepResult(
        public={"application_id": event.application_id, "risk_level": assessment.level.value},
        raw={"assessment": assessment.model_dump(mode="json")},
    )
