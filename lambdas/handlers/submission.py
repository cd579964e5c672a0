"""The submission a task reads from the claim check, in the normalized form the Temporal activities receive.

A module of its own because it imports the validation libraries (python-stdnum, email-validator, phonenumberslite):
only the handlers that read the submission on every call import it, so the others' cold start stays without them.
"""

from __future__ import annotations

from pydantic import ValidationError

from lambdas.errors import invalid_task_input
from lambdas.handlers.events import SubmissionEvent
from lambdas.task import Invocation
from onboarding.models import Application
from onboarding.ports import Adapters
from onboarding.validation import ApplicationValidationError, normalized_application


def load_application(run: Invocation[Adapters], event: SubmissionEvent) -> Application:
    """The submission of ``event`` in its normalized form, for the steps after ``validate`` (which has already
    accepted it). The claim check holds the submission as the client sent it; normalizing it again here gives every
    step the same values the Temporal activities receive from ``validate`` (e.g. the phone number in E.164)."""
    raw = run.submission(event.application_id, event.submission)
    try:
        return normalized_application(Application.model_validate(raw))
    except (ValidationError, ApplicationValidationError):
        raise invalid_task_input(["submission"]) from None
