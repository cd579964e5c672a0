"""The events onboarding's state machine sends to each task (the ``Payload`` blocks of its definition)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field, StrictStr, ValidationError

from lambdas.errors import invalid_task_input
from lambdas.events import Submission, TaskEventBase
from lambdas.task import Invocation
from onboarding.models import APPLICATION_ID_PATTERN, Application, RiskLevel
from onboarding.ports import Adapters
from onboarding.validation import ApplicationValidationError, normalized_application


class TaskEvent(TaskEventBase):
    application_id: StrictStr = Field(pattern=APPLICATION_ID_PATTERN)


class SubmissionEvent(TaskEvent):
    submission: Submission


class DatedSubmissionEvent(SubmissionEvent):
    started_at: datetime  # $$.Execution.StartTime: both engines judge an application on its start date

    @property
    def today(self) -> date:
        return self.started_at.date()


class AttemptEvent(SubmissionEvent):
    """A step whose sandbox provider fails by attempt (identity, the card processor)."""

    attempt: int = Field(ge=1)  # $$.State.RetryCount + 1


class ReviewEvent(TaskEvent):
    risk_level: RiskLevel
    task_token: StrictStr = Field(min_length=1, max_length=1024)


class NotifyEvent(TaskEvent):
    account_id: StrictStr = Field(min_length=1, max_length=64)


def load_application(run: Invocation[Adapters], event: SubmissionEvent) -> Application:
    """The submission of ``event`` in its normalized form, for the steps after ``validate`` (which has already
    accepted it). The claim check holds the submission as the client sent it; normalizing it again here gives every
    step the same values the Temporal activities receive from ``validate`` (e.g. the phone number in E.164)."""
    raw = run.submission(event.application_id, event.submission)
    try:
        return normalized_application(Application.model_validate(raw))
    except (ValidationError, ApplicationValidationError):
        raise invalid_task_input(["submission"]) from None
