"""The events onboarding's state machine sends to each task (the ``Payload`` blocks of its definition).

Reading the submission (:mod:`lambdas.handlers.submission`) is apart: it brings the validation libraries, which the
handlers that never read it (``request_review``, ``notify``, ``close_account``) do not import at cold start."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field, StrictStr

from lambdas.events import Submission, TaskEventBase
from onboarding.models import APPLICATION_ID_PATTERN, RiskLevel


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
