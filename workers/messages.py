"""What crosses the Temporal boundary: workflow input, activity inputs, names. All pydantic, all encrypted in transit.

Kept apart from the workflow and activity code so the starter, the replay tests and the comparison runner can
import the contract without importing either.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from onboarding.models import Application, ReviewDecision, RiskAssessment

WORKFLOW_NAME = "Onboarding"
REVIEW_UPDATE_NAME = "submit_review"
# An operator's replay of the compensations that could not finish (no argument; refused unless one is pending).
RETRY_COMPENSATION_UPDATE_NAME = "retry_compensation"
CURRENT_STEP_QUERY_NAME = "current_step"
DEFAULT_TASK_QUEUE = "onboarding"
PRODUCTION_REVIEW_TIMEOUT_SECONDS = 72 * 3600
# ``workflow.patched(id)`` stores the id in plaintext (a marker and the ``TemporalChangeVersion`` search attribute),
# where the payload codec cannot reach: patch ids are code names, never data.
PATCH_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
# Search attributes the service may hold for an onboarding: its own build ids and the patch ids of versioned changes.
SERVICE_SEARCH_ATTRIBUTES = frozenset({"BuildIds", "TemporalChangeVersion"})


class Step(StrEnum):
    """Values of the ``current_step`` query besides the step names: while a step's activity runs, the query answers
    its name (``verify_identity``, ...), so a new step needs no new value here."""

    STARTED = "started"
    AWAITING_REVIEW = "awaiting_review"
    REVIEW_DECIDED = "review_decided"  # a decision arrived (or the wait timed out): no further decision is accepted
    # A compensation failed for good: the workflow waits for an operator's retry_compensation (see workflows.py).
    COMPENSATION_PENDING = "compensation_pending"
    COMPLETED = "completed"


class _Contract(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OnboardingInput(_Contract):
    """Workflow input: the raw submission (validated by the first activity, never in the workflow) and the
    manual-review timeout. Start it with workflow id = ``submission["application_id"]``."""

    submission: dict[str, Any]
    review_timeout_seconds: int = Field(default=PRODUCTION_REVIEW_TIMEOUT_SECONDS, ge=1)


class ValidateInput(_Contract):
    submission: dict[str, Any]
    today: date


class RiskInput(_Contract):
    application: Application
    today: date


class ReviewRequestInput(_Contract):
    application_id: str
    assessment: RiskAssessment


class ReviewDecisionInput(_Contract):
    application_id: str
    decision: ReviewDecision


class NotifyInput(_Contract):
    application_id: str
    account_id: str
