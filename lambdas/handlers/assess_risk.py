"""Step 4: risk score. HIGH raises ``HIGH_RISK``; the level (a code) decides whether review is needed."""

from __future__ import annotations

from lambdas.events import DatedSubmissionEvent
from lambdas.task import Invocation, StepResult, task_handler
from onboarding import steps


@task_handler("assess_risk", DatedSubmissionEvent)
def handler(event: DatedSubmissionEvent, run: Invocation) -> StepResult:
    assessment = steps.assess_risk(run.application(event), today=event.today)
    return StepResult(
        public={"application_id": event.application_id, "risk_level": assessment.level.value},
        raw={"assessment": assessment.model_dump(mode="json")},
    )
