"""The events onboarding's state machine sends to each task (the ``Payload`` blocks of its definition)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field, StrictStr, ValidationError

from lambdas.errors import invalid_task_input
from lambdas.events import Submission, TaskEventBase
from lambdas.task import Invocation
from onboarding.models import APPLICATION_ID_PATTERN, Application, RiskLevel
from onboarding.ports import Adapters


class TaskEvent(TaskEventBase):
    application_id: StrictStr = Field(pattern=APPLICATION_ID_PATTERN)


class SubmissionEvent(TaskEvent):
    submission: Submission


class DatedSubmissionEvent(SubmissionEvent):
    started_at: datetime  # $$.Execution.StartTime: both engines judge an application on its start date

    @property
    def today(self) -> date:
        return self.started_at.date()


class IdentityEvent(SubmissionEvent):
    attempt: int = Field(ge=1)  # $$.State.RetryCount + 1


class ReviewEvent(TaskEvent):
    risk_level: RiskLevel
    task_token: StrictStr = Field(min_length=1, max_length=1024)


class NotifyEvent(TaskEvent):
    account_id: StrictStr = Field(min_length=1, max_length=64)



def load_application(run: Invocation[Adapters], event: SubmissionEvent) -> Application:
    """The submission of ``event``, for the steps after ``validate`` (which has already accepted it)."""
    raw = run.submission(event.application_id, event.submission)
    try:
        return Application.model_validate(raw)
    except ValidationError:
        raise invalid_task_input(["submission"]) from None
