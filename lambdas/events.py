"""What every task event shares: where the submission is, and strict parsing.

A process's task events (the ``Payload`` blocks of its definition; onboarding's are in ``lambdas.handlers.events``)
are strict models: an unexpected or missing field is a wiring bug and fails fast as ``InvalidTaskInput``, reported
by field path only (never a value, never an unexpected key's name).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from lambdas.claim_check import ClaimCheckRef
from lambdas.errors import InvalidTaskInput, invalid_task_input


class TaskEventBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Submission(TaskEventBase):
    """Where the application is: a claim-check reference (hardened) or inline (baseline only)."""

    claim_check: ClaimCheckRef | None = None
    inline: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Submission:
        if (self.claim_check is None) == (self.inline is None):
            raise ValueError("exactly one of claim_check or inline")
        return self


E = TypeVar("E", bound=TaskEventBase)


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
