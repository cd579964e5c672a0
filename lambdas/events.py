"""The events the state machine sends to each task (the ``Payload`` blocks of the ASL).

Strict models: an unexpected or missing field is a wiring bug and fails fast as ``InvalidTaskInput``,
reported by field path only (never a value, never an unexpected key's name).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, model_validator

from lambdas.claim_check import ClaimCheckRef
from lambdas.errors import InvalidTaskInput, invalid_task_input
from onboarding.models import APPLICATION_ID_PATTERN, RiskLevel


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Submission(_Event):
    """Where the application is: a claim-check reference (hardened) or inline (baseline only)."""

    claim_check: ClaimCheckRef | None = None
    inline: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Submission:
        if (self.claim_check is None) == (self.inline is None):
            raise ValueError("exactly one of claim_check or inline")
        return self


class TaskEvent(_Event):
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


E = TypeVar("E", bound=TaskEvent)


def parse_event(model: type[E], event: object) -> E:
    try:
        return model.model_validate(event)
    except ValidationError as error:
        raise _sanitized(error) from None


def _sanitized(error: ValidationError) -> InvalidTaskInput:
    fields = []
    for detail in error.errors(include_input=False, include_url=False, include_context=False):
        loc = [str(part) for part in detail["loc"]]
        if detail["type"] == "extra_forbidden":
            loc = loc[:-1]  # the unexpected key itself could be anything
        fields.append(".".join(loc) or "$")
    return invalid_task_input(fields)
